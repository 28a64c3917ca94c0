//! Small estimators on sampled curves, shared by the simulators and the theory
//! so that both report a quantity the same way.

/// First lag (linearly interpolated between samples `dt` apart) at which
/// `r` drops to `level` or below; `Some(0.0)` if `r[0]` already does, `None`
/// if it never does. Used for the decorrelation time τ½ (level 0.5 of a
/// normalised autocorrelation) and its first zero.
pub fn first_crossing(r: &[f64], level: f64, dt: f64) -> Option<f64> {
    let i = r.iter().position(|&v| v <= level)?;
    if i == 0 {
        return Some(0.0);
    }
    let (r0, r1) = (r[i - 1], r[i]);
    Some(dt * ((i - 1) as f64 + (r0 - level) / (r0 - r1)))
}

#[cfg(test)]
mod tests {
    use super::first_crossing;

    #[test]
    fn interpolates_between_samples() {
        // 1.0 → 0.0 over one step of 0.5: level 0.5 is crossed half-way.
        assert_eq!(first_crossing(&[1.0, 0.0], 0.5, 0.5), Some(0.25));
        assert_eq!(first_crossing(&[0.2, 0.1], 0.5, 1.0), Some(0.0));
        assert_eq!(first_crossing(&[1.0, 0.9], 0.5, 1.0), None);
    }
}
