//! Dynamical mean-field theory (DMFT) of the rate network with dynamic
//! Hebbian couplings of D. G. Clark and L. F. Abbott, "Theory of coupled
//! neuronal–synaptic dynamics", Phys. Rev. X **14**, 021001 (2024),
//! arXiv:2302.08985, as written down in `specs/clark.md` (section numbers
//! below refer to it):
//!
//! ```text
//! ẋ_i = −x_i + Σ_j (g J*_ij + A_ij) φ(x_j),   τ_s Ȧ_ij = −A_ij + (k/N) φ(x_i) φ(x_j)
//! ```
//!
//! In the limit N → ∞ each unit obeys the single-site process of §3.2,
//!
//! ```text
//! (1 + ∂_t) x(t) = η(t) + k ∫₀^∞ K(u) C_φ(u) φ(x(t − u)) du,   K(u) = e^(−u/τ_s)/τ_s,
//! ⟨η(t) η(s)⟩ = g² C_φ(t − s),   C_φ(τ) = ⟨φ(x(t)) φ(x(t + τ))⟩,
//! ```
//!
//! a Gaussian field from the quenched couplings plus a deterministic, delayed
//! self-coupling whose kernel is the population rate autocorrelation. The
//! self-term makes the process non-Gaussian, so it is solved by sampling.
//!
//! What is here:
//!
//! * [`stationary`]: the stationary chaotic state by Monte-Carlo Picard
//!   iteration with fresh Gaussian samples (§3.6 scheme (b)), on the same
//!   discrete Euler kernel as the network (§2.5), so that DMFT and
//!   simulation can be compared step for step. Outputs C_φ(τ), the
//!   autocorrelation Δ(τ) of x, Δ₀, q, ⟨φ'²⟩, g²⟨φ'²⟩ (freezability, §6.2),
//!   τ_½, the integral time, the first zero and the minimum of C_φ
//!   (anti-Hebbian ringing), and convergence diagnostics.
//! * [`scs`]: the k = 0 limit, the Sompolinsky–Crisanti–Sommers equations
//!   solved as a particle in a potential (§3.4); the default initial guess of
//!   the Picard iteration (§3.6 practical notes).
//! * [`static_points`]: the static DMFT of joint neuronal–synaptic fixed
//!   points (§3.5).
//! * [`tricritical`]: the chaotic branch followed in k (continuation) to
//!   locate where it appears at a given g, and the tricritical plasticity
//!   strength k_t of §3.8 next to its closed forms.
//! * [`two_time`]: the two-time, non-stationary DMFT of §3.6 (transients
//!   from a given x(0) distribution, the freezing protocol of §6) by Picard
//!   iteration on the full C_φ(t, s).
//!
//! All randomness comes from `hebb_core::rng::stream(seed, Purpose::User,
//! [DMFT_STREAM_TAG, iteration, chunk])` (two-time: `[DMFT_STREAM_TAG,
//! TWO_TIME_TAG, iteration, chunk]`); paths are processed in fixed chunks
//! and reduced in a fixed order, so results are bit-identical for any rayon
//! thread count.

pub(crate) mod fft;
pub mod scs;
pub mod static_points;
pub mod stationary;
pub mod tricritical;
pub mod two_time;

use hebb_core::ParamError;
use serde::{Deserialize, Serialize};

pub use scs::{ScsSolution, scs_solution};
pub use static_points::{StaticBranch, StaticFixedPoint, static_fixed_points};
pub use stationary::{StationaryModel, StationaryOptions, StationarySolution, solve_stationary};
pub use tricritical::{
    KtEstimate, OnsetOptions, OnsetPoint, OnsetResult, chaos_onset_k, kt_closed_form_consistent, kt_closed_form_stated,
    tricritical_k,
};
pub use two_time::{Plateau, TwoTimeOptions, TwoTimeSolution, solve_two_time};

/// First id of every random stream of the DMFT (ASCII "DMFT"), so that its
/// streams are disjoint from other users of `Purpose::User`.
pub const DMFT_STREAM_TAG: u64 = 0x444d_4654;

/// Errors of the DMFT solvers.
#[derive(Debug, thiserror::Error)]
pub enum DmftError {
    /// An option or model parameter is invalid (field path and allowed
    /// values).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The single-site paths left any physical range (non-finite values):
    /// the options are far outside the regime the scheme is built for.
    #[error("DMFT diverged at Picard iteration {iteration}: {what}")]
    Diverged {
        /// Iteration at which it happened (0-based).
        iteration: usize,
        /// What was non-finite.
        what: String,
    },
}

/// The rate nonlinearity φ of §2.2: `erf(√π x/2)` (the reference, φ'(0) = 1)
/// or `tanh`. It mirrors `hebb_rate::Nonlinearity` without depending on the
/// simulator; erf comes from the `libm` crate (a port of musl's erf, accurate
/// to about 1 ulp, like hebb-rate's own implementation, so the two differ at
/// the level of rounding only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phi {
    /// φ(x) = erf(√π x/2), φ'(x) = exp(−π x²/4).
    #[default]
    Erf,
    /// φ(x) = tanh x, φ'(x) = 1 − tanh² x.
    Tanh,
}

/// √π/2.
const SQRT_PI_2: f64 = 0.886_226_925_452_758;

impl Phi {
    /// φ(x).
    #[inline]
    pub fn phi(self, x: f64) -> f64 {
        match self {
            Phi::Erf => libm::erf(SQRT_PI_2 * x),
            Phi::Tanh => x.tanh(),
        }
    }

    /// φ'(x).
    #[inline]
    pub fn dphi(self, x: f64) -> f64 {
        match self {
            Phi::Erf => (-std::f64::consts::FRAC_PI_4 * x * x).exp(),
            Phi::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
        }
    }

    /// An even antiderivative Φ of φ (Φ' = φ; the additive constant is
    /// irrelevant for the SCS potential, §3.4).
    pub fn antiderivative(self, x: f64) -> f64 {
        match self {
            // d/dx [x erf(ax) + e^(−a²x²)/(a√π)] = erf(ax), a = √π/2.
            Phi::Erf => {
                x * libm::erf(SQRT_PI_2 * x) + (-std::f64::consts::FRAC_PI_4 * x * x).exp() * 2.0 / std::f64::consts::PI
            }
            // ln cosh x, written to avoid overflow.
            Phi::Tanh => {
                let a = x.abs();
                a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
            }
        }
    }

    /// ⟨φ(u) φ(v)⟩ for (u, v) jointly Gaussian with Var u = Var v = `d0` and
    /// Cov(u, v) = `d` (|d| ≤ d0). Closed form for erf (§2.2:
    /// (2/π) arcsin(d/(d0 + 2/π))), quadrature for tanh.
    pub fn gauss_corr(self, d0: f64, d: f64) -> f64 {
        match self {
            Phi::Erf => std::f64::consts::FRAC_2_PI * (d / (d0 + std::f64::consts::FRAC_2_PI)).clamp(-1.0, 1.0).asin(),
            Phi::Tanh => gauss_pair_mean(d0, d, |x| self.phi(x)),
        }
    }
}

/// ⟨f(u) f(v)⟩ over (u, v) Gaussian with variances d0 and covariance d, by
/// the trapezoid rule in the shared and private standard normals (spectrally
/// accurate for the smooth integrands used here).
pub(crate) fn gauss_pair_mean(d0: f64, d: f64, f: impl Fn(f64) -> f64) -> f64 {
    let d = d.clamp(-d0, d0);
    let (shared, private) = (d.abs().sqrt(), (d0 - d.abs()).max(0.0).sqrt());
    let sgn = if d < 0.0 { -1.0 } else { 1.0 };
    let nodes = normal_nodes();
    let mut total = 0.0;
    for &(z0, w0) in &nodes {
        let (mut a, mut b) = (0.0, 0.0);
        for &(z, w) in &nodes {
            a += w * f(shared * z0 + private * z);
            b += w * f(sgn * shared * z0 + private * z);
        }
        total += w0 * a * b;
    }
    total
}

/// ⟨f(u)⟩ for u ~ N(0, var) (trapezoid rule, see [`gauss_pair_mean`]).
pub(crate) fn gauss_mean(var: f64, f: impl Fn(f64) -> f64) -> f64 {
    let s = var.max(0.0).sqrt();
    normal_nodes().iter().map(|&(z, w)| w * f(s * z)).sum()
}

/// Trapezoid nodes and weights for ∫ Dz f(z), Dz the standard normal
/// measure, on [−9, 9] with spacing 0.1 (truncation ~1e-18; discretisation
/// error exponentially small for functions analytic in a strip).
pub(crate) fn normal_nodes() -> Vec<(f64, f64)> {
    let h = 0.1;
    let norm = h / (2.0 * std::f64::consts::PI).sqrt();
    (-90..=90)
        .map(|i| {
            let z = i as f64 * h;
            (z, norm * (-0.5 * z * z).exp())
        })
        .collect()
}

// The estimator of `hebb_rate::ChaosStats`, so DMFT and network values are comparable.
pub(crate) use hebb_core::series::first_crossing as crossing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_closed_form_matches_quadrature() {
        // §2.2 closed form against the generic quadrature.
        for &(d0, d) in &[(2.064, 2.064), (2.064, 1.0), (0.5, -0.3), (1.0, 0.0)] {
            let a = Phi::Erf.gauss_corr(d0, d);
            let b = gauss_pair_mean(d0, d, |x| Phi::Erf.phi(x));
            assert!((a - b).abs() < 1e-12, "{d0} {d}: {a} {b}");
        }
        // ⟨φ'²⟩ = (1 + π Δ0)^(−1/2) (§2.2).
        let m = gauss_mean(2.0, |x| Phi::Erf.dphi(x).powi(2));
        assert!((m - (1.0 + std::f64::consts::PI * 2.0).powf(-0.5)).abs() < 1e-12);
    }

    #[test]
    fn antiderivatives() {
        for phi in [Phi::Erf, Phi::Tanh] {
            for &x in &[-3.0, -0.4, 0.0, 0.7, 2.5] {
                let h = 1e-5;
                let fd = (phi.antiderivative(x + h) - phi.antiderivative(x - h)) / (2.0 * h);
                assert!((fd - phi.phi(x)).abs() < 1e-8, "{phi:?} {x}");
                let fd = (phi.phi(x + h) - phi.phi(x - h)) / (2.0 * h);
                assert!((fd - phi.dphi(x)).abs() < 1e-8, "{phi:?} {x}");
            }
        }
    }
}
