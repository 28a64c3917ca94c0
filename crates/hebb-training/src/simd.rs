//! Hand-vectorised AVX2 builds of the fused RLS sweep ([`crate::kernel`]).
//!
//! Why: the compiler's auto-vectorisation of the generic fused row loop
//! mixes 128-bit halves and shuffles (measured: the fused sweep took 1.4× a
//! plain read-modify-write pass over the same arena), so the sweep was
//! compute-bound instead of memory-bound. These functions write the same
//! loop with 256-bit loads and stores.
//!
//! **Bit-identical to the portable loop.** Each vector lane performs exactly
//! the IEEE operations of one lane of the portable `[T; LANES]` loop, in the
//! same order (`v = r − c·q`, `s += v·ρ`, `o += v·ρ_a`; separate multiply
//! and add, no FMA), the `LANES` = 8 partial sums are combined by the same
//! [`crate::kernel`] pairwise tree, and the row tail is the same scalar loop.
//! The kernel tests compare the two builds bit for bit.

#![allow(unsafe_code)]

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// `(((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7))) + t`, the kernel module's combine order.
#[inline(always)]
fn combine8<T: Copy + std::ops::Add<Output = T>>(s: [T; 8], t: T) -> T {
    (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) + t
}

/// Fused sweep over one packed f64 block: see [`crate::kernel::fused_downdate_symv`].
///
/// # Safety
/// The CPU must support AVX2; slice lengths must be as in the portable body
/// (`p` of `k(k+1)/2`, `kp`, `rho`, `k_out` of at least `k`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn fused_body_f64(p: &mut [f64], k: usize, kp: &[f64], cp: f64, rho: &[f64], k_out: &mut [f64]) {
    assert!(kp.len() >= k && rho.len() >= k && k_out.len() >= k && p.len() >= k * (k + 1) / 2);
    k_out[..k].fill(0.0);
    let mut off = 0;
    for a in 0..k {
        let len = k - a;
        let cka = cp * kp[a];
        let ra = rho[a];
        let d = p[off] - cka * kp[a];
        p[off] = d;
        // Off-diagonal part of the row: elements b = a+1 .. k.
        let n = len - 1;
        let m = n / 8 * 8;
        // SAFETY: every pointer below indexes j < m ≤ n within
        // `p[off + 1 .. off + len]` and `kp/rho/k_out[a + 1 .. k]`.
        let (row, q, r, o) = unsafe {
            (
                p.as_mut_ptr().add(off + 1),
                kp.as_ptr().add(a + 1),
                rho.as_ptr().add(a + 1),
                k_out.as_mut_ptr().add(a + 1),
            )
        };
        let vc = _mm256_set1_pd(cka);
        let va = _mm256_set1_pd(ra);
        let mut s0 = _mm256_setzero_pd();
        let mut s1 = _mm256_setzero_pd();
        let mut j = 0;
        while j < m {
            unsafe {
                let v0 = _mm256_sub_pd(_mm256_loadu_pd(row.add(j)), _mm256_mul_pd(vc, _mm256_loadu_pd(q.add(j))));
                let v1 =
                    _mm256_sub_pd(_mm256_loadu_pd(row.add(j + 4)), _mm256_mul_pd(vc, _mm256_loadu_pd(q.add(j + 4))));
                _mm256_storeu_pd(row.add(j), v0);
                _mm256_storeu_pd(row.add(j + 4), v1);
                s0 = _mm256_add_pd(s0, _mm256_mul_pd(v0, _mm256_loadu_pd(r.add(j))));
                s1 = _mm256_add_pd(s1, _mm256_mul_pd(v1, _mm256_loadu_pd(r.add(j + 4))));
                _mm256_storeu_pd(o.add(j), _mm256_add_pd(_mm256_loadu_pd(o.add(j)), _mm256_mul_pd(v0, va)));
                _mm256_storeu_pd(o.add(j + 4), _mm256_add_pd(_mm256_loadu_pd(o.add(j + 4)), _mm256_mul_pd(v1, va)));
            }
            j += 8;
        }
        let mut lanes = [0.0f64; 8];
        unsafe {
            _mm256_storeu_pd(lanes.as_mut_ptr(), s0);
            _mm256_storeu_pd(lanes.as_mut_ptr().add(4), s1);
        }
        let mut t = 0.0;
        for j in m..n {
            let (pj, qj) = (off + 1 + j, a + 1 + j);
            let v = p[pj] - cka * kp[qj];
            p[pj] = v;
            t += v * rho[qj];
            k_out[qj] += v * ra;
        }
        let s = combine8(lanes, t);
        k_out[a] += d * ra + s;
        off += len;
    }
}

/// Fused sweep over one packed f32 block: see [`crate::kernel::fused_downdate_symv`].
///
/// # Safety
/// As [`fused_body_f64`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn fused_body_f32(p: &mut [f32], k: usize, kp: &[f32], cp: f32, rho: &[f32], k_out: &mut [f32]) {
    assert!(kp.len() >= k && rho.len() >= k && k_out.len() >= k && p.len() >= k * (k + 1) / 2);
    k_out[..k].fill(0.0);
    let mut off = 0;
    for a in 0..k {
        let len = k - a;
        let cka = cp * kp[a];
        let ra = rho[a];
        let d = p[off] - cka * kp[a];
        p[off] = d;
        let n = len - 1;
        let m = n / 8 * 8;
        // SAFETY: as in `fused_body_f64`.
        let (row, q, r, o) = unsafe {
            (
                p.as_mut_ptr().add(off + 1),
                kp.as_ptr().add(a + 1),
                rho.as_ptr().add(a + 1),
                k_out.as_mut_ptr().add(a + 1),
            )
        };
        let vc = _mm256_set1_ps(cka);
        let va = _mm256_set1_ps(ra);
        let mut s0 = _mm256_setzero_ps();
        let mut j = 0;
        while j < m {
            unsafe {
                let v = _mm256_sub_ps(_mm256_loadu_ps(row.add(j)), _mm256_mul_ps(vc, _mm256_loadu_ps(q.add(j))));
                _mm256_storeu_ps(row.add(j), v);
                s0 = _mm256_add_ps(s0, _mm256_mul_ps(v, _mm256_loadu_ps(r.add(j))));
                _mm256_storeu_ps(o.add(j), _mm256_add_ps(_mm256_loadu_ps(o.add(j)), _mm256_mul_ps(v, va)));
            }
            j += 8;
        }
        let mut lanes = [0.0f32; 8];
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), s0) };
        let mut t = 0.0f32;
        for j in m..n {
            let (pj, qj) = (off + 1 + j, a + 1 + j);
            let v = p[pj] - cka * kp[qj];
            p[pj] = v;
            t += v * rho[qj];
            k_out[qj] += v * ra;
        }
        let s = combine8(lanes, t);
        k_out[a] += d * ra + s;
        off += len;
    }
}
