//! Experiment `akil_i_correlations` (see `hebb_experiments::akil_correlations`):
//! one task per (rule, c), so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil_correlations::CorrelationParams>("akil_i_correlations")
}
