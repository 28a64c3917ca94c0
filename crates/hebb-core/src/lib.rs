//! # hebb-core
//!
//! The vocabulary every other hebb crate shares:
//!
//! * [`rng`]: random streams keyed by `(seed, purpose, id, ...)`, so that a
//!   simulation's output never depends on thread count or scheduling;
//! * [`pop`]: populations laid out as contiguous index ranges;
//! * [`time`]: the integer time grid (steps of `dt`);
//! * [`comm`]: the [`comm::Communicator`] seam that lets one network run
//!   over several processes (single-process [`comm::Local`] by default);
//! * [`Keyed`]: named values in a fixed order that serialise as a JSON object;
//! * [`ParamError`]: the error raised for invalid user input, naming the field
//!   and the allowed values.
//!
//! ```
//! use hebb_core::rng::{Purpose, stream};
//! use rand::RngExt;
//! let mut a = stream(7, Purpose::Connectivity, &[0, 12]);
//! let mut b = stream(7, Purpose::Connectivity, &[0, 12]);
//! assert_eq!(a.random::<u64>(), b.random::<u64>());
//! ```

pub mod comm;
pub mod keyed;
pub mod pop;
pub mod rng;
pub mod series;
pub mod time;

pub use keyed::Keyed;
pub use pop::{Kind, PopLayout, Population};
pub use time::TimeGrid;

/// An invalid parameter: which field, what was given, and what is allowed.
///
/// Every crate validates its inputs into this type (wrapped in its own error
/// enum), so a user always learns the offending key and its allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid value for `{field}`: {got} (allowed: {allowed})")]
pub struct ParamError {
    /// Dotted path of the offending key, e.g. `network.populations[0].size`.
    pub field: String,
    /// The value as given, rendered for the message.
    pub got: String,
    /// The allowed values or range, in words.
    pub allowed: String,
}

impl ParamError {
    /// Build an error for `field` holding `got`, which must satisfy `allowed`.
    pub fn new(field: impl Into<String>, got: impl std::fmt::Display, allowed: impl Into<String>) -> Self {
        Self { field: field.into(), got: got.to_string(), allowed: allowed.into() }
    }

    /// Prefix the field path, e.g. `size` → `network.populations[1].size`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}.{}", self.field);
        self
    }
}

/// Check that `value` is finite and strictly positive.
pub fn check_positive(field: &str, value: f64) -> Result<(), ParamError> {
    if value.is_finite() && value > 0.0 { Ok(()) } else { Err(ParamError::new(field, value, "a finite number > 0")) }
}

/// Check that `value` is finite and ≥ 0.
pub fn check_non_negative(field: &str, value: f64) -> Result<(), ParamError> {
    if value.is_finite() && value >= 0.0 { Ok(()) } else { Err(ParamError::new(field, value, "a finite number >= 0")) }
}

/// Check that `value` lies in the closed interval `[lo, hi]`.
pub fn check_in_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<(), ParamError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(ParamError::new(field, value, format!("a number in [{lo}, {hi}]")))
    }
}

/// Check that `value` is finite.
pub fn check_finite(field: &str, value: f64) -> Result<(), ParamError> {
    if value.is_finite() { Ok(()) } else { Err(ParamError::new(field, value, "a finite number")) }
}
