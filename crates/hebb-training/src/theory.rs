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
    /// Mean covariance `c̄_BA` between two **distinct** inputs `j ∈ B`,
    /// `k ∈ A`, row-major `nb × nb` (0 where a group has one input): the
    /// shared fluctuations that the independent-input reduction neglects.
    pub cov_between: Vec<f64>,
    /// Group-averaged `Σ_k w⁰_k C_jk` over `j ∈ B` (the initial weights'
    /// projection of the trace covariance).
    pub w0_cov: Vec<f64>,
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
        // group sums S_B and the initial input w⁰·r per sample, for the
        // between-input covariances: Σ_{j∈B,k∈A} C_jk = cov(S_B, S_A) and
        // Σ_{j∈B} Σ_k w⁰_k C_jk = cov(S_B, w⁰·r)
        let nb = groups.len();
        let sums: Vec<Vec<f64>> =
            samples.iter().map(|s| groups.iter().map(|r| s[r.clone()].iter().sum::<f64>()).collect()).collect();
        let u0: Vec<f64> = samples.iter().map(|s| s.iter().zip(w0).map(|(a, b)| a * b).sum::<f64>()).collect();
        let mean_s: Vec<f64> = (0..nb).map(|b| sums.iter().map(|x| x[b]).sum::<f64>() / nf).collect();
        let mean_u0 = u0.iter().sum::<f64>() / nf;
        let mut cov_between = vec![0.0; nb * nb];
        let mut w0_cov = vec![0.0; nb];
        for b in 0..nb {
            let kb = groups[b].len() as f64;
            let cu = sums.iter().zip(&u0).map(|(x, u)| (x[b] - mean_s[b]) * (u - mean_u0)).sum::<f64>() / nf;
            w0_cov[b] = cu / kb;
            for a in 0..nb {
                let ka = groups[a].len() as f64;
                let c = sums.iter().map(|x| (x[b] - mean_s[b]) * (x[a] - mean_s[a])).sum::<f64>() / nf;
                let (total, pairs) = if a == b {
                    (c - var[groups[b].clone()].iter().sum::<f64>(), kb * (kb - 1.0))
                } else {
                    (c, kb * ka)
                };
                cov_between[b * nb + a] = if pairs > 0.0 { total / pairs } else { 0.0 };
            }
        }
        Ok(Self {
            cov_between,
            w0_cov,
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

    /// The block-mean prediction with **correlated** inputs (derived here,
    /// extending §4.2): averaging the stationarity condition of the cost of
    /// §3.2 over `j ∈ B` with `Δw_k = a_A` for `k ∈ A` gives
    /// `Σ_A [δ_BA(σ_B² − c̄_BB + (λ + μK_B)/n) + K_A(c̄_BA + ρ_Bρ_A)] a_A
    ///  = c_B + ρ_B(ḡ − w⁰·r̄) − ⟨Σ_k w⁰_k C_jk⟩_B`,
    /// with `c̄_BA` the mean covariance of two distinct inputs
    /// ([`BlockMoments::cov_between`]). With `c̄ = 0` this is
    /// [`BlockMoments::predicted_mean_change`]. In a recurrent network the
    /// traces share slow fluctuations (`K c̄` is comparable to `σ²`), which
    /// stiffens the mean directions: the independent-input form then
    /// overestimates the change several-fold.
    pub fn predicted_mean_change_correlated(&self, lambda: f64, mu: f64) -> Result<Vec<f64>> {
        let nb = self.k.len();
        if mu.is_infinite() {
            return Ok(vec![0.0; nb]);
        }
        let nf = self.n as f64;
        let cb = |b: usize, a: usize| self.cov_between[b * nb + a];
        let m = DMatrix::from_fn(nb, nb, |b, a| {
            let d = if a == b { self.sigma2[b] - cb(b, b) + (lambda + mu * self.k[b]) / nf } else { 0.0 };
            d + self.k[a] * (cb(b, a) + self.rho[b] * self.rho[a])
        });
        let rhs = DVector::from_fn(nb, |b, _| self.cov_g[b] + self.rho[b] * self.mean_residual - self.w0_cov[b]);
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

/// The leading-order response of the balanced rates to an extra drive
/// `delta` to every I cell (kimchow.md §4.5): with the block means
/// `m[post][pre]` (0 = E, 1 = I) of a network with in-degree `k` from each
/// population, the mean input from population `b` to a neuron of `a` is
/// `k m_ab ν_b = √k J̃_ab ν_b`, so `J̃ = m √k` (ms) and the balance
/// condition `x + J̃ν = 0` with `x_I → x_I + δ/√k` gives
/// `Δν = −J̃⁻¹ (0, δ/√k)ᵀ`: `Δν_E = J̃_EI δ/(√k det J̃)`,
/// `Δν_I = −J̃_EE δ/(√k det J̃)` (spikes/ms). For the initial blocks
/// (`J̃ = (3, −15; 20, −20)`, det 240) and `k = 100`, `δ = 0.5`: −3.1 and
/// −0.6 Hz. `None` if `J̃` is singular.
pub fn isn_response(block_means: [[f64; 2]; 2], k: f64, delta: f64) -> Option<[f64; 2]> {
    let s = k.sqrt();
    let j = [[block_means[0][0] * s, block_means[0][1] * s], [block_means[1][0] * s, block_means[1][1] * s]];
    let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    if !(det.is_finite() && det.abs() > 1e-300) || k <= 0.0 {
        return None;
    }
    let d = delta / s;
    Some([j[0][1] * d / det, -j[0][0] * d / det])
}

/// Whether the block means describe an inhibition-stabilised network in the
/// sense of §4.5: the balanced solution is stable through inhibition
/// (`det J̃ > 0`) while the E←E loop is excitatory (`J̃_EE > 0`), which is
/// exactly when the leading-order I response to extra I drive is negative
/// (paradoxical).
pub fn is_paradoxical(block_means: [[f64; 2]; 2]) -> bool {
    let det = block_means[0][0] * block_means[1][1] - block_means[0][1] * block_means[1][0];
    block_means[0][0] > 0.0 && det > 0.0
}

/// The complementary error function, `erfc(x) = 1 − erf(x)`, by the
/// Chebyshev-fitted exponential of Press et al., *Numerical Recipes* (2nd
/// ed.) §6.2 (`erfcc`), fractional error below 1.2e-7 everywhere.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The standard normal distribution function `Φ(x) = erfc(−x/√2)/2`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The Dale-violation estimate of kimchow.md §4.4 for one block: with the
/// weights of a presynaptic type spread around their mean `mean` with s.d.
/// `sd` (Gaussian), the fraction on the wrong side of zero is
/// `Φ(−|mean|/sd)`. `sd = 0` gives 0.
pub fn dale_violation_estimate(mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 { 0.0 } else { normal_cdf(-mean.abs() / sd) }
}

/// The crude, `K`-independent form of §4.4: `p_viol ≈ Φ(−|J_B| σ_r/σ_f)`
/// with `J_B` the block coupling in code units (`√K` times the weight),
/// `σ_r` the s.d. of a presynaptic trace and `σ_f` the s.d. of the target
/// fluctuations.
pub fn dale_violation_crude(j_b: f64, sigma_r: f64, sigma_f: f64) -> f64 {
    if sigma_f <= 0.0 { 0.0 } else { normal_cdf(-j_b.abs() * sigma_r / sigma_f) }
}

/// Per-block weight statistics of a network (mean and s.d. over the
/// existing synapses of each block `[post][pre]`), the input of the §4.4
/// estimate.
pub fn block_mean_sd(net: &crate::Network) -> [[(f64, f64); 2]; 2] {
    let mut s = [[(0.0f64, 0.0f64, 0usize); 2]; 2];
    let ne = net.n_exc();
    for i in 0..net.n() {
        let b = usize::from(i >= ne);
        for (&j, &w) in net.pre(i).iter().zip(net.weights(i)) {
            let a = usize::from(j as usize >= ne);
            s[b][a].0 += w;
            s[b][a].1 += w * w;
            s[b][a].2 += 1;
        }
    }
    let mut out = [[(0.0, 0.0); 2]; 2];
    for b in 0..2 {
        for a in 0..2 {
            let (sw, sww, c) = s[b][a];
            if c > 0 {
                let m = sw / c as f64;
                out[b][a] = (m, (sww / c as f64 - m * m).max(0.0).sqrt());
            }
        }
    }
    out
}

/// The §4.4 check on a network: the predicted violating fraction of E and
/// of I synapses, `Φ(−|m_B|/s_B)` of each block of that presynaptic type,
/// averaged over the two postsynaptic blocks weighted by their synapse
/// counts (equal here: fixed in-degree, `N_E = N_I`).
pub fn predicted_dale_fractions(net: &crate::Network) -> (f64, f64) {
    let st = block_mean_sd(net);
    let e = 0.5 * (dale_violation_estimate(st[0][0].0, st[0][0].1) + dale_violation_estimate(st[1][0].0, st[1][0].1));
    let i = 0.5 * (dale_violation_estimate(st[0][1].0, st[0][1].1) + dale_violation_estimate(st[1][1].0, st[1][1].1));
    (e, i)
}
