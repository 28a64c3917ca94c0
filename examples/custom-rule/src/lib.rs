//! A pair-based STDP rule with asymmetric windows (Song, Miller & Abbott,
//! Nat. Neurosci. 2000; time constants from Bi & Poo's data as fitted by van
//! Rossum et al., J. Neurosci. 2000), written the way a user adds a rule:
//! one type implementing `hebb_plasticity::PlasticityRule`.
//!
//! * presynaptic spike: J ← max(J − A₋ x_post, 0), x_post with τ₋ (33.7 ms);
//! * postsynaptic spike: J ← min(J + A₊ x_pre, J_max), x_pre with τ₊ (16.8 ms).

use hebb_plasticity::{Contract, DriftInputs, PlasticityRule};

/// Additive pair STDP with hard bounds [0, J_max] (simulation units).
#[derive(Debug, Clone)]
pub struct PairStdp {
    /// Potentiation amplitude A₊ per pairing (J units).
    pub a_plus: f64,
    /// Depression amplitude A₋ per pairing (J units).
    pub a_minus: f64,
    /// Potentiation window τ₊ (ms): the presynaptic trace.
    pub tau_plus_ms: f64,
    /// Depression window τ₋ (ms): the postsynaptic trace.
    pub tau_minus_ms: f64,
    /// Upper bound J_max.
    pub j_max: f64,
}

impl PairStdp {
    /// Bi & Poo windows (τ₊ = 16.8 ms, τ₋ = 33.7 ms) with amplitudes
    /// relative to J_max, depression slightly dominant (A₋τ₋ > A₊τ₊).
    pub fn bi_poo(j_max: f64, a_plus_rel: f64) -> Self {
        Self {
            a_plus: a_plus_rel * j_max,
            a_minus: 0.55 * a_plus_rel * j_max,
            tau_plus_ms: 16.8,
            tau_minus_ms: 33.7,
            j_max,
        }
    }
}

impl PlasticityRule for PairStdp {
    fn name(&self) -> &str {
        "pair_stdp"
    }
    fn tau_pre_ms(&self) -> f64 {
        self.tau_plus_ms
    }
    fn tau_post_ms(&self) -> f64 {
        self.tau_minus_ms
    }
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        (w - self.a_minus * x_post).max(0.0)
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        (w + self.a_plus * x_pre).min(self.j_max)
    }
    fn contract(&self) -> Contract {
        Contract::between(0.0, self.j_max)
    }
    /// Away from the bounds: dJ/dt = A₊(τ₊ r_a r_b + Q⁺) − A₋(τ₋ r_a r_b + Q⁻).
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        (w > 0.0 && w < self.j_max)
            .then(|| self.a_plus * d.post_weighted(self.tau_plus_ms) - self.a_minus * d.pre_weighted(self.tau_minus_ms))
    }
}
