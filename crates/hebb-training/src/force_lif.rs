//! FORCE training of a spiking LIF network (kimchow.md §6.1), after
//! W. Nicola and C. Clopath, *Supervised learning in spiking neural networks
//! with FORCE training*, Nat. Commun. 8:2208 (2017), their LIF example with a
//! 5-Hz sine target (ModelDB 190565, `LIFFORCESINE.m`; our own code, in ms).
//!
//! **Model** (units: ms and mV; the reference uses s, which rescales only
//! the filtered rates and the RLS constant, see [`LifForceConfig::alpha`]):
//!
//! * `N` LIF neurons, `τ_m dv/dt = −v + I_syn + E z + b`, `b = v_peak`
//!   (−40 mV), frozen for `τ_ref = 2` ms after a spike; a spike when
//!   `v ≥ v_peak`, then `v ← v_reset = −65` mV. Forward Euler, `dt = 0.05`
//!   ms; initial `v ~ U(v_reset, 30)`.
//! * Static weights `Ω_ij = G·N(0,1)·Bernoulli(p)/(√N p)`, `p = 0.1`,
//!   each row's non-zeros shifted to zero mean. The reference's `G = 0.04`
//!   is in seconds (its comment says so): a spike's charge `Ω` moves `v` by
//!   `Ω/τ_m`, so with `τ_m` in ms the same network needs `G = 40` here.
//!   (With `G = 0.04` in ms the recurrent kicks are 10³ times too weak, the
//!   network is not chaotic, and FORCE fails: test correlation ≈ 0.)
//! * Double-exponential synapses (`τ_r = 2`, `τ_d = 20` ms, unit area) for
//!   the recurrent current and for the readout traces `r`:
//!   `I ← I e^{−dt/τ_r} + h dt`, `h ← h e^{−dt/τ_d} + Σ_{j spiked} Ω_{:j}/(τ_r τ_d)`,
//!   and the same for `r` with spike indicators.
//! * Readout `z = Φᵀ r` (`Φ` starts at 0) fed back through fixed encoders
//!   `E ~ Q·U(−1, 1)`, `Q = 10` ([`FeedbackEncoders`]): the learned change
//!   of the recurrent connectivity is `EΦᵀ`, of rank `k = 1`.
//! * RLS with one shared `P` ([`ForceReadout`]) every `learn_every` steps
//!   inside the learning window; the decoder step is the normalised one by
//!   default (the reference's unnormalised step is [`DecoderStep::Reference`]).
//!
//! **Step order** (the reference's): input from the previous step's `z` and
//! currents; membrane update of non-refractory neurons; threshold; the
//! currents and traces take the new spikes (`I` first decays and
//! integrates the *old* `h`, so a spike reaches `I` one step later); the
//! output `z = Φᵀ r`; an RLS update on learning steps with the a-priori
//! error `z − x(t)`; reset of the spiking neurons.
//!
//! **Task**: `x(t) = A sin(2π f t)`, `f = 5` Hz, `A = 1`. The reference runs
//! 15 s with learning from 5 to 10 s every 2.5 ms (2000 updates) and then
//! tests with the decoder frozen; those are the defaults here.

use crate::error::Result;
use crate::force::{DecoderStep, FeedbackEncoders, ForceConfig, ForceReadout, Readout};
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Projection id of the static weights (`stream(seed, Connectivity,
/// [LIF_FORCE_PROJECTION, row])`).
pub const LIF_FORCE_PROJECTION: u64 = 0x4E43_0001;
/// Stream id of the initial voltages (`stream(seed, InitialState, [LIF_FORCE_PROJECTION])`).
pub const LIF_FORCE_INITIAL: u64 = 0x4E43_0002;

/// Parameters of the Nicola–Clopath LIF FORCE sine task. Defaults are the
/// reference's (`LIFFORCESINE.m`) in ms and mV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifForceConfig {
    /// Number of neurons `N`.
    pub n: usize,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Membrane time constant (ms).
    pub tau_m_ms: f64,
    /// Refractory period (ms).
    pub tau_ref_ms: f64,
    /// Reset potential (mV).
    pub v_reset: f64,
    /// Spike threshold `v_peak` (mV).
    pub v_peak: f64,
    /// Bias current (mV); the reference sets it to `v_peak`.
    pub bias: f64,
    /// Synaptic rise time (ms).
    pub tau_r_ms: f64,
    /// Synaptic decay time (ms).
    pub tau_d_ms: f64,
    /// Connection probability `p` of the static weights.
    pub p: f64,
    /// Static weight scale `G` in ms units (the reference's 0.04 s = 40 ms).
    pub g: f64,
    /// Encoder amplitude `Q`.
    pub q: f64,
    /// Target frequency (Hz).
    pub freq_hz: f64,
    /// Target amplitude.
    pub amplitude: f64,
    /// Whole run (ms).
    pub t_total_ms: f64,
    /// Learning starts (ms).
    pub t_learn_start_ms: f64,
    /// Learning ends (ms); the test window is from here to the end.
    pub t_learn_end_ms: f64,
    /// Steps between RLS updates (50 = 2.5 ms).
    pub learn_every: usize,
    /// `P₀ = αI` in ms units: the reference's `α = 0.1·dt[s] = 5e-6 s²`
    /// becomes `5 ms²` because `r` in 1/ms is 10³ times smaller (§6.1 "Units").
    pub alpha: f64,
    /// Decoder step form.
    pub step: DecoderStep,
    /// Spacing of the recorded output (ms).
    pub record_every_ms: f64,
}

impl Default for LifForceConfig {
    fn default() -> Self {
        Self {
            n: 2000,
            dt_ms: 0.05,
            tau_m_ms: 10.0,
            tau_ref_ms: 2.0,
            v_reset: -65.0,
            v_peak: -40.0,
            bias: -40.0,
            tau_r_ms: 2.0,
            tau_d_ms: 20.0,
            p: 0.1,
            g: 40.0,
            q: 10.0,
            freq_hz: 5.0,
            amplitude: 1.0,
            t_total_ms: 15_000.0,
            t_learn_start_ms: 5_000.0,
            t_learn_end_ms: 10_000.0,
            learn_every: 50,
            alpha: 5.0,
            step: DecoderStep::Normalised,
            record_every_ms: 1.0,
        }
    }
}

impl LifForceConfig {
    /// Check every field; errors name the field and the allowed values.
    pub fn validate(&self) -> Result<()> {
        if self.n < 2 {
            return Err(ParamError::new("lif_force.n", self.n, "an integer >= 2").into());
        }
        for (f, v) in [
            ("lif_force.dt_ms", self.dt_ms),
            ("lif_force.tau_m_ms", self.tau_m_ms),
            ("lif_force.tau_r_ms", self.tau_r_ms),
            ("lif_force.tau_d_ms", self.tau_d_ms),
            ("lif_force.t_total_ms", self.t_total_ms),
            ("lif_force.alpha", self.alpha),
            ("lif_force.record_every_ms", self.record_every_ms),
        ] {
            hebb_core::check_positive(f, v)?;
        }
        for (f, v) in [
            ("lif_force.tau_ref_ms", self.tau_ref_ms),
            ("lif_force.g", self.g),
            ("lif_force.q", self.q),
            ("lif_force.freq_hz", self.freq_hz),
            ("lif_force.t_learn_start_ms", self.t_learn_start_ms),
        ] {
            hebb_core::check_non_negative(f, v)?;
        }
        for (f, v) in [("lif_force.bias", self.bias), ("lif_force.amplitude", self.amplitude)] {
            hebb_core::check_finite(f, v)?;
        }
        if !(self.p > 0.0 && self.p <= 1.0) {
            return Err(ParamError::new("lif_force.p", self.p, "a probability in (0, 1]").into());
        }
        if !(self.v_reset.is_finite() && self.v_peak.is_finite() && self.v_reset < self.v_peak) {
            return Err(ParamError::new("lif_force.v_reset", self.v_reset, "a finite value below v_peak").into());
        }
        if !(self.t_learn_end_ms >= self.t_learn_start_ms && self.t_learn_end_ms < self.t_total_ms) {
            return Err(ParamError::new(
                "lif_force.t_learn_end_ms",
                self.t_learn_end_ms,
                "a time in [t_learn_start_ms, t_total_ms) (a test window must remain)",
            )
            .into());
        }
        if self.learn_every == 0 {
            return Err(ParamError::new("lif_force.learn_every", self.learn_every, "an integer >= 1").into());
        }
        hebb_core::time::steps_in("lif_force.record_every_ms", self.record_every_ms, self.dt_ms)?;
        Ok(())
    }

    /// The target `x(t) = A sin(2π f t)` at time `t` (ms).
    pub fn target(&self, t_ms: f64) -> f64 {
        self.amplitude * (2.0 * std::f64::consts::PI * self.freq_hz * 1e-3 * t_ms).sin()
    }
}

/// The LIF network with its FORCE readout.
#[derive(Debug, Clone)]
pub struct LifForceNetwork {
    cfg: LifForceConfig,
    // static weights by presynaptic column: CSC
    col_ptr: Vec<usize>,
    col_post: Vec<u32>,
    col_w: Vec<f64>,
    enc: FeedbackEncoders,
    readout: ForceReadout,
    v: Vec<f64>,
    t_last: Vec<f64>,
    i_syn: Vec<f64>,
    h: Vec<f64>,
    r: Vec<f64>,
    hr: Vec<f64>,
    jd: Vec<f64>,
    z: f64,
    step: u64,
    n_spikes: u64,
}

impl LifForceNetwork {
    /// Build from `(cfg, seed)`: static weights (one stream per row), the
    /// encoders, initial voltages `U(v_reset, 30)`.
    pub fn new(cfg: LifForceConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let n = cfg.n;
        let scale = cfg.g / ((n as f64).sqrt() * cfg.p);
        // rows first (for the zero-mean shift), then transposed into columns
        let mut rows: Vec<Vec<(u32, f64)>> = Vec::with_capacity(n);
        for i in 0..n {
            let mut rng = stream(seed, Purpose::Connectivity, &[LIF_FORCE_PROJECTION, i as u64]);
            let mut row = Vec::new();
            for j in 0..n {
                if rng.random::<f64>() < cfg.p {
                    let z: f64 = rng.sample(StandardNormal);
                    row.push((j as u32, scale * z));
                }
            }
            if !row.is_empty() {
                let m = row.iter().map(|x| x.1).sum::<f64>() / row.len() as f64;
                row.iter_mut().for_each(|x| x.1 -= m);
            }
            rows.push(row);
        }
        let mut col_ptr = vec![0usize; n + 1];
        for row in &rows {
            for &(j, _) in row {
                col_ptr[j as usize + 1] += 1;
            }
        }
        for j in 0..n {
            col_ptr[j + 1] += col_ptr[j];
        }
        let nnz = col_ptr[n];
        let (mut col_post, mut col_w) = (vec![0u32; nnz], vec![0.0; nnz]);
        let mut fill = col_ptr[..n].to_vec();
        for (i, row) in rows.iter().enumerate() {
            for &(j, w) in row {
                let q = &mut fill[j as usize];
                col_post[*q] = i as u32;
                col_w[*q] = w;
                *q += 1;
            }
        }
        let enc = FeedbackEncoders::random(n, 1, cfg.q, seed)?;
        let readout = ForceReadout::new(n, 1, ForceConfig { alpha: cfg.alpha, step: cfg.step, parallel: true })?;
        let mut rng = stream(seed, Purpose::InitialState, &[LIF_FORCE_INITIAL]);
        let v = (0..n).map(|_| cfg.v_reset + (30.0 - cfg.v_reset) * rng.random::<f64>()).collect();
        Ok(Self {
            cfg,
            col_ptr,
            col_post,
            col_w,
            enc,
            readout,
            v,
            t_last: vec![0.0; n],
            i_syn: vec![0.0; n],
            h: vec![0.0; n],
            r: vec![0.0; n],
            hr: vec![0.0; n],
            jd: vec![0.0; n],
            z: 0.0,
            step: 0,
            n_spikes: 0,
        })
    }

    /// Advance one step; `learn` makes it an RLS step towards `target`.
    /// Returns the output `z` after the step.
    pub fn step(&mut self, target: f64, learn: bool) -> Result<f64> {
        let c = &self.cfg;
        self.step += 1;
        let t = self.step as f64 * c.dt_ms;
        let (er, ed) = ((-c.dt_ms / c.tau_r_ms).exp(), (-c.dt_ms / c.tau_d_ms).exp());
        let jump = 1.0 / (c.tau_r_ms * c.tau_d_ms);
        let a = c.dt_ms / c.tau_m_ms;
        let enc = self.enc.as_row_major();
        let z = self.z;
        self.jd.fill(0.0);
        let mut spiked = Vec::new();
        for (i, (((v, &tl), &is), &e)) in self.v.iter_mut().zip(&self.t_last).zip(&self.i_syn).zip(enc).enumerate() {
            if t > tl + c.tau_ref_ms {
                *v += a * (is + e * z + c.bias - *v);
            }
            if *v >= c.v_peak {
                spiked.push(i);
            }
        }
        for &j in &spiked {
            for q in self.col_ptr[j]..self.col_ptr[j + 1] {
                self.jd[self.col_post[q] as usize] += self.col_w[q];
            }
        }
        for i in 0..c.n {
            self.i_syn[i] = self.i_syn[i] * er + self.h[i] * c.dt_ms;
            self.h[i] = self.h[i] * ed + self.jd[i] * jump;
            self.r[i] = self.r[i] * er + self.hr[i] * c.dt_ms;
            self.hr[i] *= ed;
        }
        for &j in &spiked {
            self.hr[j] += jump;
        }
        let mut zo = [0.0];
        if learn {
            self.readout.train_step(&self.r, &[target], &mut zo)?;
        }
        self.readout.output(&self.r, &mut zo)?;
        self.z = zo[0];
        for &j in &spiked {
            self.t_last[j] = t;
            self.v[j] = c.v_reset;
        }
        self.n_spikes += spiked.len() as u64;
        Ok(self.z)
    }

    /// The output `z`.
    pub fn output(&self) -> f64 {
        self.z
    }
    /// The readout traces `r` (unit area, 1/ms).
    pub fn traces(&self) -> &[f64] {
        &self.r
    }
    /// The readout.
    pub fn readout(&self) -> &ForceReadout {
        &self.readout
    }
    /// The encoders.
    pub fn encoders(&self) -> &FeedbackEncoders {
        &self.enc
    }
    /// Steps done.
    pub fn steps_done(&self) -> u64 {
        self.step
    }
    /// Spikes so far (all neurons).
    pub fn n_spikes(&self) -> u64 {
        self.n_spikes
    }
    /// The configuration.
    pub fn config(&self) -> &LifForceConfig {
        &self.cfg
    }
}

/// Result of [`run_sine_task`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SineTaskReport {
    /// Record times (ms).
    pub t_ms: Vec<f64>,
    /// Output `z` at those times.
    pub z: Vec<f64>,
    /// Target at those times.
    pub target: Vec<f64>,
    /// Pearson correlation of `z` with the target over the test window
    /// (after learning, decoder frozen).
    pub test_correlation: f64,
    /// RMSE over the test window divided by the target's RMS.
    pub test_relative_rmse: f64,
    /// Correlation over the last second before learning (untrained output).
    pub pre_correlation: f64,
    /// Mean rate over the whole run (Hz).
    pub mean_rate_hz: f64,
    /// RLS updates done.
    pub n_updates: u64,
    /// `|Φ|` at the end (Euclidean norm of the decoder).
    pub decoder_norm: f64,
}

/// Run the Nicola–Clopath sine task: spontaneous activity, learning in
/// `[t_learn_start, t_learn_end)` every `learn_every` steps (the reference's
/// `mod(i, step) == 1` rule), then the test with the decoder frozen.
pub fn run_sine_task(cfg: &LifForceConfig, seed: u64) -> Result<SineTaskReport> {
    let mut net = LifForceNetwork::new(*cfg, seed)?;
    let total = (cfg.t_total_ms / cfg.dt_ms).round() as u64;
    let (i0, i1) = ((cfg.t_learn_start_ms / cfg.dt_ms).round() as u64, (cfg.t_learn_end_ms / cfg.dt_ms).round() as u64);
    let rec = hebb_core::time::steps_in("lif_force.record_every_ms", cfg.record_every_ms, cfg.dt_ms)?.max(1);
    let every = cfg.learn_every as u64;
    let (mut t_ms, mut zs, mut xs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut test_z, mut test_x, mut pre_z, mut pre_x) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let pre_from = i0.saturating_sub((1000.0 / cfg.dt_ms).round() as u64);
    let mut n_updates = 0;
    for i in 1..=total {
        let t = i as f64 * cfg.dt_ms;
        let x = cfg.target(t);
        let learn = i > i0 && i < i1 && i % every == 1 % every;
        n_updates += u64::from(learn);
        let z = net.step(x, learn)?;
        if !z.is_finite() {
            return Err(crate::TrainingError::Numerical {
                what: "lif_force",
                row: 0,
                detail: format!("output not finite at t = {t} ms"),
            });
        }
        if i % rec == 0 {
            t_ms.push(t);
            zs.push(z);
            xs.push(x);
            if i >= i1 {
                test_z.push(z);
                test_x.push(x);
            } else if i > pre_from && i <= i0 {
                pre_z.push(z);
                pre_x.push(x);
            }
        }
    }
    let rms = (test_x.iter().map(|x| x * x).sum::<f64>() / test_x.len().max(1) as f64).sqrt();
    let rmse =
        (test_z.iter().zip(&test_x).map(|(z, x)| (z - x).powi(2)).sum::<f64>() / test_x.len().max(1) as f64).sqrt();
    let decoder_norm = net.readout().decoder().iter().map(|x| x * x).sum::<f64>().sqrt();
    Ok(SineTaskReport {
        test_correlation: crate::trainer::pearson(&test_z, &test_x),
        test_relative_rmse: if rms > 0.0 { rmse / rms } else { f64::INFINITY },
        pre_correlation: crate::trainer::pearson(&pre_z, &pre_x),
        mean_rate_hz: net.n_spikes() as f64 / cfg.n as f64 / (cfg.t_total_ms * 1e-3),
        n_updates,
        decoder_norm,
        t_ms,
        z: zs,
        target: xs,
    })
}
