//! Experiment `akil_j_windows` (see `hebb_experiments::akil_windows::windows`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil_windows::WindowParams>(
        "akil_j_windows",
        hebb_experiments::akil_windows::windows,
    )
}
