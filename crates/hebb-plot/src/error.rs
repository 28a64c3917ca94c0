//! The error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while rendering or saving a [`Figure`](crate::Figure).
///
/// Bad *data* (NaN, infinities, empty series, non-positive values on a log axis, ...)
/// is never an error: such points are skipped and the figure is still drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Creating the output directory or writing an output file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The directory or file that could not be written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The embedded font could not be parsed or registered with plotters.
    #[error("cannot register the embedded font: {0}")]
    Font(String),
    /// plotters reported an error while drawing or encoding (PNG or SVG).
    #[error("cannot render {target}: {message}")]
    Render {
        /// What was being rendered (an output path, or `"buffer"`).
        target: String,
        /// plotters' error message.
        message: String,
    },
    /// The figure description itself is unusable (panel size too small or too
    /// large, empty file stem, ...).
    #[error("invalid figure: {0}")]
    InvalidFigure(String),
}
