//! Model parameters and their validation (spec `clark.md` §2.1–2.5).

use hebb_core::{ParamError, check_finite, check_non_negative, check_positive};
use serde::{Deserialize, Serialize};

use crate::error::RateError;
use crate::nonlin::Nonlinearity;

/// Largest N accepted (J* alone is 8 N² bytes: 34 GB at this bound).
pub const MAX_N: usize = 1 << 16;
/// Largest |g| and |k| accepted; far beyond any physical use, and small
/// enough that no product in the kernels can overflow.
pub const MAX_GAIN: f64 = 1e12;
/// Largest history buffer (L × N values) the history kernel will allocate.
pub const MAX_HISTORY_VALUES: usize = 1 << 28;

/// How the synapses are advanced over one step, `A ← α A + β φ φᵀ`
/// (spec §2.5 table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynapseScheme {
    /// α = 1 − dt/τ_s, β = (dt/τ_s) k/N: the reference kernel of every \[N\]
    /// value of the spec and of the numpy peer (default). Requires dt ≤ τ_s.
    #[default]
    Euler,
    /// α = e^(−dt/τ_s), β = (1 − e^(−dt/τ_s)) k/N: exact for φ held
    /// constant over the step; for production runs at small τ_s.
    Exponential,
}

/// A(0) (spec §2.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialSynapses {
    /// A(0) = 0 (the default of every \[N\] value).
    #[default]
    Zero,
    /// A(0) = (k/N) φ(x₀) φ(x₀)ᵀ, for the bistability tests at g < 1 (§4.2).
    Hebbian,
}

/// Whether J*_ii is drawn or set to zero. The spec (§2.1, §12 note 5) leaves
/// it open and makes drawing the default, as in SCS; the effect is O(1/√N).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouplingDiagonal {
    /// J*_ii ~ N(0, 1/N) like every other entry (default, as the peer).
    #[default]
    Drawn,
    /// J*_ii = 0 (the off-diagonal entries are the same as with `Drawn`).
    Zero,
}

/// Storage precision of the quenched couplings g J*, and with it the
/// precision of the quenched product g J* φ.
///
/// `F64` keeps everything in f64. `F32` rounds each stored coupling to the
/// nearest f32 (relative change ≤ 6e-8, i.e. a slightly different
/// realisation of the same Gaussian ensemble) and halves the bytes the
/// quenched GEMV reads per step — the dominant memory traffic at N ≳ 1000
/// (spec §10.2, §10.7). With `F32` and `F16` the quenched product is
/// defined in single precision: φ is rounded to f32 once per step and each
/// row's Σ_j g J*_ij φ_j is accumulated with f32 fused multiply-adds in
/// sixteen fixed lanes that are widened to f64 and folded in a fixed order
/// (relative error ~1e-7 of Σ_j |g J*_ij φ_j|, the same order as the f32
/// storage rounding; bit-identical on every CPU and thread count). Every
/// kernel of a network uses the same stored values and the same product,
/// so kernel comparisons are unaffected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouplingPrecision {
    /// f64 storage (default; the couplings exactly as drawn).
    #[default]
    F64,
    /// f32 storage and single-precision product (faster steps from
    /// N ≈ 1000 on, see the README).
    F32,
    /// IEEE binary16 storage: each g J*_ij rounded to nearest (ties to even)
    /// with 11 significant bits (relative change ≤ 2^-11 ≈ 4.9e-4 for
    /// |g J*_ij| ≥ 6.1e-5, absolute ≤ 3e-8 below), still an i.i.d. matrix
    /// of variance g²/N to a relative 1e-7; a quarter of the f64 bytes and
    /// the single-precision product (the fastest storage at N = 1000 and
    /// 4000 on the reference VM, see the README). Building fails (naming `coupling_precision`) if an entry
    /// exceeds the binary16 range (|g J*_ij| ≥ 65520).
    F16,
}

/// Storage precision of the plastic state: the dense kernel's packed A and
/// the history kernel's ring buffer of past rates.
///
/// `F64` (default) is the reference. `F32` stores A (dense) or the past
/// rate vectors (history) in f32 and computes the plastic input A φ and the
/// update A ← α A + β φ φᵀ with f32 fused multiply-adds (row sums in sixteen
/// f32 lanes folded in f64, the kernels of the crate's `math32` module):
/// half the bytes of the dense kernel's read-and-write pass and of the
/// history ring. Each stored value is rounded once per step (relative
/// 2^-24 ≈ 6e-8; in A these roundings decay with α, so the accumulated
/// relative error of A is ≲ 2^-24/(1 − α) ≈ 6e-7 at τ_s/dt = 10), which
/// keeps the trajectory within ~1e-5 of the f64 one on non-chaotic
/// dynamics (chaotic trajectories separate at the Lyapunov rate from any
/// perturbation, as between any two precisions). Tangent dynamics
/// ([`Tangent`](crate::Tangent)) need `F64`; the naive reference kernel
/// always uses f64.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlasticPrecision {
    /// f64 storage and arithmetic (default).
    #[default]
    F64,
    /// f32 storage and f32 FMA arithmetic (see the type docs).
    F32,
}

/// Parameters of the network of spec §2:
///
/// ẋ = −x + (g J* + A) φ(x),  τ_s Ȧ = −A + (k/N) φ φᵀ,
/// J*_ij ~ N(0, 1/N),  x(0) ~ N(0, `x0_std`²),
///
/// integrated with the discrete kernel of §2.5 (Euler for x with step `dt`;
/// A by `scheme`).
///
/// Construct with struct-update syntax from [`Default`] (g = 2, k = 0,
/// τ_s = 1, dt = 0.1, N = 1000: the SCS chaotic network of the spec's
/// reference runs), then [`validate`](Self::validate) or hand it to
/// [`RateNetwork::new`](crate::RateNetwork::new), which validates.
///
/// ```
/// use hebb_rate::RateParams;
/// let p = RateParams { n: 400, k: 2.0, ..Default::default() };
/// assert!(p.validate().is_ok());
/// let bad = RateParams { tau_s: 0.0, ..p };
/// assert!(bad.validate().unwrap_err().to_string().contains("tau_s"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateParams {
    /// Number of units N, in [1, 65536].
    pub n: usize,
    /// Gain g of the quenched couplings, in [0, 1e12] (g = 1 is the SCS
    /// transition).
    pub g: f64,
    /// Plasticity strength k, in [−1e12, 1e12] (k > 0 Hebbian, k < 0
    /// anti-Hebbian, k = 0 the SCS network).
    pub k: f64,
    /// Synaptic time constant τ_s > 0 (finite), in units of the neuronal
    /// time constant.
    pub tau_s: f64,
    /// Time step, in (0, 1]; with the Euler scheme also dt ≤ τ_s.
    pub dt: f64,
    /// φ: erf(√π x/2) (default) or tanh.
    pub nonlinearity: Nonlinearity,
    /// Update of A per step (Euler by default).
    pub scheme: SynapseScheme,
    /// Standard deviation of x(0), finite and ≥ 0 (1 by default; 3 for the
    /// bistability runs of §4.2).
    pub x0_std: f64,
    /// A(0): zero (default) or Hebbian.
    pub initial_synapses: InitialSynapses,
    /// Diagonal of J*: drawn (default) or zero.
    pub diagonal: CouplingDiagonal,
    /// Storage of g J*: f64 (default), f32 or binary16 (faster, see
    /// [`CouplingPrecision`]).
    pub coupling_precision: CouplingPrecision,
    /// Storage of the plastic state (dense A or the history ring): f64
    /// (default) or f32 (faster, see [`PlasticPrecision`]).
    pub plastic_precision: PlasticPrecision,
    /// History kernel only: truncation tolerance, in (0, 1). The buffer
    /// length is the smallest L with α^L ≤ tol (default 1e-14), unless
    /// `history_len` is given.
    pub history_tol: f64,
    /// History kernel only: explicit buffer length L ≥ 1 (overrides
    /// `history_tol`).
    pub history_len: Option<usize>,
}

impl Default for RateParams {
    fn default() -> Self {
        Self {
            n: 1000,
            g: 2.0,
            k: 0.0,
            tau_s: 1.0,
            dt: 0.1,
            nonlinearity: Nonlinearity::Erf,
            scheme: SynapseScheme::Euler,
            x0_std: 1.0,
            initial_synapses: InitialSynapses::Zero,
            diagonal: CouplingDiagonal::Drawn,
            coupling_precision: CouplingPrecision::F64,
            plastic_precision: PlasticPrecision::F64,
            history_tol: 1e-14,
            history_len: None,
        }
    }
}

impl RateParams {
    /// Check every field; the error names the first offending field and its
    /// allowed range.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.n == 0 || self.n > MAX_N {
            return Err(ParamError::new("n", self.n, format!("an integer in [1, {MAX_N}]")));
        }
        check_non_negative("g", self.g)?;
        if self.g > MAX_GAIN {
            return Err(ParamError::new("g", self.g, format!("a number in [0, {MAX_GAIN:e}]")));
        }
        check_finite("k", self.k)?;
        if self.k.abs() > MAX_GAIN {
            return Err(ParamError::new("k", self.k, format!("a number in [-{MAX_GAIN:e}, {MAX_GAIN:e}]")));
        }
        check_positive("tau_s", self.tau_s)?;
        if !(self.dt.is_finite() && self.dt > 0.0 && self.dt <= 1.0) {
            return Err(ParamError::new(
                "dt",
                self.dt,
                "a number in (0, 1] (Euler for x is a convex combination of x and its input only then)",
            ));
        }
        if self.scheme == SynapseScheme::Euler && self.dt > self.tau_s {
            return Err(ParamError::new(
                "dt",
                self.dt,
                format!(
                    "a number <= tau_s = {} with the Euler synapse scheme (alpha = 1 - dt/tau_s must be >= 0); use scheme = exponential otherwise",
                    self.tau_s
                ),
            ));
        }
        check_non_negative("x0_std", self.x0_std)?;
        if !(self.history_tol.is_finite() && self.history_tol > 0.0 && self.history_tol < 1.0) {
            return Err(ParamError::new("history_tol", self.history_tol, "a number in (0, 1)"));
        }
        if let Some(l) = self.history_len
            && l == 0
        {
            return Err(ParamError::new("history_len", l, "an integer >= 1"));
        }
        Ok(())
    }

    /// α, the per-step decay factor of A (spec §2.5 table).
    pub fn alpha(&self) -> f64 {
        match self.scheme {
            SynapseScheme::Euler => 1.0 - self.dt / self.tau_s,
            SynapseScheme::Exponential => (-self.dt / self.tau_s).exp(),
        }
    }

    /// β, the per-step Hebbian increment factor, including k/N (§2.5 table):
    /// β = (1 − α) k / N for both schemes.
    pub fn beta(&self) -> f64 {
        let one_minus_alpha = match self.scheme {
            SynapseScheme::Euler => self.dt / self.tau_s,
            SynapseScheme::Exponential => -(-self.dt / self.tau_s).exp_m1(),
        };
        one_minus_alpha * self.k / self.n as f64
    }

    /// The history-kernel buffer length L: `history_len` if given, else the
    /// smallest L ≥ 1 with α^L ≤ `history_tol`. Errors (naming
    /// `history_len`/`history_tol`) if L × N would exceed
    /// [`MAX_HISTORY_VALUES`]; the dense kernel is the better choice there.
    pub fn history_length(&self) -> Result<usize, RateError> {
        self.validate()?;
        let l = match self.history_len {
            Some(l) => l,
            None => {
                let a = self.alpha();
                if a <= 0.0 {
                    1
                } else {
                    // α^L ≤ tol  ⇔  L ≥ ln tol / ln α.
                    let l = (self.history_tol.ln() / a.ln()).ceil();
                    if !(l.is_finite() && l < (MAX_HISTORY_VALUES as f64)) {
                        return Err(ParamError::new(
                            "history_tol",
                            self.history_tol,
                            format!(
                                "a tolerance reachable with a buffer of at most {MAX_HISTORY_VALUES} values (alpha = {a}); use the dense kernel"
                            ),
                        )
                        .into());
                    }
                    (l as usize).max(1)
                }
            }
        };
        if l.saturating_mul(self.n) > MAX_HISTORY_VALUES {
            let field = if self.history_len.is_some() { "history_len" } else { "history_tol" };
            return Err(ParamError::new(
                field,
                l,
                format!(
                    "a buffer of L x N <= {MAX_HISTORY_VALUES} values (here L = {l}, N = {}); use the dense kernel",
                    self.n
                ),
            )
            .into());
        }
        Ok(l)
    }

    /// Bound on the history kernel's truncation error of the plastic input,
    /// max_i |(A_n φ_n)_i − (Â_n φ_n)_i| ≤ |k| α^L (see
    /// [`HistoryKernel`](crate::HistoryKernel)).
    pub fn history_truncation_bound(&self, len: usize) -> f64 {
        let a = self.alpha();
        self.k.abs() * a.powi(len.min(i32::MAX as usize) as i32)
    }
}
