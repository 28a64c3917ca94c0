//! Diagnostics of a trained strongly coupled network (kimchow.md §3.7, §4.4,
//! §4.5, §5; the data behind the panels of Fig. 5 of Kim & Chow 2021).
//!
//! * block and within-group mean weights and their change from the initial
//!   values ([`GroupMeans`], Fig. 5F);
//! * Dale-violating synapses per presynaptic group with both normalisations
//!   (of the group's synapses, of all synapses in the network;
//!   [`group_dale_violations`], Fig. 5G–H);
//! * E, I and total input traces of chosen neurons in a frozen-weight trial
//!   ([`Trainer::record_inputs`], Fig. 5B);
//! * the inhibition-stabilised probe: extra drive to every I cell, does the
//!   I rate fall? ([`Trainer::isn_probe`], §4.5 probe (a));
//! * performance after pruning the Dale-violating synapses
//!   ([`Network::prune_dale_violations`], Fig. 5J).
//!
//! Pearson `R` per neuron is in [`TrialReport::pearson`](crate::TrialReport),
//! trial-averaged `R` in [`Trainer::trial_averaged_pearson`] and Fano factors
//! in [`fano_factors`](crate::fano_factors).

use crate::error::{Result, check_len};
use crate::network::{DaleViolations, Network};
use crate::trainer::{TEST_TRIAL_KEY, Trainer, TrialKind, TrialReport};
use hebb_core::ParamError;
use serde::{Deserialize, Serialize};

/// Trial keys of the ISN probe's trials are `ISN_TRIAL_KEY | trial`, so the
/// probe never reuses a test trial's initial voltages.
pub const ISN_TRIAL_KEY: u64 = TEST_TRIAL_KEY | (1 << 61);

/// Mean weight of every (postsynaptic group, presynaptic group) pair over
/// its existing synapses (kimchow.md §3.7, Fig. 5F). With the E/I labels
/// (`0` = E, `1` = I) these are the four block means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMeans {
    /// Number of groups `G` (labels `0..G`).
    pub n_groups: usize,
    /// `mean[post * G + pre]`; 0 for pairs without synapses.
    pub mean: Vec<f64>,
    /// Synapses of each pair.
    pub count: Vec<usize>,
}

impl GroupMeans {
    /// Group-pair means of the network's current weights; `labels[i]` is
    /// the group of neuron `i` (as post- and as presynaptic neuron).
    pub fn of(net: &Network, labels: &[u16]) -> Result<Self> {
        check_len("labels", labels.len(), net.n(), "one group label per neuron")?;
        let g = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        let mut sum = vec![0.0; g * g];
        let mut count = vec![0usize; g * g];
        for i in 0..net.n() {
            let b = labels[i] as usize;
            for (&j, &w) in net.pre(i).iter().zip(net.weights(i)) {
                let a = labels[j as usize] as usize;
                sum[b * g + a] += w;
                count[b * g + a] += 1;
            }
        }
        let mean = sum.iter().zip(&count).map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 }).collect();
        Ok(Self { n_groups: g, mean, count })
    }
    /// Mean of pair (post, pre).
    pub fn get(&self, post: usize, pre: usize) -> f64 {
        self.mean[post * self.n_groups + pre]
    }
    /// Largest relative change `|m/m⁰ − 1|` against `initial` over the pairs
    /// with synapses and a non-zero initial mean (§9 relation 1).
    pub fn max_relative_change(&self, initial: &GroupMeans) -> f64 {
        self.mean
            .iter()
            .zip(&initial.mean)
            .zip(&self.count)
            .filter(|((_, m0), c)| **c > 0 && **m0 != 0.0)
            .map(|((m, m0), _)| (m / m0 - 1.0).abs())
            .fold(0.0, f64::max)
    }
}

/// Dale-violating synapses grouped by the **presynaptic** neuron's group
/// (Fig. 5G–H): entry `g` counts the outgoing synapses of the neurons of
/// group `g` that violate Dale's law (E neurons: `W < 0`; I neurons:
/// `W > 0`). [`DaleViolations::within_type`] of an entry is then the
/// fraction of that group's synapses, and `violations / total_synapses`
/// the fraction of all synapses in the network (Fig. 5G's normalisation).
/// Returns the per-group counts and the total number of synapses.
pub fn group_dale_violations(net: &Network, labels: &[u16]) -> Result<(Vec<DaleViolations>, usize)> {
    check_len("labels", labels.len(), net.n(), "one group label per neuron")?;
    let g = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut out = vec![DaleViolations { exc: 0, inh: 0, n_exc_synapses: 0, n_inh_synapses: 0 }; g];
    let mut total = 0;
    let ne = net.n_exc();
    for i in 0..net.n() {
        for (&j, &w) in net.pre(i).iter().zip(net.weights(i)) {
            total += 1;
            let d = &mut out[labels[j as usize] as usize];
            if (j as usize) < ne {
                d.n_exc_synapses += 1;
                d.exc += usize::from(w < 0.0);
            } else {
                d.n_inh_synapses += 1;
                d.inh += usize::from(w > 0.0);
            }
        }
    }
    Ok((out, total))
}

/// E, I and total input of chosen neurons over a frozen-weight trial
/// (Fig. 5B). `exc = X_i + Σ_{j∈E} W_ij r_j` (drive plus recurrent
/// excitation), `inh = Σ_{j∈I} W_ij r_j`, `total = exc + inh` (+ the
/// stimulus, which is off in the window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputTraces {
    /// The recorded neurons.
    pub neurons: Vec<u32>,
    /// Sample times from the window start (ms).
    pub t_ms: Vec<f64>,
    /// `exc[q][m]`: excitatory input of neuron `neurons[q]` at `t_ms[m]`.
    pub exc: Vec<Vec<f64>>,
    /// Inhibitory input.
    pub inh: Vec<Vec<f64>>,
    /// Total input.
    pub total: Vec<Vec<f64>>,
    /// Spikes of the recorded neurons in the window: `(time from the window
    /// start in ms, position in `neurons`)`.
    pub spikes: Vec<(f64, u32)>,
    /// The trial's report (rates, counts, `R` of the trained neurons).
    pub report: TrialReport,
}

/// Result of the inhibition-stabilised probe (kimchow.md §4.5 probe (a)):
/// mean E and I rates (Hz) over the window of frozen-weight trials without
/// and with an extra constant drive `delta` to every I cell, paired by
/// initial voltages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsnProbe {
    /// Extra drive to the I cells.
    pub delta: f64,
    /// `[E, I]` rates without the extra drive, per trial.
    pub base: Vec<[f64; 2]>,
    /// `[E, I]` rates with it, per trial (same initial voltages).
    pub driven: Vec<[f64; 2]>,
}

impl IsnProbe {
    /// Mean `[E, I]` rate change (Hz), driven − base.
    pub fn mean_change(&self) -> [f64; 2] {
        let n = self.base.len().max(1) as f64;
        let mut d = [0.0; 2];
        for (b, x) in self.base.iter().zip(&self.driven) {
            for p in 0..2 {
                d[p] += (x[p] - b[p]) / n;
            }
        }
        d
    }
    /// Standard error of the mean I-rate change over the paired trials.
    pub fn inh_change_sem(&self) -> f64 {
        let n = self.base.len();
        if n < 2 {
            return f64::INFINITY;
        }
        let d: Vec<f64> = self.base.iter().zip(&self.driven).map(|(b, x)| x[1] - b[1]).collect();
        let m = d.iter().sum::<f64>() / n as f64;
        (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64 / n as f64).sqrt()
    }
    /// Mean base rates `[E, I]` (Hz).
    pub fn mean_base(&self) -> [f64; 2] {
        let n = self.base.len().max(1) as f64;
        let mut m = [0.0; 2];
        for b in &self.base {
            m[0] += b[0] / n;
            m[1] += b[1] / n;
        }
        m
    }
    /// Whether the mean I rate fell under the extra I drive: the paradoxical
    /// response of an inhibition-stabilised network.
    pub fn paradoxical(&self) -> bool {
        self.mean_change()[1] < 0.0
    }
}

impl Network {
    /// Set every Dale-violating weight (E synapse `< 0`, I synapse `> 0`) to
    /// zero (Fig. 5J: performance after removing the violating synapses) and
    /// return what was removed. The RLS state is not touched: a later
    /// training loop writes its own weights back into the trained rows.
    pub fn prune_dale_violations(&mut self) -> DaleViolations {
        let removed = self.dale_violations();
        let ne = self.n_exc();
        for i in 0..self.n() {
            let pre: Vec<u32> = self.pre(i).to_vec();
            for (w, &j) in self.weights_mut(i).iter_mut().zip(&pre) {
                if ((j as usize) < ne && *w < 0.0) || ((j as usize) >= ne && *w > 0.0) {
                    *w = 0.0;
                }
            }
        }
        removed
    }
}

impl<T: crate::real::Real> Trainer<T> {
    /// Rate-sorted group labels of every neuron (Fig. 5: E and I neurons
    /// sorted by their rate in the reference trial of the untrained
    /// network into `groups_per_population` groups each; E groups
    /// `0..G` from the lowest rate up, I groups `G..2G`).
    pub fn rate_group_labels(&self, groups_per_population: usize) -> Result<Vec<u16>> {
        crate::inputs::Grouping::RateSorted {
            n_exc: self.network().n_exc(),
            groups_per_population,
            rates: self.reference().window_counts.iter().map(|&c| c as f64).collect(),
        }
        .labels(self.network().n())
    }

    /// E/I labels of every neuron (`0` = E, `1` = I).
    pub fn exc_inh_labels(&self) -> Vec<u16> {
        let ne = self.network().n_exc();
        (0..self.network().n()).map(|i| u16::from(i >= ne)).collect()
    }

    /// A frozen-weight test trial (`TEST_TRIAL_KEY | trial`, the same
    /// initial voltages as [`Trainer::test_trial`]`(trial)`) recording the
    /// E, I and total input of `neurons` every `every_ms` over the window.
    pub fn record_inputs(&mut self, trial: u64, neurons: &[u32], every_ms: f64) -> Result<InputTraces> {
        let n = self.network().n();
        if let Some(q) = neurons.iter().position(|&i| i as usize >= n) {
            return Err(ParamError::new(format!("neurons[{q}]"), neurons[q], format!("a neuron index < {n}")).into());
        }
        let dt = self.network().config().dt_ms;
        let every = hebb_core::time::steps_in("every_ms", every_ms, dt)?.max(1);
        let m = neurons.len();
        let (mut t_ms, mut exc, mut inh, mut total) = (Vec::new(), vec![vec![]; m], vec![vec![]; m], vec![vec![]; m]);
        let mut slot = vec![u32::MAX; n];
        for (q, &i) in neurons.iter().enumerate() {
            slot[i as usize] = q as u32;
        }
        let mut spikes = Vec::new();
        let mut probe = |s: u64, net: &Network| {
            for &j in net.last_spikes() {
                if slot[j as usize] != u32::MAX {
                    spikes.push((s as f64 * dt, slot[j as usize]));
                }
            }
            if s.is_multiple_of(every) {
                t_ms.push(s as f64 * dt);
                for (q, &i) in neurons.iter().enumerate() {
                    let i = i as usize;
                    exc[q].push(net.bias()[i] + net.exc_input()[i]);
                    inh[q].push(net.inh_input()[i]);
                    total[q].push(net.total_input(i));
                }
            }
        };
        let trained = self.trained().to_vec();
        let report = self.run_trial_with(TrialKind::Test(trial), &trained, None, None, Some(&mut probe))?;
        Ok(InputTraces { neurons: neurons.to_vec(), t_ms, exc, inh, total, spikes, report })
    }

    /// The ISN probe (kimchow.md §4.5 probe (a)): `trials` pairs of
    /// frozen-weight trials from the same initial voltages, the second with
    /// an extra constant drive `delta` to every I cell during the window.
    /// The rates are measured over the whole window.
    pub fn isn_probe(&mut self, delta: f64, trials: u64) -> Result<IsnProbe> {
        hebb_core::check_finite("isn.delta", delta)?;
        if trials == 0 {
            return Err(ParamError::new("isn.trials", trials, "an integer >= 1").into());
        }
        let (n, ne) = (self.network().n(), self.network().n_exc());
        let drive: Vec<f64> = (0..n).map(|i| if i >= ne { delta } else { 0.0 }).collect();
        let trained = self.trained().to_vec();
        let (mut base, mut driven) = (Vec::new(), Vec::new());
        for t in 0..trials {
            let kind = TrialKind::Test(ISN_TRIAL_KEY | t);
            let a = self.run_trial_with(kind, &trained, None, None, None)?;
            let b = self.run_trial_with(kind, &trained, None, Some(&drive), None)?;
            base.push([a.rate_exc_hz, a.rate_inh_hz]);
            driven.push([b.rate_exc_hz, b.rate_inh_hz]);
        }
        Ok(IsnProbe { delta, base, driven })
    }
}
