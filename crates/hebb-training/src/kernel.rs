//! Low-level kernels on packed symmetric matrices (the "kernel tier").
//!
//! Storage: the **upper triangle, row by row**: row `a` holds
//! `P[a][a], P[a][a+1], …, P[a][k-1]`, so row `a` starts at
//! `a·(2k − a + 1)/2` and the block has `k(k+1)/2` entries
//! ([`packed_len`], [`packed_index`]).
//!
//! Every reduction runs in a fixed order ([`LANES`] = 8 interleaved partial
//! sums over the row, combined pairwise, then the tail), so the
//! result never depends on threads or scheduling, and the fused sweep
//! ([`fused_downdate_symv`]) is bit-identical to the unfused pair
//! [`rank1_downdate`] + [`symv`]: it computes each updated element with the
//! same expression and then uses it at once.
//!
//! These are low-level kernels: they check slice lengths with assertions and
//! **panic** on a mismatch (a programming error, like slice indexing); the
//! user-facing types validate their inputs and return errors instead.
//!
//! Cost per call on a `k`-input block (kimchow.md §8.1): about `k²` element
//! reads for [`symv`], `k²` reads and writes for [`rank1_downdate`], and one
//! read-and-write sweep for the fused form (about a third less memory
//! traffic than the two passes).

use crate::real::Real;

/// Number of stored entries of a packed symmetric `k × k` block.
#[inline]
pub const fn packed_len(k: usize) -> usize {
    k * (k + 1) / 2
}

/// Position of element `(a, b)` (either order) in a packed `k × k` block.
#[inline]
pub const fn packed_index(k: usize, a: usize, b: usize) -> usize {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    a * (2 * k - a + 1) / 2 + (b - a)
}

/// Number of interleaved partial sums in every reduction of this module.
pub const LANES: usize = 8;

#[inline(always)]
fn combine<T: Real>(s: [T; LANES], tail: T) -> T {
    (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) + tail
}

/// `Σ_j x_j y_j` in the crate's fixed order.
#[inline]
pub fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    let n = x.len().min(y.len());
    let m = n / LANES * LANES;
    let mut s = [T::ZERO; LANES];
    for (a, b) in x[..m].chunks_exact(LANES).zip(y[..m].chunks_exact(LANES)) {
        for l in 0..LANES {
            s[l] = s[l] + a[l] * b[l];
        }
    }
    let mut t = T::ZERO;
    for j in m..n {
        t = t + x[j] * y[j];
    }
    combine(s, t)
}

/// Off-diagonal part of one packed row, read only: returns `Σ_j row_j ρ_j`
/// and adds `row_j · ra` to `k_out[j]`.
#[inline(always)]
fn row_read<T: Real>(row: &[T], rho: &[T], ra: T, k_out: &mut [T]) -> T {
    let n = row.len();
    let m = n / LANES * LANES;
    let mut s = [T::ZERO; LANES];
    for ((r, p), o) in
        row[..m].chunks_exact(LANES).zip(rho[..m].chunks_exact(LANES)).zip(k_out[..m].chunks_exact_mut(LANES))
    {
        for l in 0..LANES {
            s[l] = s[l] + r[l] * p[l];
            o[l] = o[l] + r[l] * ra;
        }
    }
    let mut t = T::ZERO;
    for j in m..n {
        t = t + row[j] * rho[j];
        k_out[j] = k_out[j] + row[j] * ra;
    }
    combine(s, t)
}

/// Off-diagonal part of one packed row with the pending downdate applied
/// first: `row_j ← row_j − cka · kp_j`, then as [`row_read`].
#[inline(always)]
fn row_fused<T: Real>(row: &mut [T], kp: &[T], cka: T, rho: &[T], ra: T, k_out: &mut [T]) -> T {
    let n = row.len();
    let m = n / LANES * LANES;
    let mut s = [T::ZERO; LANES];
    for (((r, q), p), o) in row[..m]
        .chunks_exact_mut(LANES)
        .zip(kp[..m].chunks_exact(LANES))
        .zip(rho[..m].chunks_exact(LANES))
        .zip(k_out[..m].chunks_exact_mut(LANES))
    {
        for l in 0..LANES {
            let v = r[l] - cka * q[l];
            r[l] = v;
            s[l] = s[l] + v * p[l];
            o[l] = o[l] + v * ra;
        }
    }
    let mut t = T::ZERO;
    for j in m..n {
        let v = row[j] - cka * kp[j];
        row[j] = v;
        t = t + v * rho[j];
        k_out[j] = k_out[j] + v * ra;
    }
    combine(s, t)
}

#[inline(always)]
fn symv_body<T: Real>(p: &[T], k: usize, rho: &[T], k_out: &mut [T]) {
    k_out[..k].fill(T::ZERO);
    let mut off = 0;
    for a in 0..k {
        let len = k - a;
        let row = &p[off..off + len];
        let ra = rho[a];
        let (head, tail) = k_out[..k].split_at_mut(a + 1);
        let s = row_read(&row[1..], &rho[a + 1..k], ra, tail);
        head[a] = head[a] + (row[0] * ra + s);
        off += len;
    }
}

#[inline(always)]
fn rank1_body<T: Real>(p: &mut [T], k: usize, kv: &[T], c: T) {
    let mut off = 0;
    for a in 0..k {
        let len = k - a;
        let cka = c * kv[a];
        for (x, &kb) in p[off..off + len].iter_mut().zip(&kv[a..k]) {
            *x = *x - cka * kb;
        }
        off += len;
    }
}

#[inline(always)]
fn fused_body<T: Real>(p: &mut [T], k: usize, kp: &[T], cp: T, rho: &[T], k_out: &mut [T]) {
    k_out[..k].fill(T::ZERO);
    let mut off = 0;
    for a in 0..k {
        let len = k - a;
        let row = &mut p[off..off + len];
        let cka = cp * kp[a];
        let ra = rho[a];
        let d = row[0] - cka * kp[a];
        row[0] = d;
        let (head, tail) = k_out[..k].split_at_mut(a + 1);
        let s = row_fused(&mut row[1..], &kp[a + 1..k], cka, &rho[a + 1..k], ra, tail);
        head[a] = head[a] + (d * ra + s);
        off += len;
    }
}

/// Portable and AVX2 builds of the same kernel body. The AVX2 build only
/// widens the vectors: every lane performs the same IEEE operations in the
/// same order (Rust never contracts `a*b + c` into an FMA), so both builds
/// give bit-identical results, on any machine (tested below).
macro_rules! dispatch {
    ($name:ident, $avx:ident, $body:ident, ($($arg:ident : $ty:ty),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        fn $avx<T: Real>($($arg: $ty),*) {
            $body($($arg),*)
        }
        #[doc(hidden)]
        pub fn $name<T: Real>(force_portable: bool, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if !force_portable && std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked at run time).
                return unsafe { $avx($($arg),*) };
            }
            let _ = force_portable;
            $body($($arg),*)
        }
    };
}

dispatch!(symv_dispatch, symv_avx2, symv_body, (p: &[T], k: usize, rho: &[T], k_out: &mut [T]));
dispatch!(rank1_dispatch, rank1_avx2, rank1_body, (p: &mut [T], k: usize, kv: &[T], c: T));
/// The fused sweep: the hand-vectorised AVX2 build ([`crate::simd`],
/// bit-identical) where the CPU has AVX2, the portable body otherwise.
#[doc(hidden)]
pub fn fused_dispatch<T: Real>(
    force_portable: bool,
    p: &mut [T],
    k: usize,
    kp: &[T],
    cp: T,
    rho: &[T],
    k_out: &mut [T],
) {
    #[cfg(target_arch = "x86_64")]
    if !force_portable && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked at run time).
        return unsafe { T::fused_avx2(p, k, kp, cp, rho, k_out) };
    }
    let _ = force_portable;
    fused_body(p, k, kp, cp, rho, k_out)
}

/// `k_out = P ρ` for a packed symmetric `k × k` block `p`.
///
/// Each stored element `P_ab` (a ≤ b) is read once and contributes
/// `P_ab ρ_b` to `k_a` and, off the diagonal, `P_ab ρ_a` to `k_b`.
pub fn symv<T: Real>(p: &[T], k: usize, rho: &[T], k_out: &mut [T]) {
    assert_eq!(p.len(), packed_len(k), "packed block length");
    symv_dispatch(false, p, k, rho, k_out)
}

/// `P ← P − c·kkᵀ` on a packed symmetric block (element `P_ab -= (c k_a) k_b`).
pub fn rank1_downdate<T: Real>(p: &mut [T], k: usize, kv: &[T], c: T) {
    assert_eq!(p.len(), packed_len(k), "packed block length");
    rank1_dispatch(false, p, k, kv, c)
}

/// The fused RLS sweep of kimchow.md §8.1: apply the **pending** downdate
/// `P ← P − c_p·k_p k_pᵀ` of the previous update and compute
/// `k_out = P ρ` with the updated elements, in **one** read-and-write pass.
///
/// With `c_p = 0` this is [`symv`] plus a harmless rewrite. The result is
/// bit-identical to `rank1_downdate(p, k, k_p, c_p)` followed by
/// `symv(p, k, ρ, k_out)`.
pub fn fused_downdate_symv<T: Real>(p: &mut [T], k: usize, kp: &[T], cp: T, rho: &[T], k_out: &mut [T]) {
    assert_eq!(p.len(), packed_len(k), "packed block length");
    fused_dispatch(false, p, k, kp, cp, rho, k_out)
}

/// One dense row of a full (not packed) symmetric matrix, as used by the
/// shared `P` of FORCE: apply the pending downdate `row_b -= s_a s_b` (when
/// `s` is given) and return `Σ_b row_b r_b`, in the crate's fixed order.
pub fn dense_row_fused(row: &mut [f64], s_pending: Option<(f64, &[f64])>, r: &[f64]) -> f64 {
    match s_pending {
        None => dot(row, r),
        Some((sa, s)) => {
            // sa * sb == sb * sa exactly, so the full matrix stays symmetric.
            let n = row.len();
            let m = n / LANES * LANES;
            let mut acc = [0.0; LANES];
            for ((x, q), p) in
                row[..m].chunks_exact_mut(LANES).zip(s[..m].chunks_exact(LANES)).zip(r[..m].chunks_exact(LANES))
            {
                for l in 0..LANES {
                    x[l] -= sa * q[l];
                    acc[l] += x[l] * p[l];
                }
            }
            let mut t = 0.0;
            for j in m..n {
                row[j] -= sa * s[j];
                t += row[j] * r[j];
            }
            combine(acc, t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(p: &[f64], k: usize) -> Vec<Vec<f64>> {
        (0..k).map(|a| (0..k).map(|b| p[packed_index(k, a, b)]).collect()).collect()
    }

    #[test]
    fn packed_index_walks_the_upper_triangle_row_by_row() {
        let k = 7;
        let mut next = 0;
        for a in 0..k {
            for b in a..k {
                assert_eq!(packed_index(k, a, b), next);
                assert_eq!(packed_index(k, b, a), next);
                next += 1;
            }
        }
        assert_eq!(next, packed_len(k));
    }

    /// The AVX2 and portable builds agree bit for bit (f64 and f32).
    #[test]
    fn avx2_and_portable_builds_agree_bit_for_bit() {
        fn check<T: Real + PartialEq>() {
            for k in [1usize, 7, 8, 9, 31, 64, 101, 200] {
                let p: Vec<T> = (0..packed_len(k)).map(|i| T::from_f64(((i * 37 % 11) as f64 - 5.0) / 7.0)).collect();
                let rho: Vec<T> = (0..k).map(|i| T::from_f64((i as f64 * 0.3).sin())).collect();
                let kp: Vec<T> = (0..k).map(|i| T::from_f64((i as f64 * 0.7).cos())).collect();
                let c = T::from_f64(0.37);
                let mut outs = Vec::new();
                for portable in [true, false] {
                    let mut p1 = p.clone();
                    let mut o1 = vec![T::ZERO; k];
                    let mut o2 = vec![T::ZERO; k];
                    fused_dispatch(portable, &mut p1, k, &kp, c, &rho, &mut o1);
                    rank1_dispatch(portable, &mut p1, k, &kp, c);
                    symv_dispatch(portable, &p1, k, &rho, &mut o2);
                    outs.push((p1, o1, o2));
                }
                assert!(outs[0] == outs[1], "k = {k}");
            }
        }
        check::<f64>();
        check::<f32>();
    }

    #[test]
    fn symv_and_fused_match_dense_arithmetic() {
        for k in [1usize, 2, 3, 5, 8, 13] {
            let p: Vec<f64> = (0..packed_len(k)).map(|i| ((i * 37 % 11) as f64 - 5.0) / 7.0).collect();
            let rho: Vec<f64> = (0..k).map(|i| (i as f64 * 0.3).sin()).collect();
            let kp: Vec<f64> = (0..k).map(|i| (i as f64 * 0.7).cos()).collect();
            let c = 0.37;
            let mut out = vec![0.0; k];
            symv(&p, k, &rho, &mut out);
            let d = dense(&p, k);
            for a in 0..k {
                let want: f64 = (0..k).map(|b| d[a][b] * rho[b]).sum();
                assert!((out[a] - want).abs() < 1e-12);
            }
            // fused == unfused, bit for bit
            let mut p1 = p.clone();
            let mut p2 = p.clone();
            let mut o1 = vec![0.0; k];
            let mut o2 = vec![0.0; k];
            fused_downdate_symv(&mut p1, k, &kp, c, &rho, &mut o1);
            rank1_downdate(&mut p2, k, &kp, c);
            symv(&p2, k, &rho, &mut o2);
            assert_eq!(p1, p2);
            assert_eq!(o1, o2);
            let d2 = dense(&p2, k);
            for a in 0..k {
                for b in 0..k {
                    assert!((d2[a][b] - (d[a][b] - c * kp[a] * kp[b])).abs() < 1e-12);
                }
            }
        }
    }
}
