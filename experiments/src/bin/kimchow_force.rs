//! Experiment `kimchow_force` (see `hebb_experiments::kimchow::force`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::kimchow::ForceParams>(
        "kimchow_force",
        hebb_experiments::kimchow::force,
    )
}
