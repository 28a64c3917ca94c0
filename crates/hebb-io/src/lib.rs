//! # hebb-io
//!
//! Run directories, manifests, JSON summaries, NPY and CSV writers.
//!
//! * [`RunDir`]: one directory per run with `manifest.json`, `summary.json`, data files and
//!   `figures/`; every file is written atomically (temporary file + rename), so a crash never
//!   leaves a half-written file under its final name.
//! * [`Manifest`]: version, git revision, command line, resolved config, seed, threads, wall
//!   and CPU seconds, timestamps, host, and the files written.
//! * [`npy`]: NPY v1.0 writers (one-shot [`write_npy`] and streaming [`NpyStreamWriter`]) and
//!   a reader ([`read_npy`]), for `f64`, `f32`, `i64`, `i32`, `u64`, `u32`, `u16`, `u8`.
//! * [`csv`]: tables of `f64` with a header row.
//! * [`resources`]: CPU time, peak RSS, load average, and a [`Stopwatch`].
//!
//! ## Why a hand-written NPY writer
//!
//! The NPY crates pull in far more than they do here: `ndarray-npy` needs `ndarray` and `zip`
//! (about 40 lockfile entries), `npyz` with npz support about 70. NPY v1.0 is a magic string,
//! a small Python-literal header dict and the raw little-endian data, so the writer, the
//! streaming writer and the reader fit in one small module with no dependency, and numpy
//! reads the result (see the tests, which load it with numpy when available).
//!
//! ## Example
//!
//! ```
//! use hebb_io::{Manifest, NpyStreamWriter, RunDir, Stopwatch};
//! # let out = std::env::temp_dir().join(format!("hebb-io-doc-lib-{}", std::process::id()));
//! let clock = Stopwatch::start();
//! let run = RunDir::create(&out)?;
//! let mut manifest = Manifest::begin("0.1.0", serde_json::json!({"n": 3}), 42, 1, None, &clock);
//!
//! let mut v: NpyStreamWriter<f32> = run.npy_stream("v.npy", 3)?;
//! v.append(&[0.0, 1.0, 2.0])?;
//! v.finish()?; // not called on drop
//! run.write_csv("rates.csv", &["t", "rate"], &[[0.0, 5.0], [1.0, 6.5]])?;
//! run.write_json("summary.json", &serde_json::json!({"rate": 5.75}))?;
//!
//! manifest.complete(&clock, &run)?;
//! run.write_manifest(&manifest)?;
//! assert_eq!(manifest.files.len(), 3);
//! # std::fs::remove_dir_all(&out).unwrap();
//! # Ok::<(), hebb_io::IoError>(())
//! ```

mod atomic;
pub mod csv;
mod error;
pub mod npy;
pub mod resources;
pub mod run_dir;

#[cfg(test)]
mod tests;

pub use atomic::write_atomic;
pub use csv::{write_csv, write_csv_columns};
pub use error::{IoError, Result};
pub use npy::{
    NpyArray, NpyElement, NpyHeader, NpyStreamWriter, read_npy, read_npy_f32, read_npy_f64, read_npy_header,
    read_npy_i64, read_npy_u8, read_npy_u32, write_npy,
};
pub use resources::{Stopwatch, cpu_time_s, load_average, peak_rss_bytes};
pub use run_dir::{DataFile, Manifest, RunDir, git_revision, hostname, utc_iso8601, write_json};

/// Compiles the README example (not run: it writes into the working directory).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
