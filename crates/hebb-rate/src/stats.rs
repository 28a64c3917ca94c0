//! Chaotic-state statistics of a run (spec §3.3, §4.3), measured online.
//!
//! The estimators are those of the numpy peer (`clark_ref.py stats`), so the
//! two can be compared number for number:
//!
//! * Δ₀ = ⟨x²⟩, q = ⟨φ²⟩ and ⟨φ'²⟩, averaged over units and recorded steps;
//! * C_φ(τ) = (1/N) Σ_i (1/(T−τ)) Σ_t φ_i(t) φ_i(t+τ) (no mean removed) on
//!   the lag grid τ = 0, dt, 2 dt, …;
//! * τ_½: the first lag where C_φ(τ)/C_φ(0) ≤ ½, linearly interpolated;
//!   likewise the first zero.

use serde::{Deserialize, Serialize};

use crate::math::dot;
use crate::nonlin::{Nonlinearity, RateFunction};

/// Online accumulator of the chaotic-state statistics: call
/// [`observe`](Self::observe) once per recorded step, then
/// [`summary`](Self::summary). Memory (max_lag + 1) · N; cost per
/// observation (max_lag + 1) · N multiply-adds for the autocorrelation.
#[derive(Debug, Clone)]
pub struct ChaosStats {
    n: usize,
    max_lag: usize,
    nonlinearity: Nonlinearity,
    ring: Vec<f64>,
    samples: u64,
    sum_x: f64,
    sum_x2: f64,
    sum_phi2: f64,
    sum_dphi2: f64,
    acc: Vec<f64>,
    cnt: Vec<u64>,
    phi: Vec<f64>,
}

/// Summary of [`ChaosStats`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaosSummary {
    /// Number of recorded steps T.
    pub samples: u64,
    /// Δ₀ = ⟨x²⟩.
    pub delta0: f64,
    /// ⟨x⟩.
    pub mean_x: f64,
    /// ⟨x²⟩ − ⟨x⟩².
    pub var_x: f64,
    /// q = ⟨φ(x)²⟩ = C_φ(0).
    pub q: f64,
    /// ⟨φ'(x)²⟩.
    pub phi_prime_sq: f64,
    /// g² ⟨φ'(x)²⟩, the freezability / bulk-edge indicator (§4.2).
    pub g2_phi_prime_sq: f64,
    /// Lag step (dt).
    pub dt: f64,
    /// C_φ(τ) at τ = 0, dt, …, max_lag · dt (lags beyond the record are
    /// omitted).
    pub c_phi: Vec<f64>,
    /// τ_½ of C_φ(τ)/C_φ(0), if reached within the lags.
    pub tau_half: Option<f64>,
    /// First zero of C_φ, if reached within the lags.
    pub first_zero: Option<f64>,
}

impl ChaosSummary {
    /// C_φ(τ)/C_φ(0) at the lag nearest to `tau` (None beyond the lags or
    /// if C_φ(0) = 0).
    pub fn c_over_q(&self, tau: f64) -> Option<f64> {
        let i = (tau / self.dt).round();
        if i.is_nan() || i < 0.0 || i as usize >= self.c_phi.len() || self.c_phi[0] == 0.0 {
            return None;
        }
        Some(self.c_phi[i as usize] / self.c_phi[0])
    }

    /// Minimum of C_φ/C_φ(0) over lags ≤ `tau_max` and its lag.
    pub fn min_c_over_q(&self, tau_max: f64) -> Option<(f64, f64)> {
        if self.c_phi.is_empty() || self.c_phi[0] == 0.0 {
            return None;
        }
        let last = ((tau_max / self.dt).round() as usize).min(self.c_phi.len() - 1);
        let (i, v) = self.c_phi[..=last].iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1))?;
        Some((v / self.c_phi[0], i as f64 * self.dt))
    }
}

impl ChaosStats {
    /// Accumulator for N units with lags up to `max_lag` steps.
    pub fn new(n: usize, max_lag: usize, nonlinearity: Nonlinearity) -> Self {
        Self {
            n,
            max_lag,
            nonlinearity,
            ring: vec![0.0; (max_lag + 1) * n],
            samples: 0,
            sum_x: 0.0,
            sum_x2: 0.0,
            sum_phi2: 0.0,
            sum_dphi2: 0.0,
            acc: vec![0.0; max_lag + 1],
            cnt: vec![0; max_lag + 1],
            phi: vec![0.0; n],
        }
    }

    /// Record one state x.
    ///
    /// # Panics
    ///
    /// If `x.len()` differs from the N given to [`new`](Self::new).
    pub fn observe(&mut self, x: &[f64]) {
        assert_eq!(x.len(), self.n, "ChaosStats::observe: state length");
        let n = self.n;
        let nl = self.nonlinearity;
        nl.phi_slice(x, &mut self.phi);
        let (mut sx, mut sx2, mut sd2) = (0.0, 0.0, 0.0);
        for &xi in x {
            sx += xi;
            sx2 += xi * xi;
            let d = nl.dphi(xi);
            sd2 += d * d;
        }
        self.sum_x += sx;
        self.sum_x2 += sx2;
        self.sum_dphi2 += sd2;
        let slot = (self.samples % (self.max_lag as u64 + 1)) as usize;
        self.ring[slot * n..(slot + 1) * n].copy_from_slice(&self.phi);
        let avail = (self.samples as usize).min(self.max_lag);
        for lag in 0..=avail {
            let s = (slot + self.max_lag + 1 - lag) % (self.max_lag + 1);
            self.acc[lag] += dot(&self.ring[s * n..(s + 1) * n], &self.phi);
            self.cnt[lag] += 1;
        }
        self.sum_phi2 += dot(&self.phi, &self.phi);
        self.samples += 1;
    }

    /// Number of recorded steps.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The statistics so far, for a network with gain `g` and step `dt`.
    pub fn summary(&self, g: f64, dt: f64) -> ChaosSummary {
        let tot = (self.samples as f64) * self.n as f64;
        let mean_x = self.sum_x / tot;
        let delta0 = self.sum_x2 / tot;
        let c_phi: Vec<f64> = self
            .acc
            .iter()
            .zip(&self.cnt)
            .take_while(|(_, c)| **c > 0)
            .map(|(a, &c)| a / (c as f64 * self.n as f64))
            .collect();
        let ratio: Vec<f64> = c_phi.iter().map(|c| c / c_phi[0]).collect();
        ChaosSummary {
            samples: self.samples,
            delta0,
            mean_x,
            var_x: delta0 - mean_x * mean_x,
            q: self.sum_phi2 / tot,
            phi_prime_sq: self.sum_dphi2 / tot,
            g2_phi_prime_sq: g * g * self.sum_dphi2 / tot,
            dt,
            tau_half: hebb_core::series::first_crossing(&ratio, 0.5, dt),
            first_zero: hebb_core::series::first_crossing(&ratio, 0.0, dt),
            c_phi,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autocorrelation_of_a_known_signal() {
        // Two units with x chosen so that φ(x) = tanh(x) = cos(ωt)/2, period
        // 40 steps: C(τ)/C(0) ≈ cos(ωτ) (up to O(τ/T) edge effects), so the
        // first zero is at a quarter period (10 steps = 1.0 time units), q =
        // ⟨cos²⟩/4 = 1/8, and C/q = −1 at half a period.
        let nl = Nonlinearity::Tanh;
        let mut s = ChaosStats::new(2, 20, nl);
        let w = 2.0 * std::f64::consts::PI / 40.0;
        for t in 0..4000 {
            let c = 0.5 * (w * t as f64).cos();
            let x = c.atanh();
            s.observe(&[x, x]);
        }
        let m = s.summary(1.0, 0.1);
        // First zero of cos at 10 steps = 1.0 time units (interpolation error
        // of the chord ~ 1e-3 here).
        let z = m.first_zero.unwrap();
        assert!((z - 1.0).abs() < 5e-3, "{z}");
        assert!((m.q - 0.125).abs() < 1e-3);
        assert!((m.c_over_q(2.0).unwrap() + 1.0).abs() < 1e-2);
    }
}
