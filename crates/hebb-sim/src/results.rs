//! Statistics of a (possibly partial) run, computed from the recorder.

use crate::Simulation;
use serde::Serialize;
use std::collections::BTreeMap;

/// Time-averaged mean synaptic input of a population (mV/ms).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanInput {
    /// Excitatory recurrent current I^e.
    pub e: f64,
    /// Inhibitory recurrent current I^i.
    pub i: f64,
    /// External current I^x.
    pub x: f64,
    /// e + i + x.
    pub total: f64,
}

/// The results of a run. Rates and covariances use the steps after burn-in;
/// a run stopped early reports over what it completed (`NaN`, serialised
/// as `null`, where nothing was recorded).
#[derive(Debug, Clone, Serialize)]
pub struct RunResults {
    /// Whether every step ran.
    pub completed: bool,
    /// Steps taken.
    pub steps_done: u64,
    /// Simulated time (s).
    pub sim_s: f64,
    /// Interval over which rates were measured (ms).
    pub rate_interval_ms: [f64; 2],
    /// Mean rate of each population (Hz).
    pub rates_hz: BTreeMap<String, f64>,
    /// Delivered rate per unit of each external layer (Hz).
    pub external_rates_hz: BTreeMap<String, f64>,
    /// Mean spike-count covariance per population pair (`"E-I"`).
    pub cov_mean: BTreeMap<String, f64>,
    /// Mean correlation per pair, C̄_ab / √(V̄_a V̄_b).
    pub corr_mean: BTreeMap<String, f64>,
    /// Spike-count windows behind the covariances.
    pub cov_windows: usize,
    /// Mean input currents per population after burn-in.
    pub mean_input: BTreeMap<String, MeanInput>,
    /// Total spikes.
    pub spikes: u64,
    /// Total synapses.
    pub synapses: usize,
    /// Per-neuron rates after burn-in (Hz).
    #[serde(skip)]
    pub neuron_rates_hz: Vec<f64>,
    /// Bin start times of the population rates (ms).
    #[serde(skip)]
    pub bin_t_ms: Vec<f64>,
    /// Population rates per bin (Hz), `[pop][bin]`.
    #[serde(skip)]
    pub bin_rates_hz: Vec<Vec<f64>>,
    /// Full covariance statistics (population means, Fano factors, sampled
    /// pairs); `None` when fewer than two windows were recorded.
    #[serde(skip)]
    pub covariance: Option<hebb_analysis::CountCovarianceStats>,
}

impl RunResults {
    pub(crate) fn compute(sim: &Simulation) -> Self {
        let rec = &sim.recorder;
        let plan = &rec.plan;
        let layout = &sim.network.layout;
        let dt = plan.dt;
        let done = sim.steps_done();
        let measured_steps = done.saturating_sub(plan.burn_steps);
        let measured_s = measured_steps as f64 * dt * 1e-3;
        let neuron_rates_hz: Vec<f64> = rec.counts_after_burn.iter().map(|&c| c as f64 / measured_s).collect();
        let mut rates_hz = BTreeMap::new();
        for (p, pop) in layout.pops().iter().enumerate() {
            let r = layout.range(p);
            let total: u64 = rec.counts_after_burn[r.clone()].iter().map(|&c| c as u64).sum();
            rates_hz.insert(pop.name.clone(), total as f64 / (r.len() as f64 * measured_s));
        }
        let mut external_rates_hz = BTreeMap::new();
        for (x, &count) in sim.network.external.iter().zip(&rec.external_after_burn) {
            external_rates_hz
                .insert(x.train.layer().name.clone(), count as f64 / (x.train.layer().size as f64 * measured_s));
        }
        let n_pops = layout.n_pops();
        let n_bins_done = done.div_ceil(plan.bin_steps) as usize;
        let mut bin_t_ms = Vec::with_capacity(n_bins_done);
        let mut bin_rates_hz = vec![Vec::with_capacity(n_bins_done); n_pops];
        for b in 0..n_bins_done {
            let start = b as u64 * plan.bin_steps;
            let end = ((b as u64 + 1) * plan.bin_steps).min(done);
            let width_s = (end - start) as f64 * dt * 1e-3;
            bin_t_ms.push(start as f64 * dt);
            for (p, rates) in bin_rates_hz.iter_mut().enumerate() {
                let size = layout.range(p).len() as f64;
                rates.push(rec.bin_counts[b * n_pops + p] as f64 / (size * width_s));
            }
        }
        let diagonal = match sim.config.record.cov_diagonal {
            crate::config::DiagonalConfig::Exclude => hebb_analysis::Diagonal::Exclude,
            crate::config::DiagonalConfig::Include => hebb_analysis::Diagonal::Include,
        };
        let covariance = rec.covariance.as_ref().and_then(|c| {
            let mut c = c.clone();
            c.advance_to(done as f64 * dt);
            c.stats(diagonal).ok()
        });
        let to_map = |k: &hebb_analysis::Keyed<Option<f64>>| -> BTreeMap<String, f64> {
            k.0.iter().map(|(n, v)| (n.clone(), v.unwrap_or(f64::NAN))).collect()
        };
        let cov_mean = covariance.as_ref().map(|c| to_map(&c.cov)).unwrap_or_default();
        let corr_mean = covariance.as_ref().map(|c| to_map(&c.corr)).unwrap_or_default();
        let cov_windows = covariance.as_ref().map_or(0, |c| c.n_windows);
        let burn_ms = plan.burn_steps as f64 * dt;
        let mut mean_input = BTreeMap::new();
        let after: Vec<usize> =
            rec.sample_t_ms.iter().enumerate().filter(|(_, t)| **t > burn_ms).map(|(s, _)| s).collect();
        for (p, pop) in layout.pops().iter().enumerate() {
            let mut acc = [0.0; 3];
            for &s in &after {
                for (c, a) in acc.iter_mut().enumerate() {
                    *a += rec.mean_currents[(s * n_pops + p) * 3 + c];
                }
            }
            let m = acc.map(|a| a / after.len() as f64);
            mean_input.insert(pop.name.clone(), MeanInput { e: m[0], i: m[1], x: m[2], total: m[0] + m[1] + m[2] });
        }
        RunResults {
            completed: done == sim.n_steps(),
            steps_done: done,
            sim_s: done as f64 * dt * 1e-3,
            rate_interval_ms: [burn_ms, done as f64 * dt],
            rates_hz,
            external_rates_hz,
            cov_mean,
            corr_mean,
            cov_windows,
            mean_input,
            spikes: rec.total_spikes,
            synapses: sim.network.n_synapses(),
            neuron_rates_hz,
            bin_t_ms,
            bin_rates_hz,
            covariance,
        }
    }
}
