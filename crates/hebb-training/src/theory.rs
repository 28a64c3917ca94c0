//! Formulas of the spec, as functions, for tests and diagnostics.
//!
//! Each function cites the section of `specs/kimchow.md` it implements.
//! Dense nalgebra matrices are used: these are references, not kernels.

use crate::error::{Result, TrainingError, check_len};
use crate::rls::Rowsum;
use hebb_core::ParamError;
use nalgebra::{DMatrix, DVector};
use std::ops::Range;

/// Contiguous group ranges `0..K_0, K_0..K_0+K_1, …` from group sizes.
pub fn ranges_from_sizes(sizes: &[usize]) -> Vec<Range<usize>> {
    let mut s = 0;
    sizes
        .iter()
        .map(|&k| {
            let r = s..s + k;
            s += k;
            r
        })
        .collect()
}

/// Check that `groups` are ordered, disjoint and within `0..k_p`.
fn check_groups(k_p: usize, groups: &[Range<usize>]) -> Result<()> {
    let mut prev = 0;
    for (b, g) in groups.iter().enumerate() {
        if g.start < prev || g.end < g.start || g.end > k_p {
            return Err(ParamError::new(
                format!("groups[{b}]"),
                format!("{g:?}"),
                format!("ordered, disjoint ranges within 0..{k_p}"),
            )
            .into());
        }
        prev = g.end;
    }
    Ok(())
}

fn check_shape(field: &str, got: (usize, usize), want: (usize, usize)) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(ParamError::new(
            format!("{field}.shape"),
            format!("{} x {}", got.0, got.1),
            format!("{} x {}", want.0, want.1),
        )
        .into())
    }
}

fn not_pd(what: &str) -> TrainingError {
    TrainingError::Numerical { what: "theory", row: 0, detail: format!("{what} is singular or not positive definite") }
}

/// `Q = λI + μ Σ_B 1_B1_Bᵀ` on `k_p` inputs with groups `groups` (§3.2).
/// Inputs outside every group get `λ` only.
pub fn q_matrix(k_p: usize, groups: &[Range<usize>], lambda: f64, mu: f64) -> Result<DMatrix<f64>> {
    check_groups(k_p, groups)?;
    hebb_core::check_finite("lambda", lambda)?;
    hebb_core::check_finite("mu", mu)?;
    let mut q = DMatrix::<f64>::identity(k_p, k_p) * lambda;
    for g in groups {
        for a in g.clone() {
            for b in g.clone() {
                q[(a, b)] += mu;
            }
        }
    }
    Ok(q)
}

/// The closed form `P₀ = λ⁻¹[I − Σ_B μ/(λ + μK_B) 1_B1_Bᵀ]` (§3.4), and its
/// hard limit `P₀ = λ⁻¹Π`, `Π = I − Σ_B K_B⁻¹ 1_B1_Bᵀ` (§3.3 item 3).
pub fn p0_closed_form(k_p: usize, groups: &[Range<usize>], lambda: f64, rowsum: Rowsum) -> Result<DMatrix<f64>> {
    check_groups(k_p, groups)?;
    hebb_core::check_positive("lambda", lambda)?;
    let mut p = DMatrix::<f64>::identity(k_p, k_p) / lambda;
    for g in groups {
        let coef = rowsum.group_coefficient(lambda, g.len());
        for a in g.clone() {
            for b in g.clone() {
                p[(a, b)] -= coef / lambda;
            }
        }
    }
    Ok(p)
}

/// The batch solution RLS reproduces (§4.1):
/// `w_n = (Q + R_nR_nᵀ)⁻¹(R_n g_n + Q w⁰)` with `R_n = [r_1 … r_n]`
/// (`k_p × n`) and `g_m = f_m − h_m`. A `Numerical` error if the matrix is
/// not positive definite.
pub fn batch_penalised_ls(
    r: &DMatrix<f64>,
    g: &DVector<f64>,
    w0: &DVector<f64>,
    q: &DMatrix<f64>,
) -> Result<DVector<f64>> {
    let (kp, n) = r.shape();
    check_shape("g", g.shape(), (n, 1))?;
    check_shape("w0", w0.shape(), (kp, 1))?;
    check_shape("q", q.shape(), (kp, kp))?;
    let a = q + r * r.transpose();
    let rhs = r * g + q * w0;
    a.cholesky().map(|c| c.solve(&rhs)).ok_or_else(|| not_pd("Q + R R^T"))
}

/// The hard-ROWSUM batch solution (§3.3 item 3, the Lagrange form):
/// minimise `Σ_m (w·r_m − g_m)² + λ|w − w⁰|²` subject to `1_B·(w − w⁰) = 0`
/// for every group, solved through its KKT system
/// `[(RRᵀ + λI) Cᵀ; C 0] [Δw; ν] = [R(g − Rᵀw⁰); 0]`.
pub fn batch_hard_rowsum_ls(
    r: &DMatrix<f64>,
    g: &DVector<f64>,
    w0: &DVector<f64>,
    groups: &[Range<usize>],
    lambda: f64,
) -> Result<DVector<f64>> {
    let (kp, n) = r.shape();
    check_shape("g", g.shape(), (n, 1))?;
    check_shape("w0", w0.shape(), (kp, 1))?;
    check_groups(kp, groups)?;
    if let Some(b) = groups.iter().position(|g| g.is_empty()) {
        return Err(ParamError::new(format!("groups[{b}]"), "empty", "a non-empty range").into());
    }
    let nb = groups.len();
    let mut a = DMatrix::<f64>::zeros(kp + nb, kp + nb);
    let rrt = r * r.transpose() + DMatrix::<f64>::identity(kp, kp) * lambda;
    a.view_mut((0, 0), (kp, kp)).copy_from(&rrt);
    for (b, grp) in groups.iter().enumerate() {
        for j in grp.clone() {
            a[(kp + b, j)] = 1.0;
            a[(j, kp + b)] = 1.0;
        }
    }
    let y = g - r.transpose() * w0;
    let mut rhs = DVector::<f64>::zeros(kp + nb);
    rhs.rows_mut(0, kp).copy_from(&(r * y));
    let sol = a.lu().solve(&rhs).ok_or_else(|| not_pd("the KKT matrix"))?;
    Ok(w0 + sol.rows(0, kp))
}

/// The matrix RLS's `P_n` equals: `(Q + R_nR_nᵀ)⁻¹` (§4.1).
pub fn batch_inverse_correlation(r: &DMatrix<f64>, q: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let kp = r.nrows();
    check_shape("q", q.shape(), (kp, kp))?;
    (q + r * r.transpose()).cholesky().map(|c| c.inverse()).ok_or_else(|| not_pd("Q + R R^T"))
}

/// The retention law (§4.2 item 1): the fraction of the initial mean
/// coupling of group `B` that training keeps,
/// `β_B = (λ + μK_B)/(λ + μK_B + nσ_B²)`. `μ = ∞` (hard) gives 1.
pub fn retention_beta(lambda: f64, mu: f64, k_b: f64, n: f64, sigma2: f64) -> f64 {
    if mu.is_infinite() {
        return 1.0;
    }
    let prior = lambda + mu * k_b;
    prior / (prior + n * sigma2)
}

/// Group moments entering the block-mean equations of §4.2, measured from
/// the `n` learning samples of one neuron.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockMoments {
    /// Number of samples `n`.
    pub n: usize,
    /// Group sizes `K_B`.
    pub k: Vec<f64>,
    /// Group-averaged mean traces `ρ_B`.
    pub rho: Vec<f64>,
    /// Group-averaged temporal variances `σ_B²`.
    pub sigma2: Vec<f64>,
    /// Group averages `c_B` of `cov(r_j, g)`, `g = f − h`.
    pub cov_g: Vec<f64>,
    /// Group means of the initial weights `w̄⁰_B`.
    pub w0_mean: Vec<f64>,
    /// The mean residual `ḡ − w⁰·r̄`.
    pub mean_residual: f64,
}

impl BlockMoments {
    /// Moments from samples `samples[m][j]` (`n × k_p`), targets-minus-bias
    /// `g[m]`, initial weights `w0` and groups (population moments, 1/n).
    pub fn from_samples(samples: &[Vec<f64>], g: &[f64], w0: &[f64], groups: &[Range<usize>]) -> Result<Self> {
        let n = samples.len();
        if n < 2 {
            return Err(ParamError::new("samples.len()", n, "at least 2 samples").into());
        }
        check_len("g", g.len(), n, "one value per sample")?;
        let kp = w0.len();
        for (m, s) in samples.iter().enumerate() {
            check_len(&format!("samples[{m}]"), s.len(), kp, "one value per input")?;
        }
        if let Some(b) = groups.iter().position(|r| r.is_empty() || r.end > kp) {
            return Err(ParamError::new(
                format!("groups[{b}]"),
                format!("{:?}", groups[b]),
                format!("a non-empty range within 0..{kp}"),
            )
            .into());
        }
        let nf = n as f64;
        let mut rbar = vec![0.0; kp];
        for s in samples {
            for (a, x) in rbar.iter_mut().zip(s) {
                *a += x;
            }
        }
        rbar.iter_mut().for_each(|x| *x /= nf);
        let gbar = g.iter().sum::<f64>() / nf;
        let mut var = vec![0.0; kp];
        let mut cov = vec![0.0; kp];
        for (s, &gm) in samples.iter().zip(g) {
            for j in 0..kp {
                let d = s[j] - rbar[j];
                var[j] += d * d;
                cov[j] += d * (gm - gbar);
            }
        }
        var.iter_mut().for_each(|x| *x /= nf);
        cov.iter_mut().for_each(|x| *x /= nf);
        let avg = |v: &[f64], r: &Range<usize>| v[r.clone()].iter().sum::<f64>() / r.len() as f64;
        Ok(Self {
            n,
            k: groups.iter().map(|r| r.len() as f64).collect(),
            rho: groups.iter().map(|r| avg(&rbar, r)).collect(),
            sigma2: groups.iter().map(|r| avg(&var, r)).collect(),
            cov_g: groups.iter().map(|r| avg(&cov, r)).collect(),
            w0_mean: groups.iter().map(|r| avg(w0, r)).collect(),
            mean_residual: gbar - w0.iter().zip(&rbar).map(|(a, b)| a * b).sum::<f64>(),
        })
    }

    /// The retention factor `β_B` of every group (§4.2 item 1).
    pub fn retention(&self, lambda: f64, mu: f64) -> Vec<f64> {
        (0..self.k.len()).map(|b| retention_beta(lambda, mu, self.k[b], self.n as f64, self.sigma2[b])).collect()
    }

    /// The exact small-system block-mean prediction of §4.2:
    /// `[diag(α) + ρ(Kρ)ᵀ] a = ρ·(ḡ − w⁰·r̄) + γ`, with
    /// `α_B = σ_B² + (λ + μK_B)/n` and `γ_B = c_B − w̄⁰_B σ_B²`; returns the
    /// predicted changes `a_B = m_B − w̄⁰_B` of the group-mean weights.
    /// (`2 × 2` for the {E, I} groups; any number of groups works.) With
    /// `μ = ∞` the prediction is 0.
    pub fn predicted_mean_change(&self, lambda: f64, mu: f64) -> Result<Vec<f64>> {
        let nb = self.k.len();
        if mu.is_infinite() {
            return Ok(vec![0.0; nb]);
        }
        let nf = self.n as f64;
        let m = DMatrix::from_fn(nb, nb, |a, b| {
            let d = if a == b { self.sigma2[a] + (lambda + mu * self.k[a]) / nf } else { 0.0 };
            d + self.rho[a] * self.k[b] * self.rho[b]
        });
        let rhs = DVector::from_fn(nb, |a, _| {
            self.rho[a] * self.mean_residual + self.cov_g[a] - self.w0_mean[a] * self.sigma2[a]
        });
        m.lu().solve(&rhs).map(|v| v.iter().copied().collect()).ok_or_else(|| not_pd("the block-mean system"))
    }
}

/// Batch ridge regression that shared-`P` FORCE with the normalised decoder
/// step reproduces (§6.1, §9): `Φ = (I/α + RRᵀ)⁻¹ R X` for features
/// `R` (`M × n`) and targets `X` (`n × k`), starting from `Φ₀ = 0`, `P₀ = αI`.
pub fn ridge_batch(r: &DMatrix<f64>, x: &DMatrix<f64>, alpha: f64) -> Result<DMatrix<f64>> {
    hebb_core::check_positive("alpha", alpha)?;
    let (m, n) = r.shape();
    check_shape("x", (x.nrows(), n), (n, n))?;
    let a = DMatrix::<f64>::identity(m, m) / alpha + r * r.transpose();
    a.cholesky().map(|c| c.solve(&(r * x))).ok_or_else(|| not_pd("I/alpha + R R^T"))
}

/// Updates per trial window (§3.6, §9): `⌊W/e⌋ + 1` with an inclusive end
/// (101 for 1 s at 10 ms), `⌈W/e⌉` with an exclusive end.
pub fn updates_per_window(window_steps: u64, every_steps: u64, inclusive_end: bool) -> u64 {
    if every_steps == 0 {
        return 0;
    }
    if inclusive_end { window_steps / every_steps + 1 } else { window_steps.div_ceil(every_steps) }
}

/// Leading-order balanced rates of the spec's E/I network (§2.4):
/// `ν_E = x/16`, `ν_I = ν_E + x/20` (spikes/ms), for the weight blocks
/// `2τ_m/√K × (0.15, 1, −0.75, −1)` with `τ_m = 10` ms.
pub fn balanced_rates(x: f64) -> (f64, f64) {
    let ne = x / 16.0;
    (ne, ne + x / 20.0)
}
