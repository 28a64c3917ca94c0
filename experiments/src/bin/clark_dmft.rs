//! Experiment `clark_dmft` (see `hebb_experiments::clark_dmft`): one task per
//! k (DMFT and networks), plus the k_t search in the default and paper tiers.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::clark_dmft::DmftParams>("clark_dmft")
}
