//! The error type of hebb-analysis.

use hebb_core::ParamError;

/// Errors raised by the analysis functions on bad input or too little data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// An invalid parameter (field path and allowed values).
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The spike arrays differ in length.
    #[error("spike arrays differ in length: {times} times but {ids} neuron ids")]
    LengthMismatch {
        /// Length of the time array.
        times: usize,
        /// Length of the id array.
        ids: usize,
    },
    /// A recorded spike is unusable (non-finite time or id outside the
    /// layout).
    #[error("spike #{index} is invalid: {reason}")]
    BadSpike {
        /// Position in the arrays.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Fewer than two full counting windows fit between the burn-in and the
    /// end of the recording, so no sample covariance can be formed.
    #[error(
        "only {fit} full counting window(s) of {window_ms} ms fit in [{burn_in_ms}, {t_end_ms}) ms; \
         spike-count covariances need at least 2 (shorten window_ms or the burn-in, or record longer)"
    )]
    TooFewWindows {
        /// Number of full windows that fit (0 or 1).
        fit: usize,
        /// Window length in ms.
        window_ms: f64,
        /// Start of the first window in ms.
        burn_in_ms: f64,
        /// End of the recording in ms.
        t_end_ms: f64,
    },
    /// Statistics were asked for before two windows were closed.
    #[error(
        "only {closed} counting window(s) closed so far; spike-count covariances need at least 2 \
         (call `finish` at the end of the run)"
    )]
    NotEnoughClosedWindows {
        /// Windows closed so far.
        closed: usize,
    },
}
