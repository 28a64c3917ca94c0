//! The k = 0 limit: the Sompolinsky–Crisanti–Sommers (SCS) DMFT (spec §3.4;
//! H. Sompolinsky, A. Crisanti and H.-J. Sommers, PRL 61, 259 (1988)).
//!
//! Without plasticity the single-site process is Gaussian and its
//! autocorrelation Δ(τ) obeys Newton's equation for a particle in a
//! potential,
//!
//! ```text
//! Δ̈ = Δ − g² C_φ(Δ₀, Δ) = −V'(Δ),   V(Δ) = −Δ²/2 + g² ⟨Φ(u) Φ(v)⟩,  Φ' = φ,
//! ```
//!
//! with (u, v) Gaussian, Var = Δ₀, Cov = Δ. The chaotic solution starts at
//! rest at Δ₀ and creeps to Δ = 0 as τ → ∞, so energy conservation fixes
//! Δ₀ by V(Δ₀) = V(0), i.e. Δ₀²/2 = g² Var Φ(u). For g ≤ 1 the only
//! solution is Δ ≡ 0.
//!
//! This module uses generic Gaussian quadrature for the potential (so it
//! works for erf and tanh alike) and the §2.2 closed form of C_φ for erf; it
//! is the default initial guess of the Picard iteration
//! ([`super::solve_stationary`]).

use super::{DmftError, Phi, gauss_mean};
use hebb_core::{ParamError, check_positive};
use serde::{Deserialize, Serialize};

/// The SCS solution on the lag grid τ = m dt, m = 0..=n_lags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScsSolution {
    /// Gain g.
    pub g: f64,
    /// Nonlinearity.
    pub phi: Phi,
    /// Lag step.
    pub dt: f64,
    /// Δ₀ = ⟨x²⟩ (0 for g ≤ 1).
    pub delta0: f64,
    /// q = C_φ(0) = ⟨φ(x)²⟩.
    pub q: f64,
    /// ⟨φ'(x)²⟩ over N(0, Δ₀).
    pub phi_prime_sq: f64,
    /// Δ(τ), the autocorrelation of x.
    pub delta: Vec<f64>,
    /// C_φ(τ) = C_φ(Δ₀, Δ(τ)).
    pub c_phi: Vec<f64>,
}

/// Solve the SCS equations of §3.4 at gain `g` on `n_lags + 1` lags of step
/// `dt` (RK4 with 20 substeps per lag).
///
/// The solution approaches Δ = 0 along the separatrix of the potential, which
/// is numerically unstable; once the integrated Δ turns back up or crosses
/// zero (at τ ≈ 30–50 for g = 2), the remaining lags are set to 0, their
/// exact limit to that accuracy.
pub fn scs_solution(phi: Phi, g: f64, dt: f64, n_lags: usize) -> Result<ScsSolution, DmftError> {
    check_positive("g", g)?;
    check_positive("dt", dt)?;
    if n_lags > 10_000_000 {
        return Err(ParamError::new("n_lags", n_lags, "at most 1e7").into());
    }
    if g <= 1.0 {
        return Ok(ScsSolution {
            g,
            phi,
            dt,
            delta0: 0.0,
            q: 0.0,
            phi_prime_sq: 1.0,
            delta: vec![0.0; n_lags + 1],
            c_phi: vec![0.0; n_lags + 1],
        });
    }
    let d0 = scs_delta0(phi, g);
    // C_φ(Δ₀, Δ): closed form for erf, a table (linear interpolation,
    // error ~1e-6) for tanh.
    let table: Vec<f64> = match phi {
        Phi::Erf => Vec::new(),
        Phi::Tanh => (0..=400).map(|i| phi.gauss_corr(d0, -d0 + 2.0 * d0 * i as f64 / 400.0)).collect(),
    };
    let cphi = |d: f64| -> f64 {
        match phi {
            Phi::Erf => phi.gauss_corr(d0, d),
            Phi::Tanh => {
                let u = ((d.clamp(-d0, d0) + d0) / (2.0 * d0) * 400.0).min(399.999_999);
                let i = u as usize;
                let f = u - i as f64;
                table[i] * (1.0 - f) + table[i + 1] * f
            }
        }
    };
    let acc = |d: f64| d - g * g * cphi(d);
    let sub = 20;
    let h = dt / sub as f64;
    let (mut d, mut v) = (d0, 0.0);
    let mut delta = vec![0.0; n_lags + 1];
    delta[0] = d0;
    'outer: for slot in delta.iter_mut().skip(1) {
        for _ in 0..sub {
            let (k1d, k1v) = (v, acc(d));
            let (k2d, k2v) = (v + 0.5 * h * k1v, acc(d + 0.5 * h * k1d));
            let (k3d, k3v) = (v + 0.5 * h * k2v, acc(d + 0.5 * h * k2d));
            let (k4d, k4v) = (v + h * k3v, acc(d + h * k3d));
            d += h / 6.0 * (k1d + 2.0 * k2d + 2.0 * k3d + k4d);
            v += h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
            if d <= 0.0 || v > 0.0 {
                break 'outer;
            }
        }
        *slot = d;
    }
    let c_phi: Vec<f64> = delta.iter().map(|&x| cphi(x)).collect();
    Ok(ScsSolution {
        g,
        phi,
        dt,
        delta0: d0,
        q: c_phi[0],
        phi_prime_sq: gauss_mean(d0, |x| phi.dphi(x).powi(2)),
        delta,
        c_phi,
    })
}

/// Δ₀ of the SCS chaotic state at g > 1: the root of Δ₀²/2 = g² Var Φ(u),
/// u ~ N(0, Δ₀) (energy conservation V(Δ₀) = V(0), §3.4), by bisection.
pub(crate) fn scs_delta0(phi: Phi, g: f64) -> f64 {
    let p0 = phi.antiderivative(0.0);
    // f(Δ₀)/Δ₀² = −1/2 + g² Var Φ/Δ₀²: positive at small Δ₀ (Var Φ ≈ Δ₀²/2)
    // for g > 1, negative at large Δ₀ (Var Φ grows like Δ₀).
    let f = |d: f64| {
        let m = gauss_mean(d, |x| phi.antiderivative(x) - p0);
        let m2 = gauss_mean(d, |x| (phi.antiderivative(x) - p0).powi(2));
        -0.5 + g * g * (m2 - m * m) / (d * d)
    };
    let mut hi = 1.0;
    while f(hi) > 0.0 && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = hi / 2.0;
    while f(lo) < 0.0 && lo > 1e-12 {
        lo /= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_table_values() {
        // §3.4 table (exact quadrature, re-checked by root finding).
        for &(g, d0, q, pp) in
            &[(1.1, 0.1357, 0.1124, 0.8373), (2.0, 2.0641, 0.5538, 0.3655), (3.0, 5.6374, 0.7107, 0.2312)]
        {
            let s = scs_solution(Phi::Erf, g, 0.1, 800).unwrap();
            assert!((s.delta0 - d0).abs() < 1e-4, "g {g}: {}", s.delta0);
            assert!((s.q - q).abs() < 1e-4, "g {g}: {}", s.q);
            assert!((s.phi_prime_sq - pp).abs() < 1e-4, "g {g}: {}", s.phi_prime_sq);
        }
        // τ_½ of C_φ at g = 2: 4.65 (§3.4).
        let s = scs_solution(Phi::Erf, 2.0, 0.1, 800).unwrap();
        let r: Vec<f64> = s.c_phi.iter().map(|c| c / s.q).collect();
        let t = super::super::crossing(&r, 0.5, 0.1).unwrap();
        assert!((t - 4.65).abs() < 0.02, "{t}");
        assert!(s.delta.iter().all(|d| *d >= 0.0));
        let z = scs_solution(Phi::Tanh, 0.9, 0.1, 10).unwrap();
        assert_eq!(z.delta0, 0.0);
    }
}
