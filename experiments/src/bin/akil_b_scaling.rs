//! Experiment `akil_b_scaling` (see `hebb_experiments::akil::scaling`): one
//! task per (c, N), so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil::ScalingParams>("akil_b_scaling")
}
