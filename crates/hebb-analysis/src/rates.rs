//! Firing rates: per-neuron counts over a window, population rates, binned
//! population rates (spec `akil.md` §1.6, "Rates").
//!
//! Online: create a [`RateCounter`] or [`BinnedRates`] and call `on_spike_at`
//! for every spike (O(1) each). Offline: [`rates_hz`] and
//! [`binned_population_rates`] on recorded arrays.

use crate::ids::validate_spikes;
use crate::{AnalysisError, Keyed, NeuronId, grid_index};
use hebb_core::{ParamError, PopLayout};
use serde::Serialize;

/// Per-neuron spike counts over `[t0, t1)` (online accumulator, O(N)
/// memory).
#[derive(Debug, Clone)]
pub struct RateCounter {
    layout: PopLayout,
    t0_ms: f64,
    t1_ms: f64,
    counts: Vec<u64>,
    rejected: u64,
}

impl RateCounter {
    /// Count spikes of the neurons of `layout` over `[t0_ms, t1_ms)`.
    /// Errors unless both are finite and `t1_ms > t0_ms`.
    pub fn new(layout: &PopLayout, t0_ms: f64, t1_ms: f64) -> Result<Self, AnalysisError> {
        hebb_core::check_finite("t0_ms", t0_ms)?;
        hebb_core::check_finite("t1_ms", t1_ms)?;
        if t1_ms <= t0_ms {
            return Err(ParamError::new("t1_ms", t1_ms, format!("a time > t0_ms = {t0_ms}")).into());
        }
        Ok(Self { layout: layout.clone(), t0_ms, t1_ms, counts: vec![0; layout.len()], rejected: 0 })
    }

    /// Record a spike of `neuron` at `t_ms`; spikes outside `[t0, t1)` are
    /// ignored. A neuron id outside the layout or a non-finite time is not
    /// counted but tallied in [`RateCounter::rejected_spikes`]. O(1).
    #[inline]
    pub fn on_spike_at(&mut self, t_ms: f64, neuron: usize) {
        if neuron >= self.counts.len() || !t_ms.is_finite() {
            self.rejected += 1;
            return;
        }
        if grid_index(t_ms, self.t0_ms, self.t1_ms - self.t0_ms) == 0.0 {
            self.counts[neuron] += 1;
        }
    }

    /// Spikes that could not be counted (bad id or time).
    pub fn rejected_spikes(&self) -> u64 {
        self.rejected
    }

    /// Per-neuron counts so far.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The rates so far (counts divided by the full window `t1 − t0`).
    pub fn rates(&self) -> Rates {
        Rates::from_counts(&self.layout, self.t0_ms, self.t1_ms, self.counts.clone())
    }
}

/// Rates over `[t0, t1)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    /// Start of the window (ms).
    pub t0_ms: f64,
    /// End of the window (ms, excluded).
    pub t1_ms: f64,
    /// Mean rate of each population in Hz: total count / (N_a · (t1 − t0)).
    /// NaN (JSON `null`) for an empty population.
    pub population_hz: Keyed<f64>,
    /// Per-neuron spike counts (not serialised; O(N)).
    #[serde(skip)]
    pub counts: Vec<u64>,
}

impl Rates {
    fn from_counts(layout: &PopLayout, t0_ms: f64, t1_ms: f64, counts: Vec<u64>) -> Self {
        let secs = (t1_ms - t0_ms) / 1e3;
        let population_hz = Keyed(
            layout
                .pops()
                .iter()
                .enumerate()
                .map(|(a, p)| {
                    let total: u64 = counts[layout.range(a)].iter().sum();
                    let hz = if p.size == 0 { f64::NAN } else { total as f64 / (p.size as f64 * secs) };
                    (p.name.clone(), hz)
                })
                .collect(),
        );
        Self { t0_ms, t1_ms, population_hz, counts }
    }

    /// Per-neuron rates in Hz.
    pub fn neuron_hz(&self) -> Vec<f64> {
        let secs = (self.t1_ms - self.t0_ms) / 1e3;
        self.counts.iter().map(|&c| c as f64 / secs).collect()
    }
}

/// Per-neuron counts and population rates over `[t0_ms, t1_ms)` from
/// recorded spike arrays (times in ms, neuron ids), in any order.
///
/// Errors: arrays of different lengths, a non-finite time, an id outside the
/// layout, or `t1_ms <= t0_ms`.
pub fn rates_hz<I: NeuronId>(
    times_ms: &[f64],
    ids: &[I],
    layout: &PopLayout,
    t0_ms: f64,
    t1_ms: f64,
) -> Result<Rates, AnalysisError> {
    let mut c = RateCounter::new(layout, t0_ms, t1_ms)?;
    validate_spikes(times_ms, ids, layout.len())?;
    for (&t, &id) in times_ms.iter().zip(ids) {
        c.on_spike_at(t, id.to_index().unwrap_or(usize::MAX));
    }
    Ok(c.rates())
}

/// Population spike counts in consecutive bins of `bin_ms` over
/// `[0, t_end_ms)` (online accumulator, O(P × bins) memory).
///
/// Bins are `[k·bin, (k+1)·bin)`. When `t_end_ms` is not a whole number of
/// bins, the last, partial bin `[k·bin, t_end)` **is included**, and its rate
/// is divided by its actual width.
#[derive(Debug, Clone)]
pub struct BinnedRates {
    layout: PopLayout,
    t_end_ms: f64,
    bin_ms: f64,
    n_bins: usize,
    /// `counts[k * P + a]`.
    counts: Vec<u64>,
    rejected: u64,
}

impl BinnedRates {
    /// Bins of `bin_ms` over `[0, t_end_ms)`; both must be finite and > 0,
    /// and there may be at most 10⁸ bins.
    pub fn new(layout: &PopLayout, t_end_ms: f64, bin_ms: f64) -> Result<Self, AnalysisError> {
        hebb_core::check_positive("t_end_ms", t_end_ms)?;
        hebb_core::check_positive("bin_ms", bin_ms)?;
        let full = grid_index(t_end_ms, 0.0, bin_ms);
        if full > 1e8 {
            return Err(ParamError::new("bin_ms", bin_ms, format!("at most 1e8 bins over {t_end_ms} ms")).into());
        }
        let full = full.max(0.0) as usize;
        let partial = t_end_ms - full as f64 * bin_ms > crate::EDGE_TOL * bin_ms;
        let n_bins = (full + partial as usize).max(1);
        Ok(Self {
            layout: layout.clone(),
            t_end_ms,
            bin_ms,
            n_bins,
            counts: vec![0; n_bins * layout.n_pops()],
            rejected: 0,
        })
    }

    /// Number of bins (including a final partial bin).
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Record a spike of `neuron` at `t_ms`; spikes outside `[0, t_end)` are
    /// ignored; a bad id or non-finite time is tallied in
    /// [`BinnedRates::rejected_spikes`]. O(1).
    #[inline]
    pub fn on_spike_at(&mut self, t_ms: f64, neuron: usize) {
        if neuron >= self.layout.len() || !t_ms.is_finite() {
            self.rejected += 1;
            return;
        }
        if grid_index(t_ms, 0.0, self.t_end_ms) != 0.0 {
            return;
        }
        let k = (grid_index(t_ms, 0.0, self.bin_ms).max(0.0) as usize).min(self.n_bins - 1);
        self.counts[k * self.layout.n_pops() + self.layout.pop_of(neuron)] += 1;
    }

    /// Spikes that could not be counted (bad id or time).
    pub fn rejected_spikes(&self) -> u64 {
        self.rejected
    }

    /// The binned population rates so far.
    pub fn rates(&self) -> BinnedPopulationRates {
        let np = self.layout.n_pops();
        let bin_start_ms: Vec<f64> = (0..self.n_bins).map(|k| k as f64 * self.bin_ms).collect();
        let bin_width_ms: Vec<f64> = bin_start_ms.iter().map(|&s| (s + self.bin_ms).min(self.t_end_ms) - s).collect();
        let rates_hz = Keyed(
            self.layout
                .pops()
                .iter()
                .enumerate()
                .map(|(a, p)| {
                    let v = (0..self.n_bins)
                        .map(|k| {
                            if p.size == 0 {
                                f64::NAN
                            } else {
                                self.counts[k * np + a] as f64 * 1e3 / (p.size as f64 * bin_width_ms[k])
                            }
                        })
                        .collect();
                    (p.name.clone(), v)
                })
                .collect(),
        );
        BinnedPopulationRates { bin_ms: self.bin_ms, t_end_ms: self.t_end_ms, bin_start_ms, bin_width_ms, rates_hz }
    }
}

/// Population rates in consecutive bins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinnedPopulationRates {
    /// Nominal bin width (ms).
    pub bin_ms: f64,
    /// End of the binned range (ms).
    pub t_end_ms: f64,
    /// Start of each bin (ms).
    pub bin_start_ms: Vec<f64>,
    /// Actual width of each bin (ms); the last one may be shorter than
    /// `bin_ms`.
    pub bin_width_ms: Vec<f64>,
    /// Per population, the rate in each bin (Hz): count / (N_a · width).
    /// NaN (JSON `null`) for an empty population.
    pub rates_hz: Keyed<Vec<f64>>,
}

/// Population rates in bins of `bin_ms` over `[0, t_end_ms)` from recorded
/// spike arrays, in any order; see [`BinnedRates`] for the bin convention.
pub fn binned_population_rates<I: NeuronId>(
    times_ms: &[f64],
    ids: &[I],
    layout: &PopLayout,
    t_end_ms: f64,
    bin_ms: f64,
) -> Result<BinnedPopulationRates, AnalysisError> {
    let mut b = BinnedRates::new(layout, t_end_ms, bin_ms)?;
    validate_spikes(times_ms, ids, layout.len())?;
    for (&t, &id) in times_ms.iter().zip(ids) {
        b.on_spike_at(t, id.to_index().unwrap_or(usize::MAX));
    }
    Ok(b.rates())
}
