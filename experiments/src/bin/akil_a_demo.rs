//! Experiment `akil_a_demo` (see `hebb_experiments::akil::demo`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil::DemoParams>("akil_a_demo", hebb_experiments::akil::demo)
}
