//! The crate's error type.

use hebb_core::ParamError;

/// Everything that can go wrong in hebb-training.
///
/// Bad user input is always a [`TrainingError::Param`] naming the offending
/// field and its allowed range; nothing in this crate panics on user input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainingError {
    /// An input value or length is out of its allowed range.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The recursion broke down numerically: `1 + ρ·Pρ` was not a finite
    /// number > 0, i.e. `P` lost positive (semi-)definiteness. This happens
    /// only with f32 arenas over very long runs or with non-physical inputs
    /// (huge traces). The trainer's state is unspecified afterwards; rebuild
    /// it (or use f64).
    #[error(
        "numerical breakdown in {what} at row {row}: {detail} \
         (P is no longer positive definite; use f64 or smaller inputs)"
    )]
    Numerical {
        /// Which recursion broke down (`"rls"` or `"force"`).
        what: &'static str,
        /// The trained row (neuron) where it was first seen, in row order.
        row: usize,
        /// The offending quantity.
        detail: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, TrainingError>;

/// Length check naming the field.
pub(crate) fn check_len(field: &str, got: usize, expected: usize, what: &str) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(ParamError::new(format!("{field}.len()"), got, format!("exactly {expected} ({what})")).into())
    }
}

/// Finiteness check of every entry, naming the first bad index.
pub(crate) fn check_all_finite(field: &str, xs: &[f64]) -> Result<()> {
    match xs.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(j) => Err(ParamError::new(format!("{field}[{j}]"), xs[j], "a finite number").into()),
    }
}
