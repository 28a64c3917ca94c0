//! Experiment `clark_spectra` (see `hebb_experiments::clark_spectra`): joint
//! Jacobian spectra with their predicted support, the two-band split and the
//! fixed-point counts of Clark & Abbott.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_with("clark_spectra", hebb_experiments::clark_spectra::spectra)
}
