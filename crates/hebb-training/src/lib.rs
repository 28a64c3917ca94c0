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
//! * [`wiring::fixed_in_degree`]: the fixed-in-degree rows, now a thin
//!   wrapper over [`hebb_connectivity::fixed_in_degree_rows`] (same rows).
//! * [`Network`]: the strongly coupled E–I LIF network of §2 (dimensionless
//!   LIF, 50/50 E/I, fixed in-degree `K` per block, block weights
//!   `2τ_m/√K × (0.15, 1, −0.75, −1)`, drive `∝ √K`, unit-area filtered
//!   traces, a one-step delay), with its own step order in [`Network::step`].
//! * [`Trainer`]: drives trials (reset, stimulus, training window with RLS
//!   updates of the trained neurons' recurrent weights every
//!   `learn_every_ms`, frozen-weight test and replay trials) and measures
//!   Pearson `R` against `f_i = ū_i + ξ_i(t)` (§3.1, §3.6, §3.7), with the
//!   diagnostics [`fano_factors`], [`Network::dale_violations`] and
//!   [`Network::block_means`].
//! * [`diagnostics`]: group-pair mean weights and their change
//!   ([`GroupMeans`]), Dale violations per presynaptic group with both
//!   normalisations ([`group_dale_violations`]), E/I/total input traces
//!   ([`Trainer::record_inputs`]), the inhibition-stabilised probe
//!   ([`Trainer::isn_probe`]) and pruning of Dale-violating synapses
//!   ([`Network::prune_dale_violations`]) (§3.7, §4.5, §5).
//! * [`force_lif`]: FORCE on the Nicola–Clopath spiking LIF network with the
//!   5-Hz sine task ([`run_sine_task`], §6.1).
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
//! The network and the trainer fix the remaining open details as follows
//! (all are configuration values of [`NetworkConfig`] or [`TrainerConfig`]):
//!
//! | open detail (kimchow.md) | choice | where it is configured |
//! |---|---|---|
//! | `τ_s`, filter shape | 50 ms (run set 2), single exponential, unit area, one `τ_s` for all recurrent synapses (all plastic) | [`NetworkConfig::tau_s_ms`] |
//! | filter discretisation | exact decay `r ← r e^{−dt/τ_s} + s/τ_s` (Euler optional) | [`NetworkConfig::filter`] |
//! | input after a weight update | (a) recomputed `u = W r` every step; (b) event-driven optional | [`NetworkConfig::input`] |
//! | `K`, wiring | `K = 100` from E and from I, fixed in-degree, no autapses | [`NetworkConfig::k`] |
//! | drive | `x = 0.12`, `X = (1.5, 1) x √K`, constant | [`NetworkConfig::x`], [`NetworkConfig::drive_factors`] |
//! | refractory period | none beyond the step of the spike (the group's 0.1 ms) | — |
//! | stimulus | a fixed per-task vector `a ξ_i`, `ξ_i ~ U(−1, 1)`, `a = 1`, for 200 ms before the window | [`TrainerConfig::stimulus_ms`], [`TrainerConfig::stimulus_amplitude`] |
//! | reset, initial conditions | voltages `U[0, 1)` keyed by the trial; traces zeroed; training loops reuse the same voltages (prototype) unless [`TrainingInitialState::NewEachLoop`]; tests use new keys | [`TrainerConfig::training_initial_state`] |
//! | targets | `f_i = ū_i + ξ_i(t)`, `ū_i` the untrained network's mean input over the window of a reference trial; `ξ` an OU (τ = 200 ms, s.d. 0.3) or sine pattern from hebb-stimulus | [`TrainerConfig::target`] |
//! | trained set | all neurons, or a subset | [`TrainerConfig::trained`] |
//! | groups | {E, I}, or rate-sorted by the reference trial's rates | [`TrainerConfig::grouping`] |
//! | window, `Δt_L`, record grid | 1 s, 10 ms, end inclusive (101 updates), inputs recorded every 1 ms | [`TrainerConfig`] |
//! | performance | Pearson `R` of the recorded total input with the target over the window: per trial, replay, trial-averaged | [`TrialReport`], [`Trainer::trial_averaged_pearson`] |
//! | number of loops | the caller's loop over [`Trainer::train_loop`] | — |
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
pub mod diagnostics;
pub mod error;
pub mod force;
pub mod force_lif;
pub mod inputs;
pub mod kernel;
pub mod network;
pub mod real;
pub mod rls;
pub mod schedule;
mod simd;
pub mod surrogate;
pub mod theory;
pub mod trainer;
pub mod wiring;

pub use arena::PackedArena;
pub use diagnostics::{GroupMeans, InputTraces, IsnProbe, group_dale_violations};
pub use error::{Result, TrainingError};
pub use force::{DecoderStep, FeedbackEncoders, ForceConfig, ForceReadout, Readout, SharedP};
pub use force_lif::{LifForceConfig, LifForceNetwork, SineTaskReport, run_sine_task};
pub use inputs::{GroupRange, Grouping, PlasticInputs, UNGROUPED};
pub use network::{DaleViolations, FilterStep, InputMode, Network, NetworkConfig};
pub use real::{Precision, Real};
pub use rls::{AnyRls, Rls, RlsConfig, Rowsum};
pub use schedule::LearningSchedule;
pub use trainer::{
    OuTarget, SineTarget, TargetPattern, TrainedSet, Trainer, TrainerConfig, TrainerGrouping, TrainingInitialState,
    TrialKind, TrialReport, fano_factors, pearson,
};
