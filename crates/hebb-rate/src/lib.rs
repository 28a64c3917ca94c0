//! # hebb-rate
//!
//! Rate networks with dynamic Hebbian couplings: the model of
//! D. G. Clark and L. F. Abbott, "Theory of coupled neuronal–synaptic
//! dynamics", Phys. Rev. X **14**, 021001 (2024), arXiv:2302.08985, as
//! specified in `specs/clark.md` (section numbers below refer to it).
//!
//! ## The model (§2.1–2.3)
//!
//! ẋ_i = −x_i + Σ_j (g J*_ij + A_ij) φ(x_j),  τ_s Ȧ_ij = −A_ij + (k/N) φ(x_i) φ(x_j),
//!
//! with J*_ij ~ N(0, 1/N) i.i.d. (diagonal drawn by default, §2.1;
//! [`CouplingDiagonal`]), φ(x) = erf(√π x/2) (§2.2; tanh as the alternative,
//! [`Nonlinearity`]), x(0) ~ N(0, 1) and A(0) = 0 (§2.3; a Hebbian A(0) is
//! available, [`InitialSynapses`]).
//!
//! ## The discrete kernel (§2.5)
//!
//! One step: φ_n = φ(x_n); h_n = g J* φ_n + A_n φ_n (pre-update A_n);
//! x_{n+1} = x_n + dt (−x_n + h_n); A_{n+1} = α A_n + β φ_n φ_nᵀ, with
//! (α, β) = (1 − dt/τ_s, (dt/τ_s) k/N) for the Euler reference (default,
//! used by every \[N\] number of the spec and by the numpy peer) or
//! (e^(−dt/τ_s), (1 − e^(−dt/τ_s)) k/N) for the exponential update
//! ([`SynapseScheme`]). Freezing (§6.1) is α = 1, β = 0:
//! [`RateNetwork::freeze`].
//!
//! ## Kernels (§2.4, §10.2, §10.4)
//!
//! * [`DenseKernel`]: A as a packed upper triangle, product and update fused
//!   in one pass (§10.2);
//! * [`HistoryKernel`]: A never formed; A_n φ_n = Σ_j β α^(j−1)
//!   φ_{n−j}(φ_{n−j}·φ_n) over a ring buffer of L past rates (§2.4, §10.4),
//!   exact up to a truncation error ≤ |k| α^L per component;
//! * [`NaiveKernel`]: full N × N matrix and textbook loops, the test
//!   reference.
//!
//! ## Tangent dynamics (§8.1, §8.5)
//!
//! [`Tangent`], [`lyapunov_spectrum`], [`max_lyapunov`] and
//! [`kaplan_yorke`]: QR (Gram–Schmidt) renormalised tangent vectors of the
//! joint (x, A) map with A symmetric in packed storage (the §5.1 2N
//! reduction holds at fixed states only; see [`tangent`]).
//!
//! ## Statistics (§3.3, §4.3)
//!
//! [`ChaosStats`]: Δ₀, q, g²⟨φ'²⟩, C_φ(τ), τ_½ with the estimators of the
//! numpy peer.
//!
//! ## Performance
//!
//! Both kernels are loops with explicit AVX2 variants (chosen at run time,
//! bit-identical to the portable code); for N ≥ 1500 the dense kernel's
//! packed f64 pass takes four rows per sweep of their columns (same bits).
//! Storing g J* in f32 or binary16 ([`CouplingPrecision`]) cuts the bytes of
//! the quenched GEMV and defines that product in single precision (f32 FMA
//! lanes folded in f64); storing the plastic state in f32
//! ([`PlasticPrecision`]) halves the bytes of the dense read-and-write pass
//! and of the history ring. φ = erf is evaluated eight arguments at a time
//! (the same bits as the scalar [`erf`]). Against the numpy peer in the same
//! invocation on the shared 2-core reference VM (one thread each, CPU time),
//! binary16 J* with the f32 plastic state is more than 2× faster for both
//! kernels at N = 1000 and N = 4000; the crate README ("Speed") has the
//! command, the protocol, all numbers and what limits each case.
//!
//! ## Reproducibility
//!
//! J* and x(0) come from `hebb_core::rng::stream(seed, purpose, ids)`
//! ([`RateNetwork`] lists the keys). All parallel work is split into chunks
//! that depend on N only and reduced in a fixed order, and every reduction
//! has a fixed lane order (`math` and `math32` modules), so results are
//! bit-identical for every rayon thread count and for the portable and AVX2
//! code paths, in every storage mode.
//!
//! ## Example
//!
//! ```
//! use hebb_rate::{DenseNetwork, RateParams, ChaosStats};
//!
//! // g = 2, Hebbian k = 1, τ_s = 1, dt = 0.1, N = 200.
//! let p = RateParams { n: 200, g: 2.0, k: 1.0, tau_s: 1.0, ..Default::default() };
//! let mut net = DenseNetwork::new(&p, 7).unwrap();
//! net.run(500); // burn-in, t = 50
//! let mut stats = ChaosStats::new(p.n, 50, p.nonlinearity);
//! net.run_with(500, |n| stats.observe(n.x()));
//! let s = stats.summary(p.g, p.dt);
//! assert!(s.delta0 > 1.0 && s.q > 0.3); // chaotic, Hebbian-amplified
//!
//! net.freeze(); // hold A = A(t*) and let the neurons settle
//! net.run(100);
//! assert!(net.is_frozen());
//! ```
//!
//! ## Dependencies
//!
//! hebb-core (streams, `ParamError`), rand/rand_distr (normal draws), rayon
//! (threads), serde (configs), thiserror (errors). No linear-algebra crate:
//! the kernels are memory-bound loops written out here so that their
//! operation order (and hence reproducibility) is under our control.

pub mod error;
mod kernel;
mod math;
mod math32;
pub mod network;
pub mod nonlin;
pub mod params;
pub mod stats;
pub mod tangent;

pub use error::RateError;
pub use kernel::{DenseKernel, HistoryKernel, NaiveKernel, SynapticKernel};
pub use network::{
    Couplings, DenseNetwork, HistoryNetwork, NaiveNetwork, RateNetwork, STREAM_TAG, draw_couplings, draw_initial_state,
};
pub use nonlin::{Erf, Nonlinearity, RateFunction, Tanh, erf};
pub use params::{CouplingDiagonal, CouplingPrecision, InitialSynapses, PlasticPrecision, RateParams, SynapseScheme};
pub use stats::{ChaosStats, ChaosSummary};
pub use tangent::{LyapunovOptions, LyapunovSpectrum, Tangent, kaplan_yorke, lyapunov_spectrum, max_lyapunov};
