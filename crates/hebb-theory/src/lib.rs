//! # hebb-theory
//!
//! Theory beside the simulations. This crate currently holds the balanced
//! mean-field theory of Akil, Rosenbaum & Josić, "Balanced networks under
//! spike-timing dependent plasticity", PLoS Comput Biol 17(5): e1008958
//! (2021) (preprint: "Synaptic plasticity in correlated balanced networks",
//! arXiv 2004.12453), written for any number of recurrent populations and any
//! number of external layers:
//!
//! * the leading-order balanced rates r = −W⁻¹ W_x r_x
//!   ([`balanced::balanced_rates`], spec `akil.md` §3.1);
//! * the "input cancellation" spike-count covariances
//!   C̄ = T_win W⁻¹ W_x C_x W_xᵀ W⁻ᵀ and the population correlations
//!   ([`balanced::leading_order_covariance`], spec §3.2);
//! * the quasi-static mean-field weight dynamics of any set of plastic types
//!   whose rules declare a drift: ODE integration, fixed points, their
//!   stability and relaxation times ([`weights`], spec §3.3–3.4);
//! * the weight–rate correlations of homeostatic iSTDP, the row-exponential
//!   model J_jk(t) = J_jk(0)·e^{r_k Φ_j(t)} ([`manifold`], spec §3.5), which
//!   corrects the mean-field weight shifts for ⟨J r⟩ ≠ ⟨J⟩⟨r⟩.
//!
//! For the rate networks of Clark & Abbott (Phys. Rev. X 14, 021001 (2024),
//! spec `clark.md`): the joint neuronal–synaptic Jacobian reduced exactly from
//! N + N² to 2N, its eigenvalues, the random-matrix bulk support and the
//! local roots ([`jacobian`], §5), and the search, classification and count
//! of joint fixed points ([`fixed_points`], §7). Dependency note: faer is
//! used for the non-symmetric eigenvalues only (Hessenberg + multishift QR
//! with aggressive early deflation, sequential); nalgebra's Schur route was
//! 6–7× slower on the 2000 × 2000 joint Jacobian in the measurement recorded
//! in [`jacobian`].
//!
//! ```
//! use hebb_theory::balanced::{balanced_rates, leading_order_covariance, TwoPop};
//!
//! let net = TwoPop::default().network(); // the paper's default E/I network, N = 5000
//! let r = balanced_rates(&net).unwrap();
//! assert!(r.positive);
//! assert!((r.rates_hz()[0] - 5.824).abs() < 1e-3);
//!
//! let cov = leading_order_covariance(&net, 250.0).unwrap();
//! assert!((cov.cov[0][0] - 8.48e-4).abs() < 1e-6); // c = 0, N = 5000
//! ```

pub mod balanced;
pub mod dmft;
pub mod fixed_points;
pub mod jacobian;
pub mod manifold;
pub mod optogenetic;
pub mod weights;

pub use balanced::{
    BalancedRates, CovarianceTheory, ExternalMf, Link, MeanFieldMatrices, MeanFieldNetwork, PopMf, TheoryError, TwoPop,
    balanced_rates, balanced_rates_corrected, leading_order_covariance, pair_names,
};
pub use hebb_core::Keyed;
