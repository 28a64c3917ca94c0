//! Target signals for training: Ornstein–Uhlenbeck and sinusoidal patterns
//! (specs/kimchow.md §3.1).
//!
//! A target trace is sampled on a grid of `every_ms` for `n_samples`
//! samples (`t_m = m · every_ms`, `m = 0 .. n_samples`). Each trace is a pure
//! function of `(seed, id)` through the keyed stream
//! `stream(seed, Purpose::User, [TARGET_STREAM, kind, id])` (`kind` = 0 for
//! OU, 1 for sine phases), so trace `id` never depends on which other traces
//! are drawn, in which order or on how many threads.

use hebb_core::rng::{Purpose, stream};
use hebb_core::{ParamError, check_finite, check_non_negative, check_positive};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// First key id of the target streams (`Purpose::User` requires a distinct
/// first id).
pub const TARGET_STREAM: u64 = 0x7A26_E7A0;

/// A stationary Ornstein–Uhlenbeck process
/// `dξ = −(ξ − mean)/τ dt + σ √(2/τ) dW`, with stationary standard deviation
/// `sd` (the 2018 code's `σ = 0.3` per unit with `τ_c = 20` units
/// corresponds to `sd = 0.3 √(τ_c/2)`; the spec's prototype uses a unit OU
/// scaled by `A`).
///
/// Sampled **exactly** on its grid (no Euler error):
/// `ξ_{m+1} = mean + a (ξ_m − mean) + sd √(1 − a²) z_m`, `a = e^{−Δ/τ}`,
/// `z_m ~ N(0, 1)`, with `ξ_0` drawn from the stationary law
/// `N(mean, sd²)`. So every sample is `N(mean, sd²)` and the lag-`ℓΔ`
/// autocorrelation is `a^ℓ = e^{−ℓΔ/τ}` for any grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OuTarget {
    /// Correlation time `τ` (ms), > 0.
    pub tau_ms: f64,
    /// Stationary standard deviation, ≥ 0.
    pub sd: f64,
    /// Stationary mean.
    pub mean: f64,
}

impl OuTarget {
    /// Check `τ > 0`, `sd ≥ 0`, `mean` finite.
    pub fn validate(&self) -> Result<(), ParamError> {
        check_positive("target.ou.tau_ms", self.tau_ms)?;
        check_non_negative("target.ou.sd", self.sd)?;
        check_finite("target.ou.mean", self.mean)
    }

    /// Trace `id`: `n_samples` samples spaced `every_ms` apart, from the
    /// stream `(seed, User, [TARGET_STREAM, 0, id])`.
    pub fn trace(&self, every_ms: f64, n_samples: usize, seed: u64, id: u64) -> Result<Vec<f64>, ParamError> {
        self.validate()?;
        check_positive("target.every_ms", every_ms)?;
        let mut rng = stream(seed, Purpose::User, &[TARGET_STREAM, 0, id]);
        let a = (-every_ms / self.tau_ms).exp();
        let s = self.sd * (1.0 - a * a).sqrt();
        let mut out = Vec::with_capacity(n_samples);
        let mut x = 0.0;
        for m in 0..n_samples {
            let z: f64 = rng.sample(StandardNormal);
            x = if m == 0 { self.sd * z } else { a * x + s * z };
            out.push(self.mean + x);
        }
        Ok(out)
    }
}

/// A sinusoid `mean + amplitude · sin(2π t/period + φ)` (the group's
/// `A sin(2πt/T + φ_i)` targets, `A = 0.5`, `T = 1 s`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SineTarget {
    /// Amplitude `A`, finite.
    pub amplitude: f64,
    /// Period `T` (ms), > 0.
    pub period_ms: f64,
    /// Offset added to the sinusoid.
    pub mean: f64,
    /// If true, trace `id` gets a phase uniform on `[0, 2π)` from the
    /// stream `(seed, User, [TARGET_STREAM, 1, id])`; otherwise `phase`.
    pub random_phase: bool,
    /// The fixed phase φ (rad), used when `random_phase` is false.
    pub phase: f64,
}

impl SineTarget {
    /// Check the period and that amplitude, mean and phase are finite.
    pub fn validate(&self) -> Result<(), ParamError> {
        check_positive("target.sine.period_ms", self.period_ms)?;
        check_finite("target.sine.amplitude", self.amplitude)?;
        check_finite("target.sine.mean", self.mean)?;
        check_finite("target.sine.phase", self.phase)
    }

    /// The phase of trace `id` (random or fixed, see [`SineTarget::random_phase`]).
    pub fn phase_of(&self, seed: u64, id: u64) -> f64 {
        if self.random_phase {
            let mut rng = stream(seed, Purpose::User, &[TARGET_STREAM, 1, id]);
            std::f64::consts::TAU * rng.random::<f64>()
        } else {
            self.phase
        }
    }

    /// Trace `id`: `n_samples` samples at `t_m = m · every_ms`.
    pub fn trace(&self, every_ms: f64, n_samples: usize, seed: u64, id: u64) -> Result<Vec<f64>, ParamError> {
        self.validate()?;
        check_positive("target.every_ms", every_ms)?;
        let phi = self.phase_of(seed, id);
        let w = std::f64::consts::TAU / self.period_ms;
        Ok((0..n_samples).map(|m| self.mean + self.amplitude * (w * m as f64 * every_ms + phi).sin()).collect())
    }
}

/// Either kind of target pattern, for configs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetPattern {
    /// An OU process ([`OuTarget`]).
    Ou(OuTarget),
    /// A sinusoid ([`SineTarget`]).
    Sine(SineTarget),
}

impl TargetPattern {
    /// Check the parameters of the pattern.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            TargetPattern::Ou(o) => o.validate(),
            TargetPattern::Sine(s) => s.validate(),
        }
    }

    /// Trace `id` (see [`OuTarget::trace`], [`SineTarget::trace`]).
    pub fn trace(&self, every_ms: f64, n_samples: usize, seed: u64, id: u64) -> Result<Vec<f64>, ParamError> {
        match self {
            TargetPattern::Ou(o) => o.trace(every_ms, n_samples, seed, id),
            TargetPattern::Sine(s) => s.trace(every_ms, n_samples, seed, id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stationary statistics of the exact OU sampler, pooled over 400
    /// independent traces of 500 samples at Δ = 10 ms, τ = 100 ms, sd = 0.7,
    /// mean 0.2:
    /// * mean: the variance of a trace mean is ≈ sd²(1+a)/((1−a)n) (a =
    ///   e^{−0.1}), so the pooled mean has s.d. ≈ 0.7·√(21/200000) ≈ 0.0072;
    ///   bound 0.03 (> 4 s.d.).
    /// * variance: pooled over 2·10⁵ correlated samples, about 1e4 effective
    ///   ones, relative s.d. ≈ 1.4 %; bound 6 %.
    /// * autocorrelation at lags τ/Δ·{1, 2} = 10 and 20 samples against
    ///   e^{−1} = 0.368 and e^{−2} = 0.135: s.d. ≈ 0.01; bound 0.04.
    ///   An Euler sampler with the wrong decay, or a non-stationary start
    ///   (ξ₀ = 0), fails the variance or autocorrelation bounds.
    #[test]
    fn ou_statistics() {
        let ou = OuTarget { tau_ms: 100.0, sd: 0.7, mean: 0.2 };
        let n = 500;
        let traces: Vec<Vec<f64>> = (0..400).map(|id| ou.trace(10.0, n, 5, id).unwrap()).collect();
        let all: Vec<f64> = traces.iter().flatten().copied().collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let var = all.iter().map(|x| (x - 0.2).powi(2)).sum::<f64>() / all.len() as f64;
        assert!((mean - 0.2).abs() < 0.03, "mean {mean}");
        assert!((var / 0.49 - 1.0).abs() < 0.06, "variance {var}");
        // first samples alone are stationary: N(mean, sd²)
        let v0 = traces.iter().map(|t| (t[0] - 0.2).powi(2)).sum::<f64>() / 400.0;
        assert!((v0 / 0.49 - 1.0).abs() < 0.3, "variance of the first sample {v0} (s.d. of the estimate 7 %)");
        for (lag, expect) in [(10usize, (-1.0f64).exp()), (20, (-2.0f64).exp())] {
            let mut c = 0.0;
            let mut cnt = 0.0;
            for t in &traces {
                for m in 0..n - lag {
                    c += (t[m] - 0.2) * (t[m + lag] - 0.2);
                    cnt += 1.0;
                }
            }
            let rho = c / cnt / 0.49;
            assert!((rho - expect).abs() < 0.04, "autocorrelation at lag {lag}: {rho} vs {expect}");
        }
    }

    #[test]
    fn ou_traces_are_keyed_and_validated() {
        let ou = OuTarget { tau_ms: 50.0, sd: 1.0, mean: 0.0 };
        assert_eq!(ou.trace(1.0, 100, 3, 7).unwrap(), ou.trace(1.0, 100, 3, 7).unwrap());
        // a prefix of a longer trace, and independent of the other ids
        assert_eq!(ou.trace(1.0, 50, 3, 7).unwrap()[..], ou.trace(1.0, 100, 3, 7).unwrap()[..50]);
        assert_ne!(ou.trace(1.0, 100, 3, 7).unwrap(), ou.trace(1.0, 100, 3, 8).unwrap());
        assert_ne!(ou.trace(1.0, 100, 3, 7).unwrap(), ou.trace(1.0, 100, 4, 7).unwrap());
        assert_eq!(OuTarget { tau_ms: 0.0, ..ou }.trace(1.0, 1, 0, 0).unwrap_err().field, "target.ou.tau_ms");
        assert_eq!(OuTarget { sd: -1.0, ..ou }.trace(1.0, 1, 0, 0).unwrap_err().field, "target.ou.sd");
        assert_eq!(ou.trace(0.0, 1, 0, 0).unwrap_err().field, "target.every_ms");
    }

    /// Exact values for a fixed phase; random phases are uniform on
    /// [0, 2π): over 4000 traces the means of cos φ and sin φ have s.d.
    /// 1/√8000 ≈ 0.011 (bound 0.05), and the time average of each trace
    /// over whole periods equals `mean` to rounding.
    #[test]
    fn sine_values_and_phases() {
        let s = SineTarget { amplitude: 0.5, period_ms: 1000.0, mean: 1.0, random_phase: false, phase: 0.3 };
        let tr = s.trace(10.0, 201, 0, 0).unwrap();
        for (m, x) in tr.iter().enumerate() {
            let expect = 1.0 + 0.5 * (std::f64::consts::TAU * m as f64 / 100.0 + 0.3).sin();
            assert!((x - expect).abs() < 1e-12);
        }
        let avg = tr[..200].iter().sum::<f64>() / 200.0;
        assert!((avg - 1.0).abs() < 1e-12, "time average {avg}");
        let r = SineTarget { random_phase: true, ..s };
        let phases: Vec<f64> = (0..4000).map(|id| r.phase_of(11, id)).collect();
        assert!(phases.iter().all(|p| (0.0..std::f64::consts::TAU).contains(p)));
        let c = phases.iter().map(|p| p.cos()).sum::<f64>() / 4000.0;
        let sn = phases.iter().map(|p| p.sin()).sum::<f64>() / 4000.0;
        assert!(c.abs() < 0.05 && sn.abs() < 0.05, "phase moments {c} {sn}");
        assert_eq!(r.phase_of(11, 3), r.phase_of(11, 3));
        let tr = r.trace(10.0, 3, 11, 3).unwrap();
        assert!((tr[0] - (1.0 + 0.5 * r.phase_of(11, 3).sin())).abs() < 1e-12);
        assert_eq!(SineTarget { period_ms: -1.0, ..s }.validate().unwrap_err().field, "target.sine.period_ms");
        let p = TargetPattern::Sine(s);
        assert_eq!(p.trace(10.0, 5, 0, 0).unwrap(), s.trace(10.0, 5, 0, 0).unwrap());
    }
}
