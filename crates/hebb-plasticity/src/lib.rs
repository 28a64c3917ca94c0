//! # hebb-plasticity
//!
//! Spike-timing-dependent plasticity as event hooks over per-neuron traces
//! (specs/akil.md §2): a [`PlasticityRule`] acts on one synapse type
//! (post population ← pre population). Every neuron carries one trace per
//! rule side, x ← x·(1 − dt/τ) each step and x += 1 at its spikes, so a rule
//! costs O(1) per synapse and event and no per-synapse state. Traces are
//! stored in f32, like the weights they update (a relative rounding of
//! 6e-8 on η·x is far below the f32 rounding of J itself), so the traces of
//! a 5000-neuron network stay in L1; hooks receive them widened to f64.
//!
//! * When presynaptic neuron k spikes, each of its synapses k → j of the
//!   rule's type becomes `on_pre(J, x_post[j])`.
//! * When postsynaptic neuron j spikes, each synapse k → j becomes
//!   `on_post(J, x_pre[k])`.
//!
//! Weights are in simulation units J = j/√N (stored as `f32`, updated in
//! `f64`). The catalogue ([`rules`]) holds the ten rules of Akil, Rosenbaum &
//! Josić (PLoS Comput Biol 2021), each with its mean-field drift (§3.3) so
//! that simulations can be checked against theory; the conformance testkit
//! that any rule can run lives in `hebb_sim::testkit` (it needs the engine).
//!
//! A rule written in another crate is one type implementing the trait:
//!
//! ```
//! use hebb_plasticity::{Contract, PlasticityRule};
//! #[derive(Debug)]
//! struct Additive { a_plus: f64, a_minus: f64, tau: f64 }
//! impl PlasticityRule for Additive {
//!     fn name(&self) -> &str { "additive pair STDP" }
//!     fn tau_pre_ms(&self) -> f64 { self.tau }
//!     fn tau_post_ms(&self) -> f64 { self.tau }
//!     fn on_pre(&self, w: f64, x_post: f64) -> f64 { (w - self.a_minus * x_post).max(0.0) }
//!     fn on_post(&self, w: f64, x_pre: f64) -> f64 { w + self.a_plus * x_pre }
//!     fn contract(&self) -> Contract { Contract::non_negative() }
//! }
//! let r = Additive { a_plus: 0.01, a_minus: 0.012, tau: 20.0 };
//! assert_eq!(r.on_pre(0.005, 1.0), 0.0);
//! ```

pub mod rules;

pub use rules::{RuleConfig, SynapseType};

/// Hint the CPU to load `data[i]` into cache (no effect on results).
#[inline(always)]
pub fn prefetch<T>(data: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = data.get(i) {
        // SAFETY: prefetching a valid address has no side effects.
        unsafe { std::arch::x86_64::_mm_prefetch(x as *const T as *const i8, std::arch::x86_64::_MM_HINT_T0) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, i);
}

/// Rates and covariances that enter a rule's mean-field drift (specs/akil.md
/// §3.3), for one synapse type a ← b.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftInputs {
    /// Rate of the postsynaptic population r_a (kHz).
    pub r_post_khz: f64,
    /// Rate of the presynaptic population r_b (kHz).
    pub r_pre_khz: f64,
    /// Q⁺_ab: STDP-weighted covariance with pre leading post (kHz).
    pub q_plus: f64,
    /// Q⁻_ab: STDP-weighted covariance with post leading pre (kHz).
    pub q_minus: f64,
}

impl DriftInputs {
    /// ⟨S_pre x_post⟩ = τ r_a r_b + Q⁻ (per ms), the mean rate of
    /// presynaptic events weighted by the postsynaptic trace.
    pub fn pre_weighted(&self, tau_post_ms: f64) -> f64 {
        tau_post_ms * self.r_post_khz * self.r_pre_khz + self.q_minus
    }
    /// ⟨S_post x_pre⟩ = τ r_a r_b + Q⁺ (per ms).
    pub fn post_weighted(&self, tau_pre_ms: f64) -> f64 {
        tau_pre_ms * self.r_post_khz * self.r_pre_khz + self.q_plus
    }
}

/// What a rule promises about the weights it writes, checked by the testkit:
/// starting inside `[lo, hi]` (each bound optional), an update never leaves
/// it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contract {
    /// Lower bound of J, if any.
    pub lo: Option<f64>,
    /// Upper bound of J, if any.
    pub hi: Option<f64>,
}

impl Contract {
    /// No bounds at all (e.g. the classical additive rule without gates).
    pub fn unbounded() -> Self {
        Self { lo: None, hi: None }
    }
    /// J ≥ 0 (excitatory weights keep their sign).
    pub fn non_negative() -> Self {
        Self { lo: Some(0.0), hi: None }
    }
    /// J ≤ 0 (inhibitory weights keep their sign).
    pub fn non_positive() -> Self {
        Self { lo: None, hi: Some(0.0) }
    }
    /// J ∈ [lo, hi].
    pub fn between(lo: f64, hi: f64) -> Self {
        Self { lo: Some(lo), hi: Some(hi) }
    }
    /// Whether `w` satisfies the contract.
    pub fn holds(&self, w: f64) -> bool {
        self.lo.is_none_or(|lo| w >= lo) && self.hi.is_none_or(|hi| w <= hi)
    }
}

/// A spike-timing-dependent plasticity rule on one synapse type.
///
/// Implement the four required methods; the engine calls the batch methods,
/// whose provided versions loop over the synapses of one spike with the
/// per-synapse hooks inlined (one virtual call per spike, not per synapse).
pub trait PlasticityRule: Send + Sync + std::fmt::Debug {
    /// Name for reports.
    fn name(&self) -> &str;
    /// Time constant of the presynaptic trace x_pre (ms).
    fn tau_pre_ms(&self) -> f64;
    /// Time constant of the postsynaptic trace x_post (ms).
    fn tau_post_ms(&self) -> f64;
    /// The weight after a presynaptic spike, given J and the postsynaptic
    /// trace (as it was before this step's increments).
    fn on_pre(&self, w: f64, x_post: f64) -> f64;
    /// The weight after a postsynaptic spike, given J and the presynaptic
    /// trace (before this step's increments).
    fn on_post(&self, w: f64, x_pre: f64) -> f64;
    /// The bounds the rule keeps.
    fn contract(&self) -> Contract;
    /// Mean drift dJ/dt (J units per ms) at weight J for the given rates and
    /// covariances, if the rule declares one (specs/akil.md §3.3).
    fn drift(&self, _w: f64, _inputs: &DriftInputs) -> Option<f64> {
        None
    }
    /// Apply [`on_pre`](Self::on_pre) to the synapses of one presynaptic
    /// spike: `weights[s]` targets `targets[s]`, whose trace is
    /// `x_post[targets[s]]`.
    fn pre_batch(&self, weights: &mut [f32], targets: &[u32], x_post: &[f32]) {
        for (w, &t) in weights.iter_mut().zip(targets) {
            *w = self.on_pre(*w as f64, x_post[t as usize] as f64) as f32;
        }
    }
    /// Apply [`on_post`](Self::on_post) to the synapses onto one
    /// postsynaptic neuron: `weights[positions[s]]` comes from `pres[s]`,
    /// whose trace is `x_pre[pres[s]]`.
    fn post_batch(&self, weights: &mut [f32], positions: &[u32], pres: &[u32], x_pre: &[f32]) {
        // The synapses onto one neuron are scattered over the weight array
        // (one cache line each): ask for them a few iterations ahead.
        const AHEAD: usize = 8;
        for (s, (&pos, &k)) in positions.iter().zip(pres).enumerate() {
            if let Some(&next) = positions.get(s + AHEAD) {
                prefetch(weights, next as usize);
            }
            let w = &mut weights[pos as usize];
            *w = self.on_post(*w as f64, x_pre[k as usize] as f64) as f32;
        }
    }
}
