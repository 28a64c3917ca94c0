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
//! threshold test was a second pass, and each Horner chain of the
//! exponential is a long run of dependent FMAs. Here lanes are consecutive
//! neurons, the threshold mask comes out of the same registers, and four
//! independent chains per iteration (two for the eight-lane single-precision
//! exponential) keep the FMA pipes busy. With the double-precision
//! exponential the pass is bound by FMA/multiply throughput (≈23 per four
//! neurons on a core that splits 256-bit operations in two); the
//! single-precision one needs about half as many.

use crate::exp::{
    HORNER, HORNER_F32, HORNER_TOP, HORNER_TOP_F32, LN2_HI, LN2_HI_F32, LN2_LO, LN2_LO_F32, LOG2E, LOG2E_F32,
    ROUND_MAGIC, ROUND_MAGIC_F32,
};
use crate::models::{Eif, ExpPrecision};
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
    let single = m.exp_precision == ExpPrecision::Single;
    let (pv, pe, pi, px) = (v.as_mut_ptr(), ie.as_mut_ptr(), ii.as_mut_ptr(), ix.as_mut_ptr());
    let mut j = 0;
    while j < done {
        // Three phases so that only the exponential's temporaries live across
        // its Horner chains: the potentials are re-read from L1 afterwards.
        let mut arg = [_mm256_setzero_pd(); UNROLL];
        for (u, a) in arg.iter_mut().enumerate() {
            // SAFETY: j + 4u + 4 <= done <= n = v.len().
            let vj = unsafe { _mm256_loadu_pd(pv.add(j + 4 * u)) };
            *a = _mm256_mul_pd(_mm256_sub_pd(vj, v_t), inv_dt);
        }
        let mut mask = 0u32;
        let e = if single { exp_single(arg) } else { exp_double(arg) };
        for (u, &e) in e.iter().enumerate() {
            let at = j + 4 * u;
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

/// [`crate::exp_f64`] of four vectors, with its exact operations: clamp
/// (max/min with the argument second, so a NaN passes through as in
/// `f64::clamp`), t = x·log2e + magic, k = t − magic, r = x − k·ln2 in two
/// parts, the Horner chain, and 2^k from t's low bits.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn exp_double(x: [__m256d; UNROLL]) -> [__m256d; UNROLL] {
    let set = |c: f64| _mm256_set1_pd(c);
    let (magic, bias) = (set(ROUND_MAGIC), _mm256_set1_epi64x(1023));
    let mut t = [_mm256_setzero_pd(); UNROLL];
    let mut r = [_mm256_setzero_pd(); UNROLL];
    for u in 0..UNROLL {
        let a = _mm256_min_pd(set(709.0), _mm256_max_pd(set(-708.0), x[u]));
        t[u] = _mm256_add_pd(_mm256_mul_pd(a, set(LOG2E)), magic);
        let k = _mm256_sub_pd(t[u], magic);
        r[u] = _mm256_fnmadd_pd(k, set(LN2_LO), _mm256_fnmadd_pd(k, set(LN2_HI), a));
    }
    let mut p = [set(HORNER_TOP); UNROLL];
    for c in HORNER {
        for u in 0..UNROLL {
            p[u] = _mm256_fmadd_pd(p[u], r[u], set(c));
        }
    }
    std::array::from_fn(|u| {
        let scale = _mm256_slli_epi64(_mm256_add_epi64(_mm256_castpd_si256(t[u]), bias), 52);
        _mm256_mul_pd(p[u], _mm256_castsi256_pd(scale))
    })
}

/// [`crate::exp_f32`] of four vectors of f64 arguments: each pair of
/// vectors is rounded to one vector of eight f32 (as `x as f32`), the
/// exponential runs on eight lanes with the operations of `exp_f32`, and the
/// results are widened back (exactly).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn exp_single(x: [__m256d; UNROLL]) -> [__m256d; UNROLL] {
    const PAIRS: usize = UNROLL / 2;
    let set = |c: f32| _mm256_set1_ps(c);
    let (magic, bias) = (set(ROUND_MAGIC_F32), _mm256_set1_epi32(127));
    let mut t = [_mm256_setzero_ps(); PAIRS];
    let mut r = [_mm256_setzero_ps(); PAIRS];
    for h in 0..PAIRS {
        let a = _mm256_set_m128(_mm256_cvtpd_ps(x[2 * h + 1]), _mm256_cvtpd_ps(x[2 * h]));
        let a = _mm256_min_ps(set(88.0), _mm256_max_ps(set(-87.0), a));
        t[h] = _mm256_add_ps(_mm256_mul_ps(a, set(LOG2E_F32)), magic);
        let k = _mm256_sub_ps(t[h], magic);
        r[h] = _mm256_fnmadd_ps(k, set(LN2_LO_F32), _mm256_fnmadd_ps(k, set(LN2_HI_F32), a));
    }
    let mut p = [set(HORNER_TOP_F32); PAIRS];
    for c in HORNER_F32 {
        for h in 0..PAIRS {
            p[h] = _mm256_fmadd_ps(p[h], r[h], set(c));
        }
    }
    let mut out = [_mm256_setzero_pd(); UNROLL];
    for h in 0..PAIRS {
        let scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t[h]), bias), 23);
        let e = _mm256_mul_ps(p[h], _mm256_castsi256_ps(scale));
        out[2 * h] = _mm256_cvtps_pd(_mm256_castps256_ps128(e));
        out[2 * h + 1] = _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1));
    }
    out
}
