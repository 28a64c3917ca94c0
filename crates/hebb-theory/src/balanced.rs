//! Balanced mean-field theory for P recurrent populations and L external
//! layers (spec `akil.md` §3.1 and §3.2; Akil, Rosenbaum & Josić, PLoS Comput
//! Biol 2021).
//!
//! # Model
//!
//! N recurrent neurons are split into populations a = 1..P of sizes N_a
//! (N = Σ N_a). A neuron of a receives from each neuron of b with probability
//! p_ab a synapse of weight J_ab = j_ab/√N, and from each unit of external
//! layer X (N_X Poisson units at rate r_X, pairwise count correlation c_X)
//! with probability p_aX and weight j_aX/√N. The O(1) mean-field matrices are
//!
//! * W_ab = p_ab · j_ab · N_b / N (P × P),
//! * W_x,aX = p_aX · j_aX · N_X / N (P × L),
//!
//! which for two populations is spec §1.1's W = [[p q_e j_ee, p q_i j_ei],
//! [p q_e j_ie, p q_i j_ii]], W_x = [p q_x j_ex, p q_x j_ix]ᵀ.
//!
//! # Units
//!
//! Rates in kHz (spikes/ms) inside all formulas, times in ms, so counts and
//! count covariances are dimensionless. [`BalancedRates::rates_hz`] converts.

use crate::Keyed;
use hebb_core::ParamError;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Threshold on the reciprocal condition number σ_min/σ_max of W below which
/// W is treated as singular by [`balanced_rates`] and
/// [`leading_order_covariance`].
pub const SINGULAR_RCOND: f64 = 1e-12;

/// Errors of the balanced theory.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TheoryError {
    /// The network description is invalid (field path and allowed values).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// W is singular (or numerically so): the balance equations
    /// W r = −W_x r_x have no unique solution. This happens, for example, when
    /// two populations have identical incoming and outgoing weights (spec
    /// §3.6: E1/E2 with identical weights).
    #[error(
        "the mean-field matrix W is singular: |det W| = {det:.3e} while its entries are of order \
         {scale:.3e} (smallest/largest singular value = {rcond:.3e} < {SINGULAR_RCOND:e}); the balance \
         equations W r = -W_x r_x have no unique solution (e.g. two populations with identical \
         weights, spec akil.md §3.6)"
    )]
    Singular {
        /// Determinant of W.
        det: f64,
        /// Largest absolute entry of W.
        scale: f64,
        /// Reciprocal condition number σ_min/σ_max of W.
        rcond: f64,
    },
    /// Raised only by [`BalancedRates::require_positive`]: the balanced
    /// solution has a rate ≤ 0, so no balanced state with all populations
    /// active exists (spec §3.1 conditions violated).
    #[error(
        "the balanced solution has non-positive rates (no balanced state with all populations \
         active; spec akil.md §3.1): {}",
        fmt_rates(pops, rates_hz)
    )]
    NonPositiveRates {
        /// Population names, in order.
        pops: Vec<String>,
        /// The balanced rates in Hz, including the non-positive ones.
        rates_hz: Vec<f64>,
    },
}

fn fmt_rates(pops: &[String], rates_hz: &[f64]) -> String {
    pops.iter().zip(rates_hz).map(|(p, r)| format!("r_{p} = {r:.4} Hz")).collect::<Vec<_>>().join(", ")
}

/// One projection type (onto a neuron of population a from population or
/// layer b) in mean-field form.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Connection probability p_ab in [0, 1].
    pub p: f64,
    /// Unscaled weight j_ab (mV; the synaptic weight is J = j/√N).
    pub j: f64,
}

impl Link {
    /// A projection with probability `p` and unscaled weight `j`.
    pub const fn new(p: f64, j: f64) -> Self {
        Self { p, j }
    }
}

/// A recurrent population in mean-field form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopMf {
    /// Name used in reports (`"E"`, `"I"`, `"E1"`, ...).
    pub name: String,
    /// Number of neurons N_a (a real number so that fractions q_a N are
    /// allowed).
    pub size: f64,
}

/// An external (feedforward) layer of Poisson units in mean-field form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalMf {
    /// Name used in reports (`"X"`, `"X1"`, ...).
    pub name: String,
    /// Number of units N_X (= q_x N in the spec).
    pub size: f64,
    /// Rate of each unit, in kHz (10 Hz = 0.01).
    pub rate_khz: f64,
    /// Pairwise spike-count correlation c of the units, in [0, 1]. Enters the
    /// input covariance of spec §3.2: C_x = c r_x for c > 0 and r_x / N_X for
    /// c = 0.
    pub c: f64,
    /// Projection onto each recurrent population, in population order
    /// (length P). Use `Link::new(0.0, 0.0)` for no projection.
    pub targets: Vec<Link>,
}

/// A network description for the mean-field theory: plain data,
/// serde-serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeanFieldNetwork {
    /// Recurrent populations; N = Σ sizes.
    pub pops: Vec<PopMf>,
    /// `recurrent[a][b]`: projection onto a from b (P × P).
    pub recurrent: Vec<Vec<Link>>,
    /// External layers.
    pub external: Vec<ExternalMf>,
}

/// The mean-field matrices of a [`MeanFieldNetwork`] (spec §1.1, §3.1,
/// §3.2), as plain nested vectors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanFieldMatrices {
    /// Population names (rows of `w` and `w_x`).
    pub pops: Vec<String>,
    /// External layer names (columns of `w_x`).
    pub externals: Vec<String>,
    /// W_ab = p_ab j_ab N_b / N, `w[a][b]` (P × P).
    pub w: Vec<Vec<f64>>,
    /// W_x,aX = p_aX j_aX N_X / N, `w_x[a][x]` (P × L).
    pub w_x: Vec<Vec<f64>>,
    /// External rates r_X in kHz (length L).
    pub r_x_khz: Vec<f64>,
    /// Diagonal of the input covariance C_x (kHz): c r_X for c > 0, r_X / N_X
    /// for c = 0 (spec §3.2).
    pub c_x_khz: Vec<f64>,
}

impl MeanFieldNetwork {
    /// Total number of recurrent neurons N = Σ_a N_a.
    pub fn n_total(&self) -> f64 {
        self.pops.iter().map(|p| p.size).sum()
    }

    /// Check every field; the error names the offending field, e.g.
    /// `recurrent[1][0].p`.
    pub fn validate(&self) -> Result<(), ParamError> {
        let np = self.pops.len();
        if np == 0 {
            return Err(ParamError::new("pops", "[]", "at least one population"));
        }
        for (i, p) in self.pops.iter().enumerate() {
            if p.name.is_empty() {
                return Err(ParamError::new(format!("pops[{i}].name"), "\"\"", "a non-empty name"));
            }
            if self.pops[..i].iter().any(|q| q.name == p.name) {
                return Err(ParamError::new(
                    format!("pops[{i}].name"),
                    &p.name,
                    "a name not used by another population",
                ));
            }
            hebb_core::check_positive(&format!("pops[{i}].size"), p.size)?;
        }
        if self.recurrent.len() != np {
            return Err(ParamError::new(
                "recurrent",
                format!("{} rows", self.recurrent.len()),
                format!("{np} rows (one per population)"),
            ));
        }
        for (a, row) in self.recurrent.iter().enumerate() {
            if row.len() != np {
                return Err(ParamError::new(
                    format!("recurrent[{a}]"),
                    format!("{} entries", row.len()),
                    format!("{np} entries (one per population)"),
                ));
            }
            for (b, l) in row.iter().enumerate() {
                check_link(&format!("recurrent[{a}][{b}]"), l)?;
            }
        }
        for (x, e) in self.external.iter().enumerate() {
            let f = |s: &str| format!("external[{x}].{s}");
            if e.name.is_empty() {
                return Err(ParamError::new(f("name"), "\"\"", "a non-empty name"));
            }
            hebb_core::check_positive(&f("size"), e.size)?;
            hebb_core::check_non_negative(&f("rate_khz"), e.rate_khz)?;
            hebb_core::check_in_range(&f("c"), e.c, 0.0, 1.0)?;
            if e.targets.len() != np {
                return Err(ParamError::new(
                    f("targets"),
                    format!("{} entries", e.targets.len()),
                    format!("{np} entries (one per population)"),
                ));
            }
            for (a, l) in e.targets.iter().enumerate() {
                check_link(&f(&format!("targets[{a}]")), l)?;
            }
        }
        Ok(())
    }

    /// The mean-field matrices W, W_x, r_x and C_x (validates first).
    pub fn matrices(&self) -> Result<MeanFieldMatrices, TheoryError> {
        let m = Mf::new(self)?;
        let rows = |x: &DMatrix<f64>| (0..x.nrows()).map(|i| x.row(i).iter().copied().collect()).collect();
        Ok(MeanFieldMatrices {
            pops: self.pops.iter().map(|p| p.name.clone()).collect(),
            externals: self.external.iter().map(|e| e.name.clone()).collect(),
            w: rows(&m.w),
            w_x: rows(&m.w_x),
            r_x_khz: m.r_x.iter().copied().collect(),
            c_x_khz: m.c_x.iter().copied().collect(),
        })
    }

    fn pop_names(&self) -> Vec<String> {
        self.pops.iter().map(|p| p.name.clone()).collect()
    }
}

fn check_link(field: &str, l: &Link) -> Result<(), ParamError> {
    hebb_core::check_in_range(&format!("{field}.p"), l.p, 0.0, 1.0)?;
    hebb_core::check_finite(&format!("{field}.j"), l.j)
}

/// Internal nalgebra form of the mean-field matrices.
struct Mf {
    w: DMatrix<f64>,
    w_x: DMatrix<f64>,
    r_x: DVector<f64>,
    c_x: DVector<f64>,
}

impl Mf {
    fn new(net: &MeanFieldNetwork) -> Result<Self, TheoryError> {
        net.validate()?;
        let n = net.n_total();
        let np = net.pops.len();
        let nx = net.external.len();
        let w = DMatrix::from_fn(np, np, |a, b| {
            let l = net.recurrent[a][b];
            l.p * l.j * net.pops[b].size / n
        });
        let w_x = DMatrix::from_fn(np, nx, |a, x| {
            let e = &net.external[x];
            e.targets[a].p * e.targets[a].j * e.size / n
        });
        let r_x = DVector::from_iterator(nx, net.external.iter().map(|e| e.rate_khz));
        let c_x = DVector::from_iterator(
            nx,
            net.external.iter().map(|e| if e.c > 0.0 { e.c * e.rate_khz } else { e.rate_khz / e.size }),
        );
        Ok(Self { w, w_x, r_x, c_x })
    }

    /// LU of W after the singularity check.
    fn lu(&self) -> Result<nalgebra::LU<f64, nalgebra::Dyn, nalgebra::Dyn>, TheoryError> {
        let sv = self.w.clone().svd(false, false).singular_values;
        let smax = sv.max();
        let smin = sv.min();
        let rcond = if smax > 0.0 { smin / smax } else { 0.0 };
        let det = self.w.determinant();
        if rcond.is_nan() || rcond < SINGULAR_RCOND {
            let scale = self.w.amax();
            return Err(TheoryError::Singular { det, scale, rcond });
        }
        Ok(self.w.clone().lu())
    }

    /// Solve W y = rhs (W checked non-singular).
    fn solve(&self, rhs: &DMatrix<f64>) -> Result<DMatrix<f64>, TheoryError> {
        let lu = self.lu()?;
        // Cannot fail after the rcond check; map to Singular anyway rather than panic.
        lu.solve(rhs).ok_or_else(|| TheoryError::Singular {
            det: self.w.determinant(),
            scale: self.w.amax(),
            rcond: 0.0,
        })
    }
}

/// Leading-order balanced rates (spec §3.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalancedRates {
    /// Population names, in order.
    pub pops: Vec<String>,
    /// r = −W⁻¹ W_x r_x, in kHz.
    pub rates_khz: Vec<f64>,
    /// True when every rate is strictly positive. When false, no balanced
    /// state with all populations active exists at leading order (spec §3.1:
    /// for two populations with det W > 0 the condition is
    /// w_ex/w_ix > w_ei/w_ii > w_ee/w_ie); the rates are still returned so that
    /// sweeps can show where balance breaks. Use
    /// [`BalancedRates::require_positive`] to turn this into an error.
    pub positive: bool,
}

impl BalancedRates {
    /// The rates in Hz.
    pub fn rates_hz(&self) -> Vec<f64> {
        self.rates_khz.iter().map(|r| r * 1e3).collect()
    }

    /// The rates in Hz keyed by population name (`{"E": 5.82, "I": 15.9}` in
    /// JSON).
    pub fn hz_by_pop(&self) -> Keyed<f64> {
        Keyed(self.pops.iter().cloned().zip(self.rates_hz()).collect())
    }

    /// `Ok(self)` if every rate is > 0, else [`TheoryError::NonPositiveRates`]
    /// carrying the rates.
    pub fn require_positive(self) -> Result<Self, TheoryError> {
        if self.positive {
            Ok(self)
        } else {
            Err(TheoryError::NonPositiveRates { rates_hz: self.rates_hz(), pops: self.pops })
        }
    }
}

/// Leading-order balanced rates r = −W⁻¹ W_x r_x (spec §3.1; Akil et al.
/// 2021), in kHz.
///
/// Errors: [`TheoryError::Param`] for an invalid description,
/// [`TheoryError::Singular`] when W is (numerically) singular. Non-positive
/// rates are not an error here: they are returned with
/// [`BalancedRates::positive`] = false.
pub fn balanced_rates(net: &MeanFieldNetwork) -> Result<BalancedRates, TheoryError> {
    balanced_rates_corrected(net, &vec![0.0; net.pops.len()])
}

/// Balanced rates with the semi-empirical finite-N correction of spec §3.1:
/// r = −W⁻¹ (W_x r_x + Δ/√N), where Δ (mV/ms, one entry per population) is the
/// measured total synaptic input minus its leading-order prediction
/// √N (W r_sim + W_x r_x). With Δ = 0 this is [`balanced_rates`].
pub fn balanced_rates_corrected(net: &MeanFieldNetwork, delta: &[f64]) -> Result<BalancedRates, TheoryError> {
    let m = Mf::new(net)?;
    let np = net.pops.len();
    if delta.len() != np {
        return Err(ParamError::new(
            "delta",
            format!("{} entries", delta.len()),
            format!("{np} entries (one per population)"),
        )
        .into());
    }
    for (a, d) in delta.iter().enumerate() {
        hebb_core::check_finite(&format!("delta[{a}]"), *d)?;
    }
    let sqrt_n = net.n_total().sqrt();
    let input = &m.w_x * &m.r_x + DVector::from_iterator(np, delta.iter().map(|d| d / sqrt_n));
    let y = m.solve(&DMatrix::from_column_slice(np, 1, input.as_slice()))?;
    let rates_khz: Vec<f64> = y.iter().map(|v| -v).collect();
    let positive = rates_khz.iter().all(|&r| r > 0.0);
    Ok(BalancedRates { pops: net.pop_names(), rates_khz, positive })
}

/// Leading-order spike-count covariances and correlations (spec §3.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CovarianceTheory {
    /// Population names, in order.
    pub pops: Vec<String>,
    /// Counting window T_win in ms.
    pub t_win_ms: f64,
    /// Balanced rates r = −W⁻¹ W_x r_x in kHz (spec §3.1).
    pub rates_khz: Vec<f64>,
    /// Mean count covariance between a neuron of a and a (different) neuron
    /// of b: C̄ = T_win W⁻¹ W_x C_x W_xᵀ W⁻ᵀ, `cov[a][b]` (P × P, symmetric,
    /// dimensionless).
    pub cov: Vec<Vec<f64>>,
    /// Poisson count variance V_a = r_a T_win (Fano factor 1).
    pub variance: Vec<f64>,
    /// Correlations R_ab = C̄_ab / √(V_a V_b); `None` where V_a ≤ 0 or V_b ≤ 0
    /// (a non-positive balanced rate). For a Fano factor F ≠ 1 divide by F.
    pub corr: Vec<Vec<Option<f64>>>,
}

impl CovarianceTheory {
    /// Pair names `"A-B"` for a ≤ b in population order.
    pub fn pair_names(&self) -> Vec<String> {
        pair_names(&self.pops)
    }

    /// Covariances keyed by pair (`{"E-E": .., "E-I": .., "I-I": ..}`).
    pub fn cov_by_pair(&self) -> Keyed<f64> {
        by_pair(&self.pops, |a, b| self.cov[a][b])
    }

    /// Correlations keyed by pair; `None` (JSON `null`) where undefined.
    pub fn corr_by_pair(&self) -> Keyed<Option<f64>> {
        by_pair(&self.pops, |a, b| self.corr[a][b])
    }
}

/// Pair names `"A-B"` for a ≤ b in the given order.
pub fn pair_names(pops: &[String]) -> Vec<String> {
    by_pair(pops, |_, _| ()).0.into_iter().map(|(k, _)| k).collect()
}

fn by_pair<T>(pops: &[String], f: impl Fn(usize, usize) -> T) -> Keyed<T> {
    let mut v = Vec::new();
    for a in 0..pops.len() {
        for b in a..pops.len() {
            v.push((format!("{}-{}", pops[a], pops[b]), f(a, b)));
        }
    }
    Keyed(v)
}

/// Leading-order mean spike-count covariance over windows of `t_win_ms`
/// (spec §3.2, the "input cancellation" formula of Akil et al. 2021):
///
/// C̄ = T_win · W⁻¹ W_x C_x W_xᵀ W⁻ᵀ,
///
/// with C_x diagonal over external layers, C_x = c r_x for c > 0
/// (C̄ = O(1)) and r_x / N_X for c = 0 (C̄ = O(1/N); spec's r_x/(q_x N)).
/// Correlations use Poisson variances V = r T_win.
///
/// Errors as for [`balanced_rates`], plus [`TheoryError::Param`] when
/// `t_win_ms` is not finite and > 0. Non-positive rates are not an error; the
/// affected correlations are `None`.
pub fn leading_order_covariance(net: &MeanFieldNetwork, t_win_ms: f64) -> Result<CovarianceTheory, TheoryError> {
    hebb_core::check_positive("t_win_ms", t_win_ms)?;
    let m = Mf::new(net)?;
    let np = net.pops.len();
    // A = W⁻¹ W_x (P × L).
    let a = m.solve(&m.w_x)?;
    let c = &a * DMatrix::from_diagonal(&m.c_x) * a.transpose() * t_win_ms;
    let r = -(&a * &m.r_x);
    let variance: Vec<f64> = r.iter().map(|ra| ra * t_win_ms).collect();
    let cov: Vec<Vec<f64>> = (0..np).map(|i| (0..np).map(|j| 0.5 * (c[(i, j)] + c[(j, i)])).collect()).collect();
    let corr = (0..np)
        .map(|i| {
            (0..np)
                .map(|j| {
                    let (vi, vj) = (variance[i], variance[j]);
                    (vi > 0.0 && vj > 0.0).then(|| cov[i][j] / (vi * vj).sqrt())
                })
                .collect()
        })
        .collect();
    Ok(CovarianceTheory {
        pops: net.pop_names(),
        t_win_ms,
        rates_khz: r.iter().copied().collect(),
        cov,
        variance,
        corr,
    })
}

/// The two-population (E, I) network of the paper with one external layer X
/// (spec §1.1). [`Default`] gives the paper's defaults: N = 5000, q_e = 0.8,
/// q_i = 0.2, q_x = 0.2, p = 0.1, j_ee = 25, j_ei = −150, j_ie = 112.5,
/// j_ii = −250, j_ex = 180, j_ix = 135, r_x = 10 Hz, c = 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TwoPop {
    /// Number of recurrent neurons N.
    pub n: f64,
    /// Excitatory fraction q_e (q_i = 1 − q_e).
    pub q_e: f64,
    /// External layer size as a fraction of N (N_X = q_x N).
    pub q_x: f64,
    /// Connection probability of every projection.
    pub p: f64,
    /// j onto E from E.
    pub j_ee: f64,
    /// j onto E from I.
    pub j_ei: f64,
    /// j onto I from E.
    pub j_ie: f64,
    /// j onto I from I.
    pub j_ii: f64,
    /// j onto E from X.
    pub j_ex: f64,
    /// j onto I from X.
    pub j_ix: f64,
    /// External rate in kHz.
    pub r_x_khz: f64,
    /// External correlation c.
    pub c: f64,
}

impl Default for TwoPop {
    fn default() -> Self {
        Self {
            n: 5000.0,
            q_e: 0.8,
            q_x: 0.2,
            p: 0.1,
            j_ee: 25.0,
            j_ei: -150.0,
            j_ie: 112.5,
            j_ii: -250.0,
            j_ex: 180.0,
            j_ix: 135.0,
            r_x_khz: 0.01,
            c: 0.0,
        }
    }
}

impl TwoPop {
    /// The general description: populations `E` (q_e N) and `I`
    /// ((1 − q_e) N), external layer `X` (q_x N units).
    pub fn network(&self) -> MeanFieldNetwork {
        let p = self.p;
        MeanFieldNetwork {
            pops: vec![
                PopMf { name: "E".into(), size: self.q_e * self.n },
                PopMf { name: "I".into(), size: (1.0 - self.q_e) * self.n },
            ],
            recurrent: vec![
                vec![Link::new(p, self.j_ee), Link::new(p, self.j_ei)],
                vec![Link::new(p, self.j_ie), Link::new(p, self.j_ii)],
            ],
            external: vec![ExternalMf {
                name: "X".into(),
                size: self.q_x * self.n,
                rate_khz: self.r_x_khz,
                c: self.c,
                targets: vec![Link::new(p, self.j_ex), Link::new(p, self.j_ix)],
            }],
        }
    }
}
