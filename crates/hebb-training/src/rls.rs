//! Per-neuron recursive least squares on recurrent weights with the ROWSUM
//! penalty (kimchow.md §3.2–§3.5, §8).

use crate::arena::PackedArena;
use crate::error::{Result, TrainingError, check_all_finite, check_len};
use crate::inputs::{GroupRange, PlasticInputs};
use crate::kernel::{dot, fused_downdate_symv, packed_index, rank1_downdate, symv};
use crate::real::{Precision, Real};
use hebb_connectivity::Csr;
use hebb_core::ParamError;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The ROWSUM penalty `μ Σ_B (1_B·Δw)²` on changes of each group's summed
/// weight (kimchow.md §3.2–§3.3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Rowsum {
    /// No ROWSUM penalty (`μ = 0`): plain L2 (`Q = λI`).
    Off,
    /// Finite penalty `μ > 0`, as in the group's code (`Q = λI + μ Σ_B 1_B1_Bᵀ`).
    Soft {
        /// Penalty strength `μ` (the spec's run sets use 8; TrainSpikingNet 0.01).
        mu: f64,
    },
    /// The `μ → ∞` limit: least squares under `1_B·Δw = 0` for every group,
    /// with `P₀ = Π/λ` and `k` re-projected onto zero group sums before each
    /// weight step (kimchow.md §3.3 item 3, §3.5).
    Hard,
}

impl Rowsum {
    /// The Sherman–Morrison coefficient of group `B` in the closed-form
    /// `P₀ = λ⁻¹[I − Σ_B coef_B 1_B1_Bᵀ]` (kimchow.md §3.4): `μ/(λ + μK_B)`
    /// (soft), `1/K_B` (hard), 0 (off).
    pub fn group_coefficient(&self, lambda: f64, k_b: usize) -> f64 {
        match *self {
            Rowsum::Off => 0.0,
            Rowsum::Soft { mu } => mu / (lambda + mu * k_b as f64),
            Rowsum::Hard => 1.0 / k_b as f64,
        }
    }
    /// `μ` as a number (`∞` for hard, 0 for off).
    pub fn mu(&self) -> f64 {
        match *self {
            Rowsum::Off => 0.0,
            Rowsum::Soft { mu } => mu,
            Rowsum::Hard => f64::INFINITY,
        }
    }
}

/// Configuration of [`Rls`].
///
/// Defaults: `λ = 0.5`, soft ROWSUM with `μ = 8` (the spec's recommended
/// run set 2, kimchow.md §10), fused update, parallel over neurons, f64.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RlsConfig {
    /// L2 regulariser `λ > 0` (the spec's range 0.04–0.8; unknown for the paper).
    pub lambda: f64,
    /// ROWSUM mode and `μ`.
    pub rowsum: Rowsum,
    /// Fuse each update's rank-1 downdate into the next update's mat-vec
    /// (one sweep over `P` per update; kimchow.md §8.1). The pending
    /// downdate is applied by [`Rls::flush`] and whenever `P` is read.
    pub fused: bool,
    /// Update the neurons in parallel on the current rayon pool
    /// (bit-identical to serial for any thread count).
    pub parallel: bool,
    /// Scalar type of the `P` arena; must match the `T` of [`Rls<T>`], or
    /// pick it at run time through [`AnyRls`].
    pub precision: Precision,
}

impl Default for RlsConfig {
    fn default() -> Self {
        Self { lambda: 0.5, rowsum: Rowsum::Soft { mu: 8.0 }, fused: true, parallel: true, precision: Precision::F64 }
    }
}

impl RlsConfig {
    /// Check `λ` (finite, > 0) and `μ` (finite, > 0 in soft mode).
    pub fn validate(&self) -> Result<()> {
        hebb_core::check_positive("rls.lambda", self.lambda)?;
        if let Rowsum::Soft { mu } = self.rowsum {
            hebb_core::check_positive("rls.rowsum.mu", mu)?;
        }
        Ok(())
    }
}

/// Per-neuron RLS trainer of recurrent weights (kimchow.md §3.5).
///
/// Row `i` (trained neuron `inputs.trained()[i]`) holds its weights `w_i`
/// over its existing presynaptic partners and a packed symmetric `P_i` in one
/// shared [`PackedArena`]. After `n` updates the weights minimise exactly
/// `C_n(w) = Σ_m (w·r_m + h_m − f_m)² + (w − w⁰)ᵀQ(w − w⁰)` with
/// `Q = λI + μΣ_B 1_B1_Bᵀ` (kimchow.md §3.2, §4.1). Each update, for each row:
///
/// 1. `ρ = r_{P_i}(t_m)`; 2. `k = Pρ`, `c = 1/(1 + ρ·k)`; 3. `P ← P − c kkᵀ`;
/// 4. `e = w·ρ + h − f` (a-priori); 5. `w ← w − c e k` (with `k` projected
///    onto zero group sums in the hard mode).
///
/// `P` is never reset and has no forgetting factor. `P` arithmetic runs in
/// `T` (f64 default, f32 optional); weights, errors and the weight step are
/// always f64.
#[derive(Debug, Clone)]
pub struct Rls<T: Real = f64> {
    inputs: PlasticInputs,
    cfg: RlsConfig,
    arena: PackedArena<T>,
    w: Vec<f64>,
    k_pending: Vec<T>,
    k_new: Vec<T>,
    rho: Vec<T>,
    c: Vec<T>,
    pending: bool,
    errors: Vec<f64>,
    n_updates: u64,
}

struct RowView<'a, T> {
    p: &'a mut [T],
    kp: &'a mut [T],
    kn: &'a mut [T],
    rho: &'a mut [T],
    w: &'a mut [f64],
    c: &'a mut T,
    err: &'a mut f64,
}

/// Fill block `p` (dimension `k`) with the closed-form `P₀` of kimchow.md §3.4.
pub(crate) fn fill_p0<T: Real>(p: &mut [T], k: usize, groups: &[GroupRange], lambda: f64, rowsum: Rowsum) {
    p.fill(T::ZERO);
    for a in 0..k {
        p[packed_index(k, a, a)] = T::from_f64(1.0 / lambda);
    }
    if rowsum == Rowsum::Off {
        return;
    }
    for g in groups {
        let coef = rowsum.group_coefficient(lambda, g.len());
        let r = g.range();
        for a in r.clone() {
            for b in a..r.end {
                let delta = if a == b { 1.0 } else { 0.0 };
                p[packed_index(k, a, b)] = T::from_f64((delta - coef) / lambda);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn update_row<T: Real>(
    v: RowView<'_, T>,
    pre: &[u32],
    groups: &[GroupRange],
    traces: &[f64],
    h: f64,
    f: f64,
    fused: bool,
    pending: bool,
    hard: bool,
) {
    let kdim = pre.len();
    // a-priori error e = w·ρ + h − f (f64, pre-update weights), and gather ρ.
    let mut e = 0.0f64;
    for ((x, &j), &wj) in v.rho.iter_mut().zip(pre).zip(v.w.iter()) {
        let r = traces[j as usize];
        *x = T::from_f64(r);
        e += wj * r;
    }
    let e = e + h - f;
    *v.err = e;
    if kdim == 0 {
        *v.c = T::ONE;
        return;
    }
    if fused && pending {
        fused_downdate_symv(v.p, kdim, v.kp, *v.c, v.rho, v.kn);
    } else {
        symv(v.p, kdim, v.rho, v.kn);
    }
    let c = T::ONE / (T::ONE + dot(v.rho, v.kn));
    *v.c = c;
    if !(c.finite() && c > T::ZERO) {
        return; // reported by the caller; the state is unspecified
    }
    if fused {
        v.kp.copy_from_slice(v.kn);
    } else {
        rank1_downdate(v.p, kdim, v.kn, c);
    }
    let ce = c.to_f64() * e;
    if hard {
        let mut covered = 0;
        for g in groups {
            let r = g.range();
            let mean = v.kn[r.clone()].iter().map(|x| x.to_f64()).sum::<f64>() / g.len() as f64;
            for j in r {
                v.w[j] -= ce * (v.kn[j].to_f64() - mean);
            }
            covered = g.end as usize;
        }
        for j in covered..kdim {
            v.w[j] -= ce * v.kn[j].to_f64();
        }
    } else {
        for (wj, kj) in v.w.iter_mut().zip(v.kn.iter()) {
            *wj -= ce * kj.to_f64();
        }
    }
}

impl<T: Real> Rls<T> {
    /// Set up the trainer: weights start at the inputs' `w⁰`, every `P_i`
    /// at the closed-form `P₀ = Q⁻¹` of its groups (kimchow.md §3.4).
    pub fn new(inputs: PlasticInputs, cfg: RlsConfig) -> Result<Self> {
        cfg.validate()?;
        if cfg.precision != T::PRECISION {
            return Err(ParamError::new(
                "rls.precision",
                format!("{:?}", cfg.precision),
                format!("{:?} for this arena type (use AnyRls to choose at run time)", T::PRECISION),
            )
            .into());
        }
        let m = inputs.n_rows();
        let dims: Vec<usize> = (0..m).map(|i| inputs.k_p(i)).collect();
        let mut arena = PackedArena::<T>::zeros(dims);
        for i in 0..m {
            let k = arena.dim(i);
            fill_p0(arena.block_mut(i), k, inputs.groups(i), cfg.lambda, cfg.rowsum);
        }
        let n_syn = inputs.n_plastic();
        Ok(Self {
            w: inputs.initial_weights_flat().to_vec(),
            k_pending: vec![T::ZERO; n_syn],
            k_new: vec![T::ZERO; n_syn],
            rho: vec![T::ZERO; n_syn],
            c: vec![T::ZERO; m],
            pending: false,
            errors: vec![0.0; m],
            n_updates: 0,
            inputs,
            cfg,
            arena,
        })
    }

    /// The plastic inputs (structure and `w⁰`).
    pub fn inputs(&self) -> &PlasticInputs {
        &self.inputs
    }
    /// The configuration.
    pub fn config(&self) -> &RlsConfig {
        &self.cfg
    }
    /// Number of updates done.
    pub fn n_updates(&self) -> u64 {
        self.n_updates
    }
    /// Current weights of row `i`, aligned with `inputs().pre(i)`.
    pub fn weights(&self, i: usize) -> &[f64] {
        &self.w[self.inputs.row_range(i)]
    }
    /// All current weights, row after row.
    pub fn weights_flat(&self) -> &[f64] {
        &self.w
    }
    /// All current weights, mutable (e.g. to prune synapses after training;
    /// the least-squares equivalence of §4.1 no longer holds afterwards).
    pub fn weights_flat_mut(&mut self) -> &mut [f64] {
        &mut self.w
    }
    /// The a-priori errors `e_i = w_i·ρ_i + h_i − f_i` of the last update.
    pub fn errors(&self) -> &[f64] {
        &self.errors
    }
    /// The gain `c_i = 1/(1 + ρ·Pρ)` of row `i` at the last update.
    pub fn gain(&self, i: usize) -> f64 {
        self.c[i].to_f64()
    }
    /// The arena. With `fused = true` it may lag one rank-1 downdate behind
    /// the true `P` unless [`Rls::is_flushed`]; call [`Rls::flush`] first.
    pub fn arena(&self) -> &PackedArena<T> {
        &self.arena
    }
    /// Whether the arena holds the true `P` (no downdate pending).
    pub fn is_flushed(&self) -> bool {
        !self.pending
    }
    /// Bytes held by the arena and the per-synapse buffers.
    pub fn memory_bytes(&self) -> usize {
        self.arena.memory_bytes()
            + (self.k_pending.len() + self.k_new.len() + self.rho.len()) * std::mem::size_of::<T>()
            + self.w.len() * 8
    }

    /// `P_i` as a dense f64 matrix, including a pending downdate.
    pub fn p_dense(&self, i: usize) -> DMatrix<f64> {
        let mut p = self.arena.to_dense(i);
        if self.pending {
            let c = self.c[i].to_f64();
            let r = self.inputs.row_range(i);
            let k: Vec<f64> = self.k_pending[r].iter().map(|x| x.to_f64()).collect();
            for a in 0..k.len() {
                for b in 0..k.len() {
                    p[(a, b)] -= c * k[a] * k[b];
                }
            }
        }
        p
    }

    /// Apply the pending rank-1 downdates, so the arena holds the true `P`.
    pub fn flush(&mut self) {
        if !self.pending {
            return;
        }
        let Self { inputs, arena, k_pending, c, cfg, .. } = self;
        let rows = inputs.row_ptr();
        let blocks: Vec<(&mut [T], &[T], T, usize)> = arena
            .blocks_mut()
            .into_iter()
            .enumerate()
            .map(|(i, b)| (b, &k_pending[rows[i]..rows[i + 1]], c[i], rows[i + 1] - rows[i]))
            .collect();
        let op = |(p, k, ci, kd): (&mut [T], &[T], T, usize)| rank1_downdate(p, kd, k, ci);
        if cfg.parallel {
            blocks.into_par_iter().for_each(op);
        } else {
            blocks.into_iter().for_each(op);
        }
        self.pending = false;
    }

    /// One RLS update of every trained row at a learning time `t_m`.
    ///
    /// * `traces`: the filtered presynaptic traces `r(t_m)`, length `n_pre`;
    /// * `bias`: the non-plastic input `h_i(t_m)` of each row;
    /// * `target`: the target `f_i(t_m)` of each row.
    ///
    /// Returns the a-priori errors `e_i = w_i·ρ_i + h_i − f_i`. New weights
    /// should act from the next simulation step.
    pub fn update(&mut self, traces: &[f64], bias: &[f64], target: &[f64]) -> Result<&[f64]> {
        let m = self.inputs.n_rows();
        check_len("traces", traces.len(), self.inputs.n_pre(), "the number of presynaptic neurons")?;
        check_len("bias", bias.len(), m, "the number of trained rows")?;
        check_len("target", target.len(), m, "the number of trained rows")?;
        check_all_finite("traces", traces)?;
        check_all_finite("bias", bias)?;
        check_all_finite("target", target)?;
        let Self { inputs, cfg, arena, w, k_pending, k_new, rho, c, pending, errors, .. } = self;
        let rows = inputs.row_ptr();
        let mut views = Vec::with_capacity(m);
        let mut kp_rest = &mut k_pending[..];
        let mut kn_rest = &mut k_new[..];
        let mut rho_rest = &mut rho[..];
        let mut w_rest = &mut w[..];
        for (i, ((p, ci), ei)) in arena.blocks_mut().into_iter().zip(c.iter_mut()).zip(errors.iter_mut()).enumerate() {
            let kd = rows[i + 1] - rows[i];
            let (kp, t) = std::mem::take(&mut kp_rest).split_at_mut(kd);
            kp_rest = t;
            let (kn, t) = std::mem::take(&mut kn_rest).split_at_mut(kd);
            kn_rest = t;
            let (rh, t) = std::mem::take(&mut rho_rest).split_at_mut(kd);
            rho_rest = t;
            let (wi, t) = std::mem::take(&mut w_rest).split_at_mut(kd);
            w_rest = t;
            views.push(RowView { p, kp, kn, rho: rh, w: wi, c: ci, err: ei });
        }
        let fused = cfg.fused;
        let was_pending = *pending;
        let hard = cfg.rowsum == Rowsum::Hard;
        let inputs_ref = &*inputs;
        let op = |(i, v): (usize, RowView<'_, T>)| {
            update_row(v, inputs_ref.pre(i), inputs_ref.groups(i), traces, bias[i], target[i], fused, was_pending, hard)
        };
        if cfg.parallel {
            views.into_par_iter().enumerate().for_each(op);
        } else {
            views.into_iter().enumerate().for_each(op);
        }
        *pending = fused;
        self.n_updates += 1;
        if let Some(i) = self.c.iter().position(|x| !(x.finite() && *x > T::ZERO)) {
            return Err(TrainingError::Numerical {
                what: "rls",
                row: i,
                detail: format!("c = 1/(1 + rho.P rho) = {:?}", self.c[i]),
            });
        }
        Ok(&self.errors)
    }

    /// The plastic input `w_i·r_{P_i}` of every row from the current weights
    /// (the input computation (a) of kimchow.md §2.2), written to `out`.
    pub fn plastic_input(&self, traces: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("traces", traces.len(), self.inputs.n_pre(), "the number of presynaptic neurons")?;
        check_len("out", out.len(), self.inputs.n_rows(), "the number of trained rows")?;
        let op = |(i, o): (usize, &mut f64)| {
            let r = self.inputs.row_range(i);
            *o = self.w[r.clone()]
                .iter()
                .zip(&self.inputs.pre_flat()[r])
                .map(|(w, &j)| w * traces[j as usize])
                .fold(0.0, |a, b| a + b);
        };
        if self.cfg.parallel {
            out.par_iter_mut().enumerate().for_each(op);
        } else {
            out.iter_mut().enumerate().for_each(op);
        }
        Ok(())
    }

    /// Summed weight `1_B·w_i` of each ROWSUM group of row `i`, in the order
    /// of `inputs().groups(i)`.
    pub fn group_sums(&self, i: usize) -> Vec<f64> {
        let w = self.weights(i);
        self.inputs.groups(i).iter().map(|g| w[g.range()].iter().sum()).collect()
    }

    /// Write the current weights into the CSR the inputs were built from
    /// ([`PlasticInputs::from_csr`]).
    pub fn write_to_csr(&self, csr: &mut Csr) -> Result<()> {
        self.inputs.write_to_csr(&self.w, csr)
    }
}

/// An [`Rls`] whose arena precision is chosen at run time from
/// [`RlsConfig::precision`].
#[derive(Debug, Clone)]
pub enum AnyRls {
    /// f64 arena.
    F64(Rls<f64>),
    /// f32 arena.
    F32(Rls<f32>),
}

macro_rules! any_rls {
    ($self:expr, $r:ident => $e:expr) => {
        match $self {
            AnyRls::F64($r) => $e,
            AnyRls::F32($r) => $e,
        }
    };
}

impl AnyRls {
    /// Build with the precision named in `cfg.precision`.
    pub fn new(inputs: PlasticInputs, cfg: RlsConfig) -> Result<Self> {
        Ok(match cfg.precision {
            Precision::F64 => AnyRls::F64(Rls::new(inputs, cfg)?),
            Precision::F32 => AnyRls::F32(Rls::new(inputs, cfg)?),
        })
    }
    /// See [`Rls::update`].
    pub fn update(&mut self, traces: &[f64], bias: &[f64], target: &[f64]) -> Result<&[f64]> {
        any_rls!(self, r => r.update(traces, bias, target))
    }
    /// See [`Rls::flush`].
    pub fn flush(&mut self) {
        any_rls!(self, r => r.flush())
    }
    /// See [`Rls::weights`].
    pub fn weights(&self, i: usize) -> &[f64] {
        any_rls!(self, r => r.weights(i))
    }
    /// See [`Rls::weights_flat`].
    pub fn weights_flat(&self) -> &[f64] {
        any_rls!(self, r => r.weights_flat())
    }
    /// See [`Rls::inputs`].
    pub fn inputs(&self) -> &PlasticInputs {
        any_rls!(self, r => r.inputs())
    }
    /// See [`Rls::n_updates`].
    pub fn n_updates(&self) -> u64 {
        any_rls!(self, r => r.n_updates())
    }
    /// See [`Rls::p_dense`].
    pub fn p_dense(&self, i: usize) -> DMatrix<f64> {
        any_rls!(self, r => r.p_dense(i))
    }
    /// See [`Rls::plastic_input`].
    pub fn plastic_input(&self, traces: &[f64], out: &mut [f64]) -> Result<()> {
        any_rls!(self, r => r.plastic_input(traces, out))
    }
    /// See [`Rls::group_sums`].
    pub fn group_sums(&self, i: usize) -> Vec<f64> {
        any_rls!(self, r => r.group_sums(i))
    }
    /// See [`Rls::errors`].
    pub fn errors(&self) -> &[f64] {
        any_rls!(self, r => r.errors())
    }
    /// See [`Rls::config`].
    pub fn config(&self) -> &RlsConfig {
        any_rls!(self, r => r.config())
    }
    /// See [`Rls::memory_bytes`].
    pub fn memory_bytes(&self) -> usize {
        any_rls!(self, r => r.memory_bytes())
    }
}
