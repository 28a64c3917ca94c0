//! Conformance testkit for plasticity rules: checks any [`PlasticityRule`]
//! (from the catalogue or written downstream) must pass.
//!
//! * [`check_contract`]: starting inside the declared bounds, neither hook
//!   ever leaves them, and results stay finite;
//! * [`check_no_change_without_spikes`]: a silent network leaves every weight
//!   bit-for-bit unchanged;
//! * [`check_update_order`]: the hooks read the traces as they were before
//!   this step's increments (specs/akil.md §1.5), checked against traces
//!   rebuilt independently from the spike train;
//! * [`check_drift`]: on a balanced network, the measured mean weight change
//!   agrees with the rule's declared mean-field drift (§3.3) evaluated at the
//!   measured rates and covariances.
//!
//! Each check returns `Ok` with a one-line summary, or `Err` saying what
//! failed. A rule type is passed as a factory `Fn() -> Box<dyn PlasticityRule>`
//! for a network of a given N (rules carry N through J = j/√N).

use crate::{SimConfig, Simulation, SpikeSink};
use hebb_core::rng::{Purpose, stream};
use hebb_plasticity::{DriftInputs, PlasticityRule, SynapseType};
use rand::RngExt;
use std::sync::{Arc, Mutex};

/// A factory of rule instances for a network of `n` recurrent neurons.
pub type RuleFactory<'a> = &'a dyn Fn(usize) -> Box<dyn PlasticityRule>;

/// Hooks called on 20 000 random (weight, trace) pairs: weights inside the
/// contract (within ±0.5, in J units, where a side is unbounded), traces in
/// [0, 60] (a 200 ms trace of a 100 Hz neuron averages 20). Every result
/// must be finite and inside the contract.
pub fn check_contract(rule: &dyn PlasticityRule) -> Result<String, String> {
    let c = rule.contract();
    let lo = c.lo.unwrap_or(c.hi.map_or(-0.5, |h| h - 0.5));
    let hi = c.hi.unwrap_or(c.lo.map_or(0.5, |l| l + 0.5));
    let mut rng = stream(0, Purpose::User, &[0x7e57]);
    for _ in 0..20_000 {
        let w = lo + (hi - lo) * rng.random::<f64>();
        let x = 60.0 * rng.random::<f64>();
        for (hook, out) in [("on_pre", rule.on_pre(w, x)), ("on_post", rule.on_post(w, x))] {
            if !out.is_finite() || !c.holds(out) {
                return Err(format!("{}: {hook}(w = {w}, x = {x}) = {out} breaks the contract {c:?}", rule.name()));
            }
        }
    }
    Ok(format!("{}: 40 000 updates within {c:?}", rule.name()))
}

/// A small balanced network (N = 1000, 80 % E, default weights, external
/// layer at c = 0) for the engine-level checks.
pub fn small_network(n: usize, duration_ms: f64, seed: u64) -> SimConfig {
    let mut cfg = SimConfig::akil_default();
    cfg.network.n = n;
    cfg.run.duration_ms = duration_ms;
    cfg.run.seed = seed;
    cfg.external[0].c = 0.0;
    cfg.record.spikes = false;
    cfg
}

/// With no external input the EIF neurons relax to rest and never spike:
/// 300 ms later every weight of the type must be bit-for-bit unchanged.
pub fn check_no_change_without_spikes(rule: RuleFactory<'_>, synapse: &SynapseType) -> Result<String, String> {
    let mut cfg = small_network(500, 300.0, 1);
    cfg.external.clear();
    let mut sim = Simulation::new(cfg).map_err(|e| e.to_string())?;
    sim.add_rule(synapse.clone(), rule(500)).map_err(|e| e.to_string())?;
    let before = sim.network.recurrent.weights().to_vec();
    sim.run(&mut |_| {}).map_err(|e| e.to_string())?;
    if sim.recorder.total_spikes != 0 {
        return Err(format!("the silent network spiked {} times; the check is void", sim.recorder.total_spikes));
    }
    if sim.network.recurrent.weights() != &before[..] {
        return Err(format!("{}: weights changed without spikes", synapse));
    }
    Ok(format!("{synapse}: no spike, no change over 300 ms"))
}

/// What a probe saw: (step, neuron whose trace was read, trace value).
type Log = Arc<Mutex<Vec<(u64, u32, f32)>>>;

/// Wraps a rule and logs every trace value its hooks are given.
#[derive(Debug)]
struct Probe {
    inner: Box<dyn PlasticityRule>,
    step: Arc<Mutex<u64>>,
    pre_reads: Log,
    post_reads: Log,
}

impl PlasticityRule for Probe {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn tau_pre_ms(&self) -> f64 {
        self.inner.tau_pre_ms()
    }
    fn tau_post_ms(&self) -> f64 {
        self.inner.tau_post_ms()
    }
    fn on_pre(&self, w: f64, x_post: f64) -> f64 {
        self.inner.on_pre(w, x_post)
    }
    fn on_post(&self, w: f64, x_pre: f64) -> f64 {
        self.inner.on_post(w, x_pre)
    }
    fn contract(&self) -> hebb_plasticity::Contract {
        self.inner.contract()
    }
    fn pre_batch(&self, weights: &mut [f32], targets: &[u32], x_post: &[f32]) {
        let n = *self.step.lock().unwrap();
        self.post_reads.lock().unwrap().extend(targets.iter().map(|&t| (n, t, x_post[t as usize])));
        self.inner.pre_batch(weights, targets, x_post);
    }
    fn post_batch(&self, weights: &mut [f32], positions: &[u32], pres: &[u32], x_pre: &[f32]) {
        let n = *self.step.lock().unwrap();
        self.pre_reads.lock().unwrap().extend(pres.iter().map(|&k| (n, k, x_pre[k as usize])));
        self.inner.post_batch(weights, positions, pres, x_pre);
    }
}

#[derive(Clone, Default)]
struct Spikes(Arc<Mutex<Vec<(u64, u32)>>>, f64);

impl SpikeSink for Spikes {
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        let n = (t_ms / self.1).round() as u64;
        self.0.lock().unwrap().extend(neurons.iter().map(|&j| (n, j)));
        Ok(())
    }
    fn written(&self) -> u64 {
        self.0.lock().unwrap().len() as u64
    }
}

/// Run a small active network step by step with the rule wrapped in a
/// probe; rebuild every neuron's traces from the spike train with the
/// engine's arithmetic (x += 1 at a spike, then x *= 1 − dt/τ, each step);
/// every trace value a hook read at step n must equal the rebuilt value at
/// the end of step n − 1 — i.e. before step n's own increments, including
/// for neurons that spike in step n.
pub fn check_update_order(rule: RuleFactory<'_>, synapse: &SynapseType) -> Result<String, String> {
    let cfg = small_network(1000, 300.0, 3);
    let dt = cfg.run.dt_ms;
    let step = Arc::new(Mutex::new(0u64));
    let (pre_reads, post_reads): (Log, Log) = Default::default();
    let inner = rule(1000);
    let (tau_pre, tau_post) = (inner.tau_pre_ms(), inner.tau_post_ms());
    let probe = Probe { inner, step: step.clone(), pre_reads: pre_reads.clone(), post_reads: post_reads.clone() };
    let spikes = Spikes(Default::default(), dt);
    let mut sim = Simulation::new(cfg).map_err(|e| e.to_string())?.with_sink(Box::new(spikes.clone()));
    sim.add_rule(synapse.clone(), Box::new(probe)).map_err(|e| e.to_string())?;
    let n_steps = sim.n_steps();
    for n in 1..=n_steps {
        *step.lock().unwrap() = n;
        sim.run_until(n, &mut |_| {}).map_err(|e| e.to_string())?;
    }
    let spikes = spikes.0.lock().unwrap().clone();
    let n_neurons = sim.network.n();
    let rebuild = |tau: f64| -> Vec<Vec<f32>> {
        // x[n][j]: trace at the end of step n (f32, as the engine keeps it).
        let d = (1.0 - dt / tau) as f32;
        let mut x = vec![0.0f32; n_neurons];
        let mut out = vec![x.clone()];
        let mut s = 0;
        for n in 1..=n_steps {
            while s < spikes.len() && spikes[s].0 == n {
                x[spikes[s].1 as usize] += 1.0;
                s += 1;
            }
            x.iter_mut().for_each(|v| *v *= d);
            out.push(x.clone());
        }
        out
    };
    let (xp, xq) = (rebuild(tau_pre), rebuild(tau_post));
    let mut checked = 0;
    for (reads, x, side) in [(&pre_reads, &xp, "x_pre"), (&post_reads, &xq, "x_post")] {
        let reads = reads.lock().unwrap();
        if reads.is_empty() {
            return Err(format!("{synapse}: no {side} was read; the check is void"));
        }
        for &(n, j, v) in reads.iter() {
            let expect = x[n as usize - 1][j as usize];
            if v != expect {
                let after = x[n as usize][j as usize];
                return Err(format!(
                    "{synapse}: at step {n}, {side}[{j}] read as {v}, expected {expect} (the value before the step; after it: {after})"
                ));
            }
            checked += 1;
        }
    }
    Ok(format!("{synapse}: {checked} trace reads equal the pre-increment traces"))
}

/// The outcome of [`check_drift`].
#[derive(Debug, Clone)]
pub struct DriftCheck {
    /// Measured change of the mean weight (j units).
    pub measured: f64,
    /// Change predicted by the declared drift (j units).
    pub predicted: f64,
    /// Rates of post and pre populations over the run (Hz).
    pub rates_hz: (f64, f64),
}

/// Run `cfg` (with its `[[plasticity]]` entries) and compare the change of
/// the mean weight of `synapse` with the rule's declared drift, integrated
/// with the forward-Euler rule over the recorded mean weights (so
/// weight-dependent drifts are followed), at the rates measured in each
/// record interval and with Q⁺ = Q⁻ = C̄_ab/(2 T_win) from the measured mean
/// covariance (the closure of §3.3 with κ = 1). The comparison starts after
/// 3 τ of the slower trace: traces start at 0 and the drift formula assumes
/// they have reached their mean τ·r (before that, e.g., iSTDP depresses
/// faster than predicted). Passes when the two agree within `tolerance`
/// (relative).
///
/// `rule`, if given, is added to `synapse` on top of the config's own rules
/// (this is how a rule written outside the catalogue is checked).
pub fn check_drift(
    cfg: SimConfig,
    synapse: &SynapseType,
    rule: Option<RuleFactory<'_>>,
    tolerance: f64,
) -> Result<DriftCheck, String> {
    let mut cfg = cfg;
    cfg.record.burn_in_fraction = 0.0;
    let n = cfg.network.n;
    let mut sim = Simulation::new(cfg.clone()).map_err(|e| e.to_string())?;
    if let Some(rule) = rule {
        sim.add_rule(synapse.clone(), rule(n)).map_err(|e| e.to_string())?;
    }
    sim.run(&mut |_| {}).map_err(|e| e.to_string())?;
    let res = sim.results();
    let p = sim
        .network
        .plastic
        .iter()
        .position(|p| &p.synapse == synapse)
        .ok_or(format!("{synapse} is not plastic in this config"))?;
    let proj = &sim.network.plastic[p];
    let layout = &sim.network.layout;
    let (a, b) = (layout.index_of(&synapse.post).unwrap(), layout.index_of(&synapse.pre).unwrap());
    let w = &sim.recorder.weights;
    let k = w.types.len();
    let records = w.t_ms.len();
    let scale = (n as f64).sqrt();
    let pair =
        if a <= b { format!("{}-{}", synapse.post, synapse.pre) } else { format!("{}-{}", synapse.pre, synapse.post) };
    let q = res.cov_mean.get(&pair).copied().filter(|c| c.is_finite()).unwrap_or(0.0) / cfg.record.cov_window_ms / 2.0;
    // Rates per record interval from the binned population rates.
    let bin_ms = cfg.record.rate_bin_ms;
    let rate_at = |pop: usize, t0: f64, t1: f64| -> f64 {
        let (mut sum, mut width) = (0.0, 0.0);
        for (i, &t) in res.bin_t_ms.iter().enumerate() {
            let overlap = (t + bin_ms).min(t1) - t.max(t0);
            if overlap > 0.0 {
                sum += res.bin_rates_hz[pop][i] * overlap;
                width += overlap;
            }
        }
        sum / width
    };
    let settle_ms = 3.0 * proj.rule.tau_pre_ms().max(proj.rule.tau_post_ms());
    let first = w
        .t_ms
        .iter()
        .position(|&t| t >= settle_ms)
        .filter(|&r| r + 1 < records)
        .ok_or(format!("the run is shorter than the {settle_ms} ms the traces need to settle"))?;
    let mut predicted = 0.0;
    for r in first + 1..records {
        let (t0, t1) = (w.t_ms[r - 1], w.t_ms[r]);
        let j0 = w.mean_j[(r - 1) * k + p];
        let d = DriftInputs {
            r_post_khz: rate_at(a, t0, t1) * 1e-3,
            r_pre_khz: rate_at(b, t0, t1) * 1e-3,
            q_plus: q,
            q_minus: q,
        };
        let drift = proj.rule.drift(j0 / scale, &d).ok_or(format!("{} declares no drift", proj.rule.name()))?;
        predicted += drift * scale * (t1 - t0);
    }
    let measured = w.mean_j[(records - 1) * k + p] - w.mean_j[first * k + p];
    let rates_hz = (res.rates_hz[&synapse.post], res.rates_hz[&synapse.pre]);
    let out = DriftCheck { measured, predicted, rates_hz };
    if (measured - predicted).abs() > tolerance * predicted.abs().max(1e-12) {
        return Err(format!(
            "{synapse}: measured Δj = {measured:.5}, predicted {predicted:.5} (rates {rates_hz:?} Hz): beyond {tolerance}"
        ));
    }
    Ok(out)
}
