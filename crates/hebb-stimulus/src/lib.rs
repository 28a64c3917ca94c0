//! # hebb-stimulus
//!
//! External drive for spiking networks, in two kinds that are kept apart
//! (ARCHITECTURE.md, "How data flows through one spiking step"):
//!
//! * [`ExternalLayer`]: a layer of *shared* Poisson units whose spikes reach
//!   the network through sparse connectivity like any presynaptic population
//!   (the Akil model's layer X: shared inputs are what create its
//!   covariances). Uncorrelated, or correlated by thinning a mother process
//!   with Gaussian jitter (specs/akil.md §1.4), and optionally active only
//!   inside a time window (the optogenetic layer of §3.6).
//! * [`PoissonDrive`]: *independent* per-neuron Poisson input drawn as a count
//!   per neuron per step with a stateless counter-based generator (the
//!   benchmark network of specs/performance.md §2.3). Never routed through
//!   synapses.
//!
//! Training targets (specs/kimchow.md §3.1) live in [`target`]: a
//! stationary Ornstein–Uhlenbeck process sampled exactly on its grid
//! ([`OuTarget`]) and sinusoids with fixed or random phases
//! ([`SineTarget`]), one keyed stream per trace.
//!
//! External spikes are generated in chunks of simulated time, each chunk a
//! pure function of `(seed, layer, chunk)`: memory stays O(chunk) instead of a
//! whole-run spike buffer, a run of length T is a prefix of a longer run, and a
//! resumed run regenerates exactly the chunk it stopped in.
//!
//! ```
//! use hebb_stimulus::{ExternalLayer, LayerTrain};
//! let layer = ExternalLayer { name: "X".into(), size: 100, rate_hz: 10.0, c: 0.1, jitter_ms: 5.0, window_ms: None };
//! let mut train = LayerTrain::new(&layer, 0.1, 7, 0).unwrap();
//! let chunk = train.chunk(0); // spikes of steps 1..=10_000, sorted by step
//! assert!(chunk.windows(2).all(|w| w[0].step <= w[1].step));
//! ```

mod drive;
mod layer;
pub mod target;

pub use drive::PoissonDrive;
pub use layer::{ExtSpike, ExternalLayer, LayerTrain};
pub use target::{OuTarget, SineTarget, TargetPattern};
