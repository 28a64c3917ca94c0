//! The bridge from a simulation config to its balanced mean-field theory
//! (hebb-theory): the same populations, connection probabilities, weights
//! and external layers, in mean-field form.

use hebb_sim::SimConfig;
use hebb_theory::balanced::{BalancedRates, CovarianceTheory, TheoryError, balanced_rates, leading_order_covariance};
use hebb_theory::balanced::{ExternalMf, Link, MeanFieldNetwork, PopMf};

/// The mean-field description of `cfg`. External layers with a time window
/// are left out (the theory describes the network without them). If
/// `external_rates_hz` is given, it replaces each layer's nominal rate (e.g.
/// by the rate actually delivered in a run with correlated input).
pub fn mean_field(cfg: &SimConfig, external_rates_hz: Option<&[f64]>) -> MeanFieldNetwork {
    let sizes = cfg.population_sizes();
    let names: Vec<&str> = cfg.network.populations.iter().map(|p| p.name.as_str()).collect();
    let np = names.len();
    let mut recurrent = vec![vec![Link::new(0.0, 0.0); np]; np];
    for c in &cfg.network.connections {
        let a = names.iter().position(|&n| n == c.post).expect("validated");
        let b = names.iter().position(|&n| n == c.pre).expect("validated");
        recurrent[a][b] = Link::new(c.p, c.j);
    }
    let mut external = Vec::new();
    for (i, x) in cfg.external.iter().enumerate() {
        if x.window_ms.is_some() {
            continue;
        }
        let mut targets = vec![Link::new(0.0, 0.0); np];
        for t in &x.targets {
            targets[names.iter().position(|&n| n == t.post).expect("validated")] = Link::new(t.p, t.j);
        }
        let rate_hz = external_rates_hz.map_or(x.rate_hz, |r| r[i]);
        external.push(ExternalMf {
            name: x.name.clone(),
            size: cfg.external_size(i) as f64,
            rate_khz: rate_hz * 1e-3,
            c: x.c,
            targets,
        });
    }
    MeanFieldNetwork {
        pops: names.iter().zip(&sizes).map(|(n, &s)| PopMf { name: n.to_string(), size: s as f64 }).collect(),
        recurrent,
        external,
    }
}

/// Leading-order balanced rates of `cfg` (specs/akil.md §3.1).
pub fn rates(cfg: &SimConfig, external_rates_hz: Option<&[f64]>) -> Result<BalancedRates, TheoryError> {
    balanced_rates(&mean_field(cfg, external_rates_hz))
}

/// Leading-order covariances of `cfg` over the config's count window
/// (specs/akil.md §3.2).
pub fn covariances(cfg: &SimConfig, external_rates_hz: Option<&[f64]>) -> Result<CovarianceTheory, TheoryError> {
    leading_order_covariance(&mean_field(cfg, external_rates_hz), cfg.record.cov_window_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default config's theory rates are the spec's 5.824 / 15.882 Hz
    /// (specs/akil.md §3.1), computed independently here from the closed form
    /// r = −W⁻¹W_x r_x with W = [[2, −3], [9, −5]], W_x = [3.6, 2.7].
    #[test]
    fn default_theory_rates() {
        let r = rates(&SimConfig::akil_default(), None).unwrap();
        let (w, wx, rx) = ([[2.0, -3.0], [9.0, -5.0]], [3.6, 2.7], 10.0);
        let det = w[0][0] * w[1][1] - w[0][1] * w[1][0];
        let re = -(w[1][1] * wx[0] - w[0][1] * wx[1]) / det * rx;
        let ri = -(-w[1][0] * wx[0] + w[0][0] * wx[1]) / det * rx;
        let hz = r.rates_hz();
        assert!((hz[0] - re).abs() < 1e-9 && (hz[1] - ri).abs() < 1e-9, "{hz:?} vs {re}, {ri}");
        assert!((hz[0] - 5.824).abs() < 1e-3 && (hz[1] - 15.882).abs() < 1e-3);
    }
}
