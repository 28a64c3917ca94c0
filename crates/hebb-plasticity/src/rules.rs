//! The rule catalogue of Akil, Rosenbaum & Josić (specs/akil.md §2.2), its
//! config form, and each rule's mean-field drift (§3.3).
//!
//! Config values are in the paper's O(1) units (j = √N·J, β√N, j_max, J_norm
//! in j units); [`RuleConfig::build`] converts them to simulation units with
//! the network's √N. Every multiplicative rule is clamped at 0 so that a
//! weight never changes sign (the authors' update would flip it only when
//! η·x > 1, far outside the parameters they used); the clamp is what makes
//! each rule's [`Contract`] exact.

use crate::{Contract, DriftInputs, PlasticityRule};
use hebb_core::{ParamError, check_finite, check_positive};
use serde::{Deserialize, Serialize};

/// A synapse type "post <- pre", e.g. `"E<-I"` (onto E from I).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SynapseType {
    /// Postsynaptic population.
    pub post: String,
    /// Presynaptic population.
    pub pre: String,
}

impl std::fmt::Display for SynapseType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}<-{}", self.post, self.pre)
    }
}

impl std::str::FromStr for SynapseType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once("<-") {
            Some((post, pre)) if !post.trim().is_empty() && !pre.trim().is_empty() => {
                Ok(Self { post: post.trim().into(), pre: pre.trim().into() })
            }
            _ => Err(format!("`{s}` is not a synapse type: expected \"POST<-PRE\", e.g. \"E<-I\"")),
        }
    }
}

impl Serialize for SynapseType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SynapseType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn tau_default() -> f64 {
    200.0
}
fn gamma_plus() -> f64 {
    1.0
}
fn gamma_minus() -> f64 {
    -1.0
}
fn huge() -> f64 {
    1e20
}
fn neg_huge() -> f64 {
    -1e20
}

/// Depression of the soft-bounded Hebbian rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Depression {
    /// J −= η x_post J (the MATLAB code used for the paper).
    #[default]
    Multiplicative,
    /// J −= η x_post (the package's I←E rule; can flip the sign, so it is
    /// clamped at 0 here).
    Additive,
}

/// One `[[plasticity]]` entry of a config: the rule, its synapse type and
/// its parameters (in j units). `tau_stdp_ms` defaults to 200 ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleConfig {
    /// Classical additive Hebbian with gating bounds (§2.2 "classic"/"hard"):
    /// pre spike J −= η x_post while J > J_min; post spike J += η x_pre
    /// while J_min < J < J_max. Bounds gate, they do not clip. Defaults
    /// ±1e20 (effectively unbounded, the "classic" runs); [0, 50] is "hard".
    AdditiveHebbian {
        /// Synapse type, e.g. "E<-E".
        synapse: SynapseType,
        /// Learning rate η.
        eta: f64,
        /// Lower gate j_min (j units).
        #[serde(default = "neg_huge")]
        j_min: f64,
        /// Upper gate j_max (j units).
        #[serde(default = "huge")]
        j_max: f64,
        /// Trace time constant (ms).
        #[serde(default = "tau_default")]
        tau_stdp_ms: f64,
    },
    /// Soft-bounded Hebbian (package `eta_ee_hebb`; with `synapse = "I<-E"`
    /// it is the Hebbian I←E rule): pre J −= η x_post J (or η x_post with
    /// additive depression); post J += η x_pre J_max.
    #[serde(alias = "hebbian_ie")]
    SoftHebbian {
        /// Synapse type.
        synapse: SynapseType,
        /// Learning rate η.
        eta: f64,
        /// Soft bound j_max (j units).
        j_max: f64,
        /// Multiplicative (default) or additive depression.
        #[serde(default)]
        depression: Depression,
        /// Trace time constant (ms).
        #[serde(default = "tau_default")]
        tau_stdp_ms: f64,
    },
    /// Weight-dependent Hebbian (γ± form): pre J += γ₋ η x_post J; post
    /// J += γ₊ η x_pre (J_max − J).
    WeightDependent {
        /// Synapse type.
        synapse: SynapseType,
        /// Learning rate η.
        eta: f64,
        /// j_max (j units).
        j_max: f64,
        /// γ₊ (default 1).
        #[serde(default = "gamma_plus")]
        gamma_plus: f64,
        /// γ₋ (default −1).
        #[serde(default = "gamma_minus")]
        gamma_minus: f64,
        /// Trace time constant (ms).
        #[serde(default = "tau_default")]
        tau_stdp_ms: f64,
    },
    /// Kohonen (package `eta_ee_koh`): pre J += η β x_post; post J −= η J.
    Kohonen {
        /// Synapse type.
        synapse: SynapseType,
        /// Learning rate η.
        eta: f64,
        /// β√N (j units; 2 by default in the paper).
        beta: f64,
        /// Trace time constant (ms).
        #[serde(default = "tau_default")]
        tau_stdp_ms: f64,
    },
    /// Oja: pre J += η β x_post; post J −= η x_pre J.
    Oja {
        /// Synapse type.
        synapse: SynapseType,
        /// Learning rate η.
        eta: f64,
        /// β√N (j units).
        beta: f64,
        /// Trace time constant (ms).
        #[serde(default = "tau_default")]
        tau_stdp_ms: f64,
    },
    /// Homeostatic STDP of Vogels type, used as iSTDP on E←I (`istdp_ei`),
    /// on I←I (`istdp_ii`) and as the homeostatic I←E rule
    /// (`homeostatic_ie`): pre J −= η (x_post − α) J; post J −= η x_pre J,
    /// with η = η₀/J_norm and α = 2 ρ τ. J_norm must be given: the paper's
    /// MATLAB used −200 (E←I), −200 or −500 (I←I), +200 (I←E); the package
    /// hard-codes −150, −250, +112.5 (§2.2).
    #[serde(alias = "istdp_ei", alias = "istdp_ii", alias = "homeostatic_ie")]
    Homeostatic {
        /// Synapse type.
        synapse: SynapseType,
        /// η₀.
        eta0: f64,
        /// The normaliser J_norm (j units), sign included.
        j_norm: f64,
        /// Target rate ρ of the postsynaptic population (Hz).
        rho_hz: f64,
        /// Trace time constant (ms).
        #[serde(default = "tau_default")]
        tau_stdp_ms: f64,
    },
}

impl RuleConfig {
    /// The synapse type the rule acts on.
    pub fn synapse(&self) -> &SynapseType {
        match self {
            Self::AdditiveHebbian { synapse, .. }
            | Self::SoftHebbian { synapse, .. }
            | Self::WeightDependent { synapse, .. }
            | Self::Kohonen { synapse, .. }
            | Self::Oja { synapse, .. }
            | Self::Homeostatic { synapse, .. } => synapse,
        }
    }

    fn tau(&self) -> f64 {
        match self {
            Self::AdditiveHebbian { tau_stdp_ms, .. }
            | Self::SoftHebbian { tau_stdp_ms, .. }
            | Self::WeightDependent { tau_stdp_ms, .. }
            | Self::Kohonen { tau_stdp_ms, .. }
            | Self::Oja { tau_stdp_ms, .. }
            | Self::Homeostatic { tau_stdp_ms, .. } => *tau_stdp_ms,
        }
    }

    /// Check the parameters (field names relative to the entry).
    pub fn validate(&self) -> Result<(), ParamError> {
        check_positive("tau_stdp_ms", self.tau())?;
        match self {
            Self::AdditiveHebbian { eta, j_min, j_max, .. } => {
                check_finite("eta", *eta)?;
                if j_min.partial_cmp(j_max) != Some(std::cmp::Ordering::Less) {
                    return Err(ParamError::new("j_max", j_max, format!("a number > j_min = {j_min}")));
                }
            }
            Self::SoftHebbian { eta, j_max, .. } | Self::WeightDependent { eta, j_max, .. } => {
                check_finite("eta", *eta)?;
                check_finite("j_max", *j_max)?;
            }
            Self::Kohonen { eta, beta, .. } | Self::Oja { eta, beta, .. } => {
                check_finite("eta", *eta)?;
                check_finite("beta", *beta)?;
            }
            Self::Homeostatic { eta0, j_norm, rho_hz, .. } => {
                check_finite("eta0", *eta0)?;
                if !(j_norm.is_finite() && *j_norm != 0.0) {
                    return Err(ParamError::new(
                        "j_norm",
                        j_norm,
                        "a finite, non-zero normaliser (j units, e.g. -200)",
                    ));
                }
                hebb_core::check_non_negative("rho_hz", *rho_hz)?;
            }
        }
        if let Self::WeightDependent { gamma_plus, gamma_minus, .. } = self {
            check_finite("gamma_plus", *gamma_plus)?;
            check_finite("gamma_minus", *gamma_minus)?;
        }
        Ok(())
    }

    /// The rule in simulation units for a network of N recurrent neurons.
    /// `sign` is +1 for synapses from an excitatory population and −1 from
    /// an inhibitory one (the sign the weights keep).
    pub fn build(&self, n: usize, sign: f64) -> Box<dyn PlasticityRule> {
        let s = (n as f64).sqrt();
        let tau = self.tau();
        match self {
            Self::AdditiveHebbian { eta, j_min, j_max, .. } => {
                Box::new(AdditiveHebbian { eta: *eta, lo: j_min / s, hi: j_max / s, tau })
            }
            Self::SoftHebbian { eta, j_max, depression, .. } => Box::new(SoftHebbian {
                eta: *eta,
                j_max: j_max / s,
                additive: *depression == Depression::Additive,
                tau,
            }),
            Self::WeightDependent { eta, j_max, gamma_plus, gamma_minus, .. } => Box::new(WeightDependent {
                eta: *eta,
                j_max: j_max / s,
                gamma_plus: *gamma_plus,
                gamma_minus: *gamma_minus,
                tau,
            }),
            Self::Kohonen { eta, beta, .. } => Box::new(Kohonen { eta: *eta, beta: beta / s, tau }),
            Self::Oja { eta, beta, .. } => Box::new(Oja { eta: *eta, beta: beta / s, tau }),
            Self::Homeostatic { eta0, j_norm, rho_hz, .. } => {
                Box::new(Homeostatic { eta: eta0 / (j_norm / s), alpha: 2.0 * rho_hz * 1e-3 * tau, tau, sign })
            }
        }
    }
}

/// The name of a catalogue rule and its one trace time constant `self.tau`,
/// shared by the pre- and postsynaptic traces.
macro_rules! name_and_trace {
    ($name:literal) => {
        fn name(&self) -> &str {
            $name
        }
        fn tau_pre_ms(&self) -> f64 {
            self.tau
        }
        fn tau_post_ms(&self) -> f64 {
            self.tau
        }
    };
}

/// Clamp `w` so it keeps the sign `sign` (+1: ≥ 0, −1: ≤ 0).
#[inline(always)]
fn keep_sign(w: f64, sign: f64) -> f64 {
    if w * sign < 0.0 { 0.0 } else { w }
}

/// Classical additive Hebbian with gating bounds. See [`RuleConfig::AdditiveHebbian`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdditiveHebbian {
    /// η.
    pub eta: f64,
    /// Lower gate (J units).
    pub lo: f64,
    /// Upper gate (J units).
    pub hi: f64,
    /// Trace τ (ms).
    pub tau: f64,
}

impl PlasticityRule for AdditiveHebbian {
    name_and_trace!("additive_hebbian");
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        if w > self.lo { w - self.eta * x_post } else { w }
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        if w > self.lo && w < self.hi { w + self.eta * x_pre } else { w }
    }
    /// Gates, not clips: a weight may overshoot a bound by one update.
    fn contract(&self) -> Contract {
        Contract::unbounded()
    }
    /// Inside the gates the rate terms cancel: dJ/dt = η (Q⁺ − Q⁻).
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        (w > self.lo && w < self.hi).then(|| self.eta * (d.post_weighted(self.tau) - d.pre_weighted(self.tau)))
    }
}

/// Soft-bounded Hebbian. See [`RuleConfig::SoftHebbian`].
#[derive(Debug, Clone, PartialEq)]
pub struct SoftHebbian {
    /// η.
    pub eta: f64,
    /// J_max (J units).
    pub j_max: f64,
    /// Additive instead of multiplicative depression.
    pub additive: bool,
    /// Trace τ (ms).
    pub tau: f64,
}

impl PlasticityRule for SoftHebbian {
    name_and_trace!("soft_hebbian");
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        let dep = if self.additive { self.eta * x_post } else { self.eta * x_post * w };
        (w - dep).max(0.0)
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        w + self.eta * x_pre * self.j_max
    }
    fn contract(&self) -> Contract {
        Contract::non_negative()
    }
    /// dJ/dt = η [J_max(τ r_a r_b + Q⁺) − J(τ r_a r_b + Q⁻)] (§3.3).
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        let dep = if self.additive { d.pre_weighted(self.tau) } else { w * d.pre_weighted(self.tau) };
        Some(self.eta * (self.j_max * d.post_weighted(self.tau) - dep))
    }
}

/// Weight-dependent (γ±) Hebbian. See [`RuleConfig::WeightDependent`].
#[derive(Debug, Clone, PartialEq)]
pub struct WeightDependent {
    /// η.
    pub eta: f64,
    /// J_max (J units).
    pub j_max: f64,
    /// γ₊.
    pub gamma_plus: f64,
    /// γ₋.
    pub gamma_minus: f64,
    /// Trace τ (ms).
    pub tau: f64,
}

impl PlasticityRule for WeightDependent {
    name_and_trace!("weight_dependent");
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        (w + self.gamma_minus * self.eta * x_post * w).max(0.0)
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        (w + self.gamma_plus * self.eta * x_pre * (self.j_max - w)).max(0.0)
    }
    fn contract(&self) -> Contract {
        Contract::non_negative()
    }
    /// dJ/dt = η [γ₊ (J_max − J)(τ r_a r_b + Q⁺) + γ₋ J (τ r_a r_b + Q⁻)].
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        Some(
            self.eta
                * (self.gamma_plus * (self.j_max - w) * d.post_weighted(self.tau)
                    + self.gamma_minus * w * d.pre_weighted(self.tau)),
        )
    }
}

/// Kohonen. See [`RuleConfig::Kohonen`].
#[derive(Debug, Clone, PartialEq)]
pub struct Kohonen {
    /// η.
    pub eta: f64,
    /// β (J units).
    pub beta: f64,
    /// Trace τ (ms).
    pub tau: f64,
}

impl PlasticityRule for Kohonen {
    name_and_trace!("kohonen");
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        (w + self.eta * self.beta * x_post).max(0.0)
    }
    fn on_post(&self, w: f64, _x_pre: f64) -> f64 {
        (w - self.eta * w).max(0.0)
    }
    fn contract(&self) -> Contract {
        Contract::non_negative()
    }
    /// dJ/dt = η [β(τ r_a r_b + Q⁻) − J r_a].
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        Some(self.eta * (self.beta * d.pre_weighted(self.tau) - w * d.r_post_khz))
    }
}

/// Oja. See [`RuleConfig::Oja`].
#[derive(Debug, Clone, PartialEq)]
pub struct Oja {
    /// η.
    pub eta: f64,
    /// β (J units).
    pub beta: f64,
    /// Trace τ (ms).
    pub tau: f64,
}

impl PlasticityRule for Oja {
    name_and_trace!("oja");
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        (w + self.eta * self.beta * x_post).max(0.0)
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        (w - self.eta * x_pre * w).max(0.0)
    }
    fn contract(&self) -> Contract {
        Contract::non_negative()
    }
    /// dJ/dt = η [β(τ r_a r_b + Q⁻) − J(τ r_a r_b + Q⁺)].
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        Some(self.eta * (self.beta * d.pre_weighted(self.tau) - w * d.post_weighted(self.tau)))
    }
}

/// Homeostatic (Vogels-type) STDP. See [`RuleConfig::Homeostatic`].
#[derive(Debug, Clone, PartialEq)]
pub struct Homeostatic {
    /// η = η₀/J_norm (J⁻¹ units; negative for inhibitory normalisers).
    pub eta: f64,
    /// α = 2ρτ.
    pub alpha: f64,
    /// Trace τ (ms).
    pub tau: f64,
    /// Sign the weights keep (+1 or −1).
    pub sign: f64,
}

impl PlasticityRule for Homeostatic {
    name_and_trace!("homeostatic");
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        keep_sign(w - self.eta * (x_post - self.alpha) * w, self.sign)
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        keep_sign(w - self.eta * x_pre * w, self.sign)
    }
    fn contract(&self) -> Contract {
        if self.sign < 0.0 { Contract::non_positive() } else { Contract::non_negative() }
    }
    /// dJ/dt = −η J [r_b(2τ r_a − α) + Q] (§3.3), Q = Q⁺ + Q⁻.
    fn drift(&self, w: f64, d: &DriftInputs) -> Option<f64> {
        Some(-self.eta * w * (d.pre_weighted(self.tau) - self.alpha * d.r_pre_khz + d.post_weighted(self.tau)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synapse_types_parse_and_print() {
        let s: SynapseType = "E1<-I".parse().unwrap();
        assert_eq!((s.post.as_str(), s.pre.as_str()), ("E1", "I"));
        assert_eq!(s.to_string(), "E1<-I");
        assert!("E-I".parse::<SynapseType>().is_err());
    }

    /// The iSTDP fixed point: at r_a = ρ with no covariances the drift
    /// vanishes (α = 2ρτ), and it has the sign that restores the target.
    #[test]
    fn istdp_drift_vanishes_at_the_target_rate() {
        let cfg = RuleConfig::Homeostatic {
            synapse: "E<-I".parse().unwrap(),
            eta0: 1e-4,
            j_norm: -200.0,
            rho_hz: 10.0,
            tau_stdp_ms: 200.0,
        };
        let r = cfg.build(5000, -1.0);
        let w = -150.0 / 5000f64.sqrt();
        let at =
            |re: f64| r.drift(w, &DriftInputs { r_post_khz: re, r_pre_khz: 0.02, q_plus: 0.0, q_minus: 0.0 }).unwrap();
        assert!(at(0.010).abs() < 1e-15);
        assert!(at(0.012) < 0.0, "E too active: inhibition grows (J more negative)");
        assert!(at(0.008) > 0.0);
    }

    /// Kohonen's drift vanishes at j* = β(τ r_e + Q⁻/r_e) (§3.3).
    #[test]
    fn kohonen_fixed_point() {
        let n = 5000;
        let r = RuleConfig::Kohonen { synapse: "E<-E".parse().unwrap(), eta: 1e-3, beta: 2.0, tau_stdp_ms: 200.0 }
            .build(n, 1.0);
        let (re, qm) = (0.0075, 1e-5);
        let j_star = 2.0 * (200.0 * re + qm / re);
        let d = r
            .drift(j_star / (n as f64).sqrt(), &DriftInputs { r_post_khz: re, r_pre_khz: re, q_plus: 0.0, q_minus: qm })
            .unwrap();
        assert!(d.abs() < 1e-15, "{d}");
    }
}
