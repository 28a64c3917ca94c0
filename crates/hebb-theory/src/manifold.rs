//! Weight–rate correlations under homeostatic iSTDP: the row-exponential
//! model of specs/akil.md §3.5 (Akil, Rosenbaum & Josić 2021, "correlations
//! between firing rates and synaptic weights").
//!
//! Per synapse (post j, pre k) the iSTDP drift is multiplicative with a rate
//! proportional to the presynaptic rate,
//! dJ_jk/dt = η̃ J_jk [r_k (2τ r_j − α) + Q_jk], so with Q negligible a row
//! evolves as J_jk(t) = J_jk(0)·exp(r_k Φ_j(t)), Φ_j = ∫ η̃ (2τ r_j − α) dt.
//! Synapses from fast presynaptic neurons move most. The input a row
//! delivers, Σ_k J_jk r_k, therefore changes by more than
//! (Σ_k ΔJ_jk)·r̄ — to first order in Φ the mean weight moves by
//! ΔI·⟨J r⟩/⟨J r²⟩ for an input change ΔI, not by ΔI/r̄ as the mean-field
//! balance (which uses ⟨J r⟩ = ⟨J⟩⟨r⟩) assumes. With the broad rates of a
//! balanced network (CV ≈ 0.6–0.7) that is about a third less.
//!
//! [`RowExponential`] holds a pooled sample of presynaptic rates and
//! starting weights (one row or many rows treated with a common Φ, the
//! population-level approximation) and finds the Φ that gives a target mean
//! weight or a target mean input.
//!
//! ```
//! use hebb_theory::manifold::RowExponential;
//!
//! // Two presynaptic rates (kHz), equal starting weights.
//! let row = RowExponential::new(vec![0.01, 0.03], vec![-100.0, -100.0]).unwrap();
//! // Ask for 20 % more inhibitory input than at Φ = 0.
//! let target = 1.2 * row.mean_input(0.0);
//! let phi = row.phi_for_mean_input(target).unwrap();
//! assert!((row.mean_input(phi) - target).abs() < 1e-9);
//! // The mean weight moves by less than 20 %: the fast synapse did most of the work.
//! assert!(row.mean_weight(phi) / row.mean_weight(0.0) < 1.2);
//! ```

use crate::balanced::TheoryError;
use hebb_core::ParamError;

/// A pooled sample of synapses that share one exponent Φ:
/// j_k(Φ) = j0_k·e^{r_k Φ} (§3.5).
#[derive(Debug, Clone, PartialEq)]
pub struct RowExponential {
    rates_khz: Vec<f64>,
    j0: Vec<f64>,
}

impl RowExponential {
    /// Presynaptic rates (kHz, ≥ 0, not all zero) and starting weights (any
    /// units, all nonzero with one sign: the rule is multiplicative, so a
    /// weight never changes sign), of equal length.
    pub fn new(rates_khz: Vec<f64>, j0: Vec<f64>) -> Result<Self, TheoryError> {
        if rates_khz.is_empty() || rates_khz.len() != j0.len() {
            return Err(ParamError::new(
                "j0",
                format!("{} entries", j0.len()),
                format!("one weight per rate ({} rates, at least one)", rates_khz.len()),
            )
            .into());
        }
        for (k, &r) in rates_khz.iter().enumerate() {
            if !(r.is_finite() && r >= 0.0) {
                return Err(ParamError::new(format!("rates_khz[{k}]"), r, "a finite rate ≥ 0").into());
            }
        }
        if rates_khz.iter().all(|&r| r == 0.0) {
            return Err(ParamError::new("rates_khz", "all zero", "at least one positive rate").into());
        }
        let sign = j0[0].signum();
        for (k, &j) in j0.iter().enumerate() {
            if !(j.is_finite() && j != 0.0 && j.signum() == sign) {
                return Err(ParamError::new(
                    format!("j0[{k}]"),
                    j,
                    format!("finite, nonzero, with the sign of j0[0] ({sign})"),
                )
                .into());
            }
        }
        Ok(Self { rates_khz, j0 })
    }

    /// Every synapse starting at the same weight `j0` (a uniform start).
    pub fn uniform(rates_khz: Vec<f64>, j0: f64) -> Result<Self, TheoryError> {
        let n = rates_khz.len();
        Self::new(rates_khz, vec![j0; n])
    }

    /// The same synapses with the weights they hold at Φ as their new start
    /// (where a uniform start has been taken by the rule).
    pub fn at(&self, phi: f64) -> Self {
        Self { rates_khz: self.rates_khz.clone(), j0: self.weights(phi) }
    }

    /// The weights at exponent Φ (ms).
    pub fn weights(&self, phi: f64) -> Vec<f64> {
        self.j0.iter().zip(&self.rates_khz).map(|(j, r)| j * (r * phi).exp()).collect()
    }

    /// ⟨j0 e^{rΦ}⟩: the mean weight at exponent Φ.
    pub fn mean_weight(&self, phi: f64) -> f64 {
        self.mean_of(phi, |_| 1.0)
    }

    /// ⟨j0 e^{rΦ} r⟩: the mean input (weight × presynaptic rate) at Φ.
    pub fn mean_input(&self, phi: f64) -> f64 {
        self.mean_of(phi, |r| r)
    }

    /// ⟨j0 e^{rΦ} w(r)⟩, without building the weights (the solver calls
    /// it a few hundred times).
    fn mean_of(&self, phi: f64, w: impl Fn(f64) -> f64) -> f64 {
        self.j0.iter().zip(&self.rates_khz).map(|(j, &r)| j * (r * phi).exp() * w(r)).sum::<f64>()
            / self.j0.len() as f64
    }

    /// The Φ at which the mean weight equals `target` (same sign as the
    /// weights).
    pub fn phi_for_mean_weight(&self, target: f64) -> Result<f64, TheoryError> {
        self.solve("target mean weight", target, |phi| self.mean_weight(phi))
    }

    /// The Φ at which the mean input equals `target` (same sign as the
    /// weights).
    pub fn phi_for_mean_input(&self, target: f64) -> Result<f64, TheoryError> {
        self.solve("target mean input", target, |phi| self.mean_input(phi))
    }

    /// Both functions are a positive combination of e^{r_k Φ} times one sign,
    /// so |f| increases strictly with Φ from 0 (Φ → −∞, for the synapses with
    /// r > 0) to ∞: bracket by doubling, then bisect.
    fn solve(&self, what: &str, target: f64, f: impl Fn(f64) -> f64) -> Result<f64, TheoryError> {
        let sign = self.j0[0].signum();
        if !(target.is_finite() && target * sign > 0.0) {
            return Err(ParamError::new(what, target, format!("finite, with the sign of the weights ({sign})")).into());
        }
        let g = |phi: f64| sign * f(phi) - sign * target;
        // Start on the Φ scale on which the fastest synapse changes by a
        // factor e and double each side until it brackets the root.
        let r_max = self.rates_khz.iter().cloned().fold(0.0, f64::max);
        let (mut lo, mut hi) = (-1.0 / r_max, 1.0 / r_max);
        for _ in 0..200 {
            if g(lo) < 0.0 {
                break;
            }
            lo *= 2.0;
        }
        for _ in 0..200 {
            if g(hi) > 0.0 {
                break;
            }
            hi *= 2.0;
        }
        if !(g(lo) < 0.0 && g(hi) > 0.0) {
            return Err(ParamError::new(
                what,
                target,
                "a value reachable by rescaling the weights (silent synapses cannot move)",
            )
            .into());
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g(mid) > 0.0 {
                hi = mid
            } else {
                lo = mid
            }
            if hi - lo <= 1e-14 * hi.abs().max(lo.abs()).max(1e-300) {
                break;
            }
        }
        Ok(0.5 * (lo + hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal rates: the model is a plain rescaling, so the mean weight moves
    /// exactly as the mean-field balance says, ΔI / r.
    #[test]
    fn equal_rates_reduce_to_the_mean_field() {
        let row = RowExponential::new(vec![0.02; 5], vec![-120.0; 5]).unwrap();
        let phi = row.phi_for_mean_input(row.mean_input(0.0) - 0.9).unwrap();
        let dj = row.mean_weight(phi) - row.mean_weight(0.0);
        assert!((dj - (-0.9 / 0.02)).abs() < 1e-9, "Δj = {dj}");
    }

    /// Small changes follow the first-order law Δ⟨j⟩ = ΔI ⟨j0 r⟩ / ⟨j0 r²⟩
    /// (derivatives of both means at Φ = 0), checked against the solver on a
    /// broad rate sample.
    #[test]
    fn small_changes_follow_the_rate_weighted_law() {
        let rates: Vec<f64> = (0..200).map(|k| 0.001 + 0.0004 * k as f64).collect();
        let j0: Vec<f64> = rates.iter().map(|r| -150.0 * (-20.0 * r).exp()).collect();
        let row = RowExponential::new(rates.clone(), j0.clone()).unwrap();
        let n = rates.len() as f64;
        let jr: f64 = j0.iter().zip(&rates).map(|(j, r)| j * r).sum::<f64>() / n;
        let jr2: f64 = j0.iter().zip(&rates).map(|(j, r)| j * r * r).sum::<f64>() / n;
        let d_input = 1e-6 * row.mean_input(0.0);
        let phi = row.phi_for_mean_input(row.mean_input(0.0) + d_input).unwrap();
        let dj = row.mean_weight(phi) - row.mean_weight(0.0);
        let first_order = d_input * jr / jr2;
        // Second-order terms are O(ΔI²): a relative 1e-6 change leaves ~1e-6
        // of the first-order value.
        assert!((dj / first_order - 1.0).abs() < 1e-5, "Δj = {dj}, first order {first_order}");
        // And it is smaller than the mean-field ΔI / r̄ for broad rates
        // (⟨r²⟩ > ⟨r⟩²).
        let r_bar = rates.iter().sum::<f64>() / n;
        assert!(dj.abs() < (d_input / r_bar).abs());
    }

    /// Against a numerical solution of the per-synapse drift: a row of
    /// inhibitory weights onto a neuron whose rate falls as its inhibition
    /// grows, dJ_k/dt = c J_k r_k (r_post − ρ) (§3.5 with Q = 0), integrated
    /// by RK4 until r_post = ρ. The row stops where its input Σ J r/K equals
    /// the input that gives ρ, and every weight must equal J_k(0)·e^{r_k Φ}
    /// with the Φ the model finds for that input.
    #[test]
    fn matches_the_integrated_per_synapse_drift() {
        let rates: Vec<f64> = (0..50).map(|k| 0.002 + 0.0008 * k as f64).collect();
        let j0: Vec<f64> = rates.iter().map(|r| -250.0 + 1000.0 * r).collect();
        let (rho, gain, input_rho) = (0.01, 2e-4, -3.0); // r_post = ρ + gain·(input − input_ρ)
        let k = rates.len() as f64;
        let drift = |j: &[f64]| -> Vec<f64> {
            let input: f64 = j.iter().zip(&rates).map(|(j, r)| j * r).sum::<f64>() / k;
            let r_post = rho + gain * (input - input_rho);
            j.iter().zip(&rates).map(|(j, r)| 50.0 * j * r * (r_post - rho)).collect()
        };
        let mut j = j0.clone();
        let h = 0.5;
        for _ in 0..40_000 {
            let k1 = drift(&j);
            let a: Vec<f64> = j.iter().zip(&k1).map(|(j, d)| j + 0.5 * h * d).collect();
            let k2 = drift(&a);
            let b: Vec<f64> = j.iter().zip(&k2).map(|(j, d)| j + 0.5 * h * d).collect();
            let k3 = drift(&b);
            let c: Vec<f64> = j.iter().zip(&k3).map(|(j, d)| j + h * d).collect();
            let k4 = drift(&c);
            for i in 0..j.len() {
                j[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
        }
        let row = RowExponential::new(rates.clone(), j0).unwrap();
        assert!((row.mean_input(0.0) - input_rho).abs() > 1.0, "the row must have somewhere to go");
        let model = row.weights(row.phi_for_mean_input(input_rho).unwrap());
        for (i, (sim, th)) in j.iter().zip(&model).enumerate() {
            // RK4 at h = 0.5 on rates ≤ 1e-2 per unit time: error ≪ 1e-9;
            // 20 000 time units leave e^{-λt} of the approach, λ ≈ 4e-3.
            assert!((sim - th).abs() < 1e-6 * th.abs(), "synapse {i}: integrated {sim}, model {th}");
        }
    }

    #[test]
    fn solves_for_a_mean_weight() {
        let row = RowExponential::new(vec![0.005, 0.02, 0.04], vec![-250.0; 3]).unwrap();
        let phi = row.phi_for_mean_weight(-120.0).unwrap();
        assert!((row.mean_weight(phi) + 120.0).abs() < 1e-9);
        assert!(phi < 0.0, "weakening from −250 needs Φ < 0, got {phi}");
    }

    #[test]
    fn bad_input_names_the_field() {
        let e = RowExponential::new(vec![0.01, 0.02], vec![-1.0]).unwrap_err().to_string();
        assert!(e.contains("j0"), "{e}");
        let e = RowExponential::new(vec![0.01, -0.02], vec![-1.0, -1.0]).unwrap_err().to_string();
        assert!(e.contains("rates_khz[1]"), "{e}");
        let e = RowExponential::new(vec![0.01, 0.02], vec![-1.0, 1.0]).unwrap_err().to_string();
        assert!(e.contains("j0[1]"), "{e}");
        let row = RowExponential::new(vec![0.0, 0.02], vec![-1.0, -1.0]).unwrap();
        // The silent synapse keeps −1 whatever Φ, so the mean weight is below −0.5.
        let e = row.phi_for_mean_weight(-0.2).unwrap_err().to_string();
        assert!(e.contains("target mean weight"), "{e}");
        let e = row.phi_for_mean_input(1.0).unwrap_err().to_string();
        assert!(e.contains("sign"), "{e}");
    }
}
