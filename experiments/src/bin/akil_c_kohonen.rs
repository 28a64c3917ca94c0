//! Experiment `akil_c_kohonen` (see `hebb_experiments::akil::kohonen`): one
//! task per β, so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil::KohonenParams>("akil_c_kohonen")
}
