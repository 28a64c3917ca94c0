//! Experiment `clark_freeze` (see `hebb_experiments::clark::freeze`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::clark::FreezeParams>(
        "clark_freeze",
        hebb_experiments::clark::freeze,
    )
}
