//! Recorders: what a run keeps while it steps, in O(N) memory.

use crate::network::{StepObserver, StepView};
use hebb_core::PopLayout;
use serde::{Deserialize, Serialize};

/// Where every spike goes when the raster is recorded (a file writer in the
/// `hebb` program, a vector in tests).
pub trait SpikeSink: Send {
    /// Spikes of step `n` at time `t_ms`, neuron indices increasing.
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()>;
    /// Number of spikes written so far.
    fn written(&self) -> u64;
    /// Make everything written so far durable (called before a checkpoint
    /// records `written()`); writing continues afterwards.
    fn checkpoint(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    /// Complete the output at the end of a run.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A [`SpikeSink`] that keeps every spike in memory.
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    /// Spike times (ms).
    pub times_ms: Vec<f64>,
    /// Spiking neurons, aligned with `times_ms`.
    pub neurons: Vec<u32>,
}

impl SpikeSink for MemorySink {
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        self.times_ms.extend(std::iter::repeat_n(t_ms, neurons.len()));
        self.neurons.extend_from_slice(neurons);
        Ok(())
    }
    fn written(&self) -> u64 {
        self.neurons.len() as u64
    }
}

/// Step counts that define what is recorded when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordPlan {
    /// Steps in the whole run.
    pub n_steps: u64,
    /// Step size (ms).
    pub dt: f64,
    /// Steps `1..=burn_steps` are burn-in for rates and covariances.
    pub burn_steps: u64,
    /// Steps per population-rate bin.
    pub bin_steps: u64,
    /// Steps between samples of currents and voltages.
    pub interval_steps: u64,
    /// Steps per spike-count window.
    pub cov_window_steps: u64,
    /// Neurons whose voltage is sampled.
    pub voltage_neurons: Vec<usize>,
    /// Neurons kept for the raster figure (sorted), over the last
    /// `figure_window_steps` of the run.
    pub raster_neurons: Vec<u32>,
    /// Length of the raster-figure window (steps).
    pub figure_window_steps: u64,
}

/// Everything recorded so far; serialisable so a checkpoint can carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorder {
    /// The plan this recorder follows.
    pub plan: RecordPlan,
    n_pops: usize,
    pop_of: Vec<u16>,
    pop_ranges: Vec<(usize, usize)>,
    /// Spikes per neuron after burn-in.
    pub counts_after_burn: Vec<u32>,
    /// Spikes per (bin, population), flattened bin-major.
    pub bin_counts: Vec<u64>,
    /// External spikes delivered after burn-in, per layer.
    pub external_after_burn: Vec<u64>,
    /// Sample times (ms) of currents and voltages.
    pub sample_t_ms: Vec<f64>,
    /// Mean I^e, I^i, I^x per population at each sample, flattened
    /// `[sample][pop][e, i, x]`.
    pub mean_currents: Vec<f64>,
    /// Voltages at each sample, flattened `[sample][neuron]`.
    pub voltages: Vec<f64>,
    /// Raster-figure spikes: (time ms, neuron).
    pub raster: Vec<(f64, u32)>,
    /// Spike counts per window (after burn-in) for the covariances; `None`
    /// when fewer than two windows fit in the run.
    pub covariance: Option<hebb_analysis::CountCovariance>,
    /// All spikes so far.
    pub total_spikes: u64,
    /// Plastic weights over time.
    pub weights: WeightRecord,
}

/// Plastic weights over time: the mean of every plastic type and a fixed
/// random sample of its synapses, in j units (√N·J).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WeightRecord {
    /// Names of the tracked synapse types (`"E<-I"`).
    pub types: Vec<String>,
    /// CSR positions of the sampled synapses, per type.
    pub sample_positions: Vec<Vec<u32>>,
    /// Record times (ms).
    pub t_ms: Vec<f64>,
    /// Mean weight per type at each record time, `[record][type]`.
    pub mean_j: Vec<f64>,
    /// Sampled weights, `[record][type][sample]`.
    pub sample_j: Vec<f32>,
}

impl Recorder {
    /// An empty recorder for a network with `layout` and `n_layers` external layers.
    pub fn new(
        plan: RecordPlan,
        layout: &PopLayout,
        n_layers: usize,
        covariance: Option<hebb_analysis::CountCovariance>,
    ) -> Self {
        let n = layout.len();
        let n_pops = layout.n_pops();
        let n_bins = plan.n_steps.div_ceil(plan.bin_steps) as usize;
        Self {
            n_pops,
            pop_of: (0..n).map(|j| layout.pop_of(j) as u16).collect(),
            pop_ranges: (0..n_pops).map(|p| (layout.range(p).start, layout.range(p).end)).collect(),
            counts_after_burn: vec![0; n],
            bin_counts: vec![0; n_bins * n_pops],
            external_after_burn: vec![0; n_layers],
            sample_t_ms: Vec::new(),
            mean_currents: Vec::new(),
            voltages: Vec::new(),
            raster: Vec::new(),
            covariance,
            total_spikes: 0,
            weights: WeightRecord::default(),
            plan,
        }
    }

    /// Number of populations.
    pub fn n_pops(&self) -> usize {
        self.n_pops
    }
}

impl StepObserver for Recorder {
    fn observe(&mut self, view: &StepView<'_>) {
        let n = view.n;
        let plan = &self.plan;
        self.total_spikes += view.spiked.len() as u64;
        let bin = ((n - 1) / plan.bin_steps) as usize;
        for &j in view.spiked {
            self.bin_counts[bin * self.n_pops + self.pop_of[j as usize] as usize] += 1;
        }
        if n > plan.burn_steps {
            for &j in view.spiked {
                self.counts_after_burn[j as usize] += 1;
            }
            for (acc, &c) in self.external_after_burn.iter_mut().zip(view.external) {
                *acc += c as u64;
            }
        }
        if let Some(cov) = self.covariance.as_mut() {
            let t = n as f64 * plan.dt;
            for &j in view.spiked {
                cov.on_spike_at(t, j as usize);
            }
        }
        if n + plan.figure_window_steps > plan.n_steps && !plan.raster_neurons.is_empty() {
            let t = n as f64 * plan.dt;
            for &j in view.spiked {
                if plan.raster_neurons.binary_search(&j).is_ok() {
                    self.raster.push((t, j));
                }
            }
        }
        if n.is_multiple_of(plan.interval_steps) {
            self.sample(view);
        }
    }
}

impl Recorder {
    fn sample(&mut self, view: &StepView<'_>) {
        let st = view.state;
        self.sample_t_ms.push(view.n as f64 * self.plan.dt);
        // Stored currents are undecayed (see Network::step): apply phase 7.
        for &(a, b) in &self.pop_ranges {
            let size = (b - a).max(1) as f64;
            for (c, cur) in [&st.ie, &st.ii, &st.ix].into_iter().enumerate() {
                let sum = sum_in_lanes(&cur[a..b]);
                self.mean_currents.push(sum * view.decay[c] as f64 / size);
            }
        }
        for &j in &self.plan.voltage_neurons {
            self.voltages.push(st.v[j] as f64);
        }
    }
}

/// The sum of `x` in eight interleaved partial sums, added in a fixed order
/// at the end: the same result on every machine, and vectorised (a single
/// running sum is one chain of dependent additions, ~4 cycles each, which
/// made this sampling ~8 % of a static run). The f32 state is widened
/// exactly and summed in f64.
pub(crate) fn sum_in_lanes(x: &[f32]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = x.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| v as f64).sum();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += v as f64;
        }
    }
    ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])) + tail
}

#[cfg(test)]
mod tests {
    /// Against a compensated (Kahan) sum of the same numbers: eight partial
    /// sums of ~600 terms each round at most ~1e-13 relative here.
    #[test]
    fn sum_in_lanes_is_the_sum() {
        let x: Vec<f32> = (0..5003).map(|i| ((i * 7919) % 1000) as f32 * 0.001 - 0.4).collect();
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for &v in &x {
            let y = v as f64 - c;
            let t = s + y;
            c = (t - s) - y;
            s = t;
        }
        let got = super::sum_in_lanes(&x);
        assert!((got - s).abs() <= 1e-13 * x.iter().map(|v| v.abs() as f64).sum::<f64>(), "{got} vs {s}");
        assert_eq!(super::sum_in_lanes(&x[..5]), x[..5].iter().map(|&v| v as f64).sum::<f64>());
    }
}
