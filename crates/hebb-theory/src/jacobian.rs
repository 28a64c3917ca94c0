//! The Jacobian of the joint neuronal–synaptic system of Clark & Abbott,
//! "Theory of coupled neuronal–synaptic dynamics", Phys. Rev. X **14**,
//! 021001 (2024), arXiv:2302.08985 (spec `clark.md`, section numbers below
//! refer to it):
//!
//! ẋ = −x + (g J* + A) φ(x),  τ_s Ȧ = −A + (k/N) φ(x) φ(x)ᵀ.
//!
//! ## The exact 2N reduction (§5.1)
//!
//! Linearising at a state (x, A) with D = diag φ'(x), φ = φ(x) and the
//! *current* q = φᵀφ/N, perturbations δA outside {Pφᵀ + φQᵀ} and the
//! antisymmetric combination decay at exactly −1/τ_s and feed δx without
//! being fed back (the system is block-triangular). The remaining spectrum
//! is that of the 2N × 2N matrix
//!
//! ```text
//!       ⎡ −I + (gJ* + A) D    q I + φφᵀ/N ⎤
//!   L = ⎣ (k/τ_s) D              −I/τ_s   ⎦ ,   δA_sym = (p φᵀ + φ pᵀ)/N,
//! ```
//!
//! so spec(full) = spec(L) ∪ {−1/τ_s with multiplicity N² − N}.
//! [`reduced_jacobian`] builds L, [`full_jacobian`] the (N + N²) matrix
//! (small N only; the test oracle), [`vector_field`] the right-hand side
//! (for finite-difference checks).
//!
//! ## Bulk support (§5.2) and local roots (§5.3)
//!
//! Eliminating p at eigenvalue λ (p = k D δx / (1 + τ_s λ)) and dropping the
//! finite-rank pieces, λ lies in the bulk iff
//! F(λ) = g² ⟨φ'² / |λ + 1 − k q φ'/(1 + τ_s λ)|²⟩ ≥ 1
//! ([`Support::f`], averaged over the units of a state), which uses the
//! circular-law fact that L g J* R (L, R diagonal, J* i.i.d. variance 1/N)
//! has a disk spectrum of radius g √⟨|l r|²⟩. [`Support::edges`] finds the
//! rightmost real point and max |Im| of the support; [`local_roots`] solves
//! (λ + 1)(1 + τ_s λ) = k q φ'.
//!
//! ## Eigenvalues: why faer
//!
//! Non-symmetric dense eigenvalues use faer's Hessenberg + multishift QR
//! with aggressive early deflation ([`eigenvalues`], always `Par::Seq`:
//! on 2 cores the rayon path was slower, spec `ecosystem.md` §2.2).
//! nalgebra (already a dependency for the small dense solves) only has an
//! unblocked Schur iteration for non-symmetric input, measured 6× slower
//! at 2N = 2000 (table below). faer types never appear in
//! the public API (only `&[f64]`, [`Eigenvalue`]), so a faer upgrade touches
//! this file only. LAPACK `dgeev` is available behind the non-default
//! feature `lapack` (module `jacobian::lapack`), used only by the comparison example.
//!
//! ## Measured: eigenvalues of the joint Jacobian L (`examples/eigen_compare.rs`)
//!
//! L at the state of a g = 2, k = 1, τ_s = 1 network after t = 200 (seed 1),
//! all solvers on the same matrix in one run (2026-11-30). One thread each:
//! faer 0.24.4 `Par::Seq` (no rayon feature); Debian `liblapack3` 3.11
//! `dgeev` on Debian's reference (unblocked) `libblas3`; numpy 2.4.6
//! `linalg.eigvals` on OpenBLAS 0.3.31 with `OPENBLAS_NUM_THREADS=1`;
//! nalgebra 0.35 `complex_eigenvalues`. CPU seconds of the call (user +
//! system, `/proc/self/stat`; numpy: `time.process_time`), median of 3
//! (nalgebra at 2000: one call). Shared 2-core VM, other builds running:
//! 1-min load average 3.1–4.9 during the run.
//!
//! | 2N | faer | numpy (OpenBLAS) | LAPACK dgeev (ref. BLAS) | nalgebra | max \|Δλ\| vs faer |
//! |---|---|---|---|---|---|
//! | 1000 | 0.48 s | 0.55 s | 2.55 s | 1.52 s | ≤ 5e-11 |
//! | 2000 | 5.18 s | 3.82 s | 27.6 s | 33.0 s | ≤ 2e-8 |
//!
//! faer is 1.36× numpy's OpenBLAS LAPACK at 2N = 2000 (within the 2× target)
//! and 5× faster than Debian's reference LAPACK + BLAS; nalgebra's
//! unblocked Schur route is 6× slower. (On an idle machine the spec
//! measured numpy at 0.23 s and 1.63 s.) An earlier run at 2N = 1000 under
//! similar load gave faer 0.72 s, numpy 0.67 s, LAPACK 3.87 s, nalgebra
//! 3.17 s; a second run at 2N = 2000 (load average 4.7–11.4) gave faer
//! 5.95 s, numpy 4.66 s (ratio 1.28), LAPACK 27.8 s. The ranking is stable,
//! single numbers vary by up to ±50 % with the load.
//!
//! ```
//! use hebb_theory::jacobian::{eigenvalues, reduced_jacobian, Plastic};
//!
//! // N = 2, J* = 0, x = 0: L = diag(−1, −1, −1/τ_s, −1/τ_s) up to the
//! // coupling block q I + φφᵀ/N, which vanishes at φ = 0.
//! let n = 2;
//! let gj = vec![0.0; n * n];
//! let (phi, dphi) = (vec![0.0; n], vec![1.0; n]);
//! let l = reduced_jacobian(&gj, Plastic::Zero, &phi, &dphi, 1.0, 2.0).unwrap();
//! let mut ev = eigenvalues(&l, 2 * n).unwrap();
//! ev.sort_by(|a, b| a.re.total_cmp(&b.re));
//! assert!((ev[0].re + 1.0).abs() < 1e-12 && (ev[3].re + 0.5).abs() < 1e-12);
//! ```

use hebb_core::ParamError;
use serde::{Deserialize, Serialize};

/// A complex eigenvalue λ = re + i·im.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Eigenvalue {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Eigenvalue {
    /// |λ − μ|.
    pub fn dist(&self, other: &Eigenvalue) -> f64 {
        (self.re - other.re).hypot(self.im - other.im)
    }
}

/// Errors of the spectral routines.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectrumError {
    /// An argument is invalid (field name and allowed values).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The eigenvalue iteration did not converge.
    #[error("the eigenvalue solver ({solver}) did not converge on a {n} x {n} matrix")]
    NoConvergence {
        /// Which solver.
        solver: &'static str,
        /// Matrix size.
        n: usize,
    },
}

/// The plastic couplings A of the state at which the Jacobian is taken.
#[derive(Debug, Clone, Copy)]
pub enum Plastic<'a> {
    /// A = 0 (e.g. the SCS network, or A(0)).
    Zero,
    /// A given as a full row-major N × N matrix (e.g.
    /// `hebb_rate::RateNetwork::plastic_matrix`).
    Dense(&'a [f64]),
    /// A = (k/N) φ φᵀ, its value at a joint fixed point (§3.5, §7.1).
    Hebbian,
}

pub(crate) fn check_len(field: &str, v: &[f64], len: usize) -> Result<(), ParamError> {
    if v.len() != len {
        return Err(ParamError::new(field, format!("a slice of length {}", v.len()), format!("length {len}")));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(ParamError::new(format!("{field}[{i}]"), v[i], "a finite number"));
    }
    Ok(())
}

pub(crate) fn check_params(k: f64, tau_s: f64) -> Result<(), ParamError> {
    if !k.is_finite() {
        return Err(ParamError::new("k", k, "a finite number"));
    }
    if !(tau_s.is_finite() && tau_s > 0.0) {
        return Err(ParamError::new("tau_s", tau_s, "a finite number > 0"));
    }
    Ok(())
}

/// Infer N from g J* (length N²) and check φ, φ' against it.
fn dims(gj: &[f64], phi: &[f64], dphi: &[f64]) -> Result<usize, ParamError> {
    let n = phi.len();
    if n == 0 {
        return Err(ParamError::new("phi", "an empty slice", "length N >= 1"));
    }
    check_len("gj", gj, n * n)?;
    check_len("phi", phi, n)?;
    check_len("dphi", dphi, n)?;
    Ok(n)
}

/// The (gJ* + A) entry (i, j), with A as described by `a`.
#[inline]
fn coupling(gj: &[f64], a: &Plastic<'_>, phi: &[f64], k: f64, n: usize, i: usize, j: usize) -> f64 {
    let aij = match a {
        Plastic::Zero => 0.0,
        Plastic::Dense(m) => m[i * n + j],
        Plastic::Hebbian => k * phi[i] * phi[j] / n as f64,
    };
    gj[i * n + j] + aij
}

/// The reduced joint Jacobian L (2N × 2N, row-major) of §5.1 at a state
/// with rates `phi` = φ(x), slopes `dphi` = φ'(x), quenched couplings `gj`
/// = g J* (row-major N × N, already multiplied by g) and plastic couplings
/// `a`. Variables are (δx, p) with δA_sym = (p φᵀ + φ pᵀ)/N.
pub fn reduced_jacobian(
    gj: &[f64],
    a: Plastic<'_>,
    phi: &[f64],
    dphi: &[f64],
    k: f64,
    tau_s: f64,
) -> Result<Vec<f64>, SpectrumError> {
    let n = dims(gj, phi, dphi)?;
    check_params(k, tau_s)?;
    if let Plastic::Dense(m) = a {
        check_len("a", m, n * n)?;
    }
    let m = 2 * n;
    let nf = n as f64;
    let q = phi.iter().map(|p| p * p).sum::<f64>() / nf;
    let mut l = vec![0.0; m * m];
    for i in 0..n {
        let row = &mut l[i * m..(i + 1) * m];
        // Top-left: −I + (gJ* + A) D.
        for j in 0..n {
            row[j] = coupling(gj, &a, phi, k, n, i, j) * dphi[j];
        }
        row[i] -= 1.0;
        // Top-right: q I + φ φᵀ / N.
        for j in 0..n {
            row[n + j] = phi[i] * phi[j] / nf;
        }
        row[n + i] += q;
        // Bottom: (k/τ_s) D and −I/τ_s.
        let row = &mut l[(n + i) * m..(n + i + 1) * m];
        row[i] = k / tau_s * dphi[i];
        row[n + i] = -1.0 / tau_s;
    }
    Ok(l)
}

/// The full joint Jacobian ((N + N²) × (N + N²), row-major) of
/// ẋ = −x + (gJ* + A)φ, τ_s Ȧ = −A + (k/N)φφᵀ at (x, A), with the state
/// ordered (x_1..x_N, A_11, A_12, …, A_NN) (A row-major). Quartic memory:
/// intended for N ≲ 30 only, as the oracle of the 2N reduction (§5.1
/// "brute-force check"); N > 64 is refused.
pub fn full_jacobian(
    gj: &[f64],
    a: Plastic<'_>,
    phi: &[f64],
    dphi: &[f64],
    k: f64,
    tau_s: f64,
) -> Result<Vec<f64>, SpectrumError> {
    let n = dims(gj, phi, dphi)?;
    check_params(k, tau_s)?;
    if n > 64 {
        return Err(ParamError::new("phi", format!("N = {n}"), "N <= 64 for the full (N + N^2) Jacobian").into());
    }
    if let Plastic::Dense(m) = a {
        check_len("a", m, n * n)?;
    }
    let m = n + n * n;
    let nf = n as f64;
    let mut jac = vec![0.0; m * m];
    for i in 0..n {
        let row = &mut jac[i * m..(i + 1) * m];
        // ∂ẋ_i/∂x_j = −δ_ij + (gJ* + A)_ij φ'_j.
        for j in 0..n {
            row[j] = coupling(gj, &a, phi, k, n, i, j) * dphi[j];
        }
        row[i] -= 1.0;
        // ∂ẋ_i/∂A_il = φ_l.
        for l in 0..n {
            row[n + i * n + l] = phi[l];
        }
    }
    let c = k / (nf * tau_s);
    for i in 0..n {
        for j in 0..n {
            let r = n + i * n + j;
            let row = &mut jac[r * m..(r + 1) * m];
            // ∂Ȧ_ij/∂x_l = (k/(N τ_s)) (δ_il φ'_i φ_j + φ_i δ_jl φ'_j).
            row[i] += c * dphi[i] * phi[j];
            row[j] += c * phi[i] * dphi[j];
            // ∂Ȧ_ij/∂A_ij = −1/τ_s.
            row[r] = -1.0 / tau_s;
        }
    }
    Ok(jac)
}

/// The joint vector field (ẋ, Ȧ) at (x, A) (A full row-major N × N), with
/// `transfer(x) = (φ(x), φ'(x))`: ẋ = −x + (gJ* + A)φ(x),
/// Ȧ = (−A + (k/N)φφᵀ)/τ_s (§2.1).
pub fn vector_field<F: Fn(f64) -> (f64, f64)>(
    gj: &[f64],
    a: &[f64],
    x: &[f64],
    k: f64,
    tau_s: f64,
    transfer: F,
) -> Result<(Vec<f64>, Vec<f64>), SpectrumError> {
    let n = x.len();
    check_len("x", x, n)?;
    check_len("gj", gj, n * n)?;
    check_len("a", a, n * n)?;
    check_params(k, tau_s)?;
    let phi: Vec<f64> = x.iter().map(|&v| transfer(v).0).collect();
    let mut dx = vec![0.0; n];
    for i in 0..n {
        let mut h = 0.0;
        for j in 0..n {
            h += (gj[i * n + j] + a[i * n + j]) * phi[j];
        }
        dx[i] = -x[i] + h;
    }
    let mut da = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            da[i * n + j] = (-a[i * n + j] + k / n as f64 * phi[i] * phi[j]) / tau_s;
        }
    }
    Ok((dx, da))
}

/// All eigenvalues of the dense `n` × `n` row-major matrix `mat`, with
/// faer's non-symmetric eigensolver (Hessenberg reduction + multishift QR
/// with aggressive early deflation), sequential (`Par::Seq`).
pub fn eigenvalues(mat: &[f64], n: usize) -> Result<Vec<Eigenvalue>, SpectrumError> {
    use faer::diag::Diag;
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::evd::{self, ComputeEigenvectors};
    use faer::{Mat, Par};
    check_len("mat", mat, n * n)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let a = Mat::<f64>::from_fn(n, n, |i, j| mat[i * n + j]);
    let mut s_re = Diag::<f64>::zeros(n);
    let mut s_im = Diag::<f64>::zeros(n);
    let par = Par::Seq;
    let scratch = evd::evd_scratch::<f64>(n, ComputeEigenvectors::No, ComputeEigenvectors::No, par, Default::default());
    evd::evd_real(
        a.as_ref(),
        s_re.as_mut(),
        s_im.as_mut(),
        None,
        None,
        par,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Default::default(),
    )
    .map_err(|_| SpectrumError::NoConvergence { solver: "faer evd_real", n })?;
    Ok(s_re.column_vector().iter().zip(s_im.column_vector().iter()).map(|(&re, &im)| Eigenvalue { re, im }).collect())
}

/// The eigenvalues of the reduced Jacobian L at a state (§5.1), sorted by
/// decreasing real part.
pub fn joint_spectrum(
    gj: &[f64],
    a: Plastic<'_>,
    phi: &[f64],
    dphi: &[f64],
    k: f64,
    tau_s: f64,
) -> Result<Vec<Eigenvalue>, SpectrumError> {
    let l = reduced_jacobian(gj, a, phi, dphi, k, tau_s)?;
    let mut ev = eigenvalues(&l, 2 * phi.len())?;
    sort_by_real_desc(&mut ev);
    Ok(ev)
}

/// Sort eigenvalues by decreasing real part (ties: decreasing imaginary part).
pub fn sort_by_real_desc(ev: &mut [Eigenvalue]) {
    ev.sort_by(|a, b| b.re.total_cmp(&a.re).then(b.im.total_cmp(&a.im)));
}

/// Match two multisets of eigenvalues greedily (each of `a`, in order of
/// decreasing real part, to the nearest unused one of `b`) and return the
/// largest distance; `None` if the lengths differ. Used to compare spectra
/// computed by different routes.
pub fn max_matching_distance(a: &[Eigenvalue], b: &[Eigenvalue]) -> Option<f64> {
    if a.len() != b.len() {
        return None;
    }
    let mut used = vec![false; b.len()];
    let mut worst: f64 = 0.0;
    let mut order: Vec<&Eigenvalue> = a.iter().collect();
    order.sort_by(|x, y| y.re.total_cmp(&x.re).then(y.im.total_cmp(&x.im)));
    for x in order {
        let (mut best, mut bd) = (usize::MAX, f64::INFINITY);
        for (j, y) in b.iter().enumerate() {
            if !used[j] {
                let d = x.dist(y);
                if d < bd {
                    bd = d;
                    best = j;
                }
            }
        }
        used[best] = true;
        worst = worst.max(bd);
    }
    Some(worst)
}

/// The two local roots λ± of (λ + 1)(1 + τ_s λ) = k q φ' (§5.3):
/// λ± = (−(1 + τ_s) ± √((1 − τ_s)² + 4 τ_s k q φ')) / (2 τ_s).
/// Complex (with real part −(1 + τ_s)/(2 τ_s)) when the discriminant is
/// negative (anti-Hebbian k).
pub fn local_roots(k: f64, q: f64, dphi: f64, tau_s: f64) -> (Eigenvalue, Eigenvalue) {
    let b = -(1.0 + tau_s) / (2.0 * tau_s);
    let disc = (1.0 - tau_s).powi(2) + 4.0 * tau_s * k * q * dphi;
    if disc >= 0.0 {
        let s = disc.sqrt() / (2.0 * tau_s);
        (Eigenvalue { re: b + s, im: 0.0 }, Eigenvalue { re: b - s, im: 0.0 })
    } else {
        let s = (-disc).sqrt() / (2.0 * tau_s);
        (Eigenvalue { re: b, im: s }, Eigenvalue { re: b, im: -s })
    }
}

/// The bulk-support function of §5.2 for one state: the empirical slopes
/// φ'(x_i) of its units, q = ⟨φ²⟩ and the parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Support {
    /// Gain g of J*.
    pub g: f64,
    /// Plasticity strength k.
    pub k: f64,
    /// Synaptic time constant τ_s.
    pub tau_s: f64,
    /// q = φᵀφ/N of the state.
    pub q: f64,
    /// φ'(x_i) of the units.
    pub dphi: Vec<f64>,
}

/// The support edges found by [`Support::edges`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SupportEdges {
    /// The largest real part of any support point in the search box.
    pub max_re: f64,
    /// The largest real λ on the real axis with F(λ) ≥ 1 (`None` if the
    /// support does not meet the real axis, e.g. the two lobes at k < 0).
    pub rightmost_real: Option<f64>,
    /// The largest |Im λ| of any support point in the search box.
    pub max_abs_im: f64,
}

impl Support {
    /// Build from a state's rates φ(x_i) and slopes φ'(x_i) (q = ⟨φ²⟩).
    pub fn from_state(g: f64, k: f64, tau_s: f64, phi: &[f64], dphi: &[f64]) -> Result<Self, SpectrumError> {
        if phi.is_empty() {
            return Err(ParamError::new("phi", "an empty slice", "length N >= 1").into());
        }
        check_len("phi", phi, phi.len())?;
        check_len("dphi", dphi, phi.len())?;
        check_params(k, tau_s)?;
        if !(g.is_finite() && g >= 0.0) {
            return Err(ParamError::new("g", g, "a finite number >= 0").into());
        }
        let q = phi.iter().map(|p| p * p).sum::<f64>() / phi.len() as f64;
        Ok(Self { g, k, tau_s, q, dphi: dphi.to_vec() })
    }

    /// F(λ) = g² ⟨φ'² / |λ + 1 − k q φ'/(1 + τ_s λ)|²⟩ (§5.2); λ is in the
    /// bulk iff F(λ) ≥ 1. Infinite at a local root (a = 0).
    pub fn f(&self, re: f64, im: f64) -> f64 {
        // c = k q / (1 + τ_s λ), complex.
        let (dr, di) = (1.0 + self.tau_s * re, self.tau_s * im);
        let den = dr * dr + di * di;
        let kq = self.k * self.q;
        let (cr, ci) = if den > 0.0 { (kq * dr / den, -kq * di / den) } else { (f64::INFINITY, 0.0) };
        let mut s = 0.0;
        for &d in &self.dphi {
            let ar = re + 1.0 - cr * d;
            let ai = im - ci * d;
            let a2 = ar * ar + ai * ai;
            s += d * d / a2;
        }
        self.g * self.g * s / self.dphi.len() as f64
    }

    /// Whether λ is in the predicted bulk support, F(λ) ≥ 1.
    pub fn contains(&self, re: f64, im: f64) -> bool {
        self.f(re, im) >= 1.0
    }

    /// Support edges in the box [re_min, re_max] × [−im_max, im_max]: a
    /// `nre` × `nim` grid, refined by bisection on F − 1 along each grid row
    /// (for the rightmost point) and column (for the largest |Im|) to about
    /// 1e-6 of the box size. Bisection assumes the boundary is crossed once
    /// between the last inside grid point and the next outside one, which the
    /// grid resolution guarantees up to features finer than one cell.
    pub fn edges(&self, re_min: f64, re_max: f64, im_max: f64, nre: usize, nim: usize) -> SupportEdges {
        let nre = nre.max(3);
        let nim = nim.max(3);
        let hre = (re_max - re_min) / (nre - 1) as f64;
        let him = im_max / (nim - 1) as f64;
        let bisect = |mut inside: f64, mut outside: f64, f: &dyn Fn(f64) -> bool| {
            for _ in 0..40 {
                let mid = 0.5 * (inside + outside);
                if f(mid) {
                    inside = mid;
                } else {
                    outside = mid;
                }
            }
            inside
        };
        let mut max_re = f64::NEG_INFINITY;
        let mut rightmost_real = None;
        // Rows: Im = j·him (the support is symmetric under λ → λ̄).
        for j in 0..nim {
            let im = j as f64 * him;
            let mut last_in = None;
            for i in (0..nre).rev() {
                let re = re_min + i as f64 * hre;
                if self.contains(re, im) {
                    last_in = Some(i);
                    break;
                }
            }
            if let Some(i) = last_in {
                let re_in = re_min + i as f64 * hre;
                let re = if i + 1 < nre { bisect(re_in, re_in + hre, &|r| self.contains(r, im)) } else { re_in };
                max_re = max_re.max(re);
                if j == 0 {
                    rightmost_real = Some(re);
                }
            }
        }
        let mut max_abs_im: f64 = 0.0;
        for i in 0..nre {
            let re = re_min + i as f64 * hre;
            for j in (0..nim).rev() {
                let im = j as f64 * him;
                if self.contains(re, im) {
                    let top = if j + 1 < nim { bisect(im, im + him, &|y| self.contains(re, y)) } else { im };
                    max_abs_im = max_abs_im.max(top);
                    break;
                }
            }
        }
        SupportEdges { max_re, rightmost_real, max_abs_im }
    }

    /// F on a grid (row-major, `nim` rows from `im_min` to `im_max`, `nre`
    /// columns from `re_min` to `re_max`), e.g. to draw the contour F = 1.
    pub fn grid(&self, re: (f64, f64), im: (f64, f64), nre: usize, nim: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(nre * nim);
        for j in 0..nim {
            let y = im.0 + (im.1 - im.0) * j as f64 / (nim.max(2) - 1) as f64;
            for i in 0..nre {
                let x = re.0 + (re.1 - re.0) * i as f64 / (nre.max(2) - 1) as f64;
                out.push(self.f(x, y));
            }
        }
        out
    }
}

/// Fraction of `ev` with F(λ) ≥ `threshold`, skipping eigenvalues within
/// `exclude` of −1 and of −1/τ_s (the clusters of saturated units, whose
/// predicted support is a set of unresolved O(1/√N) islands; §5.4 test 2).
/// Returns (fraction, number counted).
pub fn fraction_inside(support: &Support, ev: &[Eigenvalue], threshold: f64, exclude: f64) -> (f64, usize) {
    let m1 = Eigenvalue { re: -1.0, im: 0.0 };
    let ms = Eigenvalue { re: -1.0 / support.tau_s, im: 0.0 };
    let mut inside = 0usize;
    let mut counted = 0usize;
    for e in ev {
        if e.dist(&m1) < exclude || e.dist(&ms) < exclude {
            continue;
        }
        counted += 1;
        if support.f(e.re, e.im) >= threshold {
            inside += 1;
        }
    }
    (if counted == 0 { f64::NAN } else { inside as f64 / counted as f64 }, counted)
}

/// Counts of eigenvalues by real part in the three bands of §8.4:
/// Re < lo, lo ≤ Re < hi (the gap region), Re ≥ hi.
pub fn band_counts(ev: &[Eigenvalue], lo: f64, hi: f64) -> [usize; 3] {
    let mut c = [0usize; 3];
    for e in ev {
        if e.re < lo {
            c[0] += 1;
        } else if e.re < hi {
            c[1] += 1;
        } else {
            c[2] += 1;
        }
    }
    c
}

/// LAPACK `dgeev` through a hand-written `extern "C"` binding (feature
/// `lapack`, links the system `liblapack`; used only by the eigen-solver
/// comparison, never by the default build).
#[cfg(feature = "lapack")]
pub mod lapack {
    use super::{Eigenvalue, SpectrumError, check_len};

    #[link(name = "lapack")]
    unsafe extern "C" {
        // Fortran calling convention: every argument by pointer; the two
        // trailing hidden string lengths of JOBVL/JOBVR (gfortran ABI).
        fn dgeev_(
            jobvl: *const u8,
            jobvr: *const u8,
            n: *const i32,
            a: *mut f64,
            lda: *const i32,
            wr: *mut f64,
            wi: *mut f64,
            vl: *mut f64,
            ldvl: *const i32,
            vr: *mut f64,
            ldvr: *const i32,
            work: *mut f64,
            lwork: *const i32,
            info: *mut i32,
            len_jobvl: usize,
            len_jobvr: usize,
        );
    }

    /// All eigenvalues of the `n` × `n` row-major `mat` with LAPACK `dgeev`
    /// (no eigenvectors). The transpose is passed (column-major), which has
    /// the same eigenvalues.
    pub fn eigenvalues(mat: &[f64], n: usize) -> Result<Vec<Eigenvalue>, SpectrumError> {
        check_len("mat", mat, n * n)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let ni = i32::try_from(n).map_err(|_| hebb_core::ParamError::new("n", n, "n < 2^31"))?;
        let mut a = mat.to_vec();
        let (mut wr, mut wi) = (vec![0.0; n], vec![0.0; n]);
        let mut dummy = [0.0f64; 1];
        let one = 1i32;
        let mut info = 0i32;
        let mut query = [0.0f64; 1];
        let minus_one = -1i32;
        // SAFETY: all pointers are valid for the sizes LAPACK reads/writes
        // (a: n², wr/wi: n, vl/vr unused with JOBV = 'N' and ld = 1, work:
        // lwork as queried); the strings are one byte long.
        unsafe {
            dgeev_(
                b"N".as_ptr(),
                b"N".as_ptr(),
                &ni,
                a.as_mut_ptr(),
                &ni,
                wr.as_mut_ptr(),
                wi.as_mut_ptr(),
                dummy.as_mut_ptr(),
                &one,
                dummy.as_mut_ptr(),
                &one,
                query.as_mut_ptr(),
                &minus_one,
                &mut info,
                1,
                1,
            );
        }
        let lwork = (query[0] as i32).max(3 * ni);
        let mut work = vec![0.0; lwork as usize];
        // SAFETY: as above, with a work array of the queried size.
        unsafe {
            dgeev_(
                b"N".as_ptr(),
                b"N".as_ptr(),
                &ni,
                a.as_mut_ptr(),
                &ni,
                wr.as_mut_ptr(),
                wi.as_mut_ptr(),
                dummy.as_mut_ptr(),
                &one,
                dummy.as_mut_ptr(),
                &one,
                work.as_mut_ptr(),
                &lwork,
                &mut info,
                1,
                1,
            );
        }
        if info != 0 {
            return Err(SpectrumError::NoConvergence { solver: "LAPACK dgeev", n });
        }
        Ok(wr.into_iter().zip(wi).map(|(re, im)| Eigenvalue { re, im }).collect())
    }
}
