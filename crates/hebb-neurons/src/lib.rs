//! # hebb-neurons
//!
//! Point-neuron models updated over a whole population at once, in
//! struct-of-arrays form: the membrane potentials are one `&mut [f32]`, the
//! synaptic currents three `&mut [f32]` (single-precision state, see
//! [`NeuronModel`]), so the update is a straight loop over consecutive
//! neurons.
//!
//! * [`Eif`]: the exponential integrate-and-fire neuron of Akil, Rosenbaum &
//!   Josić (2021), specs/akil.md §1.2, with no refractory period;
//! * [`Lif`]: the current-based leaky integrate-and-fire neuron of the
//!   benchmark network (specs/performance.md §2.2), with a refractory period.
//!
//! Both implement [`NeuronModel`]. The exponential term of the EIF uses
//! [`exp_f32`] (default) or [`exp_f64`] ([`ExpPrecision`]), branch-free
//! exponentials that vectorise (a libm call does not). With AVX2 and FMA
//! (detected at run time) the engine's fused EIF pass costs ~1.0–1.3 ns per
//! neuron-step on the 2-core EPYC VM (1.8–2.2 with the f64 state it had
//! before), and the results are bit-identical on machines without them (see
//! the README).
//!
//! ```
//! use hebb_neurons::{Eif, NeuronModel};
//! let eif = Eif::akil();
//! let mut v = vec![-60.0f32, -50.5];
//! let mut refr = vec![0u32; 2];
//! eif.integrate(0.1, &mut v, &mut refr, &[1.0, 1.0]);
//! assert!(v[0] > -60.0); // pushed up by the 1 mV/ms input
//! ```

#[cfg(target_arch = "x86_64")]
mod eif_avx2;
mod exp;
mod models;

pub use exp::{EXP_LANES, exp_block, exp_block_f32, exp_f32, exp_f64};
pub use models::{Eif, ExpPrecision, Lif, NeuronKind, NeuronModel, detect_spikes};
