//! A fixed-in-degree wiring rule for trained networks.
//!
//! **Temporary home.** hebb-connectivity has no fixed-in-degree builder yet;
//! this one lives here until it does (then it should move there and return a
//! [`hebb_connectivity::Csr`]). It is the rule of the spec's prototype
//! (kimchow.md §2.3): every neuron receives exactly `k_exc` inputs from the
//! E population and `k_inh` from the I population, drawn without
//! replacement, no autapses by default, which makes `K_p` uniform.

use crate::error::Result;
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use serde::{Deserialize, Serialize};

/// Projection id of the connectivity streams used by [`fixed_in_degree`]
/// (`stream(seed, Connectivity, [FIXED_IN_DEGREE_PROJECTION, neuron])`).
pub const FIXED_IN_DEGREE_PROJECTION: u64 = 0x7E4C_0001;

/// Parameters of the fixed-in-degree rule. E neurons are `0..n_exc`, I
/// neurons `n_exc..n_exc + n_inh`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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

/// Presynaptic lists (E inputs ascending, then I inputs ascending) of each
/// neuron in `post`. Neuron `t` uses its own stream, so a row depends only on
/// `(seed, t)`, never on which other rows are built.
pub fn fixed_in_degree(rule: &FixedInDegree, post: &[u32], seed: u64) -> Result<Vec<Vec<u32>>> {
    let n = rule.n_exc + rule.n_inh;
    if n == 0 || n > u32::MAX as usize {
        return Err(ParamError::new("n_exc + n_inh", n, "an integer in [1, 2^32 - 1]").into());
    }
    let avail_e = rule.n_exc - usize::from(!rule.autapses && rule.n_exc > 0);
    let avail_i = rule.n_inh - usize::from(!rule.autapses && rule.n_inh > 0);
    if rule.k_exc > avail_e {
        return Err(ParamError::new(
            "k_exc",
            rule.k_exc,
            format!("an integer in [0, {avail_e}] (E neurons available per target)"),
        )
        .into());
    }
    if rule.k_inh > avail_i {
        return Err(ParamError::new(
            "k_inh",
            rule.k_inh,
            format!("an integer in [0, {avail_i}] (I neurons available per target)"),
        )
        .into());
    }
    let mut rows = Vec::with_capacity(post.len());
    for (q, &t) in post.iter().enumerate() {
        let t = t as usize;
        if t >= n {
            return Err(ParamError::new(format!("post[{q}]"), t, format!("a neuron index < {n}")).into());
        }
        let mut rng = stream(seed, Purpose::Connectivity, &[FIXED_IN_DEGREE_PROJECTION, t as u64]);
        let mut row = Vec::with_capacity(rule.k_exc + rule.k_inh);
        for (start, size, k) in [(0, rule.n_exc, rule.k_exc), (rule.n_exc, rule.n_inh, rule.k_inh)] {
            let own = (start..start + size).contains(&t) && !rule.autapses;
            let m = size - usize::from(own);
            let mut pick: Vec<u32> = rand::seq::index::sample(&mut rng, m, k)
                .into_iter()
                .map(|x| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_are_exact_and_rows_reproducible() {
        let rule = FixedInDegree { n_exc: 40, n_inh: 30, k_exc: 10, k_inh: 7, autapses: false };
        let post: Vec<u32> = (0..70).collect();
        let rows = fixed_in_degree(&rule, &post, 3).unwrap();
        for (t, row) in rows.iter().enumerate() {
            assert_eq!(row.iter().filter(|&&j| j < 40).count(), 10);
            assert_eq!(row.iter().filter(|&&j| j >= 40).count(), 7);
            assert!(!row.contains(&(t as u32)));
            assert!(row.windows(2).all(|w| w[0] < w[1]));
        }
        // a row depends only on (seed, neuron)
        let again = fixed_in_degree(&rule, &[5, 60], 3).unwrap();
        assert_eq!(again[0], rows[5]);
        assert_eq!(again[1], rows[60]);
        assert!(fixed_in_degree(&FixedInDegree { k_exc: 40, ..rule }, &post, 3).is_err());
        assert!(fixed_in_degree(&rule, &[70], 3).is_err());
    }
}
