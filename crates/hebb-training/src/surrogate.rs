//! The one-neuron surrogate of kimchow.md §4.3: a single trained neuron
//! with `K_E + K_I` Poisson inputs, used to check the block-mean theory
//! (retention law `β_B`, the §4.2 small-system prediction) without a network.
//!
//! Inputs: input `j` has a log-normal base rate `ν_j` (group means 5 and
//! 10 Hz, log-s.d. 0.5), modulated as `ν_j[1 + a η_j(t)]₊` by an independent
//! unit OU process `η_j` (τ = 100 ms, `a = 0.6`); Bernoulli spikes per step
//! (`ν dt ≤ 0.003`); unit-area exponential filter with exact decay
//! `r ← r e^{−dt/τ_s} + s/τ_s` (τ_s = 50 ms), started at `ν_j`. After 500 ms
//! of warm-up the trace vector is sampled every 10 ms, `n = 900` times.
//! Target: `f_m = mean_m(w⁰·r_m) + ξ_m` with `ξ` an OU process (s.d. 0.5,
//! τ = 100 ms) on the 10-ms grid; `h = 0`. These are the settings of the
//! spec's table and of the numpy peer's `surrogate` subcommand (whose random
//! numbers differ: only statistics can be compared).

use crate::error::Result;
use crate::inputs::PlasticInputs;
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// First stream id of the surrogate's inputs
/// (`stream(seed, ExternalTrain, [SURROGATE_STREAM, j])`; the target uses
/// `[SURROGATE_STREAM + 1]`).
pub const SURROGATE_STREAM: u64 = 0x7E4C_0003;

/// Parameters of the surrogate (defaults: kimchow.md §4.3). Times in ms,
/// rates in spikes/ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurrogateConfig {
    /// E inputs `K_E`.
    pub k_exc: usize,
    /// I inputs `K_I`.
    pub k_inh: usize,
    /// Initial E weight (`J/√K = 1`).
    pub w_exc: f64,
    /// Initial I weight (−1).
    pub w_inh: f64,
    /// Mean E rate (5 Hz = 0.005 /ms).
    pub rate_exc: f64,
    /// Mean I rate (10 Hz).
    pub rate_inh: f64,
    /// Log-s.d. of the log-normal base rates.
    pub lognormal_sigma: f64,
    /// Relative OU rate modulation `a`.
    pub mod_amp: f64,
    /// OU time constant of the rate modulation.
    pub tau_mod: f64,
    /// Synaptic filter time constant `τ_s`.
    pub tau_s: f64,
    /// Simulation step.
    pub dt: f64,
    /// Learning interval `Δt_L`.
    pub learn_every: f64,
    /// Number of learning samples `n`.
    pub n: usize,
    /// Warm-up before the first sample.
    pub warm: f64,
    /// Target OU s.d.
    pub target_sd: f64,
    /// Target OU time constant.
    pub target_tau: f64,
}

impl Default for SurrogateConfig {
    fn default() -> Self {
        Self {
            k_exc: 100,
            k_inh: 100,
            w_exc: 1.0,
            w_inh: -1.0,
            rate_exc: 5e-3,
            rate_inh: 10e-3,
            lognormal_sigma: 0.5,
            mod_amp: 0.6,
            tau_mod: 100.0,
            tau_s: 50.0,
            dt: 0.1,
            learn_every: 10.0,
            n: 900,
            warm: 500.0,
            target_sd: 0.5,
            target_tau: 100.0,
        }
    }
}

/// Samples and targets of one surrogate realisation.
#[derive(Debug, Clone, PartialEq)]
pub struct SurrogateData {
    /// `samples[m][j]`: trace of input `j` at learning time `m`.
    pub samples: Vec<Vec<f64>>,
    /// Target `f_m` (with `h = 0`).
    pub target: Vec<f64>,
    /// Initial weights (E then I).
    pub w0: Vec<f64>,
    /// Base rates `ν_j`.
    pub base_rates: Vec<f64>,
    /// Group ranges: E = `0..K_E`, I = `K_E..K_E+K_I`.
    pub groups: Vec<Range<usize>>,
}

impl SurrogateData {
    /// The neuron's plastic inputs (one row; groups E and I).
    pub fn plastic_inputs(&self) -> Result<PlasticInputs> {
        let kp = self.w0.len();
        let ke = self.groups[0].len();
        let labels: Vec<u16> = (0..kp).map(|j| u16::from(j >= ke)).collect();
        PlasticInputs::from_rows(kp, vec![0], &[(0..kp as u32).collect()], std::slice::from_ref(&self.w0), &labels)
    }
}

/// Simulate one realisation of the surrogate.
pub fn surrogate_data(cfg: &SurrogateConfig, seed: u64) -> Result<SurrogateData> {
    for (f, v) in [
        ("surrogate.rate_exc", cfg.rate_exc),
        ("surrogate.rate_inh", cfg.rate_inh),
        ("surrogate.tau_mod", cfg.tau_mod),
        ("surrogate.tau_s", cfg.tau_s),
        ("surrogate.dt", cfg.dt),
        ("surrogate.learn_every", cfg.learn_every),
        ("surrogate.target_tau", cfg.target_tau),
    ] {
        hebb_core::check_positive(f, v)?;
    }
    for (f, v) in [
        ("surrogate.lognormal_sigma", cfg.lognormal_sigma),
        ("surrogate.mod_amp", cfg.mod_amp),
        ("surrogate.warm", cfg.warm),
        ("surrogate.target_sd", cfg.target_sd),
    ] {
        hebb_core::check_non_negative(f, v)?;
    }
    hebb_core::check_finite("surrogate.w_exc", cfg.w_exc)?;
    hebb_core::check_finite("surrogate.w_inh", cfg.w_inh)?;
    if cfg.n < 2 {
        return Err(ParamError::new("surrogate.n", cfg.n, "an integer >= 2").into());
    }
    if cfg.k_exc == 0 || cfg.k_inh == 0 {
        return Err(
            ParamError::new("surrogate.k_exc/k_inh", format!("{}/{}", cfg.k_exc, cfg.k_inh), "integers >= 1").into()
        );
    }
    let per = hebb_core::time::steps_in("surrogate.learn_every", cfg.learn_every, cfg.dt)?;
    let nwarm = hebb_core::time::steps_in("surrogate.warm", cfg.warm, cfg.dt)?;
    if per == 0 {
        return Err(ParamError::new("surrogate.learn_every", cfg.learn_every, "at least one step dt").into());
    }
    let kp = cfg.k_exc + cfg.k_inh;
    let n = cfg.n;
    let a_mod = (-cfg.dt / cfg.tau_mod).exp();
    let b_mod = (1.0 - a_mod * a_mod).sqrt();
    let dec = (-cfg.dt / cfg.tau_s).exp();
    let jump = 1.0 / cfg.tau_s;
    let s2 = cfg.lognormal_sigma * cfg.lognormal_sigma;
    let mut samples = vec![vec![0.0; kp]; n];
    let mut base = vec![0.0; kp];
    for j in 0..kp {
        let mut rng = stream(seed, Purpose::ExternalTrain, &[SURROGATE_STREAM, j as u64]);
        let mean = if j < cfg.k_exc { cfg.rate_exc } else { cfg.rate_inh };
        let z: f64 = rng.sample(StandardNormal);
        let nu = mean * (cfg.lognormal_sigma * z - 0.5 * s2).exp();
        base[j] = nu;
        let mut eta: f64 = rng.sample(StandardNormal);
        let mut r = nu;
        let mut step = 0u64;
        let mut idx = 0usize;
        // one block of `per` steps per learning interval; a sample at the end
        // of every block that ends after the warm-up (as the numpy peer does)
        while idx < n {
            for _ in 0..per {
                let xi: f64 = rng.sample(StandardNormal);
                eta = a_mod * eta + b_mod * xi;
                let p = nu * (1.0 + cfg.mod_amp * eta).max(0.0) * cfg.dt;
                let u: f64 = rng.random();
                r *= dec;
                if u < p {
                    r += jump;
                }
            }
            step += per;
            if step > nwarm {
                samples[idx][j] = r;
                idx += 1;
            }
        }
    }
    let w0: Vec<f64> = (0..kp).map(|j| if j < cfg.k_exc { cfg.w_exc } else { cfg.w_inh }).collect();
    // target: mean input of the untrained neuron plus an OU on the learning grid
    let mut rng = stream(seed, Purpose::ExternalTrain, &[SURROGATE_STREAM + 1]);
    let a = (-cfg.learn_every / cfg.target_tau).exp();
    let b = (1.0 - a * a).sqrt();
    let mut x: f64 = rng.sample(StandardNormal);
    let mut xi = Vec::with_capacity(n);
    for m in 0..n {
        if m > 0 {
            let z: f64 = rng.sample(StandardNormal);
            x = a * x + b * z;
        }
        xi.push(cfg.target_sd * x);
    }
    let u0: Vec<f64> = samples.iter().map(|s| s.iter().zip(&w0).map(|(r, w)| r * w).sum()).collect();
    let u0_mean = u0.iter().sum::<f64>() / n as f64;
    let target = xi.iter().map(|x| u0_mean + x).collect();
    Ok(SurrogateData { samples, target, w0, base_rates: base, groups: vec![0..cfg.k_exc, cfg.k_exc..kp] })
}
