//! # hebb-analysis
//!
//! Statistics on spikes, usable online (fed by the simulator spike by spike)
//! and offline (on recorded arrays of spike times in ms and neuron ids), in
//! O(N) memory:
//!
//! * [`rates`]: per-neuron spike counts over `[t0, t1)`, population rates in
//!   Hz, and binned population rates;
//! * [`covariance`]: mean spike-count covariances and correlations over
//!   population pairs in consecutive windows (spec `akil.md` §1.6), computed
//!   from population sums and per-neuron moments without an N × N matrix,
//!   plus the per-pair distribution for a fixed random sample of neurons.
//!
//! # Conventions
//!
//! * Times are in ms, rates are reported in Hz.
//! * Every interval is half-open, `[start, end)`. To guard against rounding
//!   of times computed as `step · dt`, a spike within 1e-9 of a bin width
//!   *before* a boundary is assigned to the bin that starts there
//!   ([`EDGE_TOL`]).
//! * Results are keyed by population name (`"E"`) or by population pair
//!   `"A-B"` with A before or equal to B in layout order, through [`Keyed`],
//!   which serialises as a JSON object in that order.
//!
//! ```
//! use hebb_analysis::{count_covariance, rates_hz, CovarianceConfig, Diagonal};
//! use hebb_core::{Kind, PopLayout, Population};
//!
//! let layout = PopLayout::new(vec![
//!     Population { name: "E".into(), size: 2, kind: Kind::Excitatory },
//!     Population { name: "I".into(), size: 1, kind: Kind::Inhibitory },
//! ]).unwrap();
//! // Spike times (ms) and neuron ids, in any order.
//! let times = [10.0, 260.0, 270.0, 510.0, 520.0, 530.0, 740.0];
//! let ids: [u32; 7] = [0, 0, 1, 0, 1, 2, 2];
//!
//! let r = rates_hz(&times, &ids, &layout, 0.0, 1000.0).unwrap();
//! assert_eq!(r.population_hz.get("E"), Some(&2.5)); // 5 spikes / 2 neurons / 1 s
//!
//! let cfg = CovarianceConfig::new(0.0, 1000.0); // 4 windows of 250 ms
//! let c = count_covariance(&times, &ids, &layout, &cfg, Diagonal::Exclude).unwrap();
//! assert_eq!(c.n_windows, 4);
//! assert!(c.cov.get("I-I").unwrap().is_none()); // one I neuron: no pair j != k
//! let json_keys: Vec<&str> = c.cov.keys().collect();
//! assert_eq!(json_keys, ["E-E", "E-I", "I-I"]);
//! ```

pub mod covariance;
mod error;
mod ids;

pub mod rates;

pub use covariance::{
    CountCovariance, CountCovarianceStats, CovarianceConfig, Diagonal, SampledPairStats, count_covariance,
};
pub use error::AnalysisError;
pub use hebb_core::Keyed;
pub use ids::NeuronId;
pub use rates::{BinnedPopulationRates, BinnedRates, RateCounter, Rates, binned_population_rates, rates_hz};

/// Relative tolerance at bin boundaries: a spike at `t` falls in bin
/// `floor((t − start)/width + EDGE_TOL)`, so times computed as `n · dt` that
/// land a rounding error short of a boundary count in the bin starting there.
pub const EDGE_TOL: f64 = 1e-9;

/// Index of the bin of `width` (starting at `start`) holding `t`, as a float
/// (negative before `start`, NaN for NaN input).
#[inline]
pub(crate) fn grid_index(t: f64, start: f64, width: f64) -> f64 {
    ((t - start) / width + EDGE_TOL).floor()
}

/// Pair names `"A-B"` for a ≤ b in layout order.
pub fn pair_names(layout: &hebb_core::PopLayout) -> Vec<String> {
    let p = layout.pops();
    let mut v = Vec::new();
    for a in 0..p.len() {
        for b in a..p.len() {
            v.push(format!("{}-{}", p[a].name, p[b].name));
        }
    }
    v
}
