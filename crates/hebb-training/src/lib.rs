//! # hebb-training
//!
//! Training of recurrent networks, independent of the spiking engine:
//!
//! * [`Rls`]: **per-neuron recursive least squares** on the recurrent
//!   weights of each trained neuron over its existing presynaptic partners,
//!   with the **ROWSUM** penalty (off / soft `μ` / hard / per rate-sorted
//!   subpopulation), after C. M. Kim and C. C. Chow, *Training spiking
//!   neural networks in the strong coupling regime*, Neural Computation
//!   33(5):1199–1233 (2021), doi:10.1162/neco_a_01379 (spec:
//!   `specs/kimchow.md` §3, §4, §8). All per-neuron `P` matrices live in one
//!   packed symmetric arena ([`PackedArena`]); `P₀` is the closed form of
//!   §3.4; the update is fused (one sweep over `P` per update, §8.1) and
//!   parallel over neurons with rayon, bit-identical to serial.
//! * [`ForceReadout`]: **FORCE** with one shared `P` over a network's
//!   filtered rates and a linear decoder, with fixed random feedback
//!   encoders ([`FeedbackEncoders`]), after D. Sussillo and L. F. Abbott,
//!   *Generating coherent patterns of activity from chaotic neural
//!   networks*, Neuron 63:544 (2009) and W. Nicola and C. Clopath,
//!   *Supervised learning in spiking neural networks with FORCE training*,
//!   Nat. Commun. 8:2208 (2017) (spec §6.1). The decoder update is a
//!   [`Readout`], so it composes with any rate or spiking network.
//! * [`theory`]: the spec's formulas (batch penalised least squares,
//!   `Q`, closed-form `P₀`, the retention law `β_B`, the block-mean
//!   prediction, ridge regression for FORCE, update counts).
//! * [`surrogate`]: the one-neuron surrogate of §4.3.
//! * [`LearningSchedule`]: learning times as integer step counts (§3.6).
//! * [`wiring::fixed_in_degree`]: a fixed-in-degree builder (temporary;
//!   hebb-connectivity does not have one yet).
//!
//! Two tiers, as in faer: the types above for users, and [`kernel`] (packed
//! mat-vec, rank-1 downdate, the fused sweep) for speed and for tests.
//!
//! ## Errors
//!
//! Every constructor and every method that takes user data validates it and
//! returns a [`TrainingError`] naming the field and its allowed range; a
//! numerical breakdown of `P` is [`TrainingError::Numerical`]. Accessors that
//! take a row index (`weights(i)`, `pre(i)`, …) panic when the index is out
//! of range, like slice indexing, and the [`kernel`] functions assert their
//! slice lengths.
//!
//! ## Precision
//!
//! `Rls<T>` is generic over the arena scalar [`Real`] (`f64` default,
//! `f32` optional). Only the `P` arithmetic runs in `T`; weights, errors and
//! the weight step are f64, so the hard ROWSUM keeps row sums to f64
//! rounding even with an f32 arena. [`AnyRls`] picks the type at run time
//! from [`RlsConfig::precision`]. The FORCE `P` is always f64.
//!
//! ## Model details the spec leaves open, and the choices made here
//!
//! | open detail (kimchow.md) | choice | where it is configured |
//! |---|---|---|
//! | `λ` (L2) | 0.5 (run set 2, §10) | [`RlsConfig::lambda`] |
//! | `μ` (ROWSUM) and mode | soft, `μ = 8` (run set 2) | [`RlsConfig::rowsum`] |
//! | hard-mode rounding drift (§3.5) | `k` re-projected onto zero group sums before each weight step | always on in [`Rowsum::Hard`] |
//! | groups | {E, I}; or rate-sorted subpopulations sorted by caller-given rates, `⌊(g+1)n/G⌋ − ⌊gn/G⌋` per slice; fixed by presynaptic identity; empty groups skipped | [`Grouping`] |
//! | trained set | any subset of neurons (one row each) | [`PlasticInputs`] rows |
//! | `Δt_L` and whether the window end is inclusive | integer steps; end **inclusive** (101 updates per 1 s at 10 ms) | [`LearningSchedule`] |
//! | wiring rule | fixed in-degree `K` from E and from I, no autapses (the prototype's) | [`wiring::FixedInDegree`] |
//! | float precision | f64 (f32 optional) | [`RlsConfig::precision`], `Rls<T>` |
//! | update fusion | fused (bit-identical to unfused in this implementation) | [`RlsConfig::fused`] |
//! | FORCE decoder-update form | normalised `Φ −= c k eᵀ` (the reference's `Φ −= k eᵀ` optional) | [`ForceConfig::step`] |
//! | FORCE `α` | 5 ms² (the reference's `0.1·dt[s]` in ms units) | [`ForceConfig::alpha`] |
//!
//! The remaining open details of the spec (`τ_s` and filter shape, filter
//! discretisation, how the input is computed after an update, stimulus,
//! reset and test initial conditions, target parameters, number of loops,
//! the Fano window) belong to the network and the trainer that drives it,
//! which are not part of this crate yet. [`Rls::plastic_input`] provides the
//! recomputed input `w·r` of option (a) of §2.2, the spec's recommended
//! default.
//!
//! ## Example
//!
//! ```
//! use hebb_training::{Grouping, PlasticInputs, Rls, RlsConfig, Rowsum};
//! // one neuron with 3 E inputs (0, 1, 2) and 2 I inputs (3, 4)
//! let labels = Grouping::ExcInh { n_exc: 3 }.labels(5).unwrap();
//! let inputs = PlasticInputs::from_rows(
//!     5, vec![0], &[vec![0, 1, 2, 3, 4]], &[vec![0.3, 0.3, 0.3, -1.5, -1.5]], &labels,
//! ).unwrap();
//! let cfg = RlsConfig { lambda: 0.5, rowsum: Rowsum::Hard, ..RlsConfig::default() };
//! let mut rls = Rls::<f64>::new(inputs, cfg).unwrap();
//! let before = rls.group_sums(0);
//! for m in 0..100 {
//!     let t = m as f64;
//!     let traces = [0.01 * (1.0 + t.sin()), 0.02, 0.01, 0.03 * (1.0 + t.cos()), 0.02];
//!     rls.update(&traces, &[0.5], &[(0.1 * t).sin()]).unwrap();
//! }
//! let after = rls.group_sums(0);
//! assert!((after[0] - before[0]).abs() < 1e-12 && (after[1] - before[1]).abs() < 1e-12);
//! ```

pub mod arena;
pub mod error;
pub mod force;
pub mod inputs;
pub mod kernel;
pub mod real;
pub mod rls;
pub mod schedule;
pub mod surrogate;
pub mod theory;
pub mod wiring;

pub use arena::PackedArena;
pub use error::{Result, TrainingError};
pub use force::{DecoderStep, FeedbackEncoders, ForceConfig, ForceReadout, Readout, SharedP};
pub use inputs::{GroupRange, Grouping, PlasticInputs, UNGROUPED};
pub use real::{Precision, Real};
pub use rls::{AnyRls, Rls, RlsConfig, Rowsum};
pub use schedule::LearningSchedule;
