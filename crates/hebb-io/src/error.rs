//! The error type of hebb-io: every variant names the file or directory involved.

use std::path::{Path, PathBuf};

/// Result alias used throughout hebb-io.
pub type Result<T, E = IoError> = std::result::Result<T, E>;

/// Everything that can go wrong while writing or reading run output.
///
/// Every message names the path involved, so a user who sees only the top-level
/// message still knows which file to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// An operating-system error while `op` (e.g. "create", "write", "rename") on `path`.
    #[error("cannot {op} `{}`: {source}", .path.display())]
    Io {
        /// What was being attempted, as a verb phrase ("create", "read", ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The run directory exists, holds files, and overwriting was not requested.
    #[error(
        "run directory `{}` exists and is not empty; choose a new path or set `overwrite`",
        .path.display()
    )]
    DirNotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// A path that must be a directory is something else.
    #[error("`{}` exists and is not a directory", .path.display())]
    NotADirectory {
        /// The offending path.
        path: PathBuf,
    },
    /// A name given to a [`RunDir`](crate::RunDir) would leave the run directory.
    #[error(
        "`{name}` is not a relative file name inside run directory `{}` (no `..`, no absolute paths)",
        .dir.display()
    )]
    BadName {
        /// The run directory.
        dir: PathBuf,
        /// The rejected name.
        name: String,
    },
    /// JSON serialisation failed.
    #[error("cannot serialise JSON for `{}`: {source}", .path.display())]
    Json {
        /// The file that was being written.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// Data handed to a writer does not fit the declared shape or columns.
    #[error("cannot write `{}`: {detail}", .path.display())]
    Shape {
        /// The file that was being written.
        path: PathBuf,
        /// What did not fit, in words.
        detail: String,
    },
    /// An NPY file is malformed, or holds another dtype or layout than asked for.
    #[error("cannot read NPY file `{}`: {detail}", .path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        detail: String,
    },
    /// A streaming writer was used after `finish`, after a failed write, or after a failed finish.
    #[error("stream writer for `{}` {state}", .path.display())]
    StreamClosed {
        /// The final path of the stream.
        path: PathBuf,
        /// Why it no longer accepts the call, in words.
        state: &'static str,
    },
}

impl IoError {
    /// Wrap an OS error with the operation and path involved.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::Io { op, path: path.into(), source }
    }

    /// The path this error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::Io { path, .. }
            | IoError::DirNotEmpty { path }
            | IoError::NotADirectory { path }
            | IoError::Json { path, .. }
            | IoError::Shape { path, .. }
            | IoError::Npy { path, .. }
            | IoError::StreamClosed { path, .. } => path,
            IoError::BadName { dir, .. } => dir,
        }
    }
}

/// Extension to attach an operation and path to `std::io::Result`.
pub(crate) trait IoContext<T> {
    /// Map the error to [`IoError::Io`].
    fn ctx(self, op: &'static str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, op: &'static str, path: &Path) -> Result<T> {
        self.map_err(|e| IoError::io(op, path, e))
    }
}
