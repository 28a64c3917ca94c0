//! Spike-count covariances and correlations between populations, in O(N)
//! memory (spec `akil.md` §1.6 "Spike-count covariances", §3.2).
//!
//! # What is computed
//!
//! Spikes are counted in consecutive windows `[b + k·w, b + (k+1)·w)`,
//! k = 0..W−1, of `window_ms` = w (default 250 ms) starting at the burn-in
//! b, for every window that fits entirely before `t_end_ms` (so the last full
//! window is kept, unlike the authors' package, and a final partial window
//! is dropped). With n_jk the count of neuron j in window k, the sample
//! covariance is C_jl = Σ_k (n_jk − n̄_j)(n_lk − n̄_l) / (W − 1), as
//! `numpy.cov`. For populations a, b of sizes N_a, N_b the mean covariance
//! over pairs is
//!
//! * a ≠ b: C̄_ab = Cov(S_a, S_b) / (N_a N_b),
//! * a = b, [`Diagonal::Include`] (the MATLAB convention, all N_a² entries):
//!   C̄_aa = Var(S_a) / N_a²,
//! * a = b, [`Diagonal::Exclude`] (pairs j ≠ l, the package's convention,
//!   default): C̄_aa = (Var(S_a) − Σ_{j∈a} V_j) / (N_a (N_a − 1)); `None` when
//!   N_a < 2,
//!
//! where S_a = Σ_{j∈a} n_j is the population count and V_j = C_jj. Only the
//! W × P population counts and the per-neuron Σ_k n_jk and Σ_k n_jk² are
//! stored; all moments are accumulated in integers, so the result equals the
//! N × N computation up to the final floating-point divisions.
//!
//! The **mean correlation** is the population form of spec §3.2,
//! R̄_ab = C̄_ab / √(V̄_a V̄_b), with V̄_a the mean count variance of
//! population a; it is *not* the mean of the per-pair correlations (those are
//! in [`SampledPairStats`]).
//!
//! In addition, a fixed random sample of up to
//! [`CovarianceConfig::sample_per_pop`] neurons per population (drawn from
//! `hebb_core::rng::stream(seed, Purpose::Sampling, &[SAMPLING_KEY, a])`)
//! keeps its full count vectors, from which the per-pair covariances and
//! correlations (distributions and means) are computed for all sampled pairs
//! of distinct neurons.

use crate::ids::validate_spikes;
use crate::{AnalysisError, Keyed, NeuronId, grid_index};
use hebb_core::rng::{Purpose, stream};
use hebb_core::{ParamError, PopLayout};
use serde::{Deserialize, Serialize};

/// First id of the sampling stream key (ASCII "counts"); the second id is
/// the population index.
pub const SAMPLING_KEY: u64 = 0x636f_756e_7473;

/// Whether the mean covariance within a population includes the variances
/// (the diagonal of the covariance matrix). See spec §1.6: at c = 0 the
/// choice matters at leading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Diagonal {
    /// Average over pairs j ≠ l only (package convention). Undefined (`None`)
    /// for a population of fewer than 2 neurons.
    #[default]
    Exclude,
    /// Average over all N_a² entries, variances included (MATLAB convention).
    Include,
}

/// Windows and sampling of a [`CountCovariance`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovarianceConfig {
    /// Start of the first window (ms), e.g. T/2.
    pub burn_in_ms: f64,
    /// End of the recording (ms); only windows ending at or before it count.
    pub t_end_ms: f64,
    /// Window length (ms), default 250.
    pub window_ms: f64,
    /// Neurons per population whose full count vectors are kept for per-pair
    /// statistics (all of them if the population is smaller), default 200;
    /// 0 disables the per-pair statistics.
    pub sample_per_pop: usize,
    /// Seed of the sampling stream.
    pub seed: u64,
}

impl CovarianceConfig {
    /// Default window length (ms), spec §1.6.
    pub const DEFAULT_WINDOW_MS: f64 = 250.0;
    /// Default number of sampled neurons per population.
    pub const DEFAULT_SAMPLE_PER_POP: usize = 200;

    /// Windows of 250 ms over `[burn_in_ms, t_end_ms)`, 200 sampled neurons
    /// per population, seed 0.
    pub fn new(burn_in_ms: f64, t_end_ms: f64) -> Self {
        Self {
            burn_in_ms,
            t_end_ms,
            window_ms: Self::DEFAULT_WINDOW_MS,
            sample_per_pop: Self::DEFAULT_SAMPLE_PER_POP,
            seed: 0,
        }
    }

    /// Number of full windows, after validating the fields. Errors with
    /// [`AnalysisError::TooFewWindows`] when fewer than 2 fit.
    pub fn n_windows(&self) -> Result<usize, AnalysisError> {
        hebb_core::check_finite("burn_in_ms", self.burn_in_ms)?;
        hebb_core::check_finite("t_end_ms", self.t_end_ms)?;
        hebb_core::check_positive("window_ms", self.window_ms)?;
        let k = grid_index(self.t_end_ms, self.burn_in_ms, self.window_ms);
        if k > 1e9 {
            return Err(ParamError::new(
                "window_ms",
                self.window_ms,
                "a window giving at most 1e9 windows over the recording",
            )
            .into());
        }
        let k = k.max(0.0) as usize;
        if k < 2 {
            return Err(AnalysisError::TooFewWindows {
                fit: k,
                window_ms: self.window_ms,
                burn_in_ms: self.burn_in_ms,
                t_end_ms: self.t_end_ms,
            });
        }
        Ok(k)
    }
}

/// Online accumulator of windowed spike counts (O(N) memory plus W × P
/// population counts and W × sample counts).
///
/// Feed every spike, in non-decreasing time order, with
/// [`on_spike_at`](CountCovariance::on_spike_at) (O(1) amortised; a window
/// is closed, at O(active neurons + sample) cost, when the first spike after
/// its end arrives). Call [`finish`](CountCovariance::finish) at the end of
/// the run, then [`stats`](CountCovariance::stats). Spikes before the
/// burn-in or after the last full window are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountCovariance {
    cfg: CovarianceConfig,
    layout: PopLayout,
    n_total: usize,
    closed: usize,
    counts: Vec<u32>,
    active: Vec<u32>,
    sum_n: Vec<u64>,
    sum_n2: Vec<u64>,
    cur_pop: Vec<u64>,
    /// `pop_sums[k * P + a]`.
    pop_sums: Vec<u64>,
    /// Sampled global ids, grouped by population, sorted within each.
    sample: Vec<u32>,
    sample_offsets: Vec<usize>,
    /// `sample_counts[k * S + s]`.
    sample_counts: Vec<u32>,
    late: u64,
    rejected: u64,
}

impl CountCovariance {
    /// An empty accumulator for `layout`. Errors for invalid windows or fewer
    /// than 2 full windows.
    pub fn new(layout: &PopLayout, cfg: &CovarianceConfig) -> Result<Self, AnalysisError> {
        let n_total = cfg.n_windows()?;
        let n = layout.len();
        let mut sample = Vec::new();
        let mut sample_offsets = vec![0];
        for a in 0..layout.n_pops() {
            let r = layout.range(a);
            let m = cfg.sample_per_pop.min(r.len());
            let mut rng = stream(cfg.seed, Purpose::Sampling, &[SAMPLING_KEY, a as u64]);
            let mut idx: Vec<u32> =
                rand::seq::index::sample(&mut rng, r.len(), m).into_iter().map(|i| (r.start + i) as u32).collect();
            idx.sort_unstable();
            sample.extend(idx);
            sample_offsets.push(sample.len());
        }
        Ok(Self {
            cfg: cfg.clone(),
            layout: layout.clone(),
            n_total,
            closed: 0,
            counts: vec![0; n],
            active: Vec::new(),
            sum_n: vec![0; n],
            sum_n2: vec![0; n],
            cur_pop: vec![0; layout.n_pops()],
            pop_sums: Vec::new(),
            sample,
            sample_offsets,
            sample_counts: Vec::new(),
            late: 0,
            rejected: 0,
        })
    }

    /// Accumulate the spikes of recorded arrays (times in ms, ids; any order:
    /// they are sorted by time if needed) and close all full windows.
    pub fn from_spikes<I: NeuronId>(
        times_ms: &[f64],
        ids: &[I],
        layout: &PopLayout,
        cfg: &CovarianceConfig,
    ) -> Result<Self, AnalysisError> {
        let mut acc = Self::new(layout, cfg)?;
        validate_spikes(times_ms, ids, layout.len())?;
        let idx = |i: usize| ids[i].to_index().unwrap_or(usize::MAX);
        if times_ms.windows(2).all(|w| w[0] <= w[1]) {
            for (i, &t) in times_ms.iter().enumerate() {
                acc.on_spike_at(t, idx(i));
            }
        } else {
            let mut order: Vec<usize> = (0..times_ms.len()).collect();
            order.sort_by(|&a, &b| times_ms[a].total_cmp(&times_ms[b]));
            for i in order {
                acc.on_spike_at(times_ms[i], idx(i));
            }
        }
        acc.finish();
        Ok(acc)
    }

    /// Record a spike of `neuron` at `t_ms`. Times must not decrease between
    /// calls: a spike falling in an already closed window is not counted and
    /// is tallied in [`late_spikes`](CountCovariance::late_spikes). A bad id
    /// or non-finite time is tallied in
    /// [`rejected_spikes`](CountCovariance::rejected_spikes). O(1) amortised.
    #[inline]
    pub fn on_spike_at(&mut self, t_ms: f64, neuron: usize) {
        if neuron >= self.counts.len() || !t_ms.is_finite() {
            self.rejected += 1;
            return;
        }
        let k = grid_index(t_ms, self.cfg.burn_in_ms, self.cfg.window_ms);
        if k < 0.0 {
            return; // before the burn-in
        }
        if k >= self.n_total as f64 {
            self.close_until(self.n_total);
            return; // after the last full window
        }
        let k = k as usize;
        if k < self.closed {
            self.late += 1;
            return;
        }
        self.close_until(k);
        let c = &mut self.counts[neuron];
        if *c == 0 {
            self.active.push(neuron as u32);
        }
        *c = c.saturating_add(1);
        self.cur_pop[self.layout.pop_of(neuron)] += 1;
    }

    /// Close every window that ends at or before `t_ms` (optional; windows
    /// are also closed by later spikes and by [`finish`](Self::finish)).
    /// Call it only after every spike with time < `t_ms` has been fed; a
    /// spike fed later into a closed window counts as late. O(1) when no
    /// window ends.
    pub fn advance_to(&mut self, t_ms: f64) {
        let k = grid_index(t_ms, self.cfg.burn_in_ms, self.cfg.window_ms);
        if k >= 1.0 {
            self.close_until((k.min(self.n_total as f64)) as usize);
        }
    }

    /// Close all remaining full windows. Call once every spike before
    /// `t_end_ms` has been fed.
    pub fn finish(&mut self) {
        self.close_until(self.n_total);
    }

    fn close_until(&mut self, k: usize) {
        while self.closed < k.min(self.n_total) {
            self.close_current();
        }
    }

    fn close_current(&mut self) {
        self.sample_counts.extend(self.sample.iter().map(|&j| self.counts[j as usize]));
        for &j in &self.active {
            let j = j as usize;
            let n = self.counts[j] as u64;
            self.sum_n[j] += n;
            self.sum_n2[j] += n * n;
            self.counts[j] = 0;
        }
        self.active.clear();
        self.pop_sums.extend_from_slice(&self.cur_pop);
        self.cur_pop.fill(0);
        self.closed += 1;
    }

    /// The configuration.
    pub fn config(&self) -> &CovarianceConfig {
        &self.cfg
    }

    /// Windows closed so far.
    pub fn n_windows_closed(&self) -> usize {
        self.closed
    }

    /// Number of full windows in `[burn_in, t_end)`.
    pub fn n_windows_total(&self) -> usize {
        self.n_total
    }

    /// Spikes that arrived after their window had been closed (not counted).
    pub fn late_spikes(&self) -> u64 {
        self.late
    }

    /// Spikes with an id outside the layout or a non-finite time.
    pub fn rejected_spikes(&self) -> u64 {
        self.rejected
    }

    /// Sampled neurons (global ids, sorted) of population `a`; empty for an
    /// index out of range.
    pub fn sampled_neurons(&self, a: usize) -> &[u32] {
        match (self.sample_offsets.get(a), self.sample_offsets.get(a + 1)) {
            (Some(&s), Some(&e)) => &self.sample[s..e],
            _ => &[],
        }
    }

    /// Count vectors (one entry per closed window) of the sampled neurons of
    /// population `a`, in the order of [`sampled_neurons`](Self::sampled_neurons).
    pub fn sampled_counts(&self, a: usize) -> Vec<Vec<u32>> {
        let s_tot = self.sample.len();
        let (s, e) = match (self.sample_offsets.get(a), self.sample_offsets.get(a + 1)) {
            (Some(&s), Some(&e)) => (s, e),
            _ => return Vec::new(),
        };
        (s..e).map(|slot| (0..self.closed).map(|k| self.sample_counts[k * s_tot + slot]).collect()).collect()
    }

    /// Per-neuron mean count per window over the closed windows.
    pub fn neuron_mean_counts(&self) -> Result<Vec<f64>, AnalysisError> {
        self.need_windows()?;
        let w = self.closed as f64;
        Ok(self.sum_n.iter().map(|&s| s as f64 / w).collect())
    }

    /// Per-neuron count variance (1/(W−1)) over the closed windows.
    pub fn neuron_variances(&self) -> Result<Vec<f64>, AnalysisError> {
        self.need_windows()?;
        let d = self.denominator();
        Ok((0..self.counts.len()).map(|j| self.var_num(j) as f64 / d).collect())
    }

    fn need_windows(&self) -> Result<(), AnalysisError> {
        if self.closed < 2 { Err(AnalysisError::NotEnoughClosedWindows { closed: self.closed }) } else { Ok(()) }
    }

    /// W (W − 1).
    fn denominator(&self) -> f64 {
        let w = self.closed as f64;
        w * (w - 1.0)
    }

    /// W Σn² − (Σn)² = W (W−1) V_j, exact.
    fn var_num(&self, j: usize) -> i128 {
        let w = self.closed as i128;
        w * self.sum_n2[j] as i128 - (self.sum_n[j] as i128).pow(2)
    }

    /// Population and sampled-pair statistics over the closed windows, with
    /// the given diagonal convention. Errors if fewer than 2 windows are
    /// closed (call [`finish`](Self::finish) first).
    pub fn stats(&self, diagonal: Diagonal) -> Result<CountCovarianceStats, AnalysisError> {
        self.need_windows()?;
        let np = self.layout.n_pops();
        let w = self.closed;
        let wi = w as i128;
        let d = self.denominator();
        let pops = self.layout.pops();
        let size = |a: usize| pops[a].size as f64;

        // Population totals and cross-moments of the population counts.
        let mut tot = vec![0i128; np];
        let mut cross = vec![0i128; np * np];
        for k in 0..w {
            let row = &self.pop_sums[k * np..(k + 1) * np];
            for a in 0..np {
                tot[a] += row[a] as i128;
                for b in a..np {
                    cross[a * np + b] += row[a] as i128 * row[b] as i128;
                }
            }
        }
        let sv: Vec<i128> = (0..np).map(|a| self.layout.range(a).map(|j| self.var_num(j)).sum()).collect();

        let mean_count: Vec<Option<f64>> =
            (0..np).map(|a| (pops[a].size > 0).then(|| tot[a] as f64 / (w as f64 * size(a)))).collect();
        let mean_var: Vec<Option<f64>> =
            (0..np).map(|a| (pops[a].size > 0).then(|| sv[a] as f64 / (d * size(a)))).collect();
        let fano: Vec<Option<f64>> = (0..np)
            .map(|a| match (mean_var[a], mean_count[a]) {
                (Some(v), Some(m)) if m > 0.0 => Some(v / m),
                _ => None,
            })
            .collect();

        let mut cov = Vec::new();
        let mut corr = Vec::new();
        let mut sampled = Vec::new();
        for a in 0..np {
            for b in a..np {
                let name = format!("{}-{}", pops[a].name, pops[b].name);
                let num = wi * cross[a * np + b] - tot[a] * tot[b];
                let c = if pops[a].size == 0 || pops[b].size == 0 {
                    None
                } else if a != b {
                    Some(num as f64 / (d * size(a) * size(b)))
                } else {
                    match diagonal {
                        Diagonal::Include => Some(num as f64 / (d * size(a) * size(a))),
                        Diagonal::Exclude => {
                            (pops[a].size >= 2).then(|| (num - sv[a]) as f64 / (d * size(a) * (size(a) - 1.0)))
                        }
                    }
                };
                let r = match (c, mean_var[a], mean_var[b]) {
                    (Some(c), Some(va), Some(vb)) if va > 0.0 && vb > 0.0 => Some(c / (va * vb).sqrt()),
                    _ => None,
                };
                cov.push((name.clone(), c));
                corr.push((name.clone(), r));
                sampled.push((name, self.sampled_pairs(a, b)));
            }
        }
        let names = |v: Vec<Option<f64>>| Keyed(pops.iter().map(|p| p.name.clone()).zip(v).collect());
        Ok(CountCovarianceStats {
            diagonal,
            n_windows: w,
            window_ms: self.cfg.window_ms,
            burn_in_ms: self.cfg.burn_in_ms,
            mean_count: names(mean_count),
            mean_var: names(mean_var),
            fano: names(fano),
            cov: Keyed(cov),
            corr: Keyed(corr),
            sample_size: Keyed((0..np).map(|a| (pops[a].name.clone(), self.sampled_neurons(a).len())).collect()),
            sampled: Keyed(sampled),
        })
    }

    /// Per-pair statistics for the sampled neurons of populations a ≤ b.
    fn sampled_pairs(&self, a: usize, b: usize) -> SampledPairStats {
        let s_tot = self.sample.len();
        let (sa, ea) = (self.sample_offsets[a], self.sample_offsets[a + 1]);
        let (sb, eb) = (self.sample_offsets[b], self.sample_offsets[b + 1]);
        let (ma, mb) = (ea - sa, eb - sb);
        // Σ_k n_j n_l for the block, accumulated row by row (cache-friendly).
        let mut g = vec![0u64; ma * mb];
        for k in 0..self.closed {
            let row = &self.sample_counts[k * s_tot..(k + 1) * s_tot];
            for (i, &x) in row[sa..ea].iter().enumerate() {
                if x == 0 {
                    continue;
                }
                let start = if a == b { i + 1 } else { 0 };
                let gi = &mut g[i * mb..(i + 1) * mb];
                for (l, &y) in row[sb..eb].iter().enumerate().skip(start) {
                    gi[l] += x as u64 * y as u64;
                }
            }
        }
        let wi = self.closed as i128;
        let d = self.denominator();
        let mut pairs = Vec::new();
        let mut cov = Vec::new();
        let mut corr = Vec::new();
        for i in 0..ma {
            let j = self.sample[sa + i] as usize;
            let start = if a == b { i + 1 } else { 0 };
            for l in start..mb {
                let m = self.sample[sb + l] as usize;
                let num = wi * g[i * mb + l] as i128 - self.sum_n[j] as i128 * self.sum_n[m] as i128;
                let c = num as f64 / d;
                let (vj, vm) = (self.var_num(j), self.var_num(m));
                let r = if vj > 0 && vm > 0 { c / ((vj as f64 / d) * (vm as f64 / d)).sqrt() } else { f64::NAN };
                pairs.push((j as u32, m as u32));
                cov.push(c);
                corr.push(r);
            }
        }
        let n_pairs = cov.len();
        let defined: Vec<f64> = corr.iter().copied().filter(|r| !r.is_nan()).collect();
        SampledPairStats {
            n_pairs,
            mean_cov: (n_pairs > 0).then(|| cov.iter().sum::<f64>() / n_pairs as f64),
            n_corr_defined: defined.len(),
            mean_corr: (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64),
            pairs,
            cov,
            corr,
        }
    }
}

/// Per-pair covariances and correlations of the sampled neurons of one
/// population pair. Pairs of a neuron with itself are excluded; within a
/// population each unordered pair appears once (j < l).
///
/// Only the summary fields are serialised; the distributions (`pairs`,
/// `cov`, `corr`) are kept in memory for histograms or NPY output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampledPairStats {
    /// Number of sampled pairs.
    pub n_pairs: usize,
    /// Mean of the per-pair covariances; `None` if there is no pair.
    pub mean_cov: Option<f64>,
    /// Mean of the defined per-pair correlations; `None` if none is defined.
    pub mean_corr: Option<f64>,
    /// Number of pairs whose correlation is defined (both variances > 0).
    pub n_corr_defined: usize,
    /// The pairs as global neuron ids `(j, l)`.
    #[serde(skip)]
    pub pairs: Vec<(u32, u32)>,
    /// Count covariance of each pair (1/(W−1)).
    #[serde(skip)]
    pub cov: Vec<f64>,
    /// Correlation C_jl/√(V_j V_l) of each pair; NaN when a variance is 0.
    #[serde(skip)]
    pub corr: Vec<f64>,
}

/// Spike-count statistics over population pairs (see the [module
/// docs](self) for the formulas). `None` (JSON `null`) marks an undefined
/// value: an empty population, a population of one neuron with
/// [`Diagonal::Exclude`], or a zero mean variance in a correlation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountCovarianceStats {
    /// Diagonal convention used for `cov` and `corr` within a population.
    pub diagonal: Diagonal,
    /// Number of windows W.
    pub n_windows: usize,
    /// Window length (ms).
    pub window_ms: f64,
    /// Start of the first window (ms).
    pub burn_in_ms: f64,
    /// Mean count per neuron per window, per population.
    pub mean_count: Keyed<Option<f64>>,
    /// Mean count variance V̄_a = (1/N_a) Σ_j V_j, per population.
    pub mean_var: Keyed<Option<f64>>,
    /// Population Fano factor V̄_a / mean count (ratio of means).
    pub fano: Keyed<Option<f64>>,
    /// Mean covariance C̄_ab over pairs, keyed `"A-B"` (a ≤ b).
    pub cov: Keyed<Option<f64>>,
    /// Mean correlation in the population form of spec §3.2,
    /// C̄_ab / √(V̄_a V̄_b), keyed `"A-B"`.
    pub corr: Keyed<Option<f64>>,
    /// Number of sampled neurons per population.
    pub sample_size: Keyed<usize>,
    /// Per-pair statistics of the sampled neurons, keyed `"A-B"`.
    pub sampled: Keyed<SampledPairStats>,
}

/// Spike-count covariance statistics from recorded arrays (times in ms,
/// neuron ids, any order), over the windows of `cfg`, with the given
/// diagonal convention. Equivalent to feeding a [`CountCovariance`] spike by
/// spike; use [`CountCovariance::from_spikes`] to evaluate both conventions
/// without recounting.
///
/// Errors: invalid config, fewer than 2 full windows (e.g. a window longer
/// than the recording), arrays of different lengths, a non-finite time or an
/// id outside the layout.
pub fn count_covariance<I: NeuronId>(
    times_ms: &[f64],
    ids: &[I],
    layout: &PopLayout,
    cfg: &CovarianceConfig,
    diagonal: Diagonal,
) -> Result<CountCovarianceStats, AnalysisError> {
    CountCovariance::from_spikes(times_ms, ids, layout, cfg)?.stats(diagonal)
}
