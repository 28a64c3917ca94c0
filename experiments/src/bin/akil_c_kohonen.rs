//! Experiment `akil_c_kohonen` (see `hebb_experiments::akil::kohonen`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil::KohonenParams>(
        "akil_c_kohonen",
        hebb_experiments::akil::kohonen,
    )
}
