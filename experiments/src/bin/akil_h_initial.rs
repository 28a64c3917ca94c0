//! Experiment `akil_h_initial` (see `hebb_experiments::akil_initial`): one
//! task per initial weight, so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil_initial::InitialParams>("akil_h_initial")
}
