//! Single-precision loop kernels with a fixed operation order: the quenched
//! product g J* φ for J* stored in f32 or binary16
//! ([`CouplingPrecision`](crate::CouplingPrecision)) and the plastic state
//! stored in f32 ([`PlasticPrecision`](crate::PlasticPrecision)).
//!
//! **Arithmetic.** Every product term is a single-precision fused
//! multiply-add (one rounding to f32: `f32::mul_add` in the portable code,
//! `vfmadd` in the AVX2 code). A reduction accumulates into sixteen f32
//! lanes (lane `l` takes the elements `16m + l`), widens the lanes exactly
//! to f64 and folds them with the fixed tree of
//! [`reduce16`](crate::math::reduce16); the remainder elements (beyond the
//! last full group of sixteen) are added in f64 in index order, their
//! products exact (the product of two f32 values is exact in f64). An
//! elementwise update is one f32 FMA per element (`α a + (β φ_i) φ_j` as
//! `fma(α, a, (β φ_i) φ_j)`; `y_j + a φ_i` as `fma(a, φ_i, y_j)`). A linear
//! combination `Σ_r c_r v_r` is a chain of FMAs per element, rows in order,
//! starting from 0.
//!
//! **Error.** Each f32 rounding is a relative 2^-24 ≈ 6e-8, the same order
//! as the storage rounding of J* in f32 (and far below binary16's 2^-11). A
//! 16-lane sum of N/16 terms per lane has a worst-case relative error
//! ≈ (N/16) 2^-24 of Σ |terms| (3.7e-6 at N = 1000), typically √(N/16)
//! 2^-24 ≈ 5e-7; the f64 storage options keep the exact-f64 paths of
//! [`crate::math`].
//!
//! **Two implementations, same bits.** [`portable`] (plain Rust over lane
//! arrays) and, on x86-64 CPUs with AVX2, FMA and F16C, `avx2` (chosen at
//! run time): both perform exactly the operations above in the same order
//! (FMA is correctly rounded in both), so they agree bit for bit (unit
//! tests below).

use crate::math::{LANES, f16_to_f64, reduce16};

/// Whether the CPU has AVX2, FMA and F16C (checked once by `std`, then a
/// relaxed load): the `avx2` module of this file needs all three.
#[inline(always)]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The sixteen f32 lanes widened exactly to f64 and folded with
/// [`reduce16`].
#[inline(always)]
pub(crate) fn reduce16_f32(a: &[f32; LANES]) -> f64 {
    reduce16(&a.map(f64::from))
}

/// The exact f32 value of the binary16 bits `h` (every binary16 value is
/// an f32 value).
#[inline(always)]
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    f16_to_f64(h) as f32
}

/// Round each entry of `x` to the nearest f32 into `out` (same length).
#[inline]
pub(crate) fn round_to_f32(x: &[f64], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v as f32;
    }
}

/// `out_r` for the rows of the row-major block `m`: four rows at a time with
/// `four`, the remaining rows with `one` (inlined into each caller, so the
/// row kernels keep the caller's target features).
#[inline(always)]
fn rows_by_four<T>(
    m: &[T],
    ncols: usize,
    out: &mut [f64],
    four: impl Fn([&[T]; 4]) -> [f64; 4],
    one: impl Fn(&[T]) -> f64,
) {
    let rows = out.len();
    let r4 = rows - rows % 4;
    for (blk, o) in m[..r4 * ncols].chunks_exact(4 * ncols).zip(out[..r4].chunks_exact_mut(4)) {
        let r: [&[T]; 4] = std::array::from_fn(|j| &blk[j * ncols..(j + 1) * ncols]);
        o.copy_from_slice(&four(r));
    }
    for (row, o) in m[r4 * ncols..].chunks_exact(ncols).zip(out[r4..].iter_mut()) {
        *o = one(row);
    }
}

/// The chunk-level loops, written once over the row-level primitives of the
/// module they are expanded in.
macro_rules! chunk_loops_s {
    ($(#[$attr:meta])*) => {
        /// `out_r = Σ_j M_rj v_j` (f32 lanes, f64 fold) for the rows of the
        /// row-major f32 block `m`, four rows at a time.
        $(#[$attr])*
        pub(crate) fn sgemv_rows_f32(m: &[f32], ncols: usize, v: &[f32], out: &mut [f64]) {
            super::rows_by_four(m, ncols, out, |r| dot4(r, v), |row| dot(row, v));
        }

        /// [`sgemv_rows_f32`] for a binary16 matrix (entries widened exactly
        /// to f32).
        $(#[$attr])*
        pub(crate) fn sgemv_rows_f16(m: &[u16], ncols: usize, v: &[f32], out: &mut [f64]) {
            super::rows_by_four(m, ncols, out, |r| dot4_f16(r, v), |row| dot_f16(row, v));
        }

        /// Rows `r0..r1` of packed f32 A (exactly those rows in `a`): the
        /// column scatter `part[j − r0] += A_ij φ_i` (j > i, f32 FMAs), the
        /// row sums `rows[i − r0] = Σ_{j ≥ i} A_ij φ_j` (f64, see
        /// [`fused_row`]) and, if `update`, `A ← α A + β φ φᵀ` in the same
        /// pass. `part` has length n − r0, `rows` r1 − r0.
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn packed_chunk(
            a: &mut [f32], r0: usize, r1: usize, n: usize, phi: &[f32], part: &mut [f32], rows: &mut [f64],
            alpha: f32, beta: f32, update: bool,
        ) {
            let mut off = 0;
            for i in r0..r1 {
                let len = n - i;
                let row = &mut a[off..off + len];
                off += len;
                let pi = phi[i];
                let y = &mut part[i - r0 + 1..];
                rows[i - r0] = if update {
                    fused_row(row, &phi[i..], y, pi, alpha, beta * pi)
                } else {
                    product_row(row, &phi[i..], y, pi)
                };
            }
        }

        /// [`packed_chunk`] without update on shared storage.
        $(#[$attr])*
        pub(crate) fn packed_chunk_apply(
            a: &[f32], r0: usize, r1: usize, n: usize, v: &[f32], part: &mut [f32], rows: &mut [f64],
        ) {
            let mut off = 0;
            for i in r0..r1 {
                let len = n - i;
                let row = &a[off..off + len];
                off += len;
                rows[i - r0] = product_row(row, &v[i..], &mut part[i - r0 + 1..], v[i]);
            }
        }
    };
}

/// Plain Rust over lane arrays (any architecture).
pub(crate) mod portable {
    use super::{LANES, f16_to_f32, reduce16_f32};

    /// `Σ w(a_i) b_i`: sixteen f32 FMA lanes, f64 fold, f64 remainder,
    /// with `w` the exact widening of the stored type to f32.
    #[inline(always)]
    fn dot_widened<T: Copy>(a: &[T], b: &[f32], w: impl Fn(T) -> f32) -> f64 {
        let n = a.len().min(b.len());
        let m = n - n % LANES;
        let mut acc = [0.0f32; LANES];
        for (ac, bc) in a[..m].chunks_exact(LANES).zip(b[..m].chunks_exact(LANES)) {
            for l in 0..LANES {
                acc[l] = w(ac[l]).mul_add(bc[l], acc[l]);
            }
        }
        let mut s = reduce16_f32(&acc);
        for j in m..n {
            s += f64::from(w(a[j])) * f64::from(b[j]);
        }
        s
    }

    /// `Σ a_i b_i`: sixteen f32 FMA lanes, f64 fold, f64 remainder.
    #[inline]
    pub(crate) fn dot(a: &[f32], b: &[f32]) -> f64 {
        dot_widened(a, b, |x| x)
    }

    /// Four [`dot`]s against the same `b`.
    #[inline]
    pub(crate) fn dot4(r: [&[f32]; 4], b: &[f32]) -> [f64; 4] {
        r.map(|a| dot(a, b))
    }

    /// [`dot`] with the first factor stored as binary16 (widened exactly).
    #[inline]
    pub(crate) fn dot_f16(a: &[u16], b: &[f32]) -> f64 {
        dot_widened(a, b, f16_to_f32)
    }

    /// Four [`dot_f16`]s against the same `b`.
    #[inline]
    pub(crate) fn dot4_f16(r: [&[u16]; 4], b: &[f32]) -> [f64; 4] {
        r.map(|a| dot_f16(a, b))
    }

    /// `out_i = Σ_r c_r rows[r]_i`: per element a chain of FMAs over the
    /// rows in order, starting from 0.
    #[inline]
    pub(crate) fn lincomb(rows: &[&[f32]], coef: &[f32], out: &mut [f32]) {
        out.fill(0.0);
        for (row, &c) in rows.iter().zip(coef) {
            for (o, &x) in out.iter_mut().zip(row.iter()) {
                *o = c.mul_add(x, *o);
            }
        }
    }

    /// One fused pass over packed row i (`row[0]` = A_ii, `ph[0]` = φ_i,
    /// `y` = the column partial sums from column i + 1): returns the row
    /// sum Σ_{j ≥ i} A_ij φ_j in f64 (diagonal product exact, then the
    /// sixteen lanes and the remainder), does `y_j ← fma(A_ij, φ_i, y_j)`
    /// for j > i and `A_ij ← fma(α, A_ij, bpi φ_j)` (bpi = β φ_i).
    #[inline]
    pub(crate) fn fused_row(row: &mut [f32], ph: &[f32], y: &mut [f32], pi: f32, alpha: f32, bpi: f32) -> f64 {
        let a0 = row[0];
        let diag = f64::from(a0) * f64::from(pi);
        row[0] = alpha.mul_add(a0, bpi * pi);
        let (row, ph) = (&mut row[1..], &ph[1..]);
        let len = row.len();
        let m = len - len % LANES;
        let mut acc = [0.0f32; LANES];
        for ((ac, pc), yc) in
            row[..m].chunks_exact_mut(LANES).zip(ph[..m].chunks_exact(LANES)).zip(y[..m].chunks_exact_mut(LANES))
        {
            for l in 0..LANES {
                let a = ac[l];
                acc[l] = a.mul_add(pc[l], acc[l]);
                yc[l] = a.mul_add(pi, yc[l]);
                ac[l] = alpha.mul_add(a, bpi * pc[l]);
            }
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += f64::from(a) * f64::from(ph[j]);
            y[j] = a.mul_add(pi, y[j]);
            row[j] = alpha.mul_add(a, bpi * ph[j]);
        }
        diag + (reduce16_f32(&acc) + tail)
    }

    /// [`fused_row`] without the update.
    #[inline]
    pub(crate) fn product_row(row: &[f32], v: &[f32], y: &mut [f32], vi: f32) -> f64 {
        let diag = f64::from(row[0]) * f64::from(vi);
        let (row, v) = (&row[1..], &v[1..]);
        let len = row.len();
        let m = len - len % LANES;
        let mut acc = [0.0f32; LANES];
        for ((ac, vc), yc) in
            row[..m].chunks_exact(LANES).zip(v[..m].chunks_exact(LANES)).zip(y[..m].chunks_exact_mut(LANES))
        {
            for l in 0..LANES {
                let a = ac[l];
                acc[l] = a.mul_add(vc[l], acc[l]);
                yc[l] = a.mul_add(vi, yc[l]);
            }
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += f64::from(a) * f64::from(v[j]);
            y[j] = a.mul_add(vi, y[j]);
        }
        diag + (reduce16_f32(&acc) + tail)
    }

    chunk_loops_s!();
}

/// The same loops with AVX2 + FMA intrinsics (two registers of eight f32
/// lanes = the sixteen lanes), bit-identical to [`portable`].
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_op_in_unsafe_fn)]
pub(crate) mod avx2 {
    use super::{LANES, f16_to_f32};
    use std::arch::x86_64::*;

    /// Fold two registers of eight f32 lanes exactly like
    /// [`reduce16_f32`](super::reduce16_f32): widen to four f64 registers
    /// (lanes 0–3, 4–7, 8–11, 12–15), then v = r0 + r2, r1 + r3 (the
    /// a_k + a_{k+8}), s = v_lo + v_hi (v_k + v_{k+4}), (s0 + s1) + (s2 + s3).
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    fn hsum(acc: [__m256; 2]) -> f64 {
        let r0 = _mm256_cvtps_pd(_mm256_castps256_ps128(acc[0]));
        let r1 = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(acc[0]));
        let r2 = _mm256_cvtps_pd(_mm256_castps256_ps128(acc[1]));
        let r3 = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(acc[1]));
        let s = _mm256_add_pd(_mm256_add_pd(r0, r2), _mm256_add_pd(r1, r3));
        let mut t = [0.0f64; 4];
        // SAFETY: `t` has room for four f64.
        unsafe { _mm256_storeu_pd(t.as_mut_ptr(), s) };
        (t[0] + t[1]) + (t[2] + t[3])
    }

    /// An element type the products read eight at a time, widened exactly
    /// to f32 lanes: f32 itself or binary16 (`vcvtph2ps`).
    trait Lanes8: Copy {
        /// Eight values from `p`, widened.
        ///
        /// # Safety
        /// `p..p + 8` must be readable and the CPU must have AVX2 and F16C.
        unsafe fn load8(p: *const Self) -> __m256;
        /// One value, widened (the scalar tail).
        fn widen(self) -> f32;
    }

    impl Lanes8 for f32 {
        #[target_feature(enable = "avx2,fma,f16c")]
        #[inline]
        unsafe fn load8(p: *const f32) -> __m256 {
            _mm256_loadu_ps(p)
        }
        #[inline(always)]
        fn widen(self) -> f32 {
            self
        }
    }

    impl Lanes8 for u16 {
        #[target_feature(enable = "avx2,fma,f16c")]
        #[inline]
        unsafe fn load8(p: *const u16) -> __m256 {
            _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i))
        }
        #[inline(always)]
        fn widen(self) -> f32 {
            f16_to_f32(self)
        }
    }

    /// Σ a_j b_j with the lanes and fold of [`super::portable::dot`]: two
    /// registers of eight f32 FMA chains, [`hsum`], then the tail in f64.
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    fn dot_lanes<T: Lanes8>(a: &[T], b: &[f32]) -> f64 {
        let n = a.len().min(b.len());
        let m = n - n % LANES;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 2];
        let mut k = 0;
        while k < m {
            for (h, ah) in acc.iter_mut().enumerate() {
                // SAFETY: k + 8h + 7 < m ≤ n ≤ the length of both slices.
                let (x, y) = unsafe { (T::load8(pa.add(k + 8 * h)), _mm256_loadu_ps(pb.add(k + 8 * h))) };
                *ah = _mm256_fmadd_ps(x, y, *ah);
            }
            k += LANES;
        }
        let mut s = hsum(acc);
        for j in m..n {
            s += f64::from(a[j].widen()) * f64::from(b[j]);
        }
        s
    }

    /// Four rows against one vector, each with the lanes and fold of
    /// [`dot_lanes`]: eight independent FMA chains (enough to hide the FMA
    /// latency) and four row streams.
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    fn dot4_lanes<T: Lanes8>(r: [&[T]; 4], b: &[f32]) -> [f64; 4] {
        let n = b.len();
        assert!(r.iter().all(|x| x.len() == n));
        let m = n - n % LANES;
        let pb = b.as_ptr();
        let pr = r.map(|x| x.as_ptr());
        let mut acc = [[_mm256_setzero_ps(); 2]; 4];
        let mut k = 0;
        while k < m {
            for h in 0..2 {
                // SAFETY: k + 8h + 7 < m ≤ n = every row's length.
                let v = unsafe { _mm256_loadu_ps(pb.add(k + 8 * h)) };
                for (aj, pj) in acc.iter_mut().zip(pr) {
                    let x = unsafe { T::load8(pj.add(k + 8 * h)) };
                    aj[h] = _mm256_fmadd_ps(x, v, aj[h]);
                }
            }
            k += LANES;
        }
        let mut out = [0.0; 4];
        for (o, (aj, row)) in out.iter_mut().zip(acc.into_iter().zip(r)) {
            let mut s = hsum(aj);
            for j in m..n {
                s += f64::from(row[j].widen()) * f64::from(b[j]);
            }
            *o = s;
        }
        out
    }

    /// See [`super::portable::dot`].
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn dot(a: &[f32], b: &[f32]) -> f64 {
        dot_lanes(a, b)
    }

    /// See [`super::portable::dot4`].
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn dot4(r: [&[f32]; 4], b: &[f32]) -> [f64; 4] {
        dot4_lanes(r, b)
    }

    /// See [`super::portable::dot_f16`].
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn dot_f16(a: &[u16], b: &[f32]) -> f64 {
        dot_lanes(a, b)
    }

    /// See [`super::portable::dot4_f16`].
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn dot4_f16(r: [&[u16]; 4], b: &[f32]) -> [f64; 4] {
        dot4_lanes(r, b)
    }

    /// See [`super::portable::lincomb`]: blocks of 64 columns (eight
    /// registers, eight independent FMA chains) stay in registers while all
    /// rows are added in order, then blocks of 8, then single columns; per
    /// element the same FMA chain.
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn lincomb(rows: &[&[f32]], coef: &[f32], out: &mut [f32]) {
        let n = out.len();
        let nr = rows.len().min(coef.len());
        assert!(rows[..nr].iter().all(|r| r.len() >= n));
        let po = out.as_mut_ptr();
        let m64 = n - n % 64;
        let mut k = 0;
        while k < m64 {
            let mut acc = [_mm256_setzero_ps(); 8];
            for (row, &c) in rows[..nr].iter().zip(coef) {
                let cv = _mm256_set1_ps(c);
                let pr = row.as_ptr();
                for (q, aq) in acc.iter_mut().enumerate() {
                    // SAFETY: k + 8q + 7 < m64 ≤ n ≤ row.len().
                    let x = unsafe { _mm256_loadu_ps(pr.add(k + 8 * q)) };
                    *aq = _mm256_fmadd_ps(cv, x, *aq);
                }
            }
            for (q, aq) in acc.iter().enumerate() {
                // SAFETY: k + 8q + 7 < m64 ≤ n = out.len().
                unsafe { _mm256_storeu_ps(po.add(k + 8 * q), *aq) };
            }
            k += 64;
        }
        let m8 = n - n % 8;
        while k < m8 {
            let mut acc = _mm256_setzero_ps();
            for (row, &c) in rows[..nr].iter().zip(coef) {
                // SAFETY: k + 7 < m8 ≤ n ≤ row.len().
                let x = unsafe { _mm256_loadu_ps(row.as_ptr().add(k)) };
                acc = _mm256_fmadd_ps(_mm256_set1_ps(c), x, acc);
            }
            // SAFETY: k + 7 < m8 ≤ n = out.len().
            unsafe { _mm256_storeu_ps(po.add(k), acc) };
            k += 8;
        }
        for j in m8..n {
            let mut a = 0.0f32;
            for (row, &c) in rows[..nr].iter().zip(coef) {
                a = c.mul_add(row[j], a);
            }
            out[j] = a;
        }
    }

    /// See [`super::portable::fused_row`].
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn fused_row(row: &mut [f32], ph: &[f32], y: &mut [f32], pi: f32, alpha: f32, bpi: f32) -> f64 {
        let a0 = row[0];
        let diag = f64::from(a0) * f64::from(pi);
        row[0] = alpha.mul_add(a0, bpi * pi);
        let (row, ph) = (&mut row[1..], &ph[1..]);
        let len = row.len();
        assert!(ph.len() >= len && y.len() >= len);
        let m = len - len % LANES;
        let (pv, av, bv) = (_mm256_set1_ps(pi), _mm256_set1_ps(alpha), _mm256_set1_ps(bpi));
        let (pr, pp, py) = (row.as_mut_ptr(), ph.as_ptr(), y.as_mut_ptr());
        let mut acc = [_mm256_setzero_ps(); 2];
        let mut k = 0;
        while k < m {
            for (h, ah) in acc.iter_mut().enumerate() {
                let o = k + 8 * h;
                // SAFETY: o + 7 < m ≤ len ≤ the lengths of all three slices.
                unsafe {
                    let a = _mm256_loadu_ps(pr.add(o));
                    let p = _mm256_loadu_ps(pp.add(o));
                    *ah = _mm256_fmadd_ps(a, p, *ah);
                    _mm256_storeu_ps(py.add(o), _mm256_fmadd_ps(a, pv, _mm256_loadu_ps(py.add(o))));
                    _mm256_storeu_ps(pr.add(o), _mm256_fmadd_ps(av, a, _mm256_mul_ps(bv, p)));
                }
            }
            k += LANES;
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += f64::from(a) * f64::from(ph[j]);
            y[j] = a.mul_add(pi, y[j]);
            row[j] = alpha.mul_add(a, bpi * ph[j]);
        }
        diag + (hsum(acc) + tail)
    }

    /// See [`super::portable::product_row`].
    #[target_feature(enable = "avx2,fma,f16c")]
    #[inline]
    pub(crate) fn product_row(row: &[f32], v: &[f32], y: &mut [f32], vi: f32) -> f64 {
        let diag = f64::from(row[0]) * f64::from(vi);
        let (row, v) = (&row[1..], &v[1..]);
        let len = row.len();
        assert!(v.len() >= len && y.len() >= len);
        let m = len - len % LANES;
        let vv = _mm256_set1_ps(vi);
        let (pr, pv, py) = (row.as_ptr(), v.as_ptr(), y.as_mut_ptr());
        let mut acc = [_mm256_setzero_ps(); 2];
        let mut k = 0;
        while k < m {
            for (h, ah) in acc.iter_mut().enumerate() {
                let o = k + 8 * h;
                // SAFETY: o + 7 < m ≤ len ≤ the lengths of all three slices.
                unsafe {
                    let a = _mm256_loadu_ps(pr.add(o));
                    *ah = _mm256_fmadd_ps(a, _mm256_loadu_ps(pv.add(o)), *ah);
                    _mm256_storeu_ps(py.add(o), _mm256_fmadd_ps(a, vv, _mm256_loadu_ps(py.add(o))));
                }
            }
            k += LANES;
        }
        let mut tail = 0.0;
        for j in m..len {
            let a = row[j];
            tail += f64::from(a) * f64::from(v[j]);
            y[j] = a.mul_add(vi, y[j]);
        }
        diag + (hsum(acc) + tail)
    }

    chunk_loops_s!(#[target_feature(enable = "avx2,fma,f16c")]);
}

/// Define `pub(crate) fn $outer(args) -> ret` that calls `avx2::$name` when
/// the CPU has AVX2, FMA and F16C and `portable::$name` otherwise.
macro_rules! dispatch_s {
    ($(#[$m:meta])* $outer:ident = $name:ident ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        #[inline]
        pub(crate) fn $outer($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx2_fma() {
                    // SAFETY: the CPU supports AVX2, FMA and F16C (checked just above).
                    return unsafe { avx2::$name($($arg),*) };
                }
            }
            portable::$name($($arg),*)
        }
    };
}

dispatch_s!(
    /// See [`portable::dot`].
    sdot = dot(a: &[f32], b: &[f32]) -> f64
);
dispatch_s!(
    /// See [`portable::dot4`] (four memory streams).
    sdot4 = dot4(r: [&[f32]; 4], b: &[f32]) -> [f64; 4]
);
dispatch_s!(
    /// See [`portable::lincomb`].
    slincomb = lincomb(rows: &[&[f32]], coef: &[f32], out: &mut [f32])
);
dispatch_s!(
    /// See `portable::sgemv_rows_f32`.
    sgemv_rows_f32 = sgemv_rows_f32(m: &[f32], ncols: usize, v: &[f32], out: &mut [f64])
);
dispatch_s!(
    /// See `portable::sgemv_rows_f16`.
    sgemv_rows_f16 = sgemv_rows_f16(m: &[u16], ncols: usize, v: &[f32], out: &mut [f64])
);
dispatch_s!(
    /// See `portable::packed_chunk`.
    spacked_chunk = packed_chunk(
        a: &mut [f32], r0: usize, r1: usize, n: usize, phi: &[f32], part: &mut [f32], rows: &mut [f64],
        alpha: f32, beta: f32, update: bool
    )
);
dispatch_s!(
    /// See `portable::packed_chunk_apply`.
    spacked_chunk_apply = packed_chunk_apply(a: &[f32], r0: usize, r1: usize, n: usize, v: &[f32], part: &mut [f32], rows: &mut [f64])
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{f16_from_f64, packed_len, packed_offset};

    fn vecf(n: usize, s: usize) -> Vec<f32> {
        (0..n).map(|i| (((i * s + 7) % 113) as f32 / 17.0 - 3.0) * 0.37).collect()
    }

    /// The single-precision dot product equals an independent scalar
    /// reference written from the definition (sixteen f32 FMA chains, the
    /// widened fold, f64 remainder) bit for bit, and is within the f32
    /// error bound of the exact (f64) sum.
    #[test]
    fn sdot_matches_scalar_definition_and_error_bound() {
        for n in [0usize, 1, 15, 16, 17, 100, 1000, 1003] {
            let a = vecf(n, 7919);
            let b = vecf(n, 31);
            let m = n - n % 16;
            let mut lanes = [0.0f32; 16];
            for j in 0..m {
                lanes[j % 16] = a[j].mul_add(b[j], lanes[j % 16]);
            }
            let v: Vec<f64> = lanes.iter().map(|&x| f64::from(x)).collect();
            let w: Vec<f64> = (0..8).map(|k| v[k] + v[k + 8]).collect();
            let s4: Vec<f64> = (0..4).map(|k| w[k] + w[k + 4]).collect();
            let mut r = (s4[0] + s4[1]) + (s4[2] + s4[3]);
            for j in m..n {
                r += f64::from(a[j]) * f64::from(b[j]);
            }
            assert_eq!(sdot(&a, &b).to_bits(), r.to_bits(), "n = {n}");
            assert_eq!(portable::dot(&a, &b).to_bits(), r.to_bits(), "n = {n}");
            // Each lane is a chain of ≤ n/16 FMAs: relative error of the
            // lane ≤ (n/16) 2^-24 of Σ|a b| (standard recursive-summation bound).
            let exact: f64 = a.iter().zip(&b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
            let abs: f64 = a.iter().zip(&b).map(|(&x, &y)| (f64::from(x) * f64::from(y)).abs()).sum();
            assert!((r - exact).abs() <= (n as f64 / 16.0 + 1.0) * 2f64.powi(-24) * abs + 1e-300);
        }
    }

    /// The single-precision GEMV rows (f32 and binary16 storage) equal the
    /// scalar definition row by row, and the AVX2 variants equal the
    /// portable ones bit for bit, for every remainder length.
    #[test]
    fn sgemv_equals_scalar_reference_and_avx2_equals_portable() {
        for ncols in [1usize, 15, 16, 17, 40, 203] {
            for rows in [1usize, 3, 4, 5, 9] {
                let m = vecf(rows * ncols, 37);
                let mh: Vec<u16> = m.iter().map(|&x| f16_from_f64(f64::from(x))).collect();
                let v = vecf(ncols, 11);
                let mut o = vec![0.0; rows];
                sgemv_rows_f32(&m, ncols, &v, &mut o);
                let mut oh = vec![0.0; rows];
                sgemv_rows_f16(&mh, ncols, &v, &mut oh);
                for r in 0..rows {
                    let row = &m[r * ncols..(r + 1) * ncols];
                    assert_eq!(o[r].to_bits(), portable::dot(row, &v).to_bits());
                    let rowh: Vec<f32> = mh[r * ncols..(r + 1) * ncols].iter().map(|&h| f16_to_f32(h)).collect();
                    assert_eq!(oh[r].to_bits(), portable::dot(&rowh, &v).to_bits());
                }
                let (mut p1, mut p2) = (vec![0.0; rows], vec![0.0; rows]);
                portable::sgemv_rows_f32(&m, ncols, &v, &mut p1);
                portable::sgemv_rows_f16(&mh, ncols, &v, &mut p2);
                assert_eq!(p1, o);
                assert_eq!(p2, oh);
            }
        }
    }

    /// Every routine: AVX2 = portable bit for bit (when the CPU has them).
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_and_portable_are_bit_identical() {
        if !has_avx2_fma() {
            return;
        }
        // binary16: every finite pattern through the product.
        let finite: Vec<u16> = (0..=u16::MAX).filter(|&h| f16_to_f64(h).is_finite()).collect();
        let b = vecf(96, 7919);
        for rows in finite.chunks_exact(4 * 96) {
            let r: [&[u16]; 4] = std::array::from_fn(|j| &rows[j * 96..(j + 1) * 96]);
            // SAFETY: the CPU has AVX2, FMA, F16C (checked above); same below.
            let x = unsafe { avx2::dot4_f16(r, &b) };
            assert_eq!(x.map(f64::to_bits), portable::dot4_f16(r, &b).map(f64::to_bits));
            assert_eq!(unsafe { avx2::dot_f16(r[2], &b) }.to_bits(), x[2].to_bits());
        }
        for n in [1usize, 4, 5, 15, 16, 17, 33, 64, 65, 100, 203, 334, 1000] {
            let v = vecf(n, 7919);
            let w = vecf(n, 104729);
            let u = vecf(n, 31);
            unsafe {
                assert_eq!(avx2::dot(&v, &w).to_bits(), portable::dot(&v, &w).to_bits());
                let r4 = [&v[..], &w[..], &u[..], &v[..]];
                assert_eq!(avx2::dot4(r4, &w).map(f64::to_bits), portable::dot4(r4, &w).map(f64::to_bits));
                let rows = [&v[..], &w[..], &u[..]];
                let (mut l1, mut l2) = (vec![1.0; n], vec![2.0; n]);
                avx2::lincomb(&rows, &[0.5, -1.5, 0.25], &mut l1);
                portable::lincomb(&rows, &[0.5, -1.5, 0.25], &mut l2);
                assert_eq!(l1, l2);
                let p = packed_len(n);
                let mut a1: Vec<f32> = (0..p).map(|i| (i % 11) as f32 * 0.01 - 0.05).collect();
                let mut a2 = a1.clone();
                for (update, phi) in [(true, &v), (false, &w), (true, &u)] {
                    let (mut y1, mut y2) = (vec![0.0f32; n], vec![0.0f32; n]);
                    let (mut s1, mut s2) = (vec![0.0; n], vec![0.0; n]);
                    avx2::packed_chunk(&mut a1, 0, n, n, phi, &mut y1, &mut s1, 0.9, 0.003, update);
                    portable::packed_chunk(&mut a2, 0, n, n, phi, &mut y2, &mut s2, 0.9, 0.003, update);
                    assert_eq!(a1, a2);
                    assert_eq!(y1, y2);
                    assert_eq!(s1, s2);
                }
                // A chunk starting inside the matrix, and the shared-storage product.
                let r0 = n / 3;
                let off = packed_offset(n, r0);
                let (mut y1, mut y2) = (vec![0.0f32; n - r0], vec![0.0f32; n - r0]);
                let (mut s1, mut s2) = (vec![0.0; n - r0], vec![0.0; n - r0]);
                avx2::packed_chunk(&mut a1[off..], r0, n, n, &u, &mut y1, &mut s1, 0.8, -0.01, true);
                portable::packed_chunk(&mut a2[off..], r0, n, n, &u, &mut y2, &mut s2, 0.8, -0.01, true);
                assert_eq!((&a1, &y1, &s1), (&a2, &y2, &s2));
                let (mut y3, mut y4) = (vec![0.0f32; n], vec![0.0f32; n]);
                let (mut s3, mut s4) = (vec![0.0; n], vec![0.0; n]);
                avx2::packed_chunk_apply(&a1, 0, n, n, &v, &mut y3, &mut s3);
                portable::packed_chunk_apply(&a2, 0, n, n, &v, &mut y4, &mut s4);
                assert_eq!((y3, s3), (y4, s4));
            }
        }
    }

    /// The packed single-precision pass: the row sums plus the column
    /// scatter give A φ (pre-update A) to the f32 error bound, and the
    /// update is α A + β φ φᵀ rounded once (FMA) per entry.
    #[test]
    fn packed_pass_is_a_symmetric_product_and_update() {
        for n in [3usize, 17, 40, 61] {
            let v = vecf(n, 13);
            let p = packed_len(n);
            let a: Vec<f32> = (0..p).map(|i| ((i * 37) % 19) as f32 * 0.1 - 0.9).collect();
            let full = |a: &[f32], i: usize, j: usize| {
                let (i, j) = if i <= j { (i, j) } else { (j, i) };
                a[packed_offset(n, i) + j - i]
            };
            let mut b = a.clone();
            let (mut y, mut s) = (vec![0.0f32; n], vec![0.0; n]);
            spacked_chunk(&mut b, 0, n, n, &v, &mut y, &mut s, 0.7, 0.2, true);
            for i in 0..n {
                let got = f64::from(y[i]) + s[i];
                let e: f64 = (0..n).map(|j| f64::from(full(&a, i, j)) * f64::from(v[j])).sum();
                let abs: f64 = (0..n).map(|j| (f64::from(full(&a, i, j)) * f64::from(v[j])).abs()).sum();
                // ≤ n f32 roundings of partial sums of |terms| (column chain)
                // plus the final rounding of the f32 partial.
                assert!((got - e).abs() <= (n as f64 + 2.0) * 2f64.powi(-24) * abs, "n = {n}, i = {i}");
                for j in i..n {
                    let want = 0.7f32.mul_add(full(&a, i, j), (0.2f32 * v[i]) * v[j]);
                    assert_eq!(full(&b, i, j), want);
                }
            }
        }
    }
}
