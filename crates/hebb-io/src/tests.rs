//! Unit tests across the crate's modules.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use crate::*;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("hebb-io-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The expected header written out by hand from the NPY v1.0 specification.
fn hand_header(dict: &str) -> Vec<u8> {
    let mut h = vec![0x93, b'N', b'U', b'M', b'P', b'Y', 1, 0];
    // Whole header is 128 bytes: 10 bytes of preamble + 118 bytes of dict, spaces and '\n'.
    h.extend_from_slice(&[118, 0]);
    h.extend_from_slice(dict.as_bytes());
    while h.len() < 127 {
        h.push(b' ');
    }
    h.push(b'\n');
    h
}

// ------------------------------------------------------------------------------------------
// NPY
// ------------------------------------------------------------------------------------------

#[test]
fn npy_exact_bytes_of_small_arrays() {
    let d = TempDir::new("npy-bytes");

    let p = d.join("a.npy");
    write_npy(&p, &[1.0f64, -2.5], &[2]).unwrap();
    let mut want = hand_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }");
    want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0xF0, 0x3F]); // 1.0
    want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x04, 0xC0]); // -2.5
    assert_eq!(std::fs::read(&p).unwrap(), want);

    let p = d.join("b.npy");
    write_npy(&p, &[1u32, 2, 3, 4, 5, 0xDEADBEEF], &[2, 3]).unwrap();
    let mut want = hand_header("{'descr': '<u4', 'fortran_order': False, 'shape': (2, 3), }");
    for b in [[1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0], [4, 0, 0, 0], [5, 0, 0, 0], [0xEF, 0xBE, 0xAD, 0xDE]] {
        want.extend_from_slice(&b);
    }
    assert_eq!(std::fs::read(&p).unwrap(), want);

    let p = d.join("c.npy");
    write_npy(&p, &[7u8, 255, 0], &[3]).unwrap();
    let mut want = hand_header("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }");
    want.extend_from_slice(&[7, 255, 0]);
    assert_eq!(std::fs::read(&p).unwrap(), want);

    let p = d.join("d.npy");
    write_npy(&p, &[-1i64], &[1, 1]).unwrap();
    let mut want = hand_header("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }");
    want.extend_from_slice(&[0xFF; 8]);
    assert_eq!(std::fs::read(&p).unwrap(), want);

    let p = d.join("e.npy");
    write_npy(&p, &[0.5f32], &[1]).unwrap();
    let mut want = hand_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }");
    want.extend_from_slice(&[0, 0, 0, 0x3F]);
    assert_eq!(std::fs::read(&p).unwrap(), want);
}

#[test]
fn npy_header_is_128_bytes_for_every_shape() {
    for shape in [vec![0], vec![usize::MAX], vec![0, 0], vec![usize::MAX, usize::MAX], vec![12345, 7]] {
        assert_eq!(npy::npy_header::<f64>(&shape).len(), 128, "{shape:?}");
        assert_eq!(npy::npy_header::<u8>(&shape).len(), 128, "{shape:?}");
    }
    let h = npy::npy_header::<f64>(&[usize::MAX, usize::MAX]);
    let text = String::from_utf8_lossy(&h[10..]);
    assert!(text.contains(&format!("({}, {})", usize::MAX, usize::MAX)));
    assert!(text.ends_with(" \n"));
}

fn roundtrip<T: NpyElement + PartialEq + std::fmt::Debug>(dir: &TempDir, name: &str, data: &[T], shape: &[usize]) {
    let p = dir.join(name);
    write_npy(&p, data, shape).unwrap();
    let a = read_npy::<T>(&p).unwrap();
    assert_eq!(a.shape, shape);
    assert_eq!(a.data, data);
    let h = read_npy_header(&p).unwrap();
    assert_eq!(h.descr, T::DESCR);
    assert!(!h.fortran_order);
    assert_eq!(h.data_offset % 64, 0);
    assert_eq!(std::fs::metadata(&p).unwrap().len(), h.data_offset + (data.len() * T::SIZE) as u64);
}

#[test]
fn npy_round_trip_all_types() {
    let d = TempDir::new("npy-rt");
    let f: Vec<f64> = vec![0.0, -0.0, 1.0 / 3.0, f64::MIN_POSITIVE, 5e-324, f64::MAX, f64::INFINITY, -1e300];
    roundtrip(&d, "f64.npy", &f, &[8]);
    roundtrip(&d, "f64x2.npy", &f, &[2, 4]);
    roundtrip(&d, "f32.npy", &[0.1f32, -3.5, f32::MAX, f32::MIN_POSITIVE, 1e-45, 7.0], &[3, 2]);
    roundtrip(&d, "i64.npy", &[i64::MIN, -1, 0, 1, i64::MAX], &[5]);
    roundtrip(&d, "i32.npy", &[i32::MIN, 0, i32::MAX], &[3, 1]);
    roundtrip(&d, "u64.npy", &[u64::MAX, 0], &[1, 2]);
    roundtrip(&d, "u32.npy", &[0u32, 1, u32::MAX, 123_456], &[4]);
    roundtrip(&d, "u16.npy", &[0u16, u16::MAX], &[2]);
    roundtrip(&d, "u8.npy", &(0..=255u8).collect::<Vec<_>>(), &[16, 16]);
    roundtrip::<f64>(&d, "empty.npy", &[], &[0]);
    roundtrip::<u32>(&d, "empty2.npy", &[], &[0, 3]);
    // Larger than one conversion chunk, to cross chunk boundaries.
    let big: Vec<f64> = (0..20_001).map(|i| (i as f64).sin()).collect();
    roundtrip(&d, "big.npy", &big, &[20_001]);
    // NaN keeps its bits.
    let p = d.join("nan.npy");
    let nan = f64::from_bits(0x7FF8_0000_0000_1234);
    write_npy(&p, &[nan], &[1]).unwrap();
    assert_eq!(read_npy_f64(&p).unwrap().data[0].to_bits(), nan.to_bits());
    // The typed helpers agree with the generic reader.
    assert_eq!(read_npy_u32(d.join("u32.npy")).unwrap().data[2], u32::MAX);
    assert_eq!(read_npy_i64(d.join("i64.npy")).unwrap().data[0], i64::MIN);
    assert_eq!(read_npy_u8(d.join("u8.npy")).unwrap().data[255], 255);
    assert_eq!(read_npy_f32(d.join("f32.npy")).unwrap().data[0], 0.1f32);
    assert_eq!(d.names().iter().filter(|n| n.starts_with('.')).count(), 0, "temporary files left");
}

#[test]
fn npy_writer_rejects_bad_shapes_and_names_the_path() {
    let d = TempDir::new("npy-shape");
    let p = d.join("bad.npy");
    for (shape, data_len) in [(vec![2, 2], 3), (vec![5], 4), (vec![], 0), (vec![1, 1, 1], 1)] {
        let err = write_npy(&p, &vec![0.0f64; data_len], &shape).unwrap_err();
        assert!(matches!(err, IoError::Shape { .. }), "{err}");
        assert!(err.to_string().contains(p.to_str().unwrap()), "{err}");
        assert_eq!(err.path(), p);
    }
    assert!(d.names().is_empty(), "nothing may be written: {:?}", d.names());
}

#[test]
fn npy_reader_rejects_wrong_dtype_truncation_and_garbage() {
    let d = TempDir::new("npy-bad");
    let p = d.join("x.npy");
    write_npy(&p, &[1.0f64, 2.0, 3.0], &[3]).unwrap();
    let err = read_npy_u32(&p).unwrap_err();
    assert!(err.to_string().contains("'<f8'") && err.to_string().contains(p.to_str().unwrap()), "{err}");
    assert!(read_npy_f32(&p).is_err());

    let mut bytes = std::fs::read(&p).unwrap();
    bytes.pop();
    let t = d.join("trunc.npy");
    std::fs::write(&t, &bytes).unwrap();
    let err = read_npy_f64(&t).unwrap_err();
    assert!(err.to_string().contains("needs 24 data bytes, file has 23"), "{err}");

    let g = d.join("garbage.npy");
    std::fs::write(&g, b"PK\x03\x04 this is a zip").unwrap();
    assert!(read_npy_f64(&g).unwrap_err().to_string().contains("magic"));
    std::fs::write(&g, b"\x93NU").unwrap();
    assert!(read_npy_f64(&g).is_err());

    let missing = d.join("missing.npy");
    let err = read_npy_f64(&missing).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }) && err.to_string().contains("missing.npy"), "{err}");
}

#[test]
fn npy_reader_accepts_other_valid_headers() {
    // Another key order, double quotes, a Python-2 long suffix, 64-byte padding, version 2.0,
    // and '<u1' for bytes: all valid NPY that other writers produce.
    let d = TempDir::new("npy-other");
    let make = |version: u8, dict: &str, data: &[u8]| {
        let pre = if version == 1 { 10 } else { 12 };
        let total = (pre + dict.len() + 1).div_ceil(64) * 64;
        let mut b = vec![0x93, b'N', b'U', b'M', b'P', b'Y', version, 0];
        if version == 1 {
            b.extend_from_slice(&((total - pre) as u16).to_le_bytes());
        } else {
            b.extend_from_slice(&((total - pre) as u32).to_le_bytes());
        }
        b.extend_from_slice(dict.as_bytes());
        b.resize(total - 1, b' ');
        b.push(b'\n');
        b.extend_from_slice(data);
        b
    };
    let p = d.join("o.npy");
    let data: Vec<u8> = [1u32, 2, 3, 4].iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&p, make(1, "{\"shape\": (2L, 2L), \"fortran_order\": False, \"descr\": \"<u4\"}", &data)).unwrap();
    assert_eq!(read_npy_u32(&p).unwrap(), NpyArray { data: vec![1, 2, 3, 4], shape: vec![2, 2] });
    std::fs::write(&p, make(2, "{'descr': '<u4', 'fortran_order': True, 'shape': (4,)}", &data)).unwrap();
    assert_eq!(read_npy_u32(&p).unwrap().data, vec![1, 2, 3, 4]);
    std::fs::write(&p, make(1, "{'descr': '<u1', 'fortran_order': False, 'shape': ()}", &[9])).unwrap();
    assert_eq!(read_npy_u8(&p).unwrap(), NpyArray { data: vec![9], shape: vec![] });
    // 2-D Fortran order is refused rather than silently transposed.
    std::fs::write(&p, make(1, "{'descr': '<u4', 'fortran_order': True, 'shape': (2, 2), }", &data)).unwrap();
    assert!(read_npy_u32(&p).unwrap_err().to_string().contains("Fortran"));
}

#[test]
fn npy_streaming_equals_one_shot_byte_for_byte() {
    let d = TempDir::new("npy-stream");
    let ncols = 7;
    let rows = 1000;
    let data: Vec<f32> = (0..rows * ncols).map(|i| i as f32 * 0.25 - 3.0).collect();
    write_npy(d.join("once.npy"), &data, &[rows, ncols]).unwrap();

    let mut w = NpyStreamWriter::<f32>::create_2d(d.join("stream.npy"), ncols).unwrap();
    assert_eq!(w.shape(), vec![0, ncols]);
    // Uneven batches of whole rows.
    let mut i = 0;
    let mut batch = 1;
    while i < rows {
        let k = batch.min(rows - i);
        w.append(&data[i * ncols..(i + k) * ncols]).unwrap();
        i += k;
        batch = batch * 3 % 17 + 1;
    }
    assert_eq!(w.rows(), rows);
    assert!(!d.join("stream.npy").exists(), "final name must appear only at finish");
    let out = w.finish().unwrap();
    assert_eq!(out, d.join("stream.npy"));
    assert!(w.is_finished());
    assert_eq!(std::fs::read(d.join("stream.npy")).unwrap(), std::fs::read(d.join("once.npy")).unwrap());

    // 1-D, element by element, against the one-shot writer.
    let v: Vec<i64> = (0..50).map(|i| i * i - 100).collect();
    write_npy(d.join("once1.npy"), &v, &[v.len()]).unwrap();
    let mut w = NpyStreamWriter::<i64>::create_1d(d.join("stream1.npy")).unwrap();
    for &x in &v {
        w.push(x).unwrap();
    }
    w.finish().unwrap();
    assert_eq!(std::fs::read(d.join("stream1.npy")).unwrap(), std::fs::read(d.join("once1.npy")).unwrap());

    // Empty streams equal empty one-shot files.
    write_npy::<u32>(d.join("once0.npy"), &[], &[0, 4]).unwrap();
    NpyStreamWriter::<u32>::create_2d(d.join("stream0.npy"), 4).unwrap().finish().unwrap();
    assert_eq!(std::fs::read(d.join("stream0.npy")).unwrap(), std::fs::read(d.join("once0.npy")).unwrap());
    assert_eq!(d.names().iter().filter(|n| n.starts_with('.')).count(), 0, "temporary files left: {:?}", d.names());
}

#[test]
fn npy_stream_errors_keep_the_writer_finishable() {
    let d = TempDir::new("npy-stream-err");
    let p = d.join("w.npy");
    let mut w = NpyStreamWriter::<f64>::create_2d(&p, 3).unwrap();
    w.append(&[1.0, 2.0, 3.0]).unwrap();
    let err = w.append(&[4.0, 5.0]).unwrap_err();
    assert!(matches!(err, IoError::Shape { .. }) && err.to_string().contains("w.npy"), "{err}");
    assert_eq!(w.rows(), 1, "a rejected append must not count");
    w.append(&[4.0, 5.0, 6.0]).unwrap();
    // Some unrelated failure happens in the simulator here; it then keeps what it recorded.
    w.finish().unwrap();
    assert_eq!(w.finish().unwrap(), p, "finish is idempotent");
    assert!(matches!(w.append(&[0.0; 3]), Err(IoError::StreamClosed { .. })));
    drop(w);
    assert_eq!(read_npy_f64(&p).unwrap(), NpyArray { data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], shape: vec![2, 3] });

    assert!(matches!(NpyStreamWriter::<f64>::create_2d(d.join("z.npy"), 0), Err(IoError::Shape { .. })));
    let err = NpyStreamWriter::<f64>::create_1d(d.join("no/such/dir/x.npy")).unwrap_err();
    assert!(err.to_string().contains("no/such/dir/x.npy"), "{err}");
}

#[test]
fn npy_stream_dropped_unfinished_leaves_nothing() {
    let d = TempDir::new("npy-drop");
    let p = d.join("dropped.npy");
    {
        let mut w = NpyStreamWriter::<u8>::create_1d(&p).unwrap();
        w.append(&[1, 2, 3]).unwrap();
        assert_eq!(d.names().len(), 1, "one temporary file while open");
        assert!(d.names()[0].starts_with(".dropped.npy."));
    }
    assert!(d.names().is_empty(), "{:?}", d.names());
}

#[test]
fn npy_stream_resume_truncates_to_checkpoint_and_appends() {
    let d = TempDir::new("npy-resume");
    let p = d.join("r.npy");
    let rows: Vec<[u32; 2]> = (0..8).map(|i| [i, 100 + i]).collect();
    let flat = |r: &[[u32; 2]]| r.iter().flatten().copied().collect::<Vec<u32>>();

    // An interrupted run recorded 6 rows, but its last checkpoint was after row 4.
    let mut w = NpyStreamWriter::<u32>::create_2d(&p, 2).unwrap();
    w.append(&flat(&rows[..6])).unwrap();
    w.finish().unwrap();

    let mut w = NpyStreamWriter::<u32>::resume(&p, 4).unwrap();
    assert_eq!(w.rows(), 4);
    assert!(!p.exists(), "the file is moved aside while appending");
    w.append(&flat(&rows[4..])).unwrap();
    w.finish().unwrap();

    write_npy(d.join("uninterrupted.npy"), &flat(&rows), &[8, 2]).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(d.join("uninterrupted.npy")).unwrap());

    // Asking for more rows than the file holds, or another dtype, fails and leaves it alone.
    let before = std::fs::read(&p).unwrap();
    let err = NpyStreamWriter::<u32>::resume(&p, 9).unwrap_err();
    assert!(err.to_string().contains("fewer than the 9"), "{err}");
    assert!(NpyStreamWriter::<f32>::resume(&p, 1).is_err());
    assert_eq!(std::fs::read(&p).unwrap(), before);

    // 1-D resume counts elements.
    let q = d.join("q.npy");
    write_npy(&q, &[1.0f64, 2.0, 3.0], &[3]).unwrap();
    let mut w = NpyStreamWriter::<f64>::resume(&q, 2).unwrap();
    w.push(9.0).unwrap();
    w.finish().unwrap();
    assert_eq!(read_npy_f64(&q).unwrap().data, vec![1.0, 2.0, 9.0]);
    // Dropping a resumed writer unfinished discards the file, as documented.
}

/// Load files with numpy when python3 and numpy are available; skipped (with a note) otherwise.
#[test]
fn npy_numpy_reads_our_files_and_writes_the_same_bytes() {
    let has_numpy = std::process::Command::new("python3")
        .args(["-c", "import numpy"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_numpy {
        eprintln!("note: python3 with numpy not found; numpy cross-check skipped");
        return;
    }
    let d = TempDir::new("npy-numpy");
    let f: Vec<f64> = vec![0.1, -0.0, 1e-310, 1e300, f64::INFINITY, 2.0 / 3.0];
    write_npy(d.join("f8.npy"), &f, &[2, 3]).unwrap();
    write_npy(d.join("f4.npy"), &[1.5f32, -2.25, 3.0e-40], &[3]).unwrap();
    write_npy(d.join("i8.npy"), &[i64::MIN, -7, i64::MAX], &[3, 1]).unwrap();
    write_npy(d.join("u4.npy"), &[0u32, 7, u32::MAX, 1], &[2, 2]).unwrap();
    write_npy(d.join("u1.npy"), &[0u8, 128, 255], &[3]).unwrap();
    let mut s = NpyStreamWriter::<f64>::create_2d(d.join("s.npy"), 2).unwrap();
    s.append(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    s.finish().unwrap();
    let script = r#"
import sys, numpy as np
d = sys.argv[1]
def check(name, want, dtype):
    a = np.load(d + '/' + name)
    want = np.array(want, dtype=dtype)
    assert a.dtype == want.dtype, (name, a.dtype)
    assert a.shape == want.shape, (name, a.shape)
    assert a.flags['C_CONTIGUOUS']
    assert np.array_equal(a, want) and np.array_equal(np.signbit(a), np.signbit(want)), (name, a)
    np.save(d + '/np_' + name, want)
check('f8.npy', [[0.1, -0.0, 1e-310], [1e300, np.inf, 2.0/3.0]], '<f8')
check('f4.npy', [1.5, -2.25, 3.0e-40], '<f4')
check('i8.npy', [[-2**63], [-7], [2**63 - 1]], '<i8')
check('u4.npy', [[0, 7], [2**32 - 1, 1]], '<u4')
check('u1.npy', [0, 128, 255], '|u1')
check('s.npy', [[1.0, 2.0], [3.0, 4.0]], '<f8')
print('numpy ok', np.__version__)
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&d.0).output().unwrap();
    assert!(out.status.success(), "numpy check failed:\n{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());
    // numpy.save of the same arrays gives the same bytes, and our reader reads numpy's files.
    for name in ["f8.npy", "f4.npy", "i8.npy", "u4.npy", "u1.npy", "s.npy"] {
        let ours = std::fs::read(d.join(name)).unwrap();
        let theirs = std::fs::read(d.join(&format!("np_{name}"))).unwrap();
        assert_eq!(ours, theirs, "{name} differs from numpy.save");
    }
    assert_eq!(read_npy_f64(d.join("np_f8.npy")).unwrap().data[3], 1e300);
}

// ------------------------------------------------------------------------------------------
// CSV
// ------------------------------------------------------------------------------------------

#[test]
fn csv_exact_text_and_quoting() {
    let d = TempDir::new("csv");
    let p = d.join("t.csv");
    write_csv(&p, &["t", "rate, Hz", "say \"hi\""], &[vec![0.0, 1.5, -2.0], vec![0.1, 1e-300, f64::NAN]]).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "t,\"rate, Hz\",\"say \"\"hi\"\"\"\n0,1.5,-2\n0.1,1e-300,NaN\n");
    let q = d.join("c.csv");
    write_csv_columns(&q, &[("t", &[0.0, 0.1]), ("rate, Hz", &[1.5, 1e-300]), ("x", &[-2.0, f64::NAN])]).unwrap();
    let text = std::fs::read_to_string(&q).unwrap();
    assert_eq!(text.lines().nth(1), Some("0,1.5,-2"));
    assert_eq!(text.lines().nth(2), Some("0.1,1e-300,NaN"));
}

#[test]
fn csv_numbers_round_trip_exactly() {
    let vals = [
        0.1,
        -0.0,
        1.0 / 3.0,
        1e-5,
        9.999999999999999e-6,
        1e16,
        9999999999999998.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        -123_456_789.123_456_78,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for v in vals {
        let s = csv::format_f64(v);
        assert!(s.len() <= 24, "{v} formatted too long: {s}");
        let back: f64 = s.parse().unwrap();
        assert_eq!(back.to_bits(), v.to_bits(), "{v} -> {s}");
    }
    assert_eq!(csv::format_f64(1e300), "1e300");
    assert_eq!(csv::format_f64(250.0), "250");
}

#[test]
fn csv_rejects_ragged_rows_without_writing() {
    let d = TempDir::new("csv-bad");
    let p = d.join("r.csv");
    let err = write_csv(&p, &["a", "b"], &[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
    assert!(err.to_string().contains("row 1 has 1 values for 2 columns"), "{err}");
    assert!(err.to_string().contains("r.csv"), "{err}");
    let err = write_csv_columns(&p, &[("a", &[1.0, 2.0]), ("b", &[1.0])]).unwrap_err();
    assert!(err.to_string().contains("column `b`"), "{err}");
    assert!(d.names().is_empty());
}

// ------------------------------------------------------------------------------------------
// Atomic writes, run directories, manifest
// ------------------------------------------------------------------------------------------

#[test]
fn atomic_write_keeps_old_file_on_failure() {
    let d = TempDir::new("atomic");
    let p = d.join("f.txt");
    std::fs::write(&p, "old").unwrap();
    let err = write_atomic(&p, |w| {
        std::io::Write::write_all(w, b"new partial")?;
        Err(std::io::Error::other("disk on fire"))
    })
    .unwrap_err();
    assert!(err.to_string().contains("disk on fire") && err.to_string().contains("f.txt"), "{err}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
    assert_eq!(d.names(), vec!["f.txt"]);
    write_atomic(&p, |w| std::io::Write::write_all(w, b"new")).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
    assert_eq!(d.names(), vec!["f.txt"]);
}

#[test]
fn run_dir_create_rules() {
    let d = TempDir::new("rundir");
    let root = d.join("runs/a");
    let run = RunDir::create(&root).unwrap();
    assert!(root.join("figures").is_dir());
    assert_eq!(run.root(), root);
    assert_eq!(run.path("x.npy"), root.join("x.npy"));
    assert_eq!(run.figures_dir(), root.join("figures"));

    // Non-empty (it holds figures/): refused unless overwrite.
    let err = RunDir::create(&root).unwrap_err();
    assert!(matches!(err, IoError::DirNotEmpty { .. }), "{err}");
    assert!(err.to_string().contains(root.to_str().unwrap()) && err.to_string().contains("overwrite"), "{err}");
    std::fs::write(root.join("old.csv"), "x").unwrap();
    RunDir::create_with(&root, true).unwrap();
    assert!(root.join("old.csv").exists(), "overwrite never deletes");

    // An existing empty directory is fine; a file is not.
    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    RunDir::create(&empty).unwrap();
    let file = d.join("file");
    std::fs::write(&file, "").unwrap();
    assert!(matches!(RunDir::create_with(&file, true), Err(IoError::NotADirectory { .. })));
    assert!(matches!(RunDir::open(&file), Err(IoError::NotADirectory { .. })));
    assert!(matches!(RunDir::open(d.join("nope")), Err(IoError::Io { .. })));
    assert_eq!(RunDir::open(&root).unwrap(), run);
}

#[test]
fn run_dir_writes_and_lists_files() {
    let d = TempDir::new("rundir-files");
    let run = RunDir::create(d.join("r")).unwrap();

    #[derive(serde::Serialize)]
    struct Summary {
        rate: f64,
        name: &'static str,
    }
    let p = run.write_json("summary.json", &Summary { rate: 5.5, name: "akil" }).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\n  \"rate\": 5.5,\n  \"name\": \"akil\"\n}\n");

    run.write_npy("data/w.npy", &[1.0f32, 2.0], &[2]).unwrap();
    run.write_csv("rates.csv", &["a"], &[[1.0]]).unwrap();
    let mut s = run.npy_stream::<f64>("v.npy", 2).unwrap();
    std::fs::write(run.path("figures/f.svg"), "<svg/>").unwrap();

    for bad in ["", "../x.json", "/abs.json", "a/../../b.json", ".."] {
        let err = run.write_json(bad, &1).unwrap_err();
        assert!(matches!(err, IoError::BadName { .. }), "{bad}: {err}");
    }

    // The unfinished stream (a hidden temporary file) is not listed; finished, it is.
    let names = |files: Vec<DataFile>| files.into_iter().map(|f| f.path).collect::<Vec<_>>();
    assert_eq!(names(run.data_files().unwrap()), ["data/w.npy", "figures/f.svg", "rates.csv", "summary.json"]);
    s.append(&[1.0, 2.0]).unwrap();
    s.finish().unwrap();
    run.write_json("manifest.json", &0).unwrap();
    let files = run.data_files().unwrap();
    assert_eq!(names(files.clone()), ["data/w.npy", "figures/f.svg", "rates.csv", "summary.json", "v.npy"]);
    assert_eq!(files[4].bytes, 128 + 16);
    assert_eq!(files[0].bytes, 128 + 8);
    assert_eq!(files[2].bytes, "a\n1\n".len() as u64);
}

#[test]
fn manifest_round_trip() {
    let d = TempDir::new("manifest");
    let run = RunDir::create(d.join("r")).unwrap();
    let clock = Stopwatch::start();
    let config = serde_json::json!({"network": {"n_e": 4000}, "dt": 0.1});
    let mut m = Manifest::begin("0.1.0", config.clone(), 7, 2, Some("abc-dirty".into()), &clock);
    assert_eq!(m.finished, None);
    assert!(!m.command_line.is_empty());
    assert!(!m.hostname.is_empty());
    run.write_npy("x.npy", &[1u8], &[1]).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    m.complete(&clock, &run).unwrap();
    run.write_manifest(&m).unwrap();

    assert!(m.wall_s >= 0.02, "{}", m.wall_s);
    assert_eq!(m.files, vec![DataFile { path: "x.npy".into(), bytes: 129 }]);
    assert!(m.finished.as_deref().unwrap() >= m.started.as_str());
    assert_eq!(m.started.len(), "2024-01-01T00:00:00Z".len());

    let text = std::fs::read_to_string(run.path("manifest.json")).unwrap();
    let back: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(back, m);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["hebb_version", "git_revision", "command_line", "config", "seed", "threads", "wall_s", "cpu_s"] {
        assert!(v.get(key).is_some(), "manifest lacks {key}");
    }
    assert_eq!(v["config"], config);
    assert_eq!(v["seed"], 7);
}

#[test]
fn utc_timestamps() {
    let at = |s: u64| utc_iso8601(UNIX_EPOCH + Duration::from_secs(s));
    assert_eq!(at(0), "1970-01-01T00:00:00Z");
    assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(at(1_709_251_199), "2024-02-29T23:59:59Z");
    assert_eq!(at(1_709_251_200), "2024-03-01T00:00:00Z");
    assert_eq!(at(4_102_444_800), "2100-01-01T00:00:00Z");
    assert_eq!(at(253_402_300_799), "9999-12-31T23:59:59Z");
    assert_eq!(utc_iso8601(UNIX_EPOCH - Duration::from_secs(1)), "1969-12-31T23:59:59Z");
    assert_eq!(utc_iso8601(UNIX_EPOCH - Duration::from_millis(1)), "1969-12-31T23:59:59Z");
}

#[test]
fn git_revision_is_none_outside_a_repository() {
    let d = TempDir::new("git");
    // Under the system temp directory, which is not inside a git work tree.
    assert_eq!(git_revision(&d.0), None);
    assert_eq!(git_revision(Path::new("/definitely/not/here")), None);
}

#[test]
fn every_error_names_its_path() {
    let p = PathBuf::from("/some/where/file.npy");
    let errors = [
        IoError::io("write", &p, std::io::Error::other("boom")),
        IoError::DirNotEmpty { path: p.clone() },
        IoError::NotADirectory { path: p.clone() },
        IoError::BadName { dir: p.clone(), name: "../x".into() },
        IoError::Json { path: p.clone(), source: serde_json::from_str::<u8>("x").unwrap_err() },
        IoError::Shape { path: p.clone(), detail: "d".into() },
        IoError::Npy { path: p.clone(), detail: "d".into() },
        IoError::StreamClosed { path: p.clone(), state: "is already finished" },
    ];
    for e in errors {
        assert!(e.to_string().contains("/some/where/file.npy"), "{e}");
        assert_eq!(e.path(), p);
    }
}

/// A checkpoint leaves a valid file under the final name while writing goes
/// on; after a "crash" (the writer forgotten without finish or drop), resume
/// from the checkpoint's row count continues exactly as an uninterrupted
/// writer would.
#[test]
fn checkpoint_survives_a_crash() {
    let dir = TempDir::new("checkpoint-crash");
    let path = dir.join("s.npy");
    let mut w = NpyStreamWriter::<f64>::create_1d(&path).unwrap();
    w.append(&[1.0, 2.0, 3.0]).unwrap();
    let rows = w.checkpoint().unwrap();
    assert_eq!(rows, 3);
    assert_eq!(read_npy_f64(&path).unwrap().data, vec![1.0, 2.0, 3.0]);
    w.append(&[4.0, 5.0]).unwrap();
    assert_eq!(w.checkpoint().unwrap(), 5);
    w.append(&[99.0]).unwrap(); // written after the last checkpoint, then the process dies
    std::mem::forget(w);
    let mut r = NpyStreamWriter::<f64>::resume(&path, 5).unwrap();
    r.append(&[6.0]).unwrap();
    r.finish().unwrap();
    let mut whole = NpyStreamWriter::<f64>::create_1d(dir.join("u.npy")).unwrap();
    whole.append(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    whole.finish().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(dir.join("u.npy")).unwrap());
}
