//! NPY v1.0 files: a one-shot writer, a streaming row writer and a reader.
//!
//! # Format
//!
//! An NPY v1.0 file is
//!
//! 1. the magic string `\x93NUMPY`, the version bytes `1, 0`,
//! 2. the header length as a little-endian `u16`,
//! 3. an ASCII Python dict literal, e.g.
//!    `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`, padded with spaces and
//!    ended by `\n` so that the data starts at a multiple of 64 bytes,
//! 4. the raw little-endian elements in C (row-major) order.
//!
//! Every 1-D or 2-D header hebb writes is padded to the length needed by the largest possible
//! shape (`u64::MAX` in every axis), which is 128 bytes for all supported dtypes. The header
//! length therefore never depends on the shape: the streaming writer can rewrite the shape in
//! place at [`NpyStreamWriter::finish`], and its output equals [`write_npy`]'s byte for byte.
//! For these shapes this is also exactly what `numpy.save` writes.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::atomic::{BUF_BYTES, create_temp, temp_path, write_atomic};
use crate::error::{IoContext, IoError, Result};

/// The six magic bytes that open every NPY file.
pub const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Alignment of the data section required by NPY (and used by numpy >= 1.9 when writing).
const ALIGN: usize = 64;

/// Elements per chunk when converting to or from bytes.
const CHUNK: usize = 8192;

mod sealed {
    pub trait Sealed {}
}

/// An element type that hebb can store in NPY files.
///
/// Implemented for `f64`, `f32`, `i64`, `i32`, `u64`, `u32`, `u16` and `u8`; sealed so that
/// every implementation has a correct numpy `descr`.
pub trait NpyElement: Copy + sealed::Sealed + 'static {
    /// The numpy type string, e.g. `<f8` (little-endian f64) or `|u1` (byte).
    const DESCR: &'static str;
    /// Size of one element in bytes.
    const SIZE: usize;
    /// Append the little-endian bytes of `values` to `out`.
    fn extend_le(values: &[Self], out: &mut Vec<u8>);
    /// Decode one element from exactly [`Self::SIZE`](NpyElement::SIZE) little-endian bytes.
    fn from_le(bytes: &[u8]) -> Self;
}

macro_rules! npy_element {
    ($($t:ty => $descr:literal),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl NpyElement for $t {
            const DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn extend_le(values: &[Self], out: &mut Vec<u8>) {
                out.reserve(values.len() * Self::SIZE);
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            fn from_le(bytes: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(bytes);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}

npy_element! {
    f64 => "<f8", f32 => "<f4",
    i64 => "<i8", i32 => "<i4",
    u64 => "<u8", u32 => "<u4", u16 => "<u2", u8 => "|u1",
}

/// The header of an NPY file, as parsed by [`read_npy_header`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// The numpy type string, e.g. `<f8`.
    pub descr: String,
    /// Whether the data are in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The array shape; empty for a 0-d array.
    pub shape: Vec<usize>,
    /// Byte offset of the first data element.
    pub data_offset: u64,
}

/// An array read from an NPY file: the elements in C order and the shape.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray<T> {
    /// The elements in C (row-major) order.
    pub data: Vec<T>,
    /// The shape; the product of its entries equals `data.len()`.
    pub shape: Vec<usize>,
}

fn shape_literal<D: std::fmt::Display>(shape: &[D]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

fn dict_literal<D: std::fmt::Display>(descr: &str, shape: &[D]) -> String {
    format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}", shape_literal(shape))
}

/// Total header length (magic to `\n`, inclusive) hebb uses for `ndim` axes of `descr`:
/// the 64-aligned length needed for the largest representable shape.
fn reserved_header_len(descr: &str, ndim: usize) -> usize {
    let dict = dict_literal(descr, &vec![u64::MAX; ndim]);
    (NPY_MAGIC.len() + 2 + 2 + dict.len() + 1).div_ceil(ALIGN) * ALIGN
}

/// The complete header bytes for a C-order array of `T` with `shape` (1 or 2 axes).
///
/// Exposed so that tests and tools can compare headers; the writers use it.
pub fn npy_header<T: NpyElement>(shape: &[usize]) -> Vec<u8> {
    let total = reserved_header_len(T::DESCR, shape.len());
    let dict = dict_literal(T::DESCR, shape);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    let header_len = (total - 10) as u16;
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    debug_assert_eq!(out.len(), total);
    out
}

fn check_ndim(path: &Path, shape: &[usize]) -> Result<()> {
    if shape.is_empty() || shape.len() > 2 {
        return Err(IoError::Shape {
            path: path.into(),
            detail: format!("shape {shape:?} has {} axes; hebb writes 1-D or 2-D arrays", shape.len()),
        });
    }
    Ok(())
}

fn write_elements<T: NpyElement, W: Write>(w: &mut W, data: &[T], scratch: &mut Vec<u8>) -> std::io::Result<()> {
    for chunk in data.chunks(CHUNK) {
        scratch.clear();
        T::extend_le(chunk, scratch);
        w.write_all(scratch)?;
    }
    Ok(())
}

/// Write `data` (C order) with `shape` (1 or 2 axes) to `path` as NPY v1.0, atomically
/// (temporary file in the same directory, then rename).
///
/// Errors if the shape has another number of axes or its product differs from `data.len()`.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("hebb-io-doc-npy-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("w.npy");
/// hebb_io::write_npy(&path, &[1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// let back = hebb_io::read_npy_f64(&path).unwrap();
/// assert_eq!(back.shape, vec![2, 3]);
/// assert_eq!(back.data[5], 6.0);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_npy<T: NpyElement>(path: impl AsRef<Path>, data: &[T], shape: &[usize]) -> Result<()> {
    let path = path.as_ref();
    check_ndim(path, shape)?;
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if n != Some(data.len()) {
        return Err(IoError::Shape {
            path: path.into(),
            detail: format!("shape {shape:?} does not hold {} elements", data.len()),
        });
    }
    let header = npy_header::<T>(shape);
    write_atomic(path, |w| {
        w.write_all(&header)?;
        write_elements(w, data, &mut Vec::with_capacity(CHUNK * T::SIZE))
    })
}

// ---------------------------------------------------------------------------------------------
// Streaming writer
// ---------------------------------------------------------------------------------------------

/// Appends rows to an NPY file without holding them in memory; the shape is written at
/// [`finish`](Self::finish).
///
/// The data go to a hidden temporary file beside the target (`.<name>.<pid>-<n>.tmp`) through
/// a 1 MiB buffer. [`finish`](Self::finish) flushes, writes the final shape into the
/// fixed-width header, syncs and renames the file to its final name, so the final name only
/// ever holds a complete, consistent file. The result equals [`write_npy`] of the same data
/// byte for byte.
///
/// **`finish` is not called on drop.** Dropping an unfinished writer discards its data (the
/// temporary file is removed): errors cannot be reported from `drop`, and a run that stops on
/// an error must decide explicitly to keep what it recorded. `finish` works in any state the
/// writer can reach, including after errors elsewhere in the program and after a failed
/// [`append`](Self::append) (it then keeps the rows appended before the failure).
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("hebb-io-doc-stream-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// use hebb_io::NpyStreamWriter;
/// let path = dir.join("v.npy");
/// let mut w = NpyStreamWriter::<f32>::create_2d(&path, 3).unwrap();
/// for t in 0..4 {
///     w.append(&[t as f32, 0.5, -1.0]).unwrap();
/// }
/// w.finish().unwrap();
/// let a = hebb_io::read_npy_f32(&path).unwrap();
/// assert_eq!(a.shape, vec![4, 3]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct NpyStreamWriter<T: NpyElement> {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    /// `None` for a 1-D array, `Some(m)` for rows of `m` columns.
    ncols: Option<usize>,
    /// Elements appended successfully.
    len: usize,
    header_len: u64,
    append_failed: bool,
    finished: bool,
    scratch: Vec<u8>,
    _t: PhantomData<T>,
}

impl<T: NpyElement> NpyStreamWriter<T> {
    fn open(path: &Path, ncols: Option<usize>) -> Result<Self> {
        if ncols == Some(0) {
            return Err(IoError::Shape { path: path.into(), detail: "rows must have at least one column".into() });
        }
        let (tmp, file) = create_temp(path)?;
        let mut w = Self {
            path: path.into(),
            tmp,
            out: Some(BufWriter::with_capacity(BUF_BYTES, file)),
            ncols,
            len: 0,
            header_len: 0,
            append_failed: false,
            finished: false,
            scratch: Vec::new(),
            _t: PhantomData,
        };
        let header = npy_header::<T>(&w.shape());
        w.header_len = header.len() as u64;
        if let Some(out) = w.out.as_mut() {
            out.write_all(&header).ctx("write", path)?;
        }
        Ok(w)
    }

    /// Start a 1-D array at `path`: [`append`](Self::append) adds any number of elements.
    pub fn create_1d(path: impl AsRef<Path>) -> Result<Self> {
        Self::open(path.as_ref(), None)
    }

    /// Start a 2-D array of rows with `ncols` columns at `path` (`ncols` ≥ 1).
    pub fn create_2d(path: impl AsRef<Path>, ncols: usize) -> Result<Self> {
        Self::open(path.as_ref(), Some(ncols))
    }

    /// Reopen a finished file written by hebb to append to it, keeping only its first
    /// `keep_rows` rows (elements, for a 1-D array) — e.g. the rows recorded up to a
    /// checkpoint, so that a resumed run writes the same file as an uninterrupted one.
    ///
    /// The file is moved to a temporary name until [`finish`](Self::finish); as for any
    /// stream, dropping the writer unfinished discards it (the original file included). Errors if the
    /// dtype differs from `T`, the array is not 1-D/2-D C order, the header has another length
    /// than hebb's fixed one, or the file holds fewer than `keep_rows` rows.
    pub fn resume(path: impl AsRef<Path>, keep_rows: usize) -> Result<Self> {
        let path = path.as_ref();
        let header = read_npy_header(path)?;
        let bad = |detail: String| IoError::Npy { path: path.into(), detail };
        check_descr::<T>(path, &header.descr)?;
        if header.fortran_order && header.shape.len() > 1 {
            return Err(bad("cannot append to a Fortran-order array".into()));
        }
        let ncols = match header.shape[..] {
            [_] => None,
            [_, m] if m > 0 => Some(m),
            _ => {
                return Err(bad(format!("cannot append to an array of shape {:?}", header.shape)));
            }
        };
        let reserved = reserved_header_len(T::DESCR, header.shape.len()) as u64;
        if header.data_offset != reserved {
            return Err(bad(format!(
                "header is {} bytes, not the {reserved} bytes hebb reserves; cannot rewrite it in place",
                header.data_offset
            )));
        }
        let rows = header.shape[0];
        if rows < keep_rows {
            return Err(bad(format!("holds {rows} rows, fewer than the {keep_rows} to keep")));
        }
        let row_elems = ncols.unwrap_or(1);
        let len = keep_rows * row_elems; // keep_rows <= rows, and rows * row_elems fits (checked below)
        let data_bytes = std::fs::metadata(path).ctx("inspect", path)?.len().saturating_sub(header.data_offset);
        let needed = rows.checked_mul(row_elems).and_then(|n| n.checked_mul(T::SIZE));
        if needed.is_none_or(|b| data_bytes < b as u64) {
            return Err(bad(format!("data section is truncated ({data_bytes} bytes for shape {:?})", header.shape)));
        }
        let tmp = temp_path(path);
        std::fs::rename(path, &tmp).ctx("move aside for appending", path)?;
        let reopen = || -> Result<File> {
            let mut f = OpenOptions::new().read(true).write(true).open(&tmp).ctx("reopen", path)?;
            f.set_len(header.data_offset + (len * T::SIZE) as u64).ctx("truncate", path)?;
            f.seek(SeekFrom::End(0)).ctx("seek in", path)?;
            Ok(f)
        };
        match reopen() {
            Ok(file) => Ok(Self {
                path: path.into(),
                tmp,
                out: Some(BufWriter::with_capacity(BUF_BYTES, file)),
                ncols,
                len,
                header_len: header.data_offset,
                append_failed: false,
                finished: false,
                scratch: Vec::new(),
                _t: PhantomData,
            }),
            Err(e) => {
                // Put the untouched file back (a failed set_len leaves it unchanged).
                let _ = std::fs::rename(&tmp, path);
                Err(e)
            }
        }
    }

    /// Append elements. For a 2-D writer `values.len()` must be a multiple of the column
    /// count (one or more whole rows); nothing is written otherwise.
    ///
    /// After an I/O error the writer accepts no further appends, but
    /// [`finish`](Self::finish) still keeps the rows appended before it.
    pub fn append(&mut self, values: &[T]) -> Result<()> {
        if let Some(m) = self.ncols
            && !values.len().is_multiple_of(m)
        {
            return Err(IoError::Shape {
                path: self.path.clone(),
                detail: format!("appended {} values, not a whole number of rows of {m}", values.len()),
            });
        }
        if self.append_failed {
            return Err(IoError::StreamClosed { path: self.path.clone(), state: "failed an earlier write" });
        }
        let Some(out) = self.out.as_mut() else {
            return Err(IoError::StreamClosed { path: self.path.clone(), state: "is already finished" });
        };
        match write_elements(out, values, &mut self.scratch) {
            Ok(()) => {
                self.len += values.len();
                Ok(())
            }
            Err(e) => {
                self.append_failed = true;
                Err(IoError::io("write", &self.path, e))
            }
        }
    }

    /// Append one element (a whole row only when there is one column).
    pub fn push(&mut self, value: T) -> Result<()> {
        self.append(std::slice::from_ref(&value))
    }

    /// The shape the file will have if finished now.
    pub fn shape(&self) -> Vec<usize> {
        match self.ncols {
            None => vec![self.len],
            Some(m) => vec![self.len / m, m],
        }
    }

    /// Rows appended so far (elements, for a 1-D array).
    pub fn rows(&self) -> usize {
        self.len / self.ncols.unwrap_or(1)
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether [`finish`](Self::finish) has completed.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Make the rows written so far durable under the final name, and keep writing: flush,
    /// write the current shape into the header, sync, and make the final path a hard link to
    /// the file being written (a copy where links are not supported). If the process dies
    /// later, the final path holds a valid array of at least these rows (possibly followed by
    /// bytes written after the checkpoint), and [`resume`](Self::resume) with the returned
    /// row count continues exactly from here. Returns the rows written.
    pub fn checkpoint(&mut self) -> Result<usize> {
        let path = self.path.clone();
        if self.finished {
            return Ok(self.rows());
        }
        let header = npy_header::<T>(&self.shape());
        let Some(out) = self.out.as_mut() else {
            return Err(IoError::StreamClosed { path, state: "failed earlier" });
        };
        out.flush().ctx("write", &path)?;
        let file = out.get_mut();
        file.seek(SeekFrom::Start(0)).ctx("seek in", &path)?;
        file.write_all(&header).ctx("write", &path)?;
        file.seek(SeekFrom::End(0)).ctx("seek in", &path)?;
        file.sync_data().ctx("sync", &path)?;
        if !same_file(&self.tmp, &path) {
            let _ = std::fs::remove_file(&path);
            std::fs::hard_link(&self.tmp, &path)
                .or_else(|_| std::fs::copy(&self.tmp, &path).map(|_| ()))
                .ctx("link", &path)?;
        }
        Ok(self.rows())
    }

    /// Flush the data, write the final shape into the header, sync, and rename the file to
    /// its final path, which is returned.
    ///
    /// Calling `finish` again after success returns the path and does nothing. If `finish`
    /// itself fails, the writer is closed and its temporary file is removed on drop.
    pub fn finish(&mut self) -> Result<PathBuf> {
        if self.finished {
            return Ok(self.path.clone());
        }
        let Some(out) = self.out.take() else {
            return Err(IoError::StreamClosed { path: self.path.clone(), state: "failed to finish earlier" });
        };
        let path = self.path.clone();
        let mut file = out.into_inner().map_err(|e| e.into_error()).ctx("write", &path)?;
        // Drop any bytes of a partially failed append.
        file.set_len(self.header_len + (self.len * T::SIZE) as u64).ctx("truncate", &path)?;
        let header = npy_header::<T>(&self.shape());
        if header.len() as u64 != self.header_len {
            return Err(IoError::Npy { path, detail: "internal error: header length changed".into() });
        }
        file.seek(SeekFrom::Start(0)).ctx("seek in", &path)?;
        file.write_all(&header).ctx("write", &path)?;
        file.sync_all().ctx("sync", &path)?;
        drop(file);
        std::fs::rename(&self.tmp, &path).ctx("rename temporary file onto", &path)?;
        self.finished = true;
        Ok(path)
    }
}

/// Whether two paths name the same file (inode) — false if either is missing.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

impl<T: NpyElement> Drop for NpyStreamWriter<T> {
    fn drop(&mut self) {
        if !self.finished {
            if let Some(out) = self.out.take() {
                // Discard buffered bytes without writing them.
                let (file, _) = out.into_parts();
                drop(file);
            }
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/// A tiny parser for the Python literal dict of an NPY header.
struct DictParser<'a> {
    s: &'a [u8],
    i: usize,
}

enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

impl DictParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {} of the header dict", c as char, self.i))
        }
    }
    fn string(&mut self) -> Result<String, String> {
        let q = self.peek().filter(|&c| c == b'\'' || c == b'"').ok_or("expected a quoted string")?;
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            self.i += 1;
        }
        if self.i == self.s.len() {
            return Err("unterminated string in header dict".into());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }
    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'\'' | b'"') => Ok(Value::Str(self.string()?)),
            Some(b'T') if self.s[self.i..].starts_with(b"True") => {
                self.i += 4;
                Ok(Value::Bool(true))
            }
            Some(b'F') if self.s[self.i..].starts_with(b"False") => {
                self.i += 5;
                Ok(Value::Bool(false))
            }
            Some(b'(') => {
                self.i += 1;
                let mut dims = Vec::new();
                loop {
                    if self.peek() == Some(b')') {
                        self.i += 1;
                        return Ok(Value::Tuple(dims));
                    }
                    let start = self.i;
                    while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                    let digits = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                    let d = digits.parse::<usize>().map_err(|_| format!("bad shape entry at byte {start}"))?;
                    dims.push(d);
                    if self.s.get(self.i) == Some(&b'L') {
                        self.i += 1; // Python 2 long suffix
                    }
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b')') => {}
                        _ => return Err(format!("bad shape tuple at byte {}", self.i)),
                    }
                }
            }
            _ => Err(format!("unsupported value at byte {} of the header dict", self.i)),
        }
    }
}

fn parse_dict(text: &[u8]) -> Result<(String, bool, Vec<usize>), String> {
    let mut p = DictParser { s: text, i: 0 };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.expect(b'{')?;
    loop {
        if p.peek() == Some(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        match (key.as_str(), p.value()?) {
            ("descr", Value::Str(s)) => descr = Some(s),
            ("fortran_order", Value::Bool(b)) => fortran = Some(b),
            ("shape", Value::Tuple(t)) => shape = Some(t),
            (k, _) => return Err(format!("unexpected key or value type for `{k}`")),
        }
        match p.peek() {
            Some(b',') => p.i += 1,
            Some(b'}') => {}
            _ => return Err(format!("expected `,` or `}}` at byte {}", p.i)),
        }
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err("header dict lacks one of 'descr', 'fortran_order', 'shape'".into()),
    }
}

fn read_header_from<R: Read>(r: &mut R, path: &Path) -> Result<NpyHeader> {
    let bad = |detail: String| IoError::Npy { path: path.into(), detail };
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre).map_err(|_| bad("file is shorter than the NPY preamble".into()))?;
    if &pre[..6] != NPY_MAGIC {
        return Err(bad("missing the NPY magic string".into()));
    }
    let (hlen, prefix) = match pre[6] {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(|_| bad("truncated header".into()))?;
            (u16::from_le_bytes(b) as usize, 10)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|_| bad("truncated header".into()))?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        v => return Err(bad(format!("unsupported NPY version {v}.{}", pre[7]))),
    };
    let mut text = Vec::new();
    r.take(hlen as u64).read_to_end(&mut text).ctx("read", path)?;
    if text.len() != hlen {
        return Err(bad("truncated header".into()));
    }
    let (descr, fortran_order, shape) = parse_dict(&text).map_err(bad)?;
    Ok(NpyHeader { descr, fortran_order, shape, data_offset: (prefix + hlen) as u64 })
}

/// Read and parse only the header of the NPY file at `path` (versions 1.0, 2.0 and 3.0).
pub fn read_npy_header(path: impl AsRef<Path>) -> Result<NpyHeader> {
    let path = path.as_ref();
    let mut f = File::open(path).ctx("open", path)?;
    read_header_from(&mut f, path)
}

fn check_descr<T: NpyElement>(path: &Path, descr: &str) -> Result<()> {
    // One-byte types have no byte order: numpy writes `|u1`, but `<u1` and `u1` mean the same.
    let strip = |s: &str| s.trim_start_matches(['|', '<', '>', '=']).to_owned();
    let ok = descr == T::DESCR || (T::SIZE == 1 && strip(descr) == strip(T::DESCR));
    if ok {
        Ok(())
    } else {
        Err(IoError::Npy { path: path.into(), detail: format!("dtype is '{descr}', expected '{}'", T::DESCR) })
    }
}

/// Read the NPY file at `path` as an array of `T` (dtype must match exactly; C order, or
/// Fortran order for arrays of at most one axis).
pub fn read_npy<T: NpyElement>(path: impl AsRef<Path>) -> Result<NpyArray<T>> {
    let path = path.as_ref();
    let file = File::open(path).ctx("open", path)?;
    let file_len = file.metadata().ctx("inspect", path)?.len();
    let mut r = BufReader::with_capacity(BUF_BYTES, file);
    let header = read_header_from(&mut r, path)?;
    let bad = |detail: String| IoError::Npy { path: path.into(), detail };
    check_descr::<T>(path, &header.descr)?;
    if header.fortran_order && header.shape.len() > 1 {
        return Err(bad("Fortran-order arrays are not supported".into()));
    }
    let n = header
        .shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|n| n.checked_mul(T::SIZE).is_some())
        .ok_or_else(|| bad(format!("shape {:?} is too large", header.shape)))?;
    let data_bytes = file_len.saturating_sub(header.data_offset);
    if data_bytes != (n * T::SIZE) as u64 {
        return Err(bad(format!(
            "shape {:?} of {} needs {} data bytes, file has {data_bytes}",
            header.shape,
            header.descr,
            n * T::SIZE
        )));
    }
    let mut data = Vec::with_capacity(n);
    let mut buf = vec![0u8; CHUNK * T::SIZE];
    while data.len() < n {
        let k = (n - data.len()).min(CHUNK);
        let bytes = &mut buf[..k * T::SIZE];
        r.read_exact(bytes).ctx("read", path)?;
        data.extend(bytes.chunks_exact(T::SIZE).map(T::from_le));
    }
    Ok(NpyArray { data, shape: header.shape })
}

/// Read an `<f8` NPY file. See [`read_npy`].
pub fn read_npy_f64(path: impl AsRef<Path>) -> Result<NpyArray<f64>> {
    read_npy(path)
}

/// Read an `<f4` NPY file. See [`read_npy`].
pub fn read_npy_f32(path: impl AsRef<Path>) -> Result<NpyArray<f32>> {
    read_npy(path)
}

/// Read an `<i8` NPY file. See [`read_npy`].
pub fn read_npy_i64(path: impl AsRef<Path>) -> Result<NpyArray<i64>> {
    read_npy(path)
}

/// Read a `<u4` NPY file. See [`read_npy`].
pub fn read_npy_u32(path: impl AsRef<Path>) -> Result<NpyArray<u32>> {
    read_npy(path)
}

/// Read a `|u1` NPY file. See [`read_npy`].
pub fn read_npy_u8(path: impl AsRef<Path>) -> Result<NpyArray<u8>> {
    read_npy(path)
}
