//! Atomic file replacement: write a temporary file in the target's directory, then rename.
//!
//! A reader (or a crash) therefore sees either the old file or the complete new one, never a
//! half-written file under the final name. The rename is atomic on POSIX file systems because
//! the temporary file lives in the same directory as the target.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{IoContext, Result};

/// Buffer size used by hebb-io's writers (1 MiB).
pub(crate) const BUF_BYTES: usize = 1 << 20;

/// A fresh temporary path beside `path`: `.<file name>.<pid>-<counter>.tmp`.
///
/// The leading dot hides it from [`RunDir::data_files`](crate::RunDir::data_files).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = format!(".{name}.{}-{n}.tmp", std::process::id());
    match path.parent() {
        Some(dir) => dir.join(tmp),
        None => PathBuf::from(tmp),
    }
}

/// Create a new temporary file beside `path` (never clobbering an existing file).
pub(crate) fn create_temp(path: &Path) -> Result<(PathBuf, File)> {
    let tmp = temp_path(path);
    let file =
        OpenOptions::new().write(true).read(true).create_new(true).open(&tmp).ctx("create temporary file for", path)?;
    Ok((tmp, file))
}

/// Write `path` atomically: `fill` writes the whole content into a buffered temporary file,
/// which is then flushed, synced to disk and renamed over `path`.
///
/// On any error the temporary file is removed and `path` is left as it was. Errors name
/// `path` (not the temporary name).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("hebb-io-doc-atomic-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use std::io::Write;
/// let path = dir.join("hello.txt");
/// hebb_io::write_atomic(&path, |w| w.write_all(b"hello\n")).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_atomic<F>(path: impl AsRef<Path>, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
{
    let path = path.as_ref();
    let (tmp, file) = create_temp(path)?;
    let result = (|| {
        let mut w = BufWriter::with_capacity(BUF_BYTES, file);
        fill(&mut w).ctx("write", path)?;
        w.flush().ctx("write", path)?;
        let file = w.into_inner().map_err(|e| e.into_error()).ctx("write", path)?;
        file.sync_all().ctx("sync", path)?;
        drop(file);
        std::fs::rename(&tmp, path).ctx("rename temporary file onto", path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
