//! Joint neuronal–synaptic fixed points of the Clark & Abbott model
//! (spec `clark.md` §3.5, §7): search, deduplication, stability and counts.
//!
//! At a joint fixed point Ȧ = 0 gives A = (k/N) φφᵀ, so the fixed points are
//! exactly the roots of
//!
//! F(x) = −x + g J* φ(x) + k q(x) φ(x),  q(x) = φᵀφ/N  (§7.1 step 1),
//!
//! whose Jacobian is
//! ∂F/∂x = −I + g J* D + k q D + (2k/N) φ (φ ∘ φ')ᵀ, D = diag φ'(x).
//!
//! * [`newton`]: damped Newton (backtracking line search on ½‖F‖², Armijo
//!   constant 1e-4) from one start; converged when ‖F‖_∞ ≤ `tol`. Where it
//!   stalls (a local minimum of ‖F‖², common near the folds of bistable
//!   units), [`pseudo_transient`] continuation from the same start.
//! * [`search`]: Newton from every start of a [`Starts`] set (all 2^N sign
//!   patterns x₀ = ±s, §7.1 step 2, and/or keyed random starts), duplicates
//!   removed with a tolerance on ‖x − x'‖_∞, each distinct point classified
//!   by the spectrum of the reduced joint Jacobian L at A = (k/N)φφᵀ
//!   (§5.1, §7.1 step 3). Locations do not depend on τ_s; stability does.
//! * [`FixedPointCount`]: the counts per realisation; the complexity
//!   Σ(g, k) is the slope of ln(#stable) against N (§7.1 step 4, reference
//!   counts §7.2), fitted by [`fit_line`].
//!
//! F is odd (φ is odd), so fixed points come in pairs ±x*; x = 0 is always
//! one (§3.5, stable iff g < 1). The search is sequential, in a fixed start
//! order, so its results are bit-identical for any thread count.
//!
//! ```
//! use hebb_theory::fixed_points::{search, SearchOptions, Starts};
//!
//! // N = 1, J* = 0, k = 4: x = 4 q φ(x) with q = φ², i.e. x = 4 φ(x)³.
//! let erf_like = |x: f64| (x.tanh(), 1.0 - x.tanh().powi(2));
//! let opts = SearchOptions { starts: Starts::SignPatterns { scale: 4.0 }, ..Default::default() };
//! let fps = search(&[0.0], 4.0, 1.0, &erf_like, &opts).unwrap();
//! // ±x* (stable) — the sign patterns do not reach x = 0 or the unstable middle roots.
//! assert_eq!(fps.points.len(), 2);
//! assert!(fps.points.iter().all(|p| p.residual < 1e-10 && p.stable));
//! ```

use crate::jacobian::{Plastic, SpectrumError, check_len, check_params, joint_spectrum};
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, counter_uniform, key_hash};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Options of one damped Newton solve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NewtonOptions {
    /// Convergence: ‖F(x)‖_∞ ≤ tol (default 1e-12).
    pub tol: f64,
    /// Maximum Newton iterations (default 200).
    pub max_iter: usize,
    /// Maximum step halvings per iteration (default 40).
    pub max_halvings: usize,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        Self { tol: 1e-12, max_iter: 200, max_halvings: 40 }
    }
}

/// The outcome of one Newton solve.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonResult {
    /// The final iterate.
    pub x: Vec<f64>,
    /// ‖F(x)‖_∞ at the final iterate.
    pub residual: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Whether ‖F‖_∞ ≤ tol was reached.
    pub converged: bool,
}

/// Start points of a search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Starts {
    /// All 2^N sign patterns x₀ = ±`scale` per unit (§7.1 step 2; the spec
    /// uses scale = k). N ≤ 24.
    SignPatterns {
        /// |x₀_i|.
        scale: f64,
    },
    /// `count` starts with x₀_i uniform in [−`scale`, `scale`], keyed by
    /// (`seed`, start index, unit) through `hebb_core::rng::counter_uniform`.
    Random {
        /// Number of starts.
        count: usize,
        /// Half-width of the uniform box.
        scale: f64,
        /// Stream seed.
        seed: u64,
    },
}

/// Options of a fixed-point search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchOptions {
    /// The start set.
    pub starts: Starts,
    /// Newton settings.
    pub newton: NewtonOptions,
    /// Two roots are the same if ‖x − x'‖_∞ < dedup_tol (default 1e-6).
    pub dedup_tol: f64,
    /// A fixed point is stable if max Re λ(L) < −stability_margin
    /// (default 1e-9; a point within the margin is counted as marginal).
    pub stability_margin: f64,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            starts: Starts::SignPatterns { scale: 1.0 },
            newton: NewtonOptions::default(),
            dedup_tol: 1e-6,
            stability_margin: 1e-9,
        }
    }
}

/// One distinct joint fixed point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedPoint {
    /// x*; the synapses are A* = (k/N) φ(x*) φ(x*)ᵀ.
    pub x: Vec<f64>,
    /// ‖F(x*)‖_∞.
    pub residual: f64,
    /// q = φᵀφ/N at x*.
    pub q: f64,
    /// The largest real part of the reduced joint Jacobian L (§5.1); the
    /// remaining N² − N eigenvalues are −1/τ_s < 0.
    pub max_re: f64,
    /// max_re < −stability_margin.
    pub stable: bool,
    /// How many starts converged to this point.
    pub hits: usize,
}

/// The result of a search on one realisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedPointCount {
    /// N.
    pub n: usize,
    /// Number of starts tried.
    pub starts: usize,
    /// Starts whose Newton iteration converged.
    pub converged: usize,
    /// The distinct fixed points, in order of first discovery.
    pub points: Vec<FixedPoint>,
}

impl FixedPointCount {
    /// Number of distinct fixed points.
    pub fn distinct(&self) -> usize {
        self.points.len()
    }
    /// Number of jointly stable ones.
    pub fn stable(&self) -> usize {
        self.points.iter().filter(|p| p.stable).count()
    }
}

/// F(x) = −x + g J* φ + k q φ into `f`; also returns (φ, φ', q).
fn residual_into<T: Fn(f64) -> (f64, f64)>(
    gj: &[f64],
    k: f64,
    x: &[f64],
    transfer: &T,
    f: &mut [f64],
    phi: &mut [f64],
    dphi: &mut [f64],
) -> f64 {
    let n = x.len();
    for i in 0..n {
        let (p, d) = transfer(x[i]);
        phi[i] = p;
        dphi[i] = d;
    }
    let q = phi.iter().map(|p| p * p).sum::<f64>() / n as f64;
    for i in 0..n {
        let row = &gj[i * n..(i + 1) * n];
        let h: f64 = row.iter().zip(phi.iter()).map(|(a, b)| a * b).sum();
        f[i] = -x[i] + h + k * q * phi[i];
    }
    q
}

fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn norm2sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

/// The residual F(x) = −x + g J* φ(x) + k q(x) φ(x) of §7.1 (`gj` = g J*
/// row-major N × N, `transfer(x) = (φ(x), φ'(x))`).
pub fn residual<T: Fn(f64) -> (f64, f64)>(gj: &[f64], k: f64, x: &[f64], transfer: &T) -> Result<Vec<f64>, ParamError> {
    let n = x.len();
    check_len("x", x, n)?;
    check_len("gj", gj, n * n)?;
    let (mut f, mut p, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    residual_into(gj, k, x, transfer, &mut f, &mut p, &mut d);
    Ok(f)
}

/// Check the problem of [`newton`] and [`pseudo_transient`]; returns N.
fn check_problem(gj: &[f64], k: f64, x0: &[f64]) -> Result<usize, ParamError> {
    let n = x0.len();
    if n == 0 {
        return Err(ParamError::new("x0", "an empty slice", "length N >= 1"));
    }
    check_len("gj", gj, n * n)?;
    if !k.is_finite() {
        return Err(ParamError::new("k", k, "a finite number"));
    }
    Ok(n)
}

/// Damped Newton for F(x) = 0 from `x0` (see the module docs). Never fails
/// on a bad start: a singular Jacobian or a failed line search ends the
/// iteration with `converged = false`.
pub fn newton<T: Fn(f64) -> (f64, f64)>(
    gj: &[f64],
    k: f64,
    x0: &[f64],
    transfer: &T,
    opts: &NewtonOptions,
) -> Result<NewtonResult, ParamError> {
    let n = check_problem(gj, k, x0)?;
    if !(opts.tol.is_finite() && opts.tol > 0.0) {
        return Err(ParamError::new("newton.tol", opts.tol, "a finite number > 0"));
    }
    let mut x = x0.to_vec();
    let (mut f, mut phi, mut dphi) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut f_try, mut phi_try, mut dphi_try) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut x_try = vec![0.0; n];
    let mut q = residual_into(gj, k, &x, transfer, &mut f, &mut phi, &mut dphi);
    let mut jac = DMatrix::<f64>::zeros(n, n);
    let mut it = 0;
    while it < opts.max_iter {
        if norm_inf(&f) <= opts.tol {
            break;
        }
        it += 1;
        jacobian_into(gj, k, q, &phi, &dphi, &mut jac);
        let rhs = DVector::from_iterator(n, f.iter().map(|v| -v));
        let Some(step) = jac.clone().lu().solve(&rhs) else { break };
        if step.iter().any(|s| !s.is_finite()) {
            break;
        }
        let phi0 = 0.5 * norm2sq(&f);
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..=opts.max_halvings {
            for i in 0..n {
                x_try[i] = x[i] + t * step[i];
            }
            let q_try = residual_into(gj, k, &x_try, transfer, &mut f_try, &mut phi_try, &mut dphi_try);
            // Armijo on ½‖F‖²: the Newton direction has slope −‖F‖².
            if 0.5 * norm2sq(&f_try) <= (1.0 - 2.0 * 1e-4 * t) * phi0 {
                std::mem::swap(&mut x, &mut x_try);
                std::mem::swap(&mut f, &mut f_try);
                std::mem::swap(&mut phi, &mut phi_try);
                std::mem::swap(&mut dphi, &mut dphi_try);
                q = q_try;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    let residual = norm_inf(&f);
    Ok(NewtonResult { x, residual, iterations: it, converged: residual <= opts.tol })
}

/// ∂F/∂x = −I + g J* D + k q D + (2k/N) φ (φ∘φ')ᵀ into `jac`.
fn jacobian_into(gj: &[f64], k: f64, q: f64, phi: &[f64], dphi: &[f64], jac: &mut DMatrix<f64>) {
    let n = phi.len();
    let c = 2.0 * k / n as f64;
    for i in 0..n {
        for j in 0..n {
            jac[(i, j)] = gj[i * n + j] * dphi[j] + c * phi[i] * phi[j] * dphi[j];
        }
        jac[(i, i)] += k * q * dphi[i] - 1.0;
    }
}

/// Pseudo-transient continuation (Kelley & Keyes, SIAM J. Numer. Anal. 35,
/// 508 (1998)): implicit-Euler steps of ẋ = F(x),
/// x ← x + (I/h − ∂F/∂x)⁻¹ F(x), with the step h grown by switched
/// evolution relaxation, h ← h ‖F_old‖/‖F_new‖ (from h = 0.1, capped at
/// 1e12, where the step is Newton's). ẋ = F(x) is the τ_s → 0 limit of the
/// joint dynamics (Stern et al. 2014, spec §11), so this follows a descent
/// path instead of stalling at a local minimum of ‖F‖² where the damped
/// Newton iteration gives up; [`search`] uses it as the fallback. At most
/// 20 × `max_iter` steps.
pub fn pseudo_transient<T: Fn(f64) -> (f64, f64)>(
    gj: &[f64],
    k: f64,
    x0: &[f64],
    transfer: &T,
    opts: &NewtonOptions,
) -> Result<NewtonResult, ParamError> {
    let n = check_problem(gj, k, x0)?;
    let mut x = x0.to_vec();
    let (mut f, mut phi, mut dphi) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut q = residual_into(gj, k, &x, transfer, &mut f, &mut phi, &mut dphi);
    let mut jac = DMatrix::<f64>::zeros(n, n);
    let mut h: f64 = 0.1;
    let mut norm = norm2sq(&f).sqrt();
    let mut it = 0;
    while it < 20 * opts.max_iter && norm_inf(&f) > opts.tol {
        it += 1;
        jacobian_into(gj, k, q, &phi, &dphi, &mut jac);
        for v in jac.iter_mut() {
            *v = -*v;
        }
        for i in 0..n {
            jac[(i, i)] += 1.0 / h;
        }
        let rhs = DVector::from_column_slice(&f);
        let Some(step) = jac.clone().lu().solve(&rhs) else { break };
        if step.iter().any(|s| !s.is_finite()) {
            break;
        }
        for i in 0..n {
            x[i] += step[i];
        }
        q = residual_into(gj, k, &x, transfer, &mut f, &mut phi, &mut dphi);
        let new_norm = norm2sq(&f).sqrt();
        h = (h * norm / new_norm.max(1e-300)).clamp(1e-3, 1e12);
        norm = new_norm;
    }
    let residual = norm_inf(&f);
    Ok(NewtonResult { x, residual, iterations: it, converged: residual <= opts.tol })
}

/// The stability of a joint fixed point x*: the largest real part of the
/// reduced joint Jacobian L at A = (k/N) φφᵀ (§5.1; the other N² − N
/// eigenvalues are −1/τ_s).
pub fn max_real_part<T: Fn(f64) -> (f64, f64)>(
    gj: &[f64],
    k: f64,
    tau_s: f64,
    x: &[f64],
    transfer: &T,
) -> Result<f64, SpectrumError> {
    let phi: Vec<f64> = x.iter().map(|&v| transfer(v).0).collect();
    let dphi: Vec<f64> = x.iter().map(|&v| transfer(v).1).collect();
    let ev = joint_spectrum(gj, Plastic::Hebbian, &phi, &dphi, k, tau_s)?;
    Ok(ev.first().map_or(f64::NEG_INFINITY, |e| e.re))
}

/// Search joint fixed points of one realisation `gj` = g J* (row-major
/// N × N) from the starts of `opts`, deduplicate, classify (module docs).
pub fn search<T: Fn(f64) -> (f64, f64)>(
    gj: &[f64],
    k: f64,
    tau_s: f64,
    transfer: &T,
    opts: &SearchOptions,
) -> Result<FixedPointCount, SpectrumError> {
    let n = (gj.len() as f64).sqrt().round() as usize;
    if n == 0 || n * n != gj.len() {
        return Err(ParamError::new("gj", format!("length {}", gj.len()), "length N^2 with N >= 1").into());
    }
    check_len("gj", gj, n * n)?;
    check_params(k, tau_s)?;
    if !(opts.dedup_tol.is_finite() && opts.dedup_tol > 0.0) {
        return Err(ParamError::new("dedup_tol", opts.dedup_tol, "a finite number > 0").into());
    }
    let count = match opts.starts {
        Starts::SignPatterns { scale } => {
            if n > 24 {
                return Err(
                    ParamError::new("starts", format!("sign patterns at N = {n}"), "N <= 24 (2^N starts)").into()
                );
            }
            if !scale.is_finite() {
                return Err(ParamError::new("starts.scale", scale, "a finite number").into());
            }
            1usize << n
        }
        Starts::Random { count, scale, .. } => {
            if !scale.is_finite() {
                return Err(ParamError::new("starts.scale", scale, "a finite number").into());
            }
            count
        }
    };
    let key = match opts.starts {
        Starts::Random { seed, .. } => key_hash(seed, Purpose::User, &[FIXED_POINT_STREAM]),
        _ => 0,
    };
    let mut found: Vec<FixedPoint> = Vec::new();
    let mut converged = 0;
    let mut x0 = vec![0.0; n];
    for s in 0..count {
        match opts.starts {
            Starts::SignPatterns { scale } => {
                for (i, v) in x0.iter_mut().enumerate() {
                    *v = if (s >> i) & 1 == 1 { -scale } else { scale };
                }
            }
            Starts::Random { scale, .. } => {
                for (i, v) in x0.iter_mut().enumerate() {
                    *v = scale * (2.0 * counter_uniform(key, s as u64, i as u64) - 1.0);
                }
            }
        }
        let mut r = newton(gj, k, &x0, transfer, &opts.newton)?;
        if !r.converged {
            r = pseudo_transient(gj, k, &x0, transfer, &opts.newton)?;
        }
        if !r.converged {
            continue;
        }
        converged += 1;
        let dup = found.iter_mut().find(|p| p.x.iter().zip(&r.x).all(|(a, b)| (a - b).abs() < opts.dedup_tol));
        if let Some(p) = dup {
            p.hits += 1;
            continue;
        }
        let q = r.x.iter().map(|&v| transfer(v).0.powi(2)).sum::<f64>() / n as f64;
        let max_re = max_real_part(gj, k, tau_s, &r.x, transfer)?;
        found.push(FixedPoint {
            x: r.x,
            residual: r.residual,
            q,
            max_re,
            stable: max_re < -opts.stability_margin,
            hits: 1,
        });
    }
    Ok(FixedPointCount { n, starts: count, converged, points: found })
}

/// Stream id for random starts (first key after `Purpose::User`).
pub const FIXED_POINT_STREAM: u64 = 0x4650_5354; // "FPST"

/// Least-squares line y = a + b x; returns (a, b, r²). `None` with fewer
/// than two distinct x.
pub fn fit_line(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let m = x.len().min(y.len());
    if m < 2 {
        return None;
    }
    let mx = x[..m].iter().sum::<f64>() / m as f64;
    let my = y[..m].iter().sum::<f64>() / m as f64;
    let sxx: f64 = x[..m].iter().map(|v| (v - mx).powi(2)).sum();
    let syy: f64 = y[..m].iter().map(|v| (v - my).powi(2)).sum();
    let sxy: f64 = x[..m].iter().zip(&y[..m]).map(|(a, b)| (a - mx) * (b - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let r2 = if syy > 0.0 { sxy * sxy / (sxx * syy) } else { 1.0 };
    Some((my - b * mx, b, r2))
}
