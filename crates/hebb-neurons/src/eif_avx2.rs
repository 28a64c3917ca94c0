//! The EIF neuron pass written with AVX2 + FMA intrinsics: decay of the three
//! synaptic currents, their sum, the exponential, the Euler step and the
//! threshold test in one sweep, four neurons per vector and four vectors per
//! iteration.
//!
//! Every operation is the one the portable code performs, in the same order
//! (a product and a sum stay two roundings where the portable code writes
//! `a * b + c`; only its explicit `mul_add` become FMAs), so the results are
//! bit-identical to [`super::models`]'s portable path; a test checks it.
//!
//! Why by hand: the compiler vectorised the portable loop *across* blocks of
//! eight neurons (strided loads and shuffles to assemble each vector), the
//! threshold test was a second pass, and each Horner chain of the degree-12
//! exponential is 13 dependent FMAs. Here lanes are consecutive neurons, the
//! threshold mask comes out of the same registers, and four independent
//! chains per iteration keep both FMA pipes busy.

use crate::exp::{HORNER, HORNER_TOP, LN2_HI, LN2_LO, LOG2E, ROUND_MAGIC};
use crate::models::Eif;
use std::arch::x86_64::*;

/// Vectors per iteration (each of four neurons).
const UNROLL: usize = 4;
/// Neurons per iteration.
pub(crate) const STRIDE: usize = 4 * UNROLL;

/// One fused pass over the first `n - n % STRIDE` neurons of the slices;
/// returns how many neurons it handled (the caller finishes the tail with
/// the portable code). Spiking neurons (`V ≥ v_th` after the step) are
/// appended to `spiked` as `offset + j`, increasing.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and all slices must have the length of
/// `v`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn eif_pass(
    m: &Eif,
    dt: f64,
    decay: [f64; 3],
    v: &mut [f64],
    ie: &mut [f64],
    ii: &mut [f64],
    ix: &mut [f64],
    offset: u32,
    spiked: &mut Vec<u32>,
) -> usize {
    let n = v.len();
    assert!(ie.len() == n && ii.len() == n && ix.len() == n);
    let done = n - n % STRIDE;
    let set = |x: f64| _mm256_set1_pd(x);
    let (de, di, dx) = (set(decay[0]), set(decay[1]), set(decay[2]));
    // The constants of the portable update `v + k·(−g_L(v − E_L) + g_LΔ_T·e + I)`.
    let k = set(dt / m.c_m);
    let neg_gl = set(-m.g_l);
    let gl_dt = set(m.g_l * m.delta_t);
    let inv_dt = set(1.0 / m.delta_t);
    let (v_t, e_l, v_th) = (set(m.v_t), set(m.e_l), set(m.v_th));
    let (lo, hi) = (set(-708.0), set(709.0));
    let (log2e, magic) = (set(LOG2E), set(ROUND_MAGIC));
    let (ln2_hi, ln2_lo) = (set(LN2_HI), set(LN2_LO));
    let bias = _mm256_set1_epi64x(1023);
    let (pv, pe, pi, px) = (v.as_mut_ptr(), ie.as_mut_ptr(), ii.as_mut_ptr(), ix.as_mut_ptr());
    let mut j = 0;
    while j < done {
        // Three phases so that only t, r and p (12 registers) live across
        // the Horner chains: the potentials are re-read from L1 afterwards.
        let mut t = [_mm256_setzero_pd(); UNROLL];
        let mut r = [_mm256_setzero_pd(); UNROLL];
        let mut p = [set(HORNER_TOP); UNROLL];
        let mut mask = 0u32;
        for u in 0..UNROLL {
            // SAFETY: j + 4u + 4 <= done <= n = v.len().
            let vj = unsafe { _mm256_loadu_pd(pv.add(j + 4 * u)) };
            // exp_f64's range reduction: clamp (max/min with the argument
            // second, so a NaN passes through as in f64::clamp), then
            // t = x·log2e + magic, k = t − magic, r = x − k·ln2 in two parts.
            let arg = _mm256_mul_pd(_mm256_sub_pd(vj, v_t), inv_dt);
            let arg = _mm256_min_pd(hi, _mm256_max_pd(lo, arg));
            t[u] = _mm256_add_pd(_mm256_mul_pd(arg, log2e), magic);
            let kk = _mm256_sub_pd(t[u], magic);
            r[u] = _mm256_fnmadd_pd(kk, ln2_lo, _mm256_fnmadd_pd(kk, ln2_hi, arg));
        }
        for c in HORNER {
            let c = set(c);
            for u in 0..UNROLL {
                p[u] = _mm256_fmadd_pd(p[u], r[u], c);
            }
        }
        for u in 0..UNROLL {
            let at = j + 4 * u;
            let scale = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_castpd_si256(t[u]), bias), 52));
            let e = _mm256_mul_pd(p[u], scale);
            // SAFETY: at + 4 <= done <= n for every slice (asserted above).
            let (vj, cur) = unsafe {
                let ce = _mm256_mul_pd(_mm256_loadu_pd(pe.add(at)), de);
                let ci = _mm256_mul_pd(_mm256_loadu_pd(pi.add(at)), di);
                let cx = _mm256_mul_pd(_mm256_loadu_pd(px.add(at)), dx);
                _mm256_storeu_pd(pe.add(at), ce);
                _mm256_storeu_pd(pi.add(at), ci);
                _mm256_storeu_pd(px.add(at), cx);
                (_mm256_loadu_pd(pv.add(at)), _mm256_add_pd(_mm256_add_pd(ce, ci), cx))
            };
            let leak = _mm256_mul_pd(neg_gl, _mm256_sub_pd(vj, e_l));
            let drift = _mm256_add_pd(_mm256_add_pd(leak, _mm256_mul_pd(gl_dt, e)), cur);
            let next = _mm256_add_pd(vj, _mm256_mul_pd(k, drift));
            // SAFETY: as above.
            unsafe { _mm256_storeu_pd(pv.add(at), next) };
            mask |= (_mm256_movemask_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(next, v_th)) as u32) << (4 * u);
        }
        // Spikes are rare: one test per iteration, and the pushes (which
        // may call the allocator) stay out of the vector code.
        while mask != 0 {
            spiked.push(offset + (j as u32) + mask.trailing_zeros());
            mask &= mask - 1;
        }
        j += STRIDE;
    }
    done
}
