//! # hebb-connectivity
//!
//! Sparse synapse storage for spiking networks, laid out for the hot loop:
//!
//! * [`Csr`]: synapses grouped by presynaptic neuron (compressed sparse rows),
//!   each an `f32` weight and a `u32` target, in two flat arrays. Delivering a
//!   spike streams one contiguous row: 8 bytes per synapse, no pointers.
//! * [`PostIndex`]: an optional transposed index (for each postsynaptic
//!   neuron, the positions of its incoming synapses in the CSR arrays), 4 more
//!   bytes per synapse, built only when a plasticity rule needs post-side
//!   updates. Static networks never pay for it.
//! * [`bernoulli`]: independent Bernoulli draws per ordered pair and block,
//!   with geometric skipping (O(K) work per row, not O(N)) and one random
//!   stream per (projection, presynaptic neuron), so the graph depends only on
//!   the seed.
//! * [`fixed_in_degree`]: every neuron receives exactly `k_exc` E and `k_inh`
//!   I inputs, drawn without replacement from one stream per (projection,
//!   postsynaptic neuron); [`fixed_in_degree_rows`] gives the incoming lists
//!   alone (the Kim & Chow prototype's wiring, specs/kimchow.md §2.3).
//!
//! Targets within a row are strictly increasing, so the synapses of one row
//! onto one postsynaptic population are a contiguous sub-range
//! ([`Csr::row_range_to`]).
//!
//! ```
//! use hebb_connectivity::{bernoulli, Block};
//! // 10 presynaptic neurons onto 2 target groups [0, 6) and [6, 10).
//! let blocks = vec![
//!     Block { pre: 0..10, post: 0..6, p: 0.5, weight: 0.1, autapses: true },
//!     Block { pre: 0..10, post: 6..10, p: 1.0, weight: -0.2, autapses: true },
//! ];
//! let csr = bernoulli(10, 10, &blocks, 42, 0).unwrap();
//! assert_eq!(csr.row_targets(3).iter().filter(|&&t| t >= 6).count(), 4);
//! ```

mod csr;
mod fixed;

pub use csr::{Block, ConnectivityError, Csr, PostIndex, bernoulli};
pub use fixed::{FIXED_IN_DEGREE_PROJECTION, FixedInDegree, fixed_in_degree, fixed_in_degree_rows};
