//! The fixed-in-degree builder: every neuron receives exactly `k_exc` inputs
//! from the E population and `k_inh` from the I population.
//!
//! This is the wiring rule of the Kim & Chow prototype (specs/kimchow.md
//! §2.3): it makes the number of plastic inputs `K_p` uniform across
//! neurons. Presynaptic partners are drawn without replacement, by default
//! without autapses. Moved here from hebb-training's `wiring` module (which
//! re-exports it); the rows it draws are unchanged.

use crate::csr::{ConnectivityError, Csr};
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use serde::{Deserialize, Serialize};

/// The projection id the fixed-in-degree rows of hebb-training have always
/// used (`stream(seed, Connectivity, [FIXED_IN_DEGREE_PROJECTION, neuron])`);
/// a good default for the `projection` argument.
pub const FIXED_IN_DEGREE_PROJECTION: u64 = 0x7E4C_0001;

/// Parameters of the fixed-in-degree rule on one E–I space. E neurons are
/// `0..n_exc`, I neurons `n_exc..n_exc + n_inh`; sources and targets are the
/// same neurons (a recurrent network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedInDegree {
    /// Number of E neurons.
    pub n_exc: usize,
    /// Number of I neurons.
    pub n_inh: usize,
    /// E inputs per neuron.
    pub k_exc: usize,
    /// I inputs per neuron.
    pub k_inh: usize,
    /// Whether a neuron may be its own input.
    pub autapses: bool,
}

impl FixedInDegree {
    /// Total number of neurons.
    pub fn n(&self) -> usize {
        self.n_exc + self.n_inh
    }

    /// Check that the degrees fit in the populations (without autapses a
    /// neuron has one fewer candidate in its own population).
    pub fn validate(&self) -> Result<(), ParamError> {
        let n = self.n();
        if n == 0 || n > u32::MAX as usize {
            return Err(ParamError::new("n_exc + n_inh", n, "an integer in [1, 2^32 - 1]"));
        }
        let avail_e = self.n_exc - usize::from(!self.autapses && self.n_exc > 0);
        let avail_i = self.n_inh - usize::from(!self.autapses && self.n_inh > 0);
        if self.k_exc > avail_e {
            return Err(ParamError::new(
                "k_exc",
                self.k_exc,
                format!("an integer in [0, {avail_e}] (E neurons available per target)"),
            ));
        }
        if self.k_inh > avail_i {
            return Err(ParamError::new(
                "k_inh",
                self.k_inh,
                format!("an integer in [0, {avail_i}] (I neurons available per target)"),
            ));
        }
        Ok(())
    }
}

/// Presynaptic lists (E inputs ascending, then I inputs ascending) of each
/// neuron in `post`, drawn without replacement.
///
/// Neuron `t` uses its own stream `(seed, Connectivity, [projection, t])`,
/// so a row depends only on `(seed, projection, t)`, never on which other
/// rows are built or in which order.
pub fn fixed_in_degree_rows(
    rule: &FixedInDegree,
    post: &[u32],
    seed: u64,
    projection: u64,
) -> Result<Vec<Vec<u32>>, ParamError> {
    rule.validate()?;
    let n = rule.n();
    let mut rows = Vec::with_capacity(post.len());
    for (q, &t) in post.iter().enumerate() {
        let t = t as usize;
        if t >= n {
            return Err(ParamError::new(format!("post[{q}]"), t, format!("a neuron index < {n}")));
        }
        let mut rng = stream(seed, Purpose::Connectivity, &[projection, t as u64]);
        let mut row = Vec::with_capacity(rule.k_exc + rule.k_inh);
        for (start, size, k) in [(0, rule.n_exc, rule.k_exc), (rule.n_exc, rule.n_inh, rule.k_inh)] {
            let own = (start..start + size).contains(&t) && !rule.autapses;
            let m = size - usize::from(own);
            let mut pick: Vec<u32> = rand::seq::index::sample(&mut rng, m, k)
                .into_iter()
                .map(|x| {
                    // skip the neuron itself: candidates ≥ t shift up by one
                    let x = if own && start + x >= t { x + 1 } else { x };
                    (start + x) as u32
                })
                .collect();
            pick.sort_unstable();
            row.extend(pick);
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The whole fixed-in-degree graph as a [`Csr`] (rows by presynaptic
/// neuron), every synapse carrying its block's weight.
///
/// `weights[post_pop][pre_pop]` with population 0 = E and 1 = I, i.e.
/// `[[w_EE, w_EI], [w_IE, w_II]]` in *post←pre* naming (specs/kimchow.md
/// §2.3). The incoming lists are those of [`fixed_in_degree_rows`] with the
/// same `(seed, projection)`.
pub fn fixed_in_degree(
    rule: &FixedInDegree,
    weights: [[f32; 2]; 2],
    seed: u64,
    projection: u64,
) -> Result<Csr, ConnectivityError> {
    for (a, row) in weights.iter().enumerate() {
        for (b, w) in row.iter().enumerate() {
            if !w.is_finite() {
                return Err(ParamError::new(format!("weights[{a}][{b}]"), w, "a finite number").into());
            }
        }
    }
    let n = rule.n();
    let post: Vec<u32> = (0..n.min(u32::MAX as usize) as u32).collect();
    let rows = fixed_in_degree_rows(rule, &post, seed, projection)?;
    let total = n as u64 * (rule.k_exc + rule.k_inh) as u64;
    if total > u32::MAX as u64 {
        return Err(ConnectivityError::TooManySynapses(total));
    }
    // Transpose: count the out-degree of each presynaptic neuron, then fill
    // rows in increasing target order (targets are visited in order).
    let mut offsets = vec![0u32; n + 1];
    for row in &rows {
        for &j in row {
            offsets[j as usize + 1] += 1;
        }
    }
    for k in 0..n {
        offsets[k + 1] += offsets[k];
    }
    let mut fill: Vec<u32> = offsets[..n].to_vec();
    let mut targets = vec![0u32; total as usize];
    let mut w = vec![0f32; total as usize];
    for (t, row) in rows.iter().enumerate() {
        let post_pop = usize::from(t >= rule.n_exc);
        for &j in row {
            let pre_pop = usize::from(j as usize >= rule.n_exc);
            let slot = fill[j as usize] as usize;
            targets[slot] = t as u32;
            w[slot] = weights[post_pop][pre_pop];
            fill[j as usize] += 1;
        }
    }
    Ok(Csr::from_parts(n, offsets, targets, w)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_are_exact_and_rows_reproducible() {
        let rule = FixedInDegree { n_exc: 40, n_inh: 30, k_exc: 10, k_inh: 7, autapses: false };
        let post: Vec<u32> = (0..70).collect();
        let rows = fixed_in_degree_rows(&rule, &post, 3, FIXED_IN_DEGREE_PROJECTION).unwrap();
        for (t, row) in rows.iter().enumerate() {
            assert_eq!(row.iter().filter(|&&j| j < 40).count(), 10);
            assert_eq!(row.iter().filter(|&&j| j >= 40).count(), 7);
            assert!(!row.contains(&(t as u32)));
            assert!(row.windows(2).all(|w| w[0] < w[1]));
        }
        // a row depends only on (seed, projection, neuron)
        let again = fixed_in_degree_rows(&rule, &[5, 60], 3, FIXED_IN_DEGREE_PROJECTION).unwrap();
        assert_eq!(again[0], rows[5]);
        assert_eq!(again[1], rows[60]);
        let other = fixed_in_degree_rows(&rule, &[5], 4, FIXED_IN_DEGREE_PROJECTION).unwrap();
        assert_ne!(other[0], rows[5]);
    }

    #[test]
    fn full_degree_and_autapses() {
        // k = (own population size) − 1 without autapses: every other
        // neuron of the own population exactly once
        let rule = FixedInDegree { n_exc: 6, n_inh: 4, k_exc: 5, k_inh: 3, autapses: false };
        let rows = fixed_in_degree_rows(&rule, &[2, 7], 1, 0).unwrap();
        assert_eq!(rows[0][..5], [0, 1, 3, 4, 5]);
        assert_eq!(rows[0].len(), 8);
        assert_eq!(rows[1][5..], [6, 8, 9]);
        assert_eq!(rows[1].len(), 8);
        // with autapses k = n is allowed and includes the neuron itself
        let rule = FixedInDegree { n_exc: 6, n_inh: 4, k_exc: 6, k_inh: 4, autapses: true };
        let rows = fixed_in_degree_rows(&rule, &[2], 1, 0).unwrap();
        assert_eq!(rows[0], (0..10).collect::<Vec<u32>>());
    }

    #[test]
    fn bad_rules_are_errors_naming_the_field() {
        let rule = FixedInDegree { n_exc: 10, n_inh: 10, k_exc: 10, k_inh: 2, autapses: false };
        assert_eq!(fixed_in_degree_rows(&rule, &[0], 1, 0).unwrap_err().field, "k_exc");
        let rule = FixedInDegree { n_exc: 10, n_inh: 10, k_exc: 2, k_inh: 11, autapses: true };
        assert_eq!(fixed_in_degree_rows(&rule, &[0], 1, 0).unwrap_err().field, "k_inh");
        let rule = FixedInDegree { n_exc: 10, n_inh: 10, k_exc: 2, k_inh: 2, autapses: false };
        assert_eq!(fixed_in_degree_rows(&rule, &[20], 1, 0).unwrap_err().field, "post[0]");
        let empty = FixedInDegree { n_exc: 0, n_inh: 0, k_exc: 0, k_inh: 0, autapses: false };
        assert!(fixed_in_degree_rows(&empty, &[], 1, 0).is_err());
        assert!(matches!(
            fixed_in_degree(&rule, [[f32::NAN, 0.0], [0.0, 0.0]], 1, 0),
            Err(ConnectivityError::Param(e)) if e.field == "weights[0][0]"
        ));
    }

    /// The CSR is the exact transpose of the rows, with block weights.
    #[test]
    fn csr_is_the_transpose_of_the_rows() {
        let rule = FixedInDegree { n_exc: 50, n_inh: 30, k_exc: 12, k_inh: 9, autapses: false };
        let wts = [[0.3f32, -1.5], [2.0, -2.0]];
        let csr = fixed_in_degree(&rule, wts, 9, 5).unwrap();
        let post: Vec<u32> = (0..80).collect();
        let rows = fixed_in_degree_rows(&rule, &post, 9, 5).unwrap();
        assert_eq!(csr.n_synapses(), 80 * 21);
        let idx = csr.post_index();
        for (t, row) in rows.iter().enumerate() {
            assert_eq!(idx.incoming_pre(t), &row[..]);
            for (&pos, &j) in idx.incoming(t).iter().zip(row) {
                let w = csr.weights()[pos as usize];
                assert_eq!(w, wts[usize::from(t >= 50)][usize::from(j >= 50)]);
            }
        }
        assert_eq!(csr.count_block(0..50, &(0..50)), 50 * 12);
        assert_eq!(csr.count_block(50..80, &(50..80)), 30 * 9);
    }

    /// Presynaptic partners are uniform: the out-degree of an E neuron onto
    /// the E population is a sum of N_E − 1 independent Bernoulli(p) draws
    /// with p = K/(N_E − 1), so its mean is exactly K (the total is fixed) and
    /// its variance is (N_E − 1)p(1 − p) ≈ 98.9 for N_E = 2000, K = 100. With
    /// 2000 samples the sample variance has a relative s.d. of about
    /// √(2/2000) ≈ 3 %, so a 15 % bound is 5 s.d. wide; a biased sampler
    /// (e.g. favouring low indices) fails it, and the index-halves test
    /// catches the low/high bias directly (s.d. of the half count ≈ 0.5 %).
    #[test]
    fn partners_are_uniform() {
        let ne = 2000;
        let k = 100;
        let rule = FixedInDegree { n_exc: ne, n_inh: 10, k_exc: k, k_inh: 1, autapses: false };
        let csr = fixed_in_degree(&rule, [[1.0, -1.0], [1.0, -1.0]], 21, 0).unwrap();
        let out: Vec<f64> = (0..ne).map(|j| csr.row_range_to(j, &(0..ne)).len() as f64).collect();
        let mean = out.iter().sum::<f64>() / ne as f64;
        let var = out.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (ne as f64 - 1.0);
        let p = k as f64 / (ne as f64 - 1.0);
        let expect = (ne as f64 - 1.0) * p * (1.0 - p);
        assert!((mean - k as f64).abs() < 1e-9, "mean out-degree {mean}");
        assert!((var / expect - 1.0).abs() < 0.15, "out-degree variance {var} vs {expect}");
        let low: f64 = out[..ne / 2].iter().sum::<f64>() / (ne * k) as f64;
        assert!((low - 0.5).abs() < 0.005, "fraction of E→E synapses from the lower half {low}");
    }
}
