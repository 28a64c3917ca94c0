//! Static DMFT of joint neuronal–synaptic fixed points (spec §3.5).
//!
//! At a joint fixed point A = (k/N) φ φᵀ, so Σ_j A_ij φ_j = k q φ_i and each
//! unit obeys
//!
//! ```text
//! x = h + s φ(x),   h = √(g² q) z,  z ~ N(0, 1),   s = k q,   q = ⟨φ(x)²⟩.
//! ```
//!
//! For s ≤ 1 the map x ↦ x − s φ(x) is monotone and x(h) is unique. For
//! s > 1 a unit is bistable when |h| < h_c = s φ(x_c) − x_c, where
//! s φ'(x_c) = 1 (x_c = √((4/π) ln s) for erf): it may sit on the outer
//! branch aligned with its field (sign x = sign h) or on the opposite one
//! (the middle branch is unstable). The family of fixed points is
//! parameterised here by the fraction `aligned` of bistable units on the
//! aligned branch (1: the largest-q fixed point; ½: branches chosen at
//! random, the typical one of the exponentially many, ~2^(N P(|h| < h_c))).
//! For each choice q is solved self-consistently; several roots may exist.
//!
//! Stability of the bulk: with the support function of §5.2 at λ = 0, the
//! bulk of the joint Jacobian reaches the origin when
//! g² ⟨φ'² / (1 − s φ')²⟩ = 1; the fixed point's bulk is stable if the value
//! is < 1 (reported as `bulk_index`). When some bistable units take the
//! branch opposite to their field (`aligned` < 1), those with |h| → h_c sit
//! at the fold, where 1 − s φ' → 0, and the average diverges
//! logarithmically: in the N → ∞ limit the bulk touches λ = 0, i.e. such
//! fixed points are marginally stable (cf. the paper's "marginally stable
//! spectra", tagged \[A\] in the spec); the quadrature then returns a large finite number. With
//! all units aligned the fold is never reached. The trivial fixed point
//! x = 0, A = 0 exists for all parameters and is stable iff g < 1 (§3.5).
//!
//! Checked against a network that reached a joint fixed point (g = 2, k = 4,
//! N = 400, `tests/dmft.rs`): with the network's aligned fraction (0.71),
//! q 0.9982 vs 0.9998, Δ₀ 29.10 vs 29.15, bistable fraction 0.746 vs 0.780.

use super::{DmftError, Phi};
use hebb_core::{ParamError, check_finite, check_in_range};
use serde::{Deserialize, Serialize};

/// Which outer branch bistable units take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StaticBranch {
    /// Fraction of bistable units (|h| < h_c) on the outer branch aligned
    /// with their field h, in [0, 1]; the rest take the opposite outer
    /// branch.
    pub aligned: f64,
}

impl Default for StaticBranch {
    /// All bistable units aligned (the largest-q fixed point).
    fn default() -> Self {
        Self { aligned: 1.0 }
    }
}

/// One self-consistent static solution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaticFixedPoint {
    /// q = ⟨φ(x)²⟩ (0 for the trivial fixed point).
    pub q: f64,
    /// Self-coupling s = k q.
    pub s: f64,
    /// Δ₀ = ⟨x²⟩.
    pub delta0: f64,
    /// ⟨φ'(x)²⟩.
    pub phi_prime_sq: f64,
    /// x_c with s φ'(x_c) = 1 (None for s ≤ 1).
    pub x_c: Option<f64>,
    /// h_c = s φ(x_c) − x_c (0 for s ≤ 1).
    pub h_c: f64,
    /// Fraction of bistable units P(|h| < h_c).
    pub bistable_fraction: f64,
    /// g² ⟨φ'²/(1 − s φ')²⟩: the bulk of the joint Jacobian touches λ = 0
    /// at 1 (§5.2); < 1 means a stable bulk (diverges for `aligned` < 1, see
    /// the module docs).
    pub bulk_index: f64,
}

/// Solve x − s φ(x) = h on the outer branch with sign `side` (±1) when
/// bistable, else the unique root. Bisection to full precision.
fn solve_unit(phi: Phi, s: f64, h: f64, x_c: Option<f64>, h_c: f64, aligned_side: bool) -> f64 {
    let f = |x: f64| x - s * phi.phi(x) - h;
    let sgn_h = if h >= 0.0 { 1.0 } else { -1.0 };
    let (mut lo, mut hi) = match x_c {
        None => (h - s.abs() - 1e-12, h + s.abs() + 1e-12),
        Some(xc) => {
            let side = if h.abs() < h_c && !aligned_side { -sgn_h } else { sgn_h };
            if side > 0.0 { (xc, h + s + 1e-12) } else { (h - s - 1e-12, -xc) }
        }
    };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo <= 1e-15 * (1.0 + hi.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// x_c > 0 with s φ'(x_c) = 1, for s > 1 (φ' decreases in |x| for erf and tanh).
fn critical_x(phi: Phi, s: f64) -> f64 {
    match phi {
        Phi::Erf => (4.0 / std::f64::consts::PI * s.ln()).sqrt(),
        Phi::Tanh => s.sqrt().acosh(),
    }
}

/// Averages over z ~ N(0,1) of the fixed-point equation at a given q:
/// (⟨φ²⟩, ⟨x²⟩, ⟨φ'²⟩, ⟨φ'²/(1 − sφ')²⟩, P bistable). Composite Simpson on
/// pieces split at the bistability edges ±h_c/σ.
fn averages(phi: Phi, g: f64, k: f64, q: f64, branch: StaticBranch) -> [f64; 5] {
    let s = k * q;
    let sigma = g * q.sqrt();
    let x_c = if s > 1.0 { Some(critical_x(phi, s)) } else { None };
    let h_c = x_c.map_or(0.0, |xc| s * phi.phi(xc) - xc);
    let zc = if sigma > 0.0 { (h_c / sigma).min(9.0) } else { 0.0 };
    let bist = libm::erf(zc / std::f64::consts::SQRT_2);
    let eval = |z: f64| -> [f64; 4] {
        let h = sigma * z;
        let mut out = [0.0; 4];
        let mut add = |x: f64, wgt: f64| {
            let p = phi.phi(x);
            let d = phi.dphi(x);
            out[0] += wgt * p * p;
            out[1] += wgt * x * x;
            out[2] += wgt * d * d;
            out[3] += wgt * (d / (1.0 - s * d)).powi(2);
        };
        if h.abs() < h_c {
            add(solve_unit(phi, s, h, x_c, h_c, true), branch.aligned);
            add(solve_unit(phi, s, h, x_c, h_c, false), 1.0 - branch.aligned);
        } else {
            add(solve_unit(phi, s, h, x_c, h_c, true), 1.0);
        }
        out
    };
    let mut acc = [0.0; 4];
    let pieces: Vec<(f64, f64)> = if zc > 0.0 { vec![(-9.0, -zc), (-zc, zc), (zc, 9.0)] } else { vec![(-9.0, 9.0)] };
    for (a, b) in pieces {
        if b <= a {
            continue;
        }
        let n = 400; // even
        let h = (b - a) / n as f64;
        for i in 0..=n {
            // Evaluate just inside the piece at the ends (the integrand jumps there).
            let z = (a + i as f64 * h).clamp(a + 1e-12 * (b - a), b - 1e-12 * (b - a));
            let wgt = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let dens = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let v = eval(z);
            for j in 0..4 {
                acc[j] += wgt * h / 3.0 * dens * v[j];
            }
        }
    }
    [acc[0], acc[1], acc[2], g * g * acc[3], bist]
}

/// All self-consistent static solutions (§3.5) of the model (g, k, φ) for the
/// given branch choice, in increasing q, including the trivial one (q = 0)
/// first. Roots of G(q) − q are bracketed on a grid of 400 values of q in
/// (0, 1] and refined by bisection.
pub fn static_fixed_points(phi: Phi, g: f64, k: f64, branch: StaticBranch) -> Result<Vec<StaticFixedPoint>, DmftError> {
    check_in_range("g", g, 0.0, 1e6)?;
    check_finite("k", k)?;
    if k.abs() > 1e6 {
        return Err(ParamError::new("k", k, "a number in [-1e6, 1e6]").into());
    }
    check_in_range("branch.aligned", branch.aligned, 0.0, 1.0)?;
    let make = |q: f64| -> StaticFixedPoint {
        let a = averages(phi, g, k, q, branch);
        let s = k * q;
        let x_c = if s > 1.0 { Some(critical_x(phi, s)) } else { None };
        StaticFixedPoint {
            q,
            s,
            delta0: a[1],
            phi_prime_sq: a[2],
            x_c,
            h_c: x_c.map_or(0.0, |xc| s * phi.phi(xc) - xc),
            bistable_fraction: a[4],
            bulk_index: a[3],
        }
    };
    let mut out = vec![StaticFixedPoint {
        q: 0.0,
        s: 0.0,
        delta0: 0.0,
        phi_prime_sq: 1.0,
        x_c: None,
        h_c: 0.0,
        bistable_fraction: 0.0,
        bulk_index: g * g,
    }];
    let resid = |q: f64| averages(phi, g, k, q, branch)[0] - q;
    let n = 400;
    let grid: Vec<f64> = (1..=n).map(|i| i as f64 / n as f64).collect();
    let vals: Vec<f64> = grid.iter().map(|&q| resid(q)).collect();
    for i in 0..n - 1 {
        if vals[i] == 0.0 {
            out.push(make(grid[i]));
        } else if vals[i] * vals[i + 1] < 0.0 {
            let (mut lo, mut hi) = (grid[i], grid[i + 1]);
            let slo = vals[i].signum();
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if resid(mid).signum() == slo {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(make(0.5 * (lo + hi)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_zero_has_only_the_trivial_fixed_point() {
        // k = 0: x = h, q = ⟨φ(√(g² q) z)²⟩ = (2/π) arcsin(g² q/(g² q + 2/π)) for erf
        // (§2.2). q = G(q) has a nonzero root only if G'(0) = g² > 1; for
        // g = 2 solve the closed form by bisection and compare.
        let fp = static_fixed_points(Phi::Erf, 2.0, 0.0, StaticBranch::default()).unwrap();
        let gq = |q: f64| std::f64::consts::FRAC_2_PI * (4.0 * q / (4.0 * q + std::f64::consts::FRAC_2_PI)).asin();
        let (mut lo, mut hi) = (0.01, 1.0);
        for _ in 0..60 {
            let m = 0.5 * (lo + hi);
            if gq(m) > m { lo = m } else { hi = m }
        }
        assert_eq!(fp.len(), 2, "{fp:?}");
        assert!((fp[1].q - lo).abs() < 1e-6, "{} {}", fp[1].q, lo);
        let fp = static_fixed_points(Phi::Erf, 0.8, 0.0, StaticBranch::default()).unwrap();
        assert_eq!(fp.len(), 1);
    }

    #[test]
    fn unit_solutions_satisfy_the_equation() {
        let (phi, s) = (Phi::Erf, 2.5);
        let xc = critical_x(phi, s);
        assert!((s * phi.dphi(xc) - 1.0).abs() < 1e-12);
        let hc = s * phi.phi(xc) - xc;
        for &h in &[-2.0, -0.3, 0.0, 0.2, 1.5] {
            for al in [true, false] {
                let x = solve_unit(phi, s, h, Some(xc), hc, al);
                assert!((x - s * phi.phi(x) - h).abs() < 1e-12);
                assert!(x.abs() >= xc - 1e-12, "outer branch");
            }
        }
    }
}
