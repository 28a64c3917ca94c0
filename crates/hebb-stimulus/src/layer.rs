//! Shared external Poisson layers, generated chunk by chunk.

use hebb_core::rng::{Purpose, stream};
use hebb_core::{ParamError, check_in_range, check_non_negative, check_positive};
use rand::RngExt;
use rand_distr::{Binomial, Distribution, Normal, Poisson};
use serde::{Deserialize, Serialize};

/// Length of a generation chunk in ms (rounded to whole steps). Part of the
/// model's definition of the random input: changing it changes the draws.
pub const CHUNK_MS: f64 = 1000.0;

/// Largest number of spikes a layer may produce in one chunk (1.6 GB of
/// buffered spikes): far above any network of the papers (N = 10⁵ with
/// 2·10⁴ units at 10 Hz gives 2·10⁵).
pub const MAX_SPIKES_PER_CHUNK: f64 = 1e8;

/// A layer of external Poisson units (specs/akil.md §1.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalLayer {
    /// Name used in configs and reports (`"X"`, `"X2"`).
    pub name: String,
    /// Number of units.
    pub size: usize,
    /// Rate of every unit (Hz).
    pub rate_hz: f64,
    /// Pairwise spike-count correlation c in [0, 1]: 0 gives independent
    /// trains; c > 0 thins a mother train of rate `rate_hz / c`.
    pub c: f64,
    /// Standard deviation of the Gaussian jitter of correlated spikes (ms).
    pub jitter_ms: f64,
    /// If set, units spike only for t in [start, end) (ms).
    pub window_ms: Option<(f64, f64)>,
}

impl ExternalLayer {
    /// Check every field, naming the offending one (prefix with the layer's
    /// path in the config).
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.size == 0 || self.size > (u32::MAX / 2) as usize {
            return Err(ParamError::new("size", self.size, "an integer in [1, 2^31)"));
        }
        check_non_negative("rate_hz", self.rate_hz)?;
        if self.rate_hz > 1e4 {
            return Err(ParamError::new("rate_hz", self.rate_hz, "a rate in [0, 10000] Hz"));
        }
        // One chunk holds all of the layer's spikes for CHUNK_MS (16 bytes
        // each): bound it so that a large layer at a high rate is an error,
        // not an out-of-memory kill.
        let per_chunk = self.size as f64 * self.rate_hz * CHUNK_MS * 1e-3;
        if per_chunk > MAX_SPIKES_PER_CHUNK {
            return Err(ParamError::new(
                "rate_hz",
                self.rate_hz,
                format!(
                    "a rate with units × rate ≤ {MAX_SPIKES_PER_CHUNK:e} spikes per second (this layer has {} units: at most {:.1} Hz)",
                    self.size,
                    MAX_SPIKES_PER_CHUNK / self.size as f64 / (CHUNK_MS * 1e-3)
                ),
            ));
        }
        check_in_range("c", self.c, 0.0, 1.0)?;
        if self.c > 0.0 && self.c < 1e-6 {
            return Err(ParamError::new("c", self.c, "0 or a correlation in [1e-6, 1]"));
        }
        check_non_negative("jitter_ms", self.jitter_ms)?;
        if let Some((a, b)) = self.window_ms
            && !(a.is_finite() && b.is_finite() && a >= 0.0 && b > a)
        {
            return Err(ParamError::new("window_ms", format!("[{a}, {b}]"), "[start, end] with 0 <= start < end"));
        }
        Ok(())
    }
}

/// One external spike: delivered at `step` (1-based: time ≤ step·dt) from `unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExtSpike {
    /// Step at which the spike is delivered.
    pub step: u64,
    /// Unit index within the layer.
    pub unit: u32,
}

/// The spike train of one layer, produced chunk by chunk.
///
/// Chunk `k` holds the spikes delivered at steps `k·S + 1 ..= (k+1)·S`, with
/// S = [`CHUNK_MS`]/dt. A spike at time t is delivered at step ⌈t/dt⌉ (the
/// first step ending at or after t); spikes at t ≤ 0 are dropped.
///
/// Correlated layers (c > 0): the mother train of chunk m is
/// Poisson(r/c · L) with uniform times; each unit keeps each mother spike
/// independently with probability c (equivalently a Binomial(n_m, c) count of
/// spikes picked without replacement) and shifts it by N(0, σ²) jitter. A
/// jittered spike may land in a neighbouring chunk, so chunk k collects the
/// spikes of mother chunks k−h ..= k+h, h = ⌈10σ/L⌉ (≥ 1); a displacement
/// beyond h chunks (probability < 1e-23 per spike) is dropped.
#[derive(Debug, Clone)]
pub struct LayerTrain {
    layer: ExternalLayer,
    dt: f64,
    seed: u64,
    layer_id: u64,
    chunk_steps: u64,
    halo: u64,
    /// Recently generated mother chunks: (m, spikes as (time ms, unit)).
    cache: Vec<(u64, Vec<(f64, u32)>)>,
}

impl LayerTrain {
    /// A generator for `layer` on a grid of `dt` ms, keyed by `(seed, layer_id)`.
    pub fn new(layer: &ExternalLayer, dt: f64, seed: u64, layer_id: u64) -> Result<Self, ParamError> {
        layer.validate()?;
        check_positive("dt_ms", dt)?;
        let chunk_steps = ((CHUNK_MS / dt).round() as u64).max(1);
        let len = chunk_steps as f64 * dt;
        let halo = if layer.c > 0.0 { ((10.0 * layer.jitter_ms / len).ceil() as u64).max(1) } else { 0 };
        Ok(Self { layer: layer.clone(), dt, seed, layer_id, chunk_steps, halo, cache: Vec::new() })
    }

    /// Number of steps per chunk.
    pub fn chunk_steps(&self) -> u64 {
        self.chunk_steps
    }

    /// The layer this train belongs to.
    pub fn layer(&self) -> &ExternalLayer {
        &self.layer
    }

    /// Spikes delivered during chunk `k`, sorted by (step, unit).
    pub fn chunk(&mut self, k: u64) -> Vec<ExtSpike> {
        let lo = k.saturating_sub(self.halo);
        let hi = k + self.halo;
        self.cache.retain(|(m, _)| *m >= lo && *m <= hi);
        let first_step = k * self.chunk_steps + 1;
        let last_step = (k + 1) * self.chunk_steps;
        let mut out = Vec::new();
        for m in lo..=hi {
            if !self.cache.iter().any(|(c, _)| *c == m) {
                let spikes = self.mother_chunk(m);
                self.cache.push((m, spikes));
            }
            let spikes = &self.cache.iter().find(|(c, _)| *c == m).unwrap().1;
            for &(t, unit) in spikes {
                if t <= 0.0 {
                    continue;
                }
                if let Some((a, b)) = self.layer.window_ms
                    && (t < a || t >= b)
                {
                    continue;
                }
                let step = (t / self.dt).ceil() as u64;
                if step >= first_step && step <= last_step {
                    out.push(ExtSpike { step, unit });
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// All spikes generated from mother chunk `m`, as (time, unit), before
    /// windowing and before assignment to delivery chunks.
    fn mother_chunk(&self, m: u64) -> Vec<(f64, u32)> {
        let len = self.chunk_steps as f64 * self.dt;
        let t0 = m as f64 * len;
        let rate_khz = self.layer.rate_hz * 1e-3;
        let n_units = self.layer.size;
        let mut out = Vec::new();
        if rate_khz == 0.0 {
            return out;
        }
        let mut rng = stream(self.seed, Purpose::ExternalTrain, &[self.layer_id, m]);
        if self.layer.c == 0.0 {
            // Independent trains: total count, uniform times, uniform units.
            let n = Poisson::new(rate_khz * len * n_units as f64).map(|d| d.sample(&mut rng) as u64).unwrap_or(0);
            out.reserve(n as usize);
            for _ in 0..n {
                let t = t0 + len * rng.random::<f64>();
                let unit = rng.random_range(0..n_units as u32);
                out.push((t, unit));
            }
            return out;
        }
        let mother_rate = rate_khz / self.layer.c;
        let n_m = Poisson::new(mother_rate * len).map(|d| d.sample(&mut rng) as u64).unwrap_or(0) as usize;
        let mother: Vec<f64> = (0..n_m).map(|_| t0 + len * rng.random::<f64>()).collect();
        let jitter = Normal::new(0.0, self.layer.jitter_ms).expect("validated jitter");
        for unit in 0..n_units {
            let mut urng = stream(self.seed, Purpose::ExternalUnit, &[self.layer_id, m, unit as u64]);
            let n = Binomial::new(n_m as u64, self.layer.c).map(|d| d.sample(&mut urng)).unwrap_or(0) as usize;
            for idx in rand::seq::index::sample(&mut urng, n_m, n.min(n_m)) {
                let shift = if self.layer.jitter_ms > 0.0 { jitter.sample(&mut urng) } else { 0.0 };
                out.push((mother[idx] + shift, unit as u32));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(c: f64) -> ExternalLayer {
        ExternalLayer { name: "X".into(), size: 200, rate_hz: 10.0, c, jitter_ms: 5.0, window_ms: None }
    }

    fn counts(train: &mut LayerTrain, chunks: u64, win_steps: u64, n_units: usize) -> Vec<Vec<f64>> {
        let n_win = (chunks * train.chunk_steps() / win_steps) as usize;
        let mut c = vec![vec![0.0; n_win]; n_units];
        for k in 0..chunks {
            for s in train.chunk(k) {
                let w = ((s.step - 1) / win_steps) as usize;
                if w < n_win {
                    c[s.unit as usize][w] += 1.0;
                }
            }
        }
        c
    }

    /// Every unit fires at r_x (unit 0 included, unlike the authors' package),
    /// and the mean pairwise count correlation over 250 ms windows is ≈ c.
    /// 50 s at 10 Hz gives ~500 spikes per unit (relative sd 4.5 %); the mean
    /// over 200 units of the rate is within 2 % (≈ 6 sd of the mean). The mean
    /// correlation over ~20 000 pairs from 200 windows has sd ≈ 0.01 from the
    /// window count; jitter of 5 ms loses ~1.4 % of coincidence over 250 ms.
    #[test]
    fn correlated_layer_has_rate_and_correlation() {
        for c in [0.0, 0.1, 0.3] {
            let mut t = LayerTrain::new(&layer(c), 0.1, 3, 0).unwrap();
            let n = counts(&mut t, 50, 2500, 200);
            let rates: Vec<f64> = n.iter().map(|u| u.iter().sum::<f64>() / 50.0).collect();
            assert!(rates.iter().all(|&r| r > 0.0), "every unit fires");
            let mean_rate = rates.iter().sum::<f64>() / 200.0;
            assert!((mean_rate - 10.0).abs() < 0.2, "c={c}: rate {mean_rate}");
            let w = n[0].len() as f64;
            let centred: Vec<Vec<f64>> = n
                .iter()
                .map(|u| {
                    let m = u.iter().sum::<f64>() / w;
                    u.iter().map(|x| x - m).collect()
                })
                .collect();
            let sd: Vec<f64> =
                centred.iter().map(|u| (u.iter().map(|x| x * x).sum::<f64>() / (w - 1.0)).sqrt()).collect();
            let mut sum = 0.0;
            let mut pairs = 0.0;
            for a in 0..200 {
                for b in a + 1..200 {
                    let cov: f64 = centred[a].iter().zip(&centred[b]).map(|(x, y)| x * y).sum::<f64>() / (w - 1.0);
                    sum += cov / (sd[a] * sd[b]);
                    pairs += 1.0;
                }
            }
            let corr = sum / pairs;
            assert!((corr - c).abs() < 0.03, "c={c}: mean correlation {corr}");
        }
    }

    #[test]
    fn chunks_are_pure_functions_of_the_key() {
        let mut a = LayerTrain::new(&layer(0.1), 0.1, 9, 1).unwrap();
        let mut b = LayerTrain::new(&layer(0.1), 0.1, 9, 1).unwrap();
        let a3 = {
            a.chunk(0);
            a.chunk(1);
            a.chunk(2);
            a.chunk(3)
        };
        assert_eq!(a3, b.chunk(3), "a chunk does not depend on what was generated before");
        let mut c = LayerTrain::new(&layer(0.1), 0.1, 10, 1).unwrap();
        assert_ne!(a3, c.chunk(3));
    }

    #[test]
    fn window_restricts_spikes() {
        let mut l = layer(0.0);
        l.window_ms = Some((1500.0, 2500.0));
        let mut t = LayerTrain::new(&l, 0.1, 1, 0).unwrap();
        let all: Vec<ExtSpike> = (0..4).flat_map(|k| t.chunk(k)).collect();
        assert!(!all.is_empty());
        assert!(all.iter().all(|s| s.step > 15_000 && s.step <= 25_000));
        // 200 units x 10 Hz x 1 s = 2000 expected; sd ≈ 45.
        assert!((all.len() as f64 - 2000.0).abs() < 250.0, "{}", all.len());
    }

    #[test]
    fn bad_layers_name_the_field() {
        let mut l = layer(1.5);
        assert_eq!(l.validate().unwrap_err().field, "c");
        l.c = 0.1;
        l.window_ms = Some((5.0, 1.0));
        assert_eq!(l.validate().unwrap_err().field, "window_ms");
        // A layer whose 1-s chunk would not fit in memory is an error: 60 000
        // units at 10 kHz would buffer 6·10⁸ spikes (9.6 GB).
        let big = ExternalLayer { size: 60_000, rate_hz: 1e4, window_ms: None, ..layer(0.0) };
        let err = big.validate().unwrap_err();
        assert_eq!(err.field, "rate_hz");
        assert!(err.to_string().contains("1666.7 Hz"), "{err}");
        assert!(ExternalLayer { rate_hz: 1666.0, ..big }.validate().is_ok());
    }
}
