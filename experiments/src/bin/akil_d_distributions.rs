//! Experiment `akil_d_distributions` (see `hebb_experiments::akil_distributions`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil_distributions::DistributionParams>(
        "akil_d_distributions",
        hebb_experiments::akil_distributions::distributions,
    )
}
