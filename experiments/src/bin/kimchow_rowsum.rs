//! Experiment `kimchow_rowsum` (see `hebb_experiments::kimchow::rowsum`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::kimchow::RowsumParams>(
        "kimchow_rowsum",
        hebb_experiments::kimchow::rowsum,
    )
}
