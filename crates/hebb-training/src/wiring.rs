//! The fixed-in-degree wiring rule for trained networks.
//!
//! The builder now lives in hebb-connectivity
//! ([`hebb_connectivity::fixed_in_degree`] for a [`hebb_connectivity::Csr`],
//! [`hebb_connectivity::fixed_in_degree_rows`] for the incoming lists); this
//! module keeps the original entry point, which draws exactly the same rows.
//! It is the rule of the spec's prototype (kimchow.md §2.3): every neuron
//! receives exactly `k_exc` inputs from the E population and `k_inh` from
//! the I population, drawn without replacement, no autapses by default,
//! which makes `K_p` uniform.

use crate::error::Result;

pub use hebb_connectivity::{FIXED_IN_DEGREE_PROJECTION, FixedInDegree};

/// Presynaptic lists (E inputs ascending, then I inputs ascending) of each
/// neuron in `post`, from the streams
/// `(seed, Connectivity, [FIXED_IN_DEGREE_PROJECTION, neuron])`: a row
/// depends only on `(seed, t)`, never on which other rows are built.
pub fn fixed_in_degree(rule: &FixedInDegree, post: &[u32], seed: u64) -> Result<Vec<Vec<u32>>> {
    Ok(hebb_connectivity::fixed_in_degree_rows(rule, post, seed, FIXED_IN_DEGREE_PROJECTION)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_equal_the_connectivity_builder() {
        let rule = FixedInDegree { n_exc: 40, n_inh: 30, k_exc: 10, k_inh: 7, autapses: false };
        let post: Vec<u32> = (0..70).collect();
        let rows = fixed_in_degree(&rule, &post, 3).unwrap();
        let csr = hebb_connectivity::fixed_in_degree(&rule, [[1.0; 2]; 2], 3, FIXED_IN_DEGREE_PROJECTION).unwrap();
        let idx = csr.post_index();
        for (t, row) in rows.iter().enumerate() {
            assert_eq!(idx.incoming_pre(t), &row[..]);
        }
        assert!(fixed_in_degree(&FixedInDegree { k_exc: 40, ..rule }, &post, 3).is_err());
    }
}
