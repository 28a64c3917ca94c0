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
//! can vectorise (the libm call cannot be), which halves the cost of the
//! neuron update, the largest single cost of a balanced-network step.
//!
//! ```
//! use hebb_neurons::{Eif, NeuronModel};
//! let eif = Eif::akil();
//! let mut v = vec![-60.0, -50.5];
//! let mut refr = vec![0u32; 2];
//! let zero = vec![0.0; 2];
//! eif.integrate(0.1, &mut v, &mut refr, &zero, &zero, &[1.0, 1.0]);
//! assert!(v[0] > -60.0); // pushed up by the 1 mV/ms input
//! ```

mod exp;
mod models;

pub use exp::exp_f64;
pub use models::{Eif, Lif, NeuronKind, NeuronModel};
