//! Experiment `clark_freeze` (see `hebb_experiments::clark::freeze`): one
//! task per (k, seed), so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::clark::FreezeParams>("clark_freeze")
}
