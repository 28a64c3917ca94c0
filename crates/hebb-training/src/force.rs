//! FORCE: a linear readout trained by RLS with one shared `P`
//! (kimchow.md §6; Sussillo & Abbott 2009; Nicola & Clopath 2017).
//!
//! The readout `z = Φᵀr` decodes `k` outputs from `M` filtered rates `r`;
//! only the decoder `Φ` (`M × k`, initially 0) is learned. Fixed random
//! feedback encoders `E` (`N × k`, [`FeedbackEncoders`]) send `Ez` back into
//! the network, so the effective recurrent change `EΦᵀ` has rank `k`.
//! Nothing here knows about the network: [`Readout`] composes with any rate
//! or spiking network that supplies `r` and consumes `z`.

use crate::error::{Result, TrainingError, check_all_finite, check_len};
use crate::kernel::{dense_row_fused, dot};
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use nalgebra::DMatrix;
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A trainable linear readout of a network's filtered rates
/// (ecosystem.md §1.9).
pub trait Readout {
    /// Number of input rates `M`.
    fn n_inputs(&self) -> usize;
    /// Number of outputs `k`.
    fn n_outputs(&self) -> usize;
    /// The output `z` for the rates `r` (lengths `M` and `k`).
    fn output(&self, rates: &[f64], z: &mut [f64]) -> Result<()>;
    /// One learning step with the a-priori error `e = z − x(t)` computed from
    /// the same `rates` by [`Readout::output`].
    fn update(&mut self, error: &[f64], rates: &[f64]) -> Result<()>;
}

/// Form of the decoder step (an open choice of the spec, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecoderStep {
    /// `Φ ← Φ − c k eᵀ` with `c = 1/(1 + rᵀk)`: exact RLS, equal to batch
    /// ridge regression with regulariser `1/α` (the default).
    #[default]
    Normalised,
    /// `Φ ← Φ − k eᵀ`, as Nicola & Clopath's reference code (`LIFFORCESINE.m`).
    Reference,
}

/// Configuration of [`ForceReadout`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForceConfig {
    /// `P₀ = αI`, `α > 0` (the inverse ridge). Units: (rate unit)⁻². The
    /// reference uses `α = 0.1·dt` with `dt` in s and rates in 1/s; with
    /// rates in 1/ms the equivalent is about 5 ms² (§6.1 "Units").
    pub alpha: f64,
    /// Decoder step form.
    pub step: DecoderStep,
    /// Row-parallel mat-vec and downdate on the current rayon pool
    /// (bit-identical to serial).
    pub parallel: bool,
}

impl Default for ForceConfig {
    fn default() -> Self {
        Self { alpha: 5.0, step: DecoderStep::Normalised, parallel: true }
    }
}

/// A shared inverse-correlation matrix `P` (`M × M`, full row-major f64)
/// with the fused update of kimchow.md §8.1: the rank-1 downdate of one
/// update is applied inside the next update's mat-vec (one sweep).
///
/// The downdate is stored as `s = √c·k` so `P_ab −= s_a s_b` keeps the full
/// matrix exactly symmetric. Rows are independent, so the row-parallel sweep
/// is bit-identical to serial.
#[derive(Debug, Clone)]
pub struct SharedP {
    n: usize,
    p: Vec<f64>,
    s: Vec<f64>,
    k: Vec<f64>,
    pending: bool,
    n_updates: u64,
}

impl SharedP {
    /// `P₀ = αI` on `n` inputs.
    pub fn new(n: usize, alpha: f64) -> Result<Self> {
        hebb_core::check_positive("force.alpha", alpha)?;
        let max = ((isize::MAX as usize / 8) as f64).sqrt() as usize;
        if n == 0 || n > max {
            return Err(
                ParamError::new("force.n_inputs", n, format!("an integer in [1, {max}] (P holds n^2 f64)")).into()
            );
        }
        let mut p = vec![0.0; n * n];
        for a in 0..n {
            p[a * n + a] = alpha;
        }
        Ok(Self { n, p, s: vec![0.0; n], k: vec![0.0; n], pending: false, n_updates: 0 })
    }
    /// Dimension `M`.
    pub fn dim(&self) -> usize {
        self.n
    }
    /// Number of updates done.
    pub fn n_updates(&self) -> u64 {
        self.n_updates
    }
    /// `k = P_{n−1} r` of the last update.
    pub fn k(&self) -> &[f64] {
        &self.k
    }

    /// One RLS step on `r`: `k = Pr`, `c = 1/(1 + rᵀk)`, `P ← P − c kkᵀ`
    /// (deferred into the next call). Returns `c`; `k` is in [`SharedP::k`].
    pub fn gain(&mut self, r: &[f64], parallel: bool) -> Result<f64> {
        check_len("rates", r.len(), self.n, "the readout's number of inputs")?;
        let n = self.n;
        let s = &self.s;
        let pend = self.pending;
        let op = |(a, (row, ka)): (usize, (&mut [f64], &mut f64))| {
            *ka = dense_row_fused(row, pend.then(|| (s[a], &s[..])), r);
        };
        if parallel {
            self.p.par_chunks_mut(n).zip(self.k.par_iter_mut()).enumerate().for_each(op);
        } else {
            self.p.chunks_mut(n).zip(self.k.iter_mut()).enumerate().for_each(op);
        }
        let c = 1.0 / (1.0 + dot(r, &self.k));
        if !(c.is_finite() && c > 0.0) {
            return Err(TrainingError::Numerical { what: "force", row: 0, detail: format!("c = 1/(1 + r.P r) = {c}") });
        }
        let sc = c.sqrt();
        for (sa, ka) in self.s.iter_mut().zip(&self.k) {
            *sa = sc * ka;
        }
        self.pending = true;
        self.n_updates += 1;
        Ok(c)
    }

    /// Apply the pending downdate.
    pub fn flush(&mut self, parallel: bool) {
        if !self.pending {
            return;
        }
        let n = self.n;
        let s = &self.s;
        let op = |(a, row): (usize, &mut [f64])| {
            for (x, sb) in row.iter_mut().zip(s) {
                *x -= s[a] * sb;
            }
        };
        if parallel {
            self.p.par_chunks_mut(n).enumerate().for_each(op);
        } else {
            self.p.chunks_mut(n).enumerate().for_each(op);
        }
        self.pending = false;
    }

    /// The true current `P` (including a pending downdate) as a matrix.
    pub fn to_dense(&self) -> DMatrix<f64> {
        let n = self.n;
        DMatrix::from_fn(n, n, |a, b| {
            let x = self.p[a * n + b];
            if self.pending { x - self.s[a] * self.s[b] } else { x }
        })
    }
}

/// FORCE readout: a decoder `Φ` (`M × k`) trained by shared-`P` RLS.
#[derive(Debug, Clone)]
pub struct ForceReadout {
    cfg: ForceConfig,
    p: SharedP,
    phi: Vec<f64>,
    k_out: usize,
}

impl ForceReadout {
    /// A readout of `n_inputs` rates onto `n_outputs` outputs, `Φ = 0`.
    pub fn new(n_inputs: usize, n_outputs: usize, cfg: ForceConfig) -> Result<Self> {
        if n_outputs == 0 || n_inputs.checked_mul(n_outputs).is_none_or(|x| x > isize::MAX as usize / 8) {
            return Err(ParamError::new(
                "force.n_outputs",
                n_outputs,
                "an integer >= 1 with n_inputs * n_outputs f64 addressable",
            )
            .into());
        }
        Ok(Self { p: SharedP::new(n_inputs, cfg.alpha)?, phi: vec![0.0; n_inputs * n_outputs], k_out: n_outputs, cfg })
    }
    /// The configuration.
    pub fn config(&self) -> &ForceConfig {
        &self.cfg
    }
    /// The decoder, row-major `M × k` (row `j` = input `j`).
    pub fn decoder(&self) -> &[f64] {
        &self.phi
    }
    /// The decoder as a matrix `M × k`.
    pub fn decoder_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.p.dim(), self.k_out, &self.phi)
    }
    /// The shared `P`.
    pub fn shared_p(&self) -> &SharedP {
        &self.p
    }
    /// Output, error and update in one call: writes `z = Φᵀr` (before the
    /// update) into `z` and learns from `e = z − target`.
    pub fn train_step(&mut self, rates: &[f64], target: &[f64], z: &mut [f64]) -> Result<()> {
        check_len("target", target.len(), self.k_out, "the readout's number of outputs")?;
        self.output(rates, z)?;
        let e: Vec<f64> = z.iter().zip(target).map(|(a, b)| a - b).collect();
        check_all_finite("target", target)?;
        self.update(&e, rates)
    }
}

impl Readout for ForceReadout {
    fn n_inputs(&self) -> usize {
        self.p.dim()
    }
    fn n_outputs(&self) -> usize {
        self.k_out
    }
    fn output(&self, rates: &[f64], z: &mut [f64]) -> Result<()> {
        check_len("rates", rates.len(), self.p.dim(), "the readout's number of inputs")?;
        check_len("z", z.len(), self.k_out, "the readout's number of outputs")?;
        z.fill(0.0);
        for (row, &r) in self.phi.chunks_exact(self.k_out).zip(rates) {
            for (zo, &f) in z.iter_mut().zip(row) {
                *zo += f * r;
            }
        }
        Ok(())
    }
    fn update(&mut self, error: &[f64], rates: &[f64]) -> Result<()> {
        check_len("error", error.len(), self.k_out, "the readout's number of outputs")?;
        check_all_finite("error", error)?;
        check_all_finite("rates", rates)?;
        let c = self.p.gain(rates, self.cfg.parallel)?;
        let scale = match self.cfg.step {
            DecoderStep::Normalised => c,
            DecoderStep::Reference => 1.0,
        };
        for (row, &ka) in self.phi.chunks_exact_mut(self.k_out).zip(self.p.k()) {
            for (f, &e) in row.iter_mut().zip(error) {
                *f -= scale * ka * e;
            }
        }
        Ok(())
    }
}

/// Projection id of the encoder streams
/// (`stream(seed, Connectivity, [ENCODER_PROJECTION, neuron])`).
pub const ENCODER_PROJECTION: u64 = 0x7E4C_0002;

/// Fixed random feedback encoders `E` (`N × k`), entries `q·U(−1, 1)`
/// (Nicola & Clopath: `q = 10`). Row `i` is drawn from its own stream.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackEncoders {
    n: usize,
    k: usize,
    e: Vec<f64>,
}

impl FeedbackEncoders {
    /// Draw `E` for `n` neurons and `k` outputs with amplitude `q ≥ 0`.
    pub fn random(n: usize, k: usize, q: f64, seed: u64) -> Result<Self> {
        hebb_core::check_non_negative("force.encoder_amplitude", q)?;
        if n == 0 || k == 0 || n.checked_mul(k).is_none_or(|x| x > isize::MAX as usize / 8) {
            return Err(ParamError::new(
                "force.encoders",
                format!("{n} x {k}"),
                "n >= 1 and k >= 1, n * k f64 addressable",
            )
            .into());
        }
        let mut e = Vec::with_capacity(n * k);
        for i in 0..n {
            let mut rng = stream(seed, Purpose::Connectivity, &[ENCODER_PROJECTION, i as u64]);
            for _ in 0..k {
                e.push(q * (2.0 * rng.random::<f64>() - 1.0));
            }
        }
        Ok(Self { n, k, e })
    }
    /// Use a given row-major `n × k` matrix.
    pub fn from_row_major(n: usize, k: usize, e: Vec<f64>) -> Result<Self> {
        check_len("force.encoders", e.len(), n * k, "n * k entries")?;
        check_all_finite("force.encoders", &e)?;
        Ok(Self { n, k, e })
    }
    /// The matrix, row-major `N × k`.
    pub fn as_row_major(&self) -> &[f64] {
        &self.e
    }
    /// The matrix `N × k`.
    pub fn matrix(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.n, self.k, &self.e)
    }
    /// The feedback `out = E z` (length `N`).
    pub fn feedback(&self, z: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("z", z.len(), self.k, "the number of encoder columns")?;
        check_len("out", out.len(), self.n, "the number of encoder rows")?;
        for (o, row) in out.iter_mut().zip(self.e.chunks_exact(self.k)) {
            *o = row.iter().zip(z).map(|(a, b)| a * b).sum();
        }
        Ok(())
    }
}
