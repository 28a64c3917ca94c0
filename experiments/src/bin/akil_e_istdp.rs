//! Experiment `akil_e_istdp` (see `hebb_experiments::akil::istdp`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil::IstdpParams>("akil_e_istdp", hebb_experiments::akil::istdp)
}
