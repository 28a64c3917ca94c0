//! Independent per-neuron Poisson drive, drawn as counts.

use hebb_core::rng::counter_uniform;
use hebb_core::{ParamError, check_non_negative};

/// Independent Poisson input to every neuron of a range: each step, neuron j
/// receives k ~ Poisson(λ) input spikes, λ = sources · rate · dt, and its
/// current jumps by k · `jump` (specs/performance.md §2.3: 400 sources at
/// 15 Hz, λ = 0.6 at dt = 0.1 ms).
///
/// The count is drawn by inverting the Poisson CDF at a stateless uniform
/// `counter_uniform(key, step, neuron)`: no generator state to store in a
/// checkpoint and no dependence on how neurons are split over threads. The
/// CDF table is truncated where the remaining mass is below 1e-16.
#[derive(Debug, Clone, PartialEq)]
pub struct PoissonDrive {
    lambda: f64,
    jump: f64,
    cdf: Vec<f64>,
}

impl PoissonDrive {
    /// Drive from `sources` independent inputs at `rate_hz` each, on a grid of
    /// `dt` ms; each input spike adds `jump` to the target current.
    pub fn new(sources: f64, rate_hz: f64, dt: f64, jump: f64) -> Result<Self, ParamError> {
        check_non_negative("drive.sources", sources)?;
        check_non_negative("drive.rate_hz", rate_hz)?;
        let lambda = sources * rate_hz * 1e-3 * dt;
        if lambda > 50.0 {
            return Err(ParamError::new("drive", lambda, "a mean count per step (sources·rate·dt) <= 50"));
        }
        let mut cdf = Vec::new();
        let mut p = (-lambda).exp();
        let mut acc = 0.0;
        let mut k = 0.0;
        while acc < 1.0 - 1e-16 && cdf.len() < 400 {
            acc += p;
            cdf.push(acc);
            k += 1.0;
            p *= lambda / k;
        }
        Ok(Self { lambda, jump, cdf })
    }

    /// Mean count per neuron per step.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// The count for `neuron` at `step` under stream `key`.
    #[inline]
    pub fn count(&self, key: u64, step: u64, neuron: u64) -> u32 {
        let u = counter_uniform(key, step, neuron);
        // Number of CDF entries ≤ u: the first k with u < F(k).
        self.cdf.partition_point(|&c| c <= u) as u32
    }

    /// Add this step's drive, `count · jump · scale`, to `current[j]` for
    /// neurons `first .. first + len` (`scale` lets an engine that stores
    /// its currents in another unit or before a pending decay convert).
    /// The currents are single precision, as the engine's state; the jump
    /// `count · jump · scale` is formed in f64 and rounded once.
    ///
    /// Same counts as [`PoissonDrive::count`], computed in blocks: first the
    /// uniforms of a block (integer hashing that vectorises), then each count
    /// as the number of CDF entries ≤ u (the CDF increases, so this equals
    /// the first entry above u) without a data-dependent loop. Compiled for
    /// AVX2 where the CPU has it; the arithmetic is exact either way.
    pub fn add(&self, key: u64, step: u64, first: u64, current: &mut [f32], scale: f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked at run time).
            unsafe { add_avx2(self, key, step, first, current, scale) };
            return;
        }
        add_blocks(self, key, step, first, current, scale);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_avx2(d: &PoissonDrive, key: u64, step: u64, first: u64, current: &mut [f32], scale: f64) {
    add_blocks(d, key, step, first, current, scale)
}

#[inline(always)]
fn add_blocks(d: &PoissonDrive, key: u64, step: u64, first: u64, current: &mut [f32], scale: f64) {
    const B: usize = 256;
    // The first four CDF entries (padded with values no uniform reaches)
    // decide almost every count; draws at or above the fourth (probability
    // 1 − P(k ≤ 3), 0.3 % at λ = 0.6) are finished by a scalar search.
    const HEAD: usize = 4;
    let jump = d.jump * scale;
    let cdf = &d.cdf[..];
    let head: [f64; HEAD] = std::array::from_fn(|m| cdf.get(m).copied().unwrap_or(2.0));
    let mut u = [0.0f64; B];
    let mut k = [0.0f64; B];
    for (b, cur) in current.chunks_mut(B).enumerate() {
        let base = first + (b * B) as u64;
        let (u, k) = (&mut u[..cur.len()], &mut k[..cur.len()]);
        let mut tail = false;
        for (i, (ui, ki)) in u.iter_mut().zip(k.iter_mut()).enumerate() {
            let x = counter_uniform(key, step, base + i as u64);
            *ui = x;
            let mut c = 0.0;
            for &h in &head {
                c += if x >= h { 1.0 } else { 0.0 };
            }
            *ki = c;
            tail |= x >= head[HEAD - 1];
        }
        if tail {
            for (ui, ki) in u.iter().zip(k.iter_mut()) {
                if *ui >= head[HEAD - 1] {
                    *ki = cdf.partition_point(|&c| c <= *ui) as f64;
                }
            }
        }
        for (c, &ki) in cur.iter_mut().zip(k.iter()) {
            *c += (ki * jump) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block path of `add` gives exactly the counts of `count`, for a
    /// small λ (the fast head of the CDF) and a large one (the tail search).
    #[test]
    fn add_equals_count() {
        let d = PoissonDrive::new(4000.0, 15.0, 0.1, 0.5).unwrap();
        let mut cur = vec![0.0; 700];
        d.add(9, 3, 0, &mut cur, 1.0);
        for (j, c) in cur.iter().enumerate() {
            assert_eq!(*c, (d.count(9, 3, j as u64) as f64 * 0.5) as f32);
        }
        assert!(cur.iter().any(|&c| c > 4.0 * 0.5), "λ = 6 reaches the tail");
        let d = PoissonDrive::new(400.0, 15.0, 0.1, 0.5).unwrap();
        let mut cur = vec![1.0; 1000];
        d.add(3, 17, 40, &mut cur, 2.0);
        for (j, c) in cur.iter().enumerate() {
            assert_eq!(*c, 1.0 + (d.count(3, 17, 40 + j as u64) as f64 * 1.0) as f32);
        }
        assert!(cur.iter().any(|&c| c > 1.0));
    }

    /// Mean and variance of 10^6 counts at λ = 0.6 are both λ (Poisson);
    /// their standard errors are ≈ 8e-4 and ≈ 1.2e-3, bounds are > 6 sd.
    #[test]
    fn counts_are_poisson() {
        let d = PoissonDrive::new(400.0, 15.0, 0.1, 1.0).unwrap();
        assert!((d.lambda() - 0.6).abs() < 1e-12);
        let n = 1_000_000u64;
        let xs: Vec<f64> = (0..n).map(|i| d.count(77, i / 5000, i % 5000) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.6).abs() < 6e-3, "mean {mean}");
        assert!((var - 0.6).abs() < 1e-2, "var {var}");
        let p0 = xs.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
        assert!((p0 - (-0.6f64).exp()).abs() < 3e-3, "P(0) = {p0}");
    }
}
