//! Experiment `akil_m_istdp_pair` (see `hebb_experiments::akil::istdp_pair`).
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with::<hebb_experiments::akil::IstdpPairParams>(
        "akil_m_istdp_pair",
        hebb_experiments::akil::istdp_pair,
    )
}
