//! # hebb-neurons
//!
//! Point-neuron models updated over a whole population at once, in
//! struct-of-arrays form: the membrane potentials are one `&mut [f64]`, the
//! synaptic currents three `&[f64]`, so the update is a straight loop that the
//! compiler vectorises.
//!
//! * [`Eif`]: the exponential integrate-and-fire neuron of Akil, Rosenbaum &
//!   Josić (2021), specs/akil.md §1.2, with no refractory period;
//! * [`Lif`]: the current-based leaky integrate-and-fire neuron of the
//!   benchmark network (specs/performance.md §2.2), with a refractory period.
//!
//! Both implement [`NeuronModel`]. The exponential term of the EIF uses
//! [`exp_f64`], a branch-free exponential accurate to ~2 ulp that the compiler
//! can vectorise (the libm call cannot be). With AVX2 and FMA (detected at
//! run time) the EIF update costs ~1.5 ns per neuron-step instead of ~7 ns
//! with a scalar libm `exp` (measured on the 2-core EPYC VM; see the crate
//! README), and the results are bit-identical on machines without them.
//!
//! ```
//! use hebb_neurons::{Eif, NeuronModel};
//! let eif = Eif::akil();
//! let mut v = vec![-60.0, -50.5];
//! let mut refr = vec![0u32; 2];
//! eif.integrate(0.1, &mut v, &mut refr, &[1.0, 1.0]);
//! assert!(v[0] > -60.0); // pushed up by the 1 mV/ms input
//! ```

#[cfg(target_arch = "x86_64")]
mod eif_avx2;
mod exp;
mod models;

pub use exp::{EXP_LANES, exp_block, exp_f64};
pub use models::{Eif, Lif, NeuronKind, NeuronModel, detect_spikes};
