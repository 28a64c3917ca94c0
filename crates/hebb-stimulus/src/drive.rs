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
            return Err(ParamError::new(
                "drive",
                lambda,
                "a mean count per step (sources·rate·dt) <= 50",
            ));
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
        let mut k = 0;
        while k < self.cdf.len() && u >= self.cdf[k] {
            k += 1;
        }
        k as u32
    }

    /// Add this step's drive, `count · jump · scale`, to `current[j]` for
    /// neurons `first .. first + len` (`scale` lets an engine that stores
    /// its currents in another unit or before a pending decay convert).
    pub fn add(&self, key: u64, step: u64, first: u64, current: &mut [f64], scale: f64) {
        let jump = self.jump * scale;
        for (j, c) in current.iter_mut().enumerate() {
            let k = self.count(key, step, first + j as u64);
            if k > 0 {
                *c += k as f64 * jump;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and variance of 10^6 counts at λ = 0.6 are both λ (Poisson);
    /// their standard errors are ≈ 8e-4 and ≈ 1.2e-3, bounds are > 6 sd.
    #[test]
    fn counts_are_poisson() {
        let d = PoissonDrive::new(400.0, 15.0, 0.1, 1.0).unwrap();
        assert!((d.lambda() - 0.6).abs() < 1e-12);
        let n = 1_000_000u64;
        let xs: Vec<f64> = (0..n)
            .map(|i| d.count(77, i / 5000, i % 5000) as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.6).abs() < 6e-3, "mean {mean}");
        assert!((var - 0.6).abs() < 1e-2, "var {var}");
        let p0 = xs.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
        assert!((p0 - (-0.6f64).exp()).abs() < 3e-3, "P(0) = {p0}");
    }
}
