//! Experiment `akil_k_timescales` (see `hebb_experiments::akil_timescales`):
//! one task per (rule, η), so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil_timescales::TimescaleParams>("akil_k_timescales")
}
