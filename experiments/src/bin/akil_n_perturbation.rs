//! Experiment `akil_n_perturbation` (see `hebb_experiments::akil_perturbation`):
//! one task per weight value, so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil_perturbation::PerturbationParams>("akil_n_perturbation")
}
