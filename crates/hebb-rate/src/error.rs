//! The crate's error type.

use hebb_core::ParamError;

/// Everything that can go wrong in hebb-rate. User input never panics; it
/// ends here with the offending field and its allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RateError {
    /// A parameter is out of range (names the field and the allowed range).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A buffer could not be allocated (the network is too large for memory).
    #[error("cannot allocate {what}: {elements} values")]
    Allocation {
        /// Which buffer.
        what: &'static str,
        /// How many values (f64 or f32) were requested (`usize::MAX` on overflow).
        elements: usize,
    },
    /// A state vector of the wrong length or with non-finite entries.
    #[error("invalid {what}: {reason}")]
    State {
        /// Which vector.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A Lyapunov computation lost rank (tangent vectors became linearly
    /// dependent or non-finite).
    #[error("Lyapunov estimate degenerate: {0}")]
    Degenerate(String),
}

/// A zeroed `Vec` (f64 or f32) of `len` values, or an error instead of an
/// abort when memory is short.
pub(crate) fn try_zeroed<T: Copy + Default>(len: usize, what: &'static str) -> Result<Vec<T>, RateError> {
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(len).map_err(|_| RateError::Allocation { what, elements: len })?;
    v.resize(len, T::default());
    Ok(v)
}

/// `a · b`, or an allocation error on overflow.
pub(crate) fn checked_len(a: usize, b: usize, what: &'static str) -> Result<usize, RateError> {
    a.checked_mul(b).ok_or(RateError::Allocation { what, elements: usize::MAX })
}
