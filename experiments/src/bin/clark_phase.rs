//! Experiment `clark_phase` (see `hebb_experiments::clark_phase`): the (g, k)
//! phase diagram; one task per network run or DMFT point, so it runs as a
//! Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::clark_phase::PhaseParams>("clark_phase")
}
