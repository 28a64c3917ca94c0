//! Experiment `akil_g_optogenetic` (see `hebb_experiments::akil_optogenetic`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil_optogenetic::OptoParams>(
        "akil_g_optogenetic",
        hebb_experiments::akil_optogenetic::optogenetic,
    )
}
