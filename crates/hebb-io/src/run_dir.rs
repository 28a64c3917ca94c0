//! Run directories and their manifest.
//!
//! Every hebb run writes one directory:
//!
//! ```text
//! <run>/manifest.json   what ran, where, from which code, how long (see [`Manifest`])
//! <run>/summary.json    named results (written by the caller with RunDir::write_json)
//! <run>/*.npy, *.csv    data
//! <run>/figures/        PNG and SVG
//! ```

use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::error::{IoContext, IoError, Result};
use crate::npy::{NpyElement, NpyStreamWriter, write_npy};
use crate::resources::{Stopwatch, peak_rss_bytes};

/// Name of the manifest file inside a run directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the figures subdirectory inside a run directory.
pub const FIGURES_DIR: &str = "figures";

/// The output directory of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Create the run directory `path` (and its parents) with a `figures/` subdirectory.
    ///
    /// Errors if `path` exists and is a non-empty directory, or is not a directory. Use
    /// [`create_with`](Self::create_with) to reuse a non-empty directory.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        Self::create_with(path, false)
    }

    /// Like [`create`](Self::create); with `overwrite`, a non-empty directory is accepted.
    ///
    /// Nothing is ever deleted: files of the new run replace same-named ones, and other
    /// files from an earlier run stay (and are listed by [`data_files`](Self::data_files)).
    pub fn create_with(path: impl AsRef<Path>, overwrite: bool) -> Result<Self> {
        let root = path.as_ref().to_path_buf();
        match std::fs::metadata(&root) {
            Ok(m) if !m.is_dir() => return Err(IoError::NotADirectory { path: root }),
            Ok(_) => {
                let non_empty = std::fs::read_dir(&root).ctx("list", &root)?.next().is_some();
                if non_empty && !overwrite {
                    return Err(IoError::DirNotEmpty { path: root });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&root).ctx("create directory", &root)?;
            }
            Err(e) => return Err(IoError::io("inspect", root, e)),
        }
        let figures = root.join(FIGURES_DIR);
        std::fs::create_dir_all(&figures).ctx("create directory", &figures)?;
        Ok(Self { root })
    }

    /// Open an existing run directory (e.g. to resume a run); creates `figures/` if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let root = path.as_ref().to_path_buf();
        let m = std::fs::metadata(&root).ctx("open run directory", &root)?;
        if !m.is_dir() {
            return Err(IoError::NotADirectory { path: root });
        }
        let figures = root.join(FIGURES_DIR);
        std::fs::create_dir_all(&figures).ctx("create directory", &figures)?;
        Ok(Self { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/name`, unchecked. `name` should be a relative path such as `rates.npy` or
    /// `figures/raster.png`; the `write_*` methods check this.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The `figures/` subdirectory.
    pub fn figures_dir(&self) -> PathBuf {
        self.root.join(FIGURES_DIR)
    }

    /// `root/name` after checking that `name` stays inside the directory; creates missing
    /// subdirectories (e.g. for `data/w.npy`).
    pub fn checked_path(&self, name: &str) -> Result<PathBuf> {
        let rel = Path::new(name);
        let plain = !name.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !plain || rel.file_name().is_none() {
            return Err(IoError::BadName { dir: self.root.clone(), name: name.into() });
        }
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).ctx("create directory", parent)?;
        }
        Ok(path)
    }

    /// Write `value` as pretty-printed JSON (plus a final newline) to `root/name`, atomically.
    pub fn write_json<S: Serialize + ?Sized>(&self, name: &str, value: &S) -> Result<PathBuf> {
        let path = self.checked_path(name)?;
        write_json(&path, value)?;
        Ok(path)
    }

    /// Write the manifest to `root/manifest.json`.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<PathBuf> {
        self.write_json(MANIFEST_FILE, manifest)
    }

    /// [`write_npy`] to `root/name`.
    pub fn write_npy<T: NpyElement>(&self, name: &str, data: &[T], shape: &[usize]) -> Result<PathBuf> {
        let path = self.checked_path(name)?;
        write_npy(&path, data, shape)?;
        Ok(path)
    }

    /// [`write_csv`](crate::write_csv) to `root/name`.
    pub fn write_csv<R: AsRef<[f64]>>(&self, name: &str, columns: &[&str], rows: &[R]) -> Result<PathBuf> {
        let path = self.checked_path(name)?;
        crate::csv::write_csv(&path, columns, rows)?;
        Ok(path)
    }

    /// A streaming 2-D NPY writer for rows of `ncols` values at `root/name`.
    pub fn npy_stream<T: NpyElement>(&self, name: &str, ncols: usize) -> Result<NpyStreamWriter<T>> {
        NpyStreamWriter::create_2d(self.checked_path(name)?, ncols)
    }

    /// Every file in the directory tree except `manifest.json` and hidden (dot) files such as
    /// unfinished temporary files, with sizes, sorted by relative path (`/`-separated).
    pub fn data_files(&self) -> Result<Vec<DataFile>> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).ctx("list", &dir)? {
                let entry = entry.ctx("list", &dir)?;
                let name = entry.file_name();
                if name.to_string_lossy().starts_with('.') {
                    continue;
                }
                let path = entry.path();
                let meta = entry.metadata().ctx("inspect", &path)?;
                if meta.is_dir() {
                    stack.push(path);
                } else if meta.is_file() {
                    let rel = path.strip_prefix(&self.root).unwrap_or(&path);
                    let rel: Vec<String> =
                        rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                    let rel = rel.join("/");
                    if rel != MANIFEST_FILE {
                        out.push(DataFile { path: rel, bytes: meta.len() });
                    }
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

/// Write `value` as pretty-printed JSON (plus a final newline) to `path`, atomically.
pub fn write_json<S: Serialize + ?Sized>(path: impl AsRef<Path>, value: &S) -> Result<()> {
    let path = path.as_ref();
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| IoError::Json { path: path.into(), source: e })?;
    text.push(b'\n');
    write_atomic(path, |w| std::io::Write::write_all(w, &text))
}

/// A file of a run directory and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the run directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What ran, from which code, on which machine, for how long: `manifest.json`.
///
/// Build it with [`Manifest::begin`] when the run starts and [`Manifest::complete`] when it
/// ends, then [`RunDir::write_manifest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of hebb (the caller's `env!("CARGO_PKG_VERSION")`).
    pub hebb_version: String,
    /// `git rev-parse HEAD` of the source tree, with `-dirty` if it had uncommitted changes;
    /// `None` if unknown. See [`git_revision`].
    pub git_revision: Option<String>,
    /// The program's command line, argument by argument.
    pub command_line: Vec<String>,
    /// The resolved configuration (every default filled in).
    pub config: serde_json::Value,
    /// The master seed.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
    /// Process CPU seconds (user + system, all threads) of the run; `None` if unavailable.
    pub cpu_s: Option<f64>,
    /// Peak resident memory of the process in bytes; `None` if unavailable.
    pub peak_rss_bytes: Option<u64>,
    /// Start time, UTC ISO-8601 (`2024-05-01T12:00:00Z`).
    pub started: String,
    /// End time, UTC ISO-8601; `None` until [`complete`](Self::complete).
    pub finished: Option<String>,
    /// Host name, or `unknown`.
    pub hostname: String,
    /// The data files written, with sizes (filled by [`complete`](Self::complete)).
    pub files: Vec<DataFile>,
}

impl Manifest {
    /// Start a manifest: records the command line ([`std::env::args_os`]), host name and
    /// the start time of `clock`. `git_revision` is usually [`git_revision`] of the source
    /// tree, e.g. `git_revision(Path::new(env!("CARGO_MANIFEST_DIR")))`.
    pub fn begin(
        hebb_version: &str,
        config: serde_json::Value,
        seed: u64,
        threads: usize,
        git_revision: Option<String>,
        clock: &Stopwatch,
    ) -> Self {
        Self {
            hebb_version: hebb_version.into(),
            git_revision,
            command_line: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
            config,
            seed,
            threads,
            wall_s: 0.0,
            cpu_s: None,
            peak_rss_bytes: None,
            started: utc_iso8601(clock.started_at()),
            finished: None,
            hostname: hostname(),
            files: Vec::new(),
        }
    }

    /// Finish the manifest: end time, wall and CPU seconds from `clock`, peak memory, and
    /// the list of files now in `run`.
    pub fn complete(&mut self, clock: &Stopwatch, run: &RunDir) -> Result<()> {
        self.wall_s = clock.wall_s();
        self.cpu_s = clock.cpu_s();
        self.peak_rss_bytes = peak_rss_bytes();
        self.finished = Some(utc_iso8601(SystemTime::now()));
        self.files = run.data_files()?;
        Ok(())
    }
}

/// The git revision of the repository containing `dir`: `git rev-parse HEAD`, plus `-dirty`
/// if `git status --porcelain` lists anything. `None` on any failure (no git, not a
/// repository, ...). Git runs with `GIT_OPTIONAL_LOCKS=0` so it never writes the index.
pub fn git_revision(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_OPTIONAL_LOCKS", "0")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8(out.stdout).ok()
    };
    let rev = git(&["rev-parse", "HEAD"])?.trim().to_owned();
    if rev.is_empty() {
        return None;
    }
    let dirty = !git(&["status", "--porcelain"])?.trim().is_empty();
    Some(if dirty { format!("{rev}-dirty") } else { rev })
}

/// The host name from `/proc/sys/kernel/hostname` or `/etc/hostname`, or `unknown`.
pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Format `t` as UTC ISO-8601 with whole seconds, e.g. `2024-02-29T23:59:59Z`.
///
/// Written by hand (civil-from-days, proleptic Gregorian calendar) to avoid a date crate.
pub fn utc_iso8601(t: SystemTime) -> String {
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => {
            let d = e.duration();
            -(d.as_secs() as i64) - i64::from(d.subsec_nanos() > 0)
        }
    };
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}
