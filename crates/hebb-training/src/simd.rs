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

/// Defines one AVX2 fused sweep for element type `$t`: vectors of `$w`
/// lanes, `8 / $w` of them per chunk of `LANES` = 8 elements, so the eight
/// partial sums are the portable loop's eight lanes.
macro_rules! fused_sweep_avx2 {
    ($(#[$doc:meta])* $name:ident, $t:ty, $w:expr,
     $set1:ident, $zero:ident, $load:ident, $store:ident, $mul:ident, $sub:ident, $add:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// The CPU must support AVX2; slice lengths as in the portable body
        /// (`p` of `k(k+1)/2`, `kp`, `rho`, `k_out` of at least `k`).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        pub(crate) unsafe fn $name(p: &mut [$t], k: usize, kp: &[$t], cp: $t, rho: &[$t], k_out: &mut [$t]) {
            const VECTORS: usize = 8 / $w;
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
                let vc = $set1(cka);
                let va = $set1(ra);
                let mut s = [$zero(); VECTORS];
                let mut j = 0;
                while j < m {
                    for (h, sh) in s.iter_mut().enumerate() {
                        let at = j + h * $w;
                        unsafe {
                            let v = $sub($load(row.add(at)), $mul(vc, $load(q.add(at))));
                            $store(row.add(at), v);
                            *sh = $add(*sh, $mul(v, $load(r.add(at))));
                            $store(o.add(at), $add($load(o.add(at)), $mul(v, va)));
                        }
                    }
                    j += 8;
                }
                let mut lanes: [$t; 8] = [0.0; 8];
                for (h, sh) in s.iter().enumerate() {
                    unsafe { $store(lanes.as_mut_ptr().add(h * $w), *sh) };
                }
                let mut t: $t = 0.0;
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
    };
}

fused_sweep_avx2!(
    /// Fused sweep over one packed f64 block: see [`crate::kernel::fused_downdate_symv`].
    fused_body_f64, f64, 4,
    _mm256_set1_pd, _mm256_setzero_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_mul_pd, _mm256_sub_pd, _mm256_add_pd
);
fused_sweep_avx2!(
    /// Fused sweep over one packed f32 block: see [`crate::kernel::fused_downdate_symv`].
    fused_body_f32, f32, 8,
    _mm256_set1_ps, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_mul_ps, _mm256_sub_ps, _mm256_add_ps
);
