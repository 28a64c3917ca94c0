//! Random streams keyed by `(seed, purpose, ids...)`.
//!
//! Every random number in hebb comes from a stream named by the experiment
//! seed, a [`Purpose`] tag and a short list of ids (population, neuron, time
//! chunk, ...). Two consequences:
//!
//! * output is bit-identical for any thread count or work split, because no
//!   stream is shared between threads or depends on scheduling;
//! * a stream can be recreated at will, so checkpoints need not store
//!   generator states for streams that are keyed by a time chunk.
//!
//! Streams are [`Pcg64`] generators whose 128-bit *state and increment* are
//! both derived from a hash of the full key (PCG streams that differ only in
//! the increment are correlated; see `specs/ecosystem.md` §2.4).
//! [`counter_uniform`] is a stateless alternative for per-step draws.

use rand_pcg::Pcg64;

/// What a stream is used for; keeps streams of different uses disjoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Purpose {
    /// Drawing synapses (one stream per presynaptic neuron and block).
    Connectivity = 1,
    /// Initial membrane potentials.
    InitialState = 2,
    /// External spike trains: the mother process or uncorrelated trains.
    ExternalTrain = 3,
    /// Per-unit thinning and jitter of a correlated mother process.
    ExternalUnit = 4,
    /// Independent per-neuron drive drawn inside the step.
    Drive = 5,
    /// Choice of recorded neurons, pairs or synapses.
    Sampling = 6,
    /// Anything a downstream user adds; pass a distinct id as the first key.
    User = 99,
}

/// SplitMix64 finaliser: a bijective 64-bit mixer with full avalanche.
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash a key (seed, purpose, ids) to 64 bits, order-sensitively.
pub fn key_hash(seed: u64, purpose: Purpose, ids: &[u64]) -> u64 {
    let mut h = mix64(seed ^ 0x9e37_79b9_7f4a_7c15);
    h = mix64(h ^ (purpose as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    for (k, &id) in ids.iter().enumerate() {
        h = mix64(h.wrapping_add(id).wrapping_add((k as u64 + 1).wrapping_mul(0xd6e8_feb8_6659_fd93)));
    }
    h
}

/// A fresh [`Pcg64`] stream for `(seed, purpose, ids)`.
pub fn stream(seed: u64, purpose: Purpose, ids: &[u64]) -> Pcg64 {
    let h = key_hash(seed, purpose, ids);
    let s_hi = mix64(h ^ 0x1);
    let s_lo = mix64(h ^ 0x2);
    let i_hi = mix64(h ^ 0x3);
    let i_lo = mix64(h ^ 0x4);
    Pcg64::new(((s_hi as u128) << 64) | s_lo as u128, ((i_hi as u128) << 64) | i_lo as u128)
}

/// A stateless uniform draw in `[0, 1)` for `(key, step, id)`, with 53 random
/// bits. `key` is a [`key_hash`]. Used where a draw per neuron per step is
/// needed without keeping per-neuron generator state (so checkpoints stay
/// small and the draw does not depend on how neurons are split over threads).
#[inline(always)]
pub fn counter_uniform(key: u64, step: u64, id: u64) -> f64 {
    let h = mix64(
        mix64(key ^ step.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_add(id.wrapping_mul(0xd1b5_4a32_d192_ed03)),
    );
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = stream(1, Purpose::Connectivity, &[3]);
                move |_| r.random()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = stream(1, Purpose::Connectivity, &[3]);
                move |_| r.random()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = stream(1, Purpose::Connectivity, &[4]);
                move |_| r.random()
            })
            .collect();
        let d: Vec<u64> = (0..4)
            .map({
                let mut r = stream(1, Purpose::InitialState, &[3]);
                move |_| r.random()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        // The key is order-sensitive: (1, 2) and (2, 1) are different streams.
        assert_ne!(key_hash(0, Purpose::User, &[1, 2]), key_hash(0, Purpose::User, &[2, 1]));
    }

    #[test]
    fn counter_uniform_is_uniform() {
        // Mean and variance of 200k draws: the standard error of the mean is
        // sqrt(1/12/2e5) ≈ 6.5e-4, so 4e-3 is a > 6-sigma bound.
        let key = key_hash(5, Purpose::Drive, &[]);
        let n = 200_000u64;
        let xs: Vec<f64> = (0..n).map(|i| counter_uniform(key, i / 1000, i % 1000)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 4e-3, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 2e-3, "var {var}");
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        // Neighbouring counters are not correlated (lag-1 correlation ~ N(0, 1/sqrt(n))).
        let c: f64 = xs.windows(2).map(|w| (w[0] - 0.5) * (w[1] - 0.5)).sum::<f64>() / n as f64 * 12.0;
        assert!(c.abs() < 0.015, "lag-1 correlation {c}");
    }
}
