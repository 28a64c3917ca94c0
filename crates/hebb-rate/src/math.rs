//! Loop kernels with a fixed floating-point operation order.
//!
//! Every reduction accumulates into sixteen fixed lanes (lane `l` takes the
//! elements `16m + l`), folds them in a fixed tree and then adds the
//! remainder in index order; elementwise updates are plain multiplies and
//! adds. The operation order is therefore part of the source, not of the
//! compiler's vectoriser or of the thread schedule. There are two
//! implementations of each loop with exactly that order: [`portable`]
//! (plain Rust over lane arrays) and, on x86-64 CPUs that have AVX2 and
//! F16C, `avx2` (explicit 256-bit intrinsics: four registers of four
//! lanes; the packed pass takes four rows per sweep of the columns with the
//! lanes of single rows, see `avx2::fused_rows4`). They give bit-identical
//! results; the AVX2 one is chosen at run time. Rust never contracts
//! `a * b + c` into a fused multiply-add, and the intrinsics used are
//! separate multiplies and adds, so no FMA rounding differences appear
//! either. (FMA would not be faster here anyway: on the reference CPU (AMD
//! Zen 3) multiplies and FMAs share the same two pipes, and the fused
//! packed pass is bound by its four multiplies per stored entry.)
//!
//! The tangent products with couplings stored in f32 or IEEE binary16
//! ([`f16_from_f64`], [`f16_to_f64`]) widen them exactly to f64 before the
//! multiply. The network's own quenched product with such storage, and the
//! f32 plastic state, use the single-precision FMA loops of
//! [`crate::math32`] instead.

/// Smallest N for which the packed pass takes four rows per sweep: it is
/// 28–30 % faster once A streams from DRAM (N = 2000: 1.93 vs 2.53 ms;
/// N = 4000: 8.2 vs 11.4–11.7 ms per pass, interleaved A/B on the reference
/// VM) but 8–14 % slower while A sits in L3 (N = 1000: 0.21 vs 0.185 ms;
/// its sixteen row-sum registers spill). Either way the bits are the same.
pub(crate) const BLOCK_ROWS_MIN_N: usize = 1500;

/// Number of accumulator lanes in every reduction.
pub(crate) const LANES: usize = 16;

/// Whether the CPU has AVX2 and F16C (every AVX2 CPU has F16C; checked
/// once by `std`, then a relaxed load). The `avx2` module needs both.
#[inline(always)]
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Fixed folding tree of the sixteen lanes: v_k = a_k + a_{k+8},
/// s_k = v_k + v_{k+4}, result (s_0 + s_1) + (s_2 + s_3).
#[inline(always)]
pub(crate) fn reduce16(a: &[f64; LANES]) -> f64 {
    let mut v = [0.0; 8];
    for k in 0..8 {
        v[k] = a[k] + a[k + 8];
    }
    let mut s = [0.0; 4];
    for k in 0..4 {
        s[k] = v[k] + v[k + 4];
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

/// IEEE 754 binary16 bits of `x`, rounded to nearest with ties to even
/// (directly from f64, no intermediate f32 rounding); ±∞ beyond the range
/// (|x| ≥ 65520), NaN stays NaN. Software, so identical on every platform.
pub(crate) fn f16_from_f64(x: f64) -> u16 {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a.is_nan() {
        return 0x7e00;
    }
    if a >= 65520.0 {
        return sign | 0x7c00;
    }
    if a < F16_MIN_NORMAL {
        // Subnormal (or zero): an integer multiple of 2^-24, at most 1024
        // (= the smallest normal, 0x0400, which the encoding gives as well).
        let q = (a * 16_777_216.0).round_ties_even();
        return sign | q as u16;
    }
    // Normal: a = m 2^(e − 10) with m in [1024, 2048); a carry of m to 2048
    // moves into the exponent field by itself.
    let e = ((a.to_bits() >> 52) as i32) - 1023;
    let q = (a * pow2(10 - e)).round_ties_even() as u16;
    sign | ((((e + 15) as u16) << 10) + (q - 1024))
}

/// The exact f64 value of the binary16 bits `h`.
pub(crate) fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = i32::from((h >> 10) & 0x1f);
    let m = f64::from(h & 0x3ff);
    let mag = match e {
        0 => m * pow2(-24),
        31 => {
            if m == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        _ => (1024.0 + m) * pow2(e - 25),
    };
    sign * mag
}

/// Smallest positive normal binary16 value, 2^-14.
const F16_MIN_NORMAL: f64 = 6.103_515_625e-5;

/// 2^e for |e| ≤ 1000 (exact).
#[inline]
fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// The chunk-level loops, written once over the row-level primitives of the
/// module they are expanded in (`dot`, `axpy`, `fused_row`, `product_row`,
/// `fused_row_rank2`), with the given attributes (e.g. `target_feature`).
macro_rules! chunk_loops {
    ($(#[$attr:meta])*) => {
        /// `out_r = Σ_j M_rj v_j` for the rows of the row-major block `m`.
        $(#[$attr])*
        pub(crate) fn gemv_rows(m: &[f64], ncols: usize, v: &[f64], out: &mut [f64]) {
            let rows = out.len();
            let r4 = rows - rows % 4;
            for (blk, o) in m[..r4 * ncols].chunks_exact(4 * ncols).zip(out[..r4].chunks_exact_mut(4)) {
                let r: [&[f64]; 4] = std::array::from_fn(|j| &blk[j * ncols..(j + 1) * ncols]);
                o.copy_from_slice(&dot4(r, v));
            }
            for (row, o) in m[r4 * ncols..].chunks_exact(ncols).zip(out[r4..].iter_mut()) {
                *o = dot(row, v);
            }
        }

        /// `out_t[r · nv + a] = Σ_j M_rj vs[a]_j` (one read of each row).
        $(#[$attr])*
        pub(crate) fn gemv_multi(m: &[f64], ncols: usize, vs: &[&[f64]], out_t: &mut [f64]) {
            let nv = vs.len();
            for (row, o) in m.chunks_exact(ncols).zip(out_t.chunks_exact_mut(nv)) {
                for (v, oa) in vs.iter().zip(o.iter_mut()) {
                    *oa = dot(row, v);
                }
            }
        }

        /// [`gemv_multi`] for an f32 matrix.
        $(#[$attr])*
        pub(crate) fn gemv_multi_f32(m: &[f32], ncols: usize, vs: &[&[f64]], out_t: &mut [f64]) {
            let nv = vs.len();
            for (row, o) in m.chunks_exact(ncols).zip(out_t.chunks_exact_mut(nv)) {
                for (v, oa) in vs.iter().zip(o.iter_mut()) {
                    *oa = dot_f32(row, v);
                }
            }
        }

        /// [`gemv_multi`] for a binary16 matrix.
        $(#[$attr])*
        pub(crate) fn gemv_multi_f16(m: &[u16], ncols: usize, vs: &[&[f64]], out_t: &mut [f64]) {
            let nv = vs.len();
            for (row, o) in m.chunks_exact(ncols).zip(out_t.chunks_exact_mut(nv)) {
                for (v, oa) in vs.iter().zip(o.iter_mut()) {
                    *oa = dot_f16(row, v);
                }
            }
        }

        /// Rows `r0..r1` of packed A (exactly those rows in `a`):
        /// `part[j − r0] += (A φ)_j` (those rows' contributions) and, if
        /// `update`, `A ← α A + β φ φᵀ` on those rows in the same pass.
        /// For N ≥ [`BLOCK_ROWS_MIN_N`] rows go in blocks of four from `r0`
        /// (`fused_rows4`), the last `(r1 − r0) mod 4` rows one at a time;
        /// either way every value has the bits of single-row passes
        /// (`fused_row`, `product_row`).
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn packed_chunk(
            a: &mut [f64], r0: usize, r1: usize, n: usize, phi: &[f64], part: &mut [f64],
            alpha: f64, beta: f64, update: bool,
        ) {
            let mut off = 0;
            let mut i = r0;
            // Blocks of four rows (see `fused_rows4`) for large N, then
            // single rows (the same bits either way).
            while n >= BLOCK_ROWS_MIN_N && i + 4 <= r1 {
                let blk = 4 * (n - i) - 6;
                let rows = &mut a[off..off + blk];
                off += blk;
                let y = &mut part[i - r0..];
                if update {
                    fused_rows4::<true>(rows, &phi[i..], y, alpha, beta);
                } else {
                    fused_rows4::<false>(rows, &phi[i..], y, alpha, beta);
                }
                i += 4;
            }
            for i in i..r1 {
                let len = n - i;
                let row = &mut a[off..off + len];
                off += len;
                let pi = phi[i];
                let y = &mut part[i - r0..];
                if update {
                    fused_row(row, &phi[i..], y, pi, alpha, beta * pi);
                } else {
                    product_row(row, &phi[i..], y, pi);
                }
            }
        }

        /// Like [`packed_chunk`] without update, for several vectors (each
        /// row read once for all of them).
        $(#[$attr])*
        pub(crate) fn packed_chunk_products(
            a: &[f64], r0: usize, r1: usize, n: usize, vs: &[&[f64]], parts: &mut [Vec<f64>],
        ) {
            let mut off = 0;
            for i in r0..r1 {
                let len = n - i;
                let row = &a[off..off + len];
                off += len;
                for (v, part) in vs.iter().zip(parts.iter_mut()) {
                    product_row(row, &v[i..], &mut part[i - r0..], v[i]);
                }
            }
        }

        /// Rows `r0..r1` of packed B: `part += B φ` and
        /// `B ← α B + β (u φᵀ + φ uᵀ)` in one pass.
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn packed_chunk_rank2(
            a: &mut [f64], r0: usize, r1: usize, n: usize, phi: &[f64], u: &[f64],
            part: &mut [f64], alpha: f64, beta: f64,
        ) {
            let mut off = 0;
            for i in r0..r1 {
                let len = n - i;
                let row = &mut a[off..off + len];
                off += len;
                fused_row_rank2(
                    row, &phi[i..], &u[i..], &mut part[i - r0..], phi[i], alpha,
                    beta * u[i], beta * phi[i],
                );
            }
        }

    };
}

/// Plain Rust over lane arrays (any architecture).
pub(crate) mod portable {
    use super::{BLOCK_ROWS_MIN_N, LANES, f16_to_f64, reduce16};

    /// `Σ a_i b_i` over the common length: lanes, fold, remainder.
    #[inline]
    pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let m = n - n % LANES;
        let mut acc = [0.0f64; LANES];
        for (ac, bc) in a[..m].chunks_exact(LANES).zip(b[..m].chunks_exact(LANES)) {
            for l in 0..LANES {
                acc[l] += ac[l] * bc[l];
            }
        }
        let mut s = reduce16(&acc);
        for j in m..n {
            s += a[j] * b[j];
        }
        s
    }

    /// Four [`dot`]s against the same `b` (the same bits as four calls).
    #[inline]
    pub(crate) fn dot4(r: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
        r.map(|a| dot(a, b))
    }

    /// [`dot`] with the first factor stored as binary16 (widened exactly to
    /// f64): the same lanes, folding and remainder order.
    #[inline]
    pub(crate) fn dot_f16(a: &[u16], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let m = n - n % LANES;
        let mut acc = [0.0f64; LANES];
        for (ac, bc) in a[..m].chunks_exact(LANES).zip(b[..m].chunks_exact(LANES)) {
            for l in 0..LANES {
                acc[l] += f16_to_f64(ac[l]) * bc[l];
            }
        }
        let mut s = reduce16(&acc);
        for j in m..n {
            s += f16_to_f64(a[j]) * b[j];
        }
        s
    }

    /// [`dot`] with the first factor stored as f32 (widened exactly).
    #[inline]
    pub(crate) fn dot_f32(a: &[f32], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let m = n - n % LANES;
        let mut acc = [0.0f64; LANES];
        for (ac, bc) in a[..m].chunks_exact(LANES).zip(b[..m].chunks_exact(LANES)) {
            for l in 0..LANES {
                acc[l] += f64::from(ac[l]) * bc[l];
            }
        }
        let mut s = reduce16(&acc);
        for j in m..n {
            s += f64::from(a[j]) * b[j];
        }
        s
    }

    /// `y += s x` elementwise.
    #[inline]
    pub(crate) fn axpy(s: f64, x: &[f64], y: &mut [f64]) {
        for (yi, xi) in y.iter_mut().zip(x) {
            *yi += s * xi;
        }
    }

    /// `out_i = Σ_r c_r rows[r]_i` (the r-sum in order, starting from 0):
    /// the same bits as zeroing `out` and calling [`axpy`] row by row.
    #[inline]
    pub(crate) fn lincomb(rows: &[&[f64]], coef: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for (row, &c) in rows.iter().zip(coef) {
            axpy(c, row, out);
        }
    }

    /// One fused pass over a packed row (starting at the diagonal):
    /// y_i += Σ_j a_ij φ_j, y_j += a_ij φ_i (j > i), a ← α a + bpi φ_j.
    #[inline]
    pub(crate) fn fused_row(row: &mut [f64], ph: &[f64], y: &mut [f64], pi: f64, alpha: f64, bpi: f64) {
        let a0 = row[0];
        let mut s = a0 * pi;
        row[0] = alpha * a0 + bpi * pi;
        let (y0, yt) = y.split_at_mut(1);
        let (row, ph) = (&mut row[1..], &ph[1..]);
        let len = row.len();
        let m = len - len % LANES;
        let mut acc = [0.0f64; LANES];
        for ((ac, pc), yc) in
            row[..m].chunks_exact_mut(LANES).zip(ph[..m].chunks_exact(LANES)).zip(yt[..m].chunks_exact_mut(LANES))
        {
            for l in 0..LANES {
                let a = ac[l];
                acc[l] += a * pc[l];
                yc[l] += a * pi;
                ac[l] = alpha * a + bpi * pc[l];
            }
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += a * ph[j];
            yt[j] += a * pi;
            row[j] = alpha * a + bpi * ph[j];
        }
        s += reduce16(&acc) + tail;
        y0[0] += s;
    }

    /// Four consecutive packed rows i0 … i0+3 (`a` starts at A_{i0,i0}
    /// and holds exactly the four rows, `ph` = φ[i0..], `y` = the partial
    /// sums from column i0 on): [`fused_row`] (if `UPD`) or [`product_row`]
    /// for each row in turn. This is the definition; the AVX2 version does
    /// the same in one pass over the columns.
    #[inline]
    pub(crate) fn fused_rows4<const UPD: bool>(a: &mut [f64], ph: &[f64], y: &mut [f64], alpha: f64, beta: f64) {
        let len0 = ph.len();
        let mut off = 0;
        for k in 0..4 {
            let len = len0 - k;
            let row = &mut a[off..off + len];
            off += len;
            let pi = ph[k];
            if UPD {
                fused_row(row, &ph[k..], &mut y[k..], pi, alpha, beta * pi);
            } else {
                product_row(row, &ph[k..], &mut y[k..], pi);
            }
        }
    }

    /// `y += A v` for one packed row (no update).
    #[inline]
    pub(crate) fn product_row(row: &[f64], v: &[f64], y: &mut [f64], vi: f64) {
        let mut s = row[0] * vi;
        let (y0, yt) = y.split_at_mut(1);
        let (row, v) = (&row[1..], &v[1..]);
        let len = row.len();
        let m = len - len % LANES;
        let mut acc = [0.0f64; LANES];
        for ((ac, vc), yc) in
            row[..m].chunks_exact(LANES).zip(v[..m].chunks_exact(LANES)).zip(yt[..m].chunks_exact_mut(LANES))
        {
            for l in 0..LANES {
                let a = ac[l];
                acc[l] += a * vc[l];
                yc[l] += a * vi;
            }
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += a * v[j];
            yt[j] += a * vi;
        }
        s += reduce16(&acc) + tail;
        y0[0] += s;
    }

    /// Fused rank-2 pass over a packed row: y += B φ,
    /// b ← α b + (β u_i φ_j + β φ_i u_j).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fused_row_rank2(
        row: &mut [f64],
        ph: &[f64],
        u: &[f64],
        y: &mut [f64],
        pi: f64,
        alpha: f64,
        bui: f64,
        bpi: f64,
    ) {
        let a0 = row[0];
        let mut s = a0 * pi;
        row[0] = alpha * a0 + (bui * ph[0] + bpi * u[0]);
        let (y0, yt) = y.split_at_mut(1);
        let (row, ph, u) = (&mut row[1..], &ph[1..], &u[1..]);
        let len = row.len();
        let m = len - len % LANES;
        let mut acc = [0.0f64; LANES];
        for (((ac, pc), uc), yc) in row[..m]
            .chunks_exact_mut(LANES)
            .zip(ph[..m].chunks_exact(LANES))
            .zip(u[..m].chunks_exact(LANES))
            .zip(yt[..m].chunks_exact_mut(LANES))
        {
            for l in 0..LANES {
                let a = ac[l];
                acc[l] += a * pc[l];
                yc[l] += a * pi;
                ac[l] = alpha * a + (bui * pc[l] + bpi * uc[l]);
            }
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += a * ph[j];
            yt[j] += a * pi;
            row[j] = alpha * a + (bui * ph[j] + bpi * u[j]);
        }
        s += reduce16(&acc) + tail;
        y0[0] += s;
    }

    chunk_loops!();
}

/// The same loops with explicit AVX2 intrinsics (separate multiply and add,
/// four registers = the sixteen lanes), bit-identical to [`portable`].
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_op_in_unsafe_fn)]
pub(crate) mod avx2 {
    use super::{BLOCK_ROWS_MIN_N, LANES};
    use std::arch::x86_64::*;

    /// See [`super::portable::fused_rows4`]: the four rows in one pass over
    /// their common columns, so that per column φ_j and the partial sum y_j
    /// are loaded and y_j stored once for four entries of A (instead of
    /// once per entry), with the bits of four single-row passes:
    ///
    /// * y_j gets the rows' a_ij φ_i in row order, as with single rows;
    /// * row k's sixteen lanes (lane l = columns i0 + k + 1 + l + 16m, the
    ///   lanes of [`fused_row`]) are kept aligned to the common columns
    ///   (lane' = (j − i0 − 4) mod 16, the same sequence of additions per
    ///   lane), started from the corner columns j < i0 + 4, and rotated
    ///   back before the `reduce16` fold; each row's remainder columns
    ///   (beyond its last full group of sixteen) go to its tail sum.
    ///
    /// Blocks too short for two common groups of sixteen run as single rows.
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    #[allow(clippy::needless_range_loop)] // rows × lanes index loops
    pub(crate) fn fused_rows4<const UPD: bool>(a: &mut [f64], ph: &[f64], y: &mut [f64], alpha: f64, beta: f64) {
        let len0 = ph.len();
        assert!(len0 >= 4 && a.len() >= 4 * len0 - 6 && y.len() >= len0);
        let t = (len0 - 4) / LANES;
        if t < 2 {
            let mut off = 0;
            for k in 0..4 {
                let len = len0 - k;
                let row = &mut a[off..off + len];
                off += len;
                let pi = ph[k];
                if UPD {
                    fused_row(row, &ph[k..], &mut y[k..], pi, alpha, beta * pi);
                } else {
                    product_row(row, &ph[k..], &mut y[k..], pi);
                }
            }
            return;
        }
        // A(i0 + k, i0 + c) = a[o[k] + c].
        let o = [0, len0 - 1, 2 * len0 - 3, 3 * len0 - 6];
        let p = [ph[0], ph[1], ph[2], ph[3]];
        let bp = p.map(|x| beta * x);
        // End (exclusive, relative column) of row k's full lane groups.
        let e: [usize; 4] = std::array::from_fn(|k| k + 1 + LANES * ((len0 - k - 1) / LANES));
        // Common vector loop over columns [4, cend); e[k] ≥ cend + 13.
        let cend = 4 + LANES * (t - 1);
        let lane = |c: usize| (c + LANES - 4) % LANES;
        let mut lanes = [[0.0f64; LANES]; 4];
        let mut diag = [0.0f64; 4];
        for k in 0..4 {
            diag[k] = a[o[k] + k] * p[k];
            for c in k + 1..4 {
                lanes[k][lane(c)] = 0.0 + a[o[k] + c] * ph[c];
            }
        }
        let pv = p.map(|x| _mm256_set1_pd(x));
        let bv = bp.map(|x| _mm256_set1_pd(x));
        let av = _mm256_set1_pd(alpha);
        let pa = a.as_mut_ptr();
        let pr = o.map(|ok| pa.wrapping_add(ok));
        let (pp, py) = (ph.as_ptr(), y.as_mut_ptr());
        let mut acc = [[_mm256_setzero_pd(); 4]; 4];
        for k in 0..4 {
            for q in 0..4 {
                // SAFETY: 4q + 3 < LANES = the length of `lanes[k]`.
                acc[k][q] = unsafe { _mm256_loadu_pd(lanes[k].as_ptr().add(4 * q)) };
            }
        }
        let mut c = 4;
        while c < cend {
            for q in 0..4 {
                let cq = c + 4 * q;
                // SAFETY: cq + 3 < cend ≤ len0, so every access is inside
                // `ph`, `y` and (o[k] + cq + 3 < 4 len0 − 6) inside `a`.
                unsafe {
                    let pc = _mm256_loadu_pd(pp.add(cq));
                    let mut yv = _mm256_loadu_pd(py.add(cq));
                    for k in 0..4 {
                        let v = _mm256_loadu_pd(pr[k].add(cq));
                        acc[k][q] = _mm256_add_pd(acc[k][q], _mm256_mul_pd(v, pc));
                        yv = _mm256_add_pd(yv, _mm256_mul_pd(v, pv[k]));
                        if UPD {
                            let an = _mm256_add_pd(_mm256_mul_pd(av, v), _mm256_mul_pd(bv[k], pc));
                            _mm256_storeu_pd(pr[k].add(cq), an);
                        }
                    }
                    _mm256_storeu_pd(py.add(cq), yv);
                }
            }
            c += LANES;
        }
        for k in 0..4 {
            for q in 0..4 {
                // SAFETY: as above.
                unsafe { _mm256_storeu_pd(lanes[k].as_mut_ptr().add(4 * q), acc[k][q]) };
            }
        }
        let mut tail = [0.0f64; 4];
        // Remaining columns: y and the update four at a time, the row-sum
        // products routed one by one to their lane or to the tail.
        let c4 = cend + (len0 - cend) / 4 * 4;
        let mut c = cend;
        while c < c4 {
            let mut prod = [0.0f64; 4];
            // SAFETY: c + 3 < c4 ≤ len0 (same bounds as the main loop).
            unsafe {
                let pc = _mm256_loadu_pd(pp.add(c));
                let mut yv = _mm256_loadu_pd(py.add(c));
                for k in 0..4 {
                    let v = _mm256_loadu_pd(pr[k].add(c));
                    _mm256_storeu_pd(prod.as_mut_ptr(), _mm256_mul_pd(v, pc));
                    for (j, &x) in prod.iter().enumerate() {
                        if c + j < e[k] {
                            lanes[k][lane(c + j)] += x;
                        } else {
                            tail[k] += x;
                        }
                    }
                    yv = _mm256_add_pd(yv, _mm256_mul_pd(v, pv[k]));
                    if UPD {
                        let an = _mm256_add_pd(_mm256_mul_pd(av, v), _mm256_mul_pd(bv[k], pc));
                        _mm256_storeu_pd(pr[k].add(c), an);
                    }
                }
                _mm256_storeu_pd(py.add(c), yv);
            }
            c += 4;
        }
        for c in c4..len0 {
            let pc = ph[c];
            let mut yv = y[c];
            for k in 0..4 {
                let v = a[o[k] + c];
                if c < e[k] {
                    lanes[k][lane(c)] += v * pc;
                } else {
                    tail[k] += v * pc;
                }
                yv += v * p[k];
                if UPD {
                    a[o[k] + c] = alpha * v + bp[k] * pc;
                }
            }
            y[c] = yv;
        }
        let mut s = [0.0f64; 4];
        for k in 0..4 {
            // Old lane l of row k is lane' = (l + k + 13) mod 16.
            let rot: [f64; LANES] = std::array::from_fn(|l| lanes[k][(l + k + 13) % LANES]);
            s[k] = diag[k] + (super::reduce16(&rot) + tail[k]);
        }
        for c in 0..4 {
            let mut yv = y[c];
            for k in 0..c {
                yv += a[o[k] + c] * p[k];
            }
            y[c] = yv + s[c];
        }
        if UPD {
            for k in 0..4 {
                for c in k..4 {
                    let v = a[o[k] + c];
                    a[o[k] + c] = alpha * v + bp[k] * ph[c];
                }
            }
        }
    }

    /// Fold four registers exactly like `reduce16`.
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    fn hsum(acc: [__m256d; 4]) -> f64 {
        let v_lo = _mm256_add_pd(acc[0], acc[2]);
        let v_hi = _mm256_add_pd(acc[1], acc[3]);
        let s = _mm256_add_pd(v_lo, v_hi);
        let mut t = [0.0f64; 4];
        // SAFETY: `t` has room for four f64.
        unsafe { _mm256_storeu_pd(t.as_mut_ptr(), s) };
        (t[0] + t[1]) + (t[2] + t[3])
    }

    /// See [`super::portable::dot`].
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let m = n - n % LANES;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut k = 0;
        while k < m {
            for (q, aq) in acc.iter_mut().enumerate() {
                // SAFETY: k + 4q + 3 < m ≤ n ≤ len of both slices.
                let (x, y) = unsafe { (_mm256_loadu_pd(pa.add(k + 4 * q)), _mm256_loadu_pd(pb.add(k + 4 * q))) };
                *aq = _mm256_add_pd(*aq, _mm256_mul_pd(x, y));
            }
            k += LANES;
        }
        let mut s = hsum(acc);
        for j in m..n {
            s += a[j] * b[j];
        }
        s
    }

    /// Four rows against one vector, each row with exactly the lanes and
    /// folding of [`dot`]: four concurrent memory streams instead of one
    /// (≈ 15–25 % more bandwidth from DRAM on the reference VM).
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn dot4(r: [&[f64]; 4], b: &[f64]) -> [f64; 4] {
        let n = b.len();
        assert!(r.iter().all(|x| x.len() == n));
        let m = n - n % LANES;
        let pb = b.as_ptr();
        let pr = r.map(|x| x.as_ptr());
        let mut acc = [[_mm256_setzero_pd(); 4]; 4];
        let mut k = 0;
        while k < m {
            for q in 0..4 {
                // SAFETY: k + 4q + 3 < m ≤ n = every row's length.
                let v = unsafe { _mm256_loadu_pd(pb.add(k + 4 * q)) };
                for (aj, pj) in acc.iter_mut().zip(pr) {
                    let x = unsafe { _mm256_loadu_pd(pj.add(k + 4 * q)) };
                    aj[q] = _mm256_add_pd(aj[q], _mm256_mul_pd(x, v));
                }
            }
            k += LANES;
        }
        let mut out = [0.0; 4];
        for (o, (aj, row)) in out.iter_mut().zip(acc.into_iter().zip(r)) {
            let mut s = hsum(aj);
            for j in m..n {
                s += row[j] * b[j];
            }
            *o = s;
        }
        out
    }

    /// See [`super::portable::dot_f16`] (eight binary16 values widened to f32 by `vcvtph2ps`, exact, then to f64, exact).
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn dot_f16(a: &[u16], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let m = n - n % LANES;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut k = 0;
        while k < m {
            for h in 0..2 {
                // SAFETY: k + 8h + 7 < m ≤ n ≤ the length of both slices.
                unsafe {
                    let x = _mm256_cvtph_ps(_mm_loadu_si128(pa.add(k + 8 * h) as *const __m128i));
                    let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
                    let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x));
                    let (v0, v1) = (_mm256_loadu_pd(pb.add(k + 8 * h)), _mm256_loadu_pd(pb.add(k + 8 * h + 4)));
                    acc[2 * h] = _mm256_add_pd(acc[2 * h], _mm256_mul_pd(lo, v0));
                    acc[2 * h + 1] = _mm256_add_pd(acc[2 * h + 1], _mm256_mul_pd(hi, v1));
                }
            }
            k += LANES;
        }
        let mut s = hsum(acc);
        for j in m..n {
            s += super::f16_to_f64(a[j]) * b[j];
        }
        s
    }

    /// See [`super::portable::dot_f32`].
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn dot_f32(a: &[f32], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let m = n - n % LANES;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut k = 0;
        while k < m {
            for (q, aq) in acc.iter_mut().enumerate() {
                // SAFETY: k + 4q + 3 < m ≤ n ≤ len of both slices.
                let (x, y) =
                    unsafe { (_mm256_cvtps_pd(_mm_loadu_ps(pa.add(k + 4 * q))), _mm256_loadu_pd(pb.add(k + 4 * q))) };
                *aq = _mm256_add_pd(*aq, _mm256_mul_pd(x, y));
            }
            k += LANES;
        }
        let mut s = hsum(acc);
        for j in m..n {
            s += f64::from(a[j]) * b[j];
        }
        s
    }

    /// See [`super::portable::axpy`].
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn axpy(s: f64, x: &[f64], y: &mut [f64]) {
        let n = x.len().min(y.len());
        let m = n - n % 4;
        let sv = _mm256_set1_pd(s);
        let (px, py) = (x.as_ptr(), y.as_mut_ptr());
        let mut k = 0;
        while k < m {
            // SAFETY: k + 3 < m ≤ n.
            unsafe {
                let v = _mm256_add_pd(_mm256_loadu_pd(py.add(k)), _mm256_mul_pd(sv, _mm256_loadu_pd(px.add(k))));
                _mm256_storeu_pd(py.add(k), v);
            }
            k += 4;
        }
        for j in m..n {
            y[j] += s * x[j];
        }
    }

    /// See [`super::portable::lincomb`]. Column blocks of 16 stay in four
    /// registers while all rows are added in order, so `out` is written once
    /// instead of once per row.
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn lincomb(rows: &[&[f64]], coef: &[f64], out: &mut [f64]) {
        let n = out.len();
        let nr = rows.len().min(coef.len());
        assert!(rows[..nr].iter().all(|r| r.len() >= n));
        let m = n - n % LANES;
        let po = out.as_mut_ptr();
        let mut k = 0;
        while k < m {
            let mut acc = [_mm256_setzero_pd(); 4];
            for (row, &c) in rows[..nr].iter().zip(coef) {
                let cv = _mm256_set1_pd(c);
                let pr = row.as_ptr();
                for (q, aq) in acc.iter_mut().enumerate() {
                    // SAFETY: k + 4q + 3 < m ≤ n ≤ row.len().
                    let x = unsafe { _mm256_loadu_pd(pr.add(k + 4 * q)) };
                    *aq = _mm256_add_pd(*aq, _mm256_mul_pd(cv, x));
                }
            }
            for (q, aq) in acc.iter().enumerate() {
                // SAFETY: k + 4q + 3 < m ≤ n = out.len().
                unsafe { _mm256_storeu_pd(po.add(k + 4 * q), *aq) };
            }
            k += LANES;
        }
        for j in m..n {
            let mut a = 0.0;
            for (row, &c) in rows[..nr].iter().zip(coef) {
                a += c * row[j];
            }
            out[j] = a;
        }
    }

    /// See [`super::portable::fused_row`].
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn fused_row(row: &mut [f64], ph: &[f64], y: &mut [f64], pi: f64, alpha: f64, bpi: f64) {
        let a0 = row[0];
        let mut s = a0 * pi;
        row[0] = alpha * a0 + bpi * pi;
        let (y0, yt) = y.split_at_mut(1);
        let (row, ph) = (&mut row[1..], &ph[1..]);
        let len = row.len();
        assert!(ph.len() >= len && yt.len() >= len);
        let m = len - len % LANES;
        let (pv, av, bv) = (_mm256_set1_pd(pi), _mm256_set1_pd(alpha), _mm256_set1_pd(bpi));
        let (pr, pp, py) = (row.as_mut_ptr(), ph.as_ptr(), yt.as_mut_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut k = 0;
        while k < m {
            for (q, aq) in acc.iter_mut().enumerate() {
                let o = k + 4 * q;
                // SAFETY: o + 3 < m ≤ len ≤ the lengths of all three slices.
                unsafe {
                    let a = _mm256_loadu_pd(pr.add(o));
                    let p = _mm256_loadu_pd(pp.add(o));
                    *aq = _mm256_add_pd(*aq, _mm256_mul_pd(a, p));
                    let yv = _mm256_add_pd(_mm256_loadu_pd(py.add(o)), _mm256_mul_pd(a, pv));
                    _mm256_storeu_pd(py.add(o), yv);
                    let an = _mm256_add_pd(_mm256_mul_pd(av, a), _mm256_mul_pd(bv, p));
                    _mm256_storeu_pd(pr.add(o), an);
                }
            }
            k += LANES;
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += a * ph[j];
            yt[j] += a * pi;
            row[j] = alpha * a + bpi * ph[j];
        }
        s += hsum(acc) + tail;
        y0[0] += s;
    }

    /// See [`super::portable::product_row`].
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    pub(crate) fn product_row(row: &[f64], v: &[f64], y: &mut [f64], vi: f64) {
        let mut s = row[0] * vi;
        let (y0, yt) = y.split_at_mut(1);
        let (row, v) = (&row[1..], &v[1..]);
        let len = row.len();
        assert!(v.len() >= len && yt.len() >= len);
        let m = len - len % LANES;
        let vv = _mm256_set1_pd(vi);
        let (pr, pv, py) = (row.as_ptr(), v.as_ptr(), yt.as_mut_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut k = 0;
        while k < m {
            for (q, aq) in acc.iter_mut().enumerate() {
                let o = k + 4 * q;
                // SAFETY: o + 3 < m ≤ len ≤ the lengths of all three slices.
                unsafe {
                    let a = _mm256_loadu_pd(pr.add(o));
                    *aq = _mm256_add_pd(*aq, _mm256_mul_pd(a, _mm256_loadu_pd(pv.add(o))));
                    let yv = _mm256_add_pd(_mm256_loadu_pd(py.add(o)), _mm256_mul_pd(a, vv));
                    _mm256_storeu_pd(py.add(o), yv);
                }
            }
            k += LANES;
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += a * v[j];
            yt[j] += a * vi;
        }
        s += hsum(acc) + tail;
        y0[0] += s;
    }

    /// See [`super::portable::fused_row_rank2`].
    #[target_feature(enable = "avx2,f16c")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fused_row_rank2(
        row: &mut [f64],
        ph: &[f64],
        u: &[f64],
        y: &mut [f64],
        pi: f64,
        alpha: f64,
        bui: f64,
        bpi: f64,
    ) {
        let a0 = row[0];
        let mut s = a0 * pi;
        row[0] = alpha * a0 + (bui * ph[0] + bpi * u[0]);
        let (y0, yt) = y.split_at_mut(1);
        let (row, ph, u) = (&mut row[1..], &ph[1..], &u[1..]);
        let len = row.len();
        assert!(ph.len() >= len && u.len() >= len && yt.len() >= len);
        let m = len - len % LANES;
        let pv = _mm256_set1_pd(pi);
        let av = _mm256_set1_pd(alpha);
        let buv = _mm256_set1_pd(bui);
        let bpv = _mm256_set1_pd(bpi);
        let (pr, pp, pu, py) = (row.as_mut_ptr(), ph.as_ptr(), u.as_ptr(), yt.as_mut_ptr());
        let mut acc = [_mm256_setzero_pd(); 4];
        let mut k = 0;
        while k < m {
            for (q, aq) in acc.iter_mut().enumerate() {
                let o = k + 4 * q;
                // SAFETY: o + 3 < m ≤ len ≤ the lengths of all four slices.
                unsafe {
                    let a = _mm256_loadu_pd(pr.add(o));
                    let p = _mm256_loadu_pd(pp.add(o));
                    let uu = _mm256_loadu_pd(pu.add(o));
                    *aq = _mm256_add_pd(*aq, _mm256_mul_pd(a, p));
                    let yv = _mm256_add_pd(_mm256_loadu_pd(py.add(o)), _mm256_mul_pd(a, pv));
                    _mm256_storeu_pd(py.add(o), yv);
                    let inc = _mm256_add_pd(_mm256_mul_pd(buv, p), _mm256_mul_pd(bpv, uu));
                    let an = _mm256_add_pd(_mm256_mul_pd(av, a), inc);
                    _mm256_storeu_pd(pr.add(o), an);
                }
            }
            k += LANES;
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += a * ph[j];
            yt[j] += a * pi;
            row[j] = alpha * a + (bui * ph[j] + bpi * u[j]);
        }
        s += hsum(acc) + tail;
        y0[0] += s;
    }

    chunk_loops!(#[target_feature(enable = "avx2,f16c")]);
}

/// Define `pub(crate) fn $name(args) -> ret` that calls `avx2::$name` when
/// the CPU has AVX2 and `portable::$name` otherwise.
macro_rules! dispatch {
    ($(#[$m:meta])* $name:ident ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        #[inline]
        pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx2() {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { avx2::$name($($arg),*) };
                }
            }
            portable::$name($($arg),*)
        }
    };
}

dispatch!(
    /// Dot product with the fixed lane order of this module.
    dot(a: &[f64], b: &[f64]) -> f64
);
dispatch!(
    /// Four dot products of rows against one vector (same bits as four
    /// [`dot`] calls).
    dot4(r: [&[f64]; 4], b: &[f64]) -> [f64; 4]
);
dispatch!(
    /// `y += s x` elementwise.
    axpy(s: f64, x: &[f64], y: &mut [f64])
);
dispatch!(
    /// `out_i = Σ_r c_r rows[r]_i`, the r-sum in order from 0.
    lincomb(rows: &[&[f64]], coef: &[f64], out: &mut [f64])
);
dispatch!(
    /// See `portable::gemv_rows`.
    gemv_rows(m: &[f64], ncols: usize, v: &[f64], out: &mut [f64])
);
dispatch!(
    /// See `portable::gemv_multi_f16`.
    gemv_multi_f16(m: &[u16], ncols: usize, vs: &[&[f64]], out_t: &mut [f64])
);
dispatch!(
    /// See `portable::gemv_multi_f32`.
    gemv_multi_f32(m: &[f32], ncols: usize, vs: &[&[f64]], out_t: &mut [f64])
);
dispatch!(
    /// See `portable::gemv_multi`.
    gemv_multi(m: &[f64], ncols: usize, vs: &[&[f64]], out_t: &mut [f64])
);
dispatch!(
    /// See `portable::packed_chunk`.
    packed_chunk(
        a: &mut [f64], r0: usize, r1: usize, n: usize, phi: &[f64], part: &mut [f64],
        alpha: f64, beta: f64, update: bool
    )
);
dispatch!(
    /// See `portable::packed_chunk_products`.
    packed_chunk_products(
        a: &[f64], r0: usize, r1: usize, n: usize, vs: &[&[f64]], parts: &mut [Vec<f64>]
    )
);
dispatch!(
    /// See `portable::packed_chunk_rank2`.
    packed_chunk_rank2(
        a: &mut [f64], r0: usize, r1: usize, n: usize, phi: &[f64], u: &[f64], part: &mut [f64],
        alpha: f64, beta: f64
    )
);

// ---------------------------------------------------------------------------
// Packed symmetric storage
//
// The upper triangle of a symmetric N × N matrix, row-major: row i holds
// A_ii, A_i,i+1, …, A_i,N−1 and starts at offset i·N − i(i−1)/2.

/// Offset of row `i` in packed upper storage of order `n`.
#[inline(always)]
pub(crate) fn packed_offset(n: usize, i: usize) -> usize {
    i * n - i * i.saturating_sub(1) / 2
}

/// Number of stored entries, N(N+1)/2.
#[inline(always)]
pub(crate) fn packed_len(n: usize) -> usize {
    n * (n + 1) / 2
}

/// Row boundaries `0 = r_0 < r_1 < … < r_C = n` that split the packed
/// triangle into `C` chunks of about equal area. `C` depends on `n` only,
/// never on the thread count, which is what makes the chunked reductions
/// thread-count invariant.
pub(crate) fn tri_chunks(n: usize) -> Vec<usize> {
    let c = if n < 256 { 1 } else { (n / 128).min(16) };
    let total = packed_len(n);
    let mut bounds = vec![0usize];
    let mut r = 0usize;
    for k in 1..c {
        let target = total * k / c;
        while r < n && packed_offset(n, r) < target {
            r += 1;
        }
        if r > *bounds.last().unwrap() && r < n {
            bounds.push(r);
        }
    }
    bounds.push(n);
    bounds
}

/// Split packed storage into the mutable row chunks given by `bounds`.
pub(crate) fn split_packed_mut<'a, T>(mut a: &'a mut [T], n: usize, bounds: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(bounds.len() - 1);
    for w in bounds.windows(2) {
        let len = packed_offset(n, w[1]) - packed_offset(n, w[0]);
        let (head, tail) = std::mem::take(&mut a).split_at_mut(len);
        out.push(head);
        a = tail;
    }
    out
}

/// Frobenius inner product of two symmetric matrices in packed storage:
/// `2 Σ_packed a b − Σ_diag a b`.
pub(crate) fn packed_frobenius_dot(n: usize, a: &[f64], b: &[f64]) -> f64 {
    let all = dot(a, b);
    let mut diag = 0.0;
    for i in 0..n {
        let o = packed_offset(n, i);
        diag += a[o] * b[o];
    }
    2.0 * all - diag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_offsets_and_chunks() {
        for n in [1usize, 2, 3, 7, 255, 256, 1000, 2049] {
            let mut off = 0;
            for i in 0..n {
                assert_eq!(packed_offset(n, i), off);
                off += n - i;
            }
            assert_eq!(off, packed_len(n));
            let b = tri_chunks(n);
            assert_eq!(b[0], 0);
            assert_eq!(*b.last().unwrap(), n);
            assert!(b.windows(2).all(|w| w[0] < w[1]), "{b:?}");
        }
        assert_eq!(tri_chunks(1000).len() - 1, 7);
        assert_eq!(tri_chunks(4096).len() - 1, 16);
    }

    fn vecs(n: usize, s: usize) -> Vec<f64> {
        (0..n).map(|i| ((i * s + 7) % 113) as f64 / 17.0 - 3.0).collect()
    }

    /// The AVX2 and portable variants run the same operations in the same
    /// order, so they must agree bit for bit (lengths cover the remainder
    /// paths).
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_and_portable_are_bit_identical() {
        if !has_avx2() {
            return;
        }
        for n in [1usize, 4, 5, 11, 12, 16, 17, 35, 36, 37, 52, 53, 100, 203, 334, 1500, 1537] {
            let v = vecs(n, 7919);
            let w = vecs(n, 104729);
            let u = vecs(n, 31);
            // SAFETY (all calls below): AVX2 is available (checked above).
            assert_eq!(unsafe { avx2::dot(&v, &w) }.to_bits(), portable::dot(&v, &w).to_bits());
            let r4 = [&v[..], &w[..], &u[..], &v[..]];
            let d4 = unsafe { avx2::dot4(r4, &w) };
            for j in 0..4 {
                assert_eq!(d4[j].to_bits(), portable::dot(r4[j], &w).to_bits());
            }
            let vf: Vec<f32> = v.iter().map(|&x| x as f32).collect();
            let uf: Vec<f32> = u.iter().map(|&x| x as f32).collect();
            assert_eq!(unsafe { avx2::dot_f32(&uf, &w) }.to_bits(), portable::dot_f32(&uf, &w).to_bits());
            assert_eq!(unsafe { avx2::dot_f32(&vf, &w) }.to_bits(), portable::dot_f32(&vf, &w).to_bits());
            let (mut y1, mut y2) = (w.clone(), w.clone());
            unsafe { avx2::axpy(0.3, &v, &mut y1) };
            portable::axpy(0.3, &v, &mut y2);
            assert_eq!(y1, y2);
            let p = packed_len(n);
            let mut a1: Vec<f64> = (0..p).map(|i| (i % 11) as f64 * 0.01 - 0.05).collect();
            let mut a2 = a1.clone();
            let (mut p1, mut p2) = (vec![0.0; n], vec![0.0; n]);
            unsafe { avx2::packed_chunk(&mut a1, 0, n, n, &v, &mut p1, 0.9, 0.003, true) };
            portable::packed_chunk(&mut a2, 0, n, n, &v, &mut p2, 0.9, 0.003, true);
            assert_eq!(a1, a2);
            assert_eq!(p1, p2);
            // Product only (frozen), and a chunk that starts inside the matrix.
            unsafe { avx2::packed_chunk(&mut a1, 0, n, n, &w, &mut p1, 0.9, 0.003, false) };
            portable::packed_chunk(&mut a2, 0, n, n, &w, &mut p2, 0.9, 0.003, false);
            assert_eq!(a1, a2);
            assert_eq!(p1, p2);
            let r0 = n / 3;
            let off = packed_offset(n, r0);
            let (mut c1, mut c2) = (vec![0.0; n - r0], vec![0.0; n - r0]);
            unsafe { avx2::packed_chunk(&mut a1[off..], r0, n, n, &u, &mut c1, 0.8, -0.01, true) };
            portable::packed_chunk(&mut a2[off..], r0, n, n, &u, &mut c2, 0.8, -0.01, true);
            assert_eq!(a1, a2);
            assert_eq!(c1, c2);
            unsafe { avx2::packed_chunk_rank2(&mut a1, 0, n, n, &v, &u, &mut p1, 0.9, 0.003) };
            portable::packed_chunk_rank2(&mut a2, 0, n, n, &v, &u, &mut p2, 0.9, 0.003);
            assert_eq!(a1, a2);
            assert_eq!(p1, p2);
            let rows = [&v[..], &w[..], &u[..]];
            let (mut l1, mut l2) = (vec![1.0; n], vec![2.0; n]);
            unsafe { avx2::lincomb(&rows, &[0.5, -1.5, 0.25], &mut l1) };
            portable::lincomb(&rows, &[0.5, -1.5, 0.25], &mut l2);
            assert_eq!(l1, l2);
            let (mut q1, mut q2) = (vec![vec![0.0; n]; 2], vec![vec![0.0; n]; 2]);
            unsafe { avx2::packed_chunk_products(&a1, 0, n, n, &[&v, &u], &mut q1) };
            portable::packed_chunk_products(&a2, 0, n, n, &[&v, &u], &mut q2);
            assert_eq!(q1, q2);
        }
    }

    /// binary16 codec: every finite bit pattern decodes to a value that
    /// encodes back to the same bits; decoding is exact (checked against
    /// the defining formula on a few patterns); encoding rounds to nearest
    /// with ties to even, across normals, subnormals and the range end.
    #[test]
    fn f16_codec_round_trips_and_rounds_to_nearest_even() {
        for h in 0..=u16::MAX {
            let x = f16_to_f64(h);
            if x.is_finite() {
                assert_eq!(f16_from_f64(x), h, "{h:#06x} -> {x}");
            }
        }
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x7bff), 65504.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        assert_eq!(f16_to_f64(0x0400), 2f64.powi(-14));
        assert_eq!(f16_to_f64(0x03ff), 1023.0 * 2f64.powi(-24));
        // Ties to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
        assert_eq!(f16_from_f64(1.0 + 2f64.powi(-11)), 0x3c00);
        assert_eq!(f16_from_f64(1.0 + 3.0 * 2f64.powi(-11)), 0x3c02);
        assert_eq!(f16_from_f64(1.0 + 2f64.powi(-11) + 1e-12), 0x3c01);
        assert_eq!(f16_from_f64(0.5 * 2f64.powi(-24)), 0x0000);
        assert_eq!(f16_from_f64(1.5 * 2f64.powi(-24)), 0x0002);
        assert_eq!(f16_from_f64(-65519.0), 0xfbff);
        assert_eq!(f16_from_f64(65520.0), 0x7c00);
        assert_eq!(f16_from_f64(-0.0), 0x8000);
        // Nearest: no neighbouring pattern is closer (seeded sweep).
        let mut z = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            let x = ((z >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2f64.powi((z % 40) as i32 - 25);
            let h = f16_from_f64(x);
            let e = (f16_to_f64(h) - x).abs();
            for nb in [h.wrapping_add(1), h.wrapping_sub(1)] {
                let y = f16_to_f64(nb);
                if y.is_finite() && (y >= 0.0) == (x >= 0.0) {
                    assert!(e <= (y - x).abs(), "{x}: {h:#06x} vs {nb:#06x}");
                }
            }
        }
    }

    /// The AVX2 binary16 product (hardware `vcvtph2ps` widening) equals the
    /// portable one (software decoding) bit for bit, over every finite
    /// pattern and the remainder lengths.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn f16_products_avx2_equal_portable() {
        if !has_avx2() {
            return;
        }
        let finite: Vec<u16> = (0..=u16::MAX).filter(|&h| f16_to_f64(h).is_finite()).collect();
        let n = 96;
        let b = vecs(n, 7919);
        for rows in finite.chunks(4 * n) {
            if rows.len() < 4 * n {
                break;
            }
            let r: [&[u16]; 4] = std::array::from_fn(|j| &rows[j * n..(j + 1) * n]);
            // SAFETY: AVX2 and F16C are available (checked above).
            for row in r {
                assert_eq!(unsafe { avx2::dot_f16(row, &b) }.to_bits(), portable::dot_f16(row, &b).to_bits());
            }
        }
        for n in [1usize, 15, 16, 17, 40] {
            let b = vecs(n, 31);
            let m: Vec<u16> = (0..4 * n).map(|i| f16_from_f64(((i * 37) % 101) as f64 / 50.0 - 1.0)).collect();
            let (mut t1, mut t2) = (vec![0.0; 8], vec![0.0; 8]);
            // SAFETY: as above.
            unsafe { avx2::gemv_multi_f16(&m, n, &[&b, &b], &mut t1) };
            portable::gemv_multi_f16(&m, n, &[&b, &b], &mut t2);
            assert_eq!(t1, t2);
            assert_eq!(t1[0].to_bits(), portable::dot_f16(&m[..n], &b).to_bits());
        }
    }

    /// The packed fused pass computes A φ (with the pre-update A) and the
    /// rank-1 update.
    #[test]
    fn packed_pass_is_a_symmetric_product_and_update() {
        for n in [3usize, 4, 23, 61] {
            packed_pass_check(n);
        }
    }

    fn packed_pass_check(n: usize) {
        let v = vecs(n, 13);
        let p = packed_len(n);
        let a: Vec<f64> = (0..p).map(|i| ((i * 37) % 19) as f64 * 0.1 - 0.9).collect();
        let full = |a: &[f64], i: usize, j: usize| {
            let (i, j) = if i <= j { (i, j) } else { (j, i) };
            a[packed_offset(n, i) + j - i]
        };
        let mut b = a.clone();
        let mut y = vec![0.0; n];
        packed_chunk(&mut b, 0, n, n, &v, &mut y, 0.7, 0.2, true);
        for i in 0..n {
            let e: f64 = (0..n).map(|j| full(&a, i, j) * v[j]).sum();
            assert!((y[i] - e).abs() < 1e-12);
            for j in i..n {
                let e = 0.7 * full(&a, i, j) + 0.2 * v[i] * v[j];
                assert!((full(&b, i, j) - e).abs() < 1e-15);
            }
        }
    }
}
