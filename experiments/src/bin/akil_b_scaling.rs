//! Experiment `akil_b_scaling` (see `hebb_experiments::akil::scaling`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil::ScalingParams>(
        "akil_b_scaling",
        hebb_experiments::akil::scaling,
    )
}
