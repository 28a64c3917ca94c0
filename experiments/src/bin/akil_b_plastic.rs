//! Experiment `akil_b_plastic` (see `hebb_experiments::akil_b_plastic`): the
//! plastic part of Akil B, one task per (case, N, realisation), so it runs
//! as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil_b_plastic::PlasticScalingParams>("akil_b_plastic")
}
