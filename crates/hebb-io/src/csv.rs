//! CSV tables of `f64` with a header row, written atomically with std only.
//!
//! Numbers are written in their shortest form that parses back to the same `f64`: plain
//! decimal (`{}`) for magnitudes in `[1e-5, 1e16)` and zero, scientific (`{:e}`, e.g. `1e300`)
//! otherwise, so a tiny or huge value never expands to hundreds of digits. Non-finite values
//! are written `NaN`, `inf` and `-inf`, which pandas and numpy read back as such. Column
//! names are quoted (RFC 4180) only when they contain a comma, a quote or a line break.

use std::io::Write;
use std::path::Path;

use crate::atomic::write_atomic;
use crate::error::{IoError, Result};

/// Format one `f64` for CSV as described in the [module docs](self); parses back exactly.
pub fn format_f64(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() || (1e-5..1e16).contains(&a) { format!("{v}") } else { format!("{v:e}") }
}

fn quote(name: &str) -> String {
    if name.contains([',', '"', '\n', '\r']) { format!("\"{}\"", name.replace('"', "\"\"")) } else { name.to_owned() }
}

fn write_line<W: Write>(w: &mut W, cells: impl Iterator<Item = String>) -> std::io::Result<()> {
    let mut first = true;
    for c in cells {
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        w.write_all(c.as_bytes())?;
    }
    w.write_all(b"\n")
}

/// Write a table: a header row of `columns`, then one line per row, atomically.
///
/// Every row must have `columns.len()` values; otherwise nothing is written and the error
/// names the file and the first bad row.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("hebb-io-doc-csv-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("rates.csv");
/// hebb_io::write_csv(&path, &["t", "rate_e"], &[[0.0, 5.5], [0.1, 6.25]]).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "t,rate_e\n0,5.5\n0.1,6.25\n");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_csv<R: AsRef<[f64]>>(path: impl AsRef<Path>, columns: &[&str], rows: &[R]) -> Result<()> {
    let path = path.as_ref();
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.as_ref().len() != columns.len()) {
        return Err(IoError::Shape {
            path: path.into(),
            detail: format!("row {i} has {} values for {} columns", r.as_ref().len(), columns.len()),
        });
    }
    write_atomic(path, |w| {
        write_line(w, columns.iter().map(|c| quote(c)))?;
        for r in rows {
            write_line(w, r.as_ref().iter().map(|&v| format_f64(v)))?;
        }
        Ok(())
    })
}

/// Write a table given column by column (`(name, values)`), atomically. All columns must
/// have the same length.
pub fn write_csv_columns(path: impl AsRef<Path>, columns: &[(&str, &[f64])]) -> Result<()> {
    let path = path.as_ref();
    let n = columns.first().map_or(0, |c| c.1.len());
    if let Some((name, v)) = columns.iter().find(|c| c.1.len() != n) {
        return Err(IoError::Shape {
            path: path.into(),
            detail: format!("column `{name}` has {} values, the first column has {n}", v.len()),
        });
    }
    write_atomic(path, |w| {
        write_line(w, columns.iter().map(|c| quote(c.0)))?;
        for i in 0..n {
            write_line(w, columns.iter().map(|c| format_f64(c.1[i])))?;
        }
        Ok(())
    })
}
