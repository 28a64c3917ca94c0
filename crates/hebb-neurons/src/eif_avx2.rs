//! The EIF neuron pass written with AVX2 + FMA intrinsics: decay of the three
//! synaptic currents, their sum, the exponential, the Euler step and the
//! threshold test in one sweep, eight neurons per vector (f32 state) and four
//! vectors per iteration.
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
//! independent chains per iteration keep the FMA pipes busy. Only the
//! single-precision exponential runs here; `ExpPrecision::Double` takes the
//! portable path.

use crate::exp::{HORNER_F32, HORNER_TOP_F32, LN2_HI_F32, LN2_LO_F32, LOG2E_F32, ROUND_MAGIC_F32};
use crate::models::{Eif, EifStep};
use std::arch::x86_64::*;

/// Vectors per iteration (each of eight neurons).
const UNROLL: usize = 4;
/// Neurons per vector.
const LANES: usize = 8;
/// Neurons per iteration.
pub(crate) const STRIDE: usize = LANES * UNROLL;

/// One fused pass over the first `n - n % STRIDE` neurons of the slices;
/// returns how many neurons it handled (the caller finishes the tail with
/// the portable code). Spiking neurons (`V ≥ v_th` after the step) are
/// appended to `spiked` as `offset + j`, increasing. The exponential is
/// [`crate::exp_f32`]'s, whatever `m.exp_precision` says (the caller only
/// comes here for `Single`).
///
/// # Safety
/// The CPU must support AVX2 and FMA, and all slices must have the length of
/// `v`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn eif_pass(
    m: &Eif,
    dt: f64,
    decay: [f32; 3],
    v: &mut [f32],
    ie: &mut [f32],
    ii: &mut [f32],
    ix: &mut [f32],
    offset: u32,
    spiked: &mut Vec<u32>,
) -> usize {
    let n = v.len();
    assert!(ie.len() == n && ii.len() == n && ix.len() == n);
    let done = n - n % STRIDE;
    let set = |x: f32| _mm256_set1_ps(x);
    let (de, di, dx) = (set(decay[0]), set(decay[1]), set(decay[2]));
    let c = EifStep::new(m, dt);
    let (k, neg_gl, gl_dt, inv_dt, v_t, e_l) =
        (set(c.k), set(c.neg_gl), set(c.gl_dt), set(c.inv_dt), set(c.v_t), set(c.e_l));
    let v_th = set(m.v_th as f32);
    let (pv, pe, pi, px) = (v.as_mut_ptr(), ie.as_mut_ptr(), ii.as_mut_ptr(), ix.as_mut_ptr());
    let mut j = 0;
    while j < done {
        // Three phases so that only the exponential's temporaries live across
        // its Horner chains: the potentials are re-read from L1 afterwards.
        let mut arg = [_mm256_setzero_ps(); UNROLL];
        for (u, a) in arg.iter_mut().enumerate() {
            // SAFETY: j + 8u + 8 <= done <= n = v.len().
            let vj = unsafe { _mm256_loadu_ps(pv.add(j + LANES * u)) };
            *a = _mm256_mul_ps(_mm256_sub_ps(vj, v_t), inv_dt);
        }
        let mut mask = 0u32;
        let e = exp_single(arg);
        for (u, &e) in e.iter().enumerate() {
            let at = j + LANES * u;
            // SAFETY: at + 8 <= done <= n for every slice (asserted above).
            let (vj, cur) = unsafe {
                let ce = _mm256_mul_ps(_mm256_loadu_ps(pe.add(at)), de);
                let ci = _mm256_mul_ps(_mm256_loadu_ps(pi.add(at)), di);
                let cx = _mm256_mul_ps(_mm256_loadu_ps(px.add(at)), dx);
                _mm256_storeu_ps(pe.add(at), ce);
                _mm256_storeu_ps(pi.add(at), ci);
                _mm256_storeu_ps(px.add(at), cx);
                (_mm256_loadu_ps(pv.add(at)), _mm256_add_ps(_mm256_add_ps(ce, ci), cx))
            };
            // EifStep::euler: k·(g_LΔ_T·e + (−g_L·(V − E_L) + I)) + V, three FMAs.
            let drift = _mm256_fmadd_ps(gl_dt, e, _mm256_fmadd_ps(neg_gl, _mm256_sub_ps(vj, e_l), cur));
            let next = _mm256_fmadd_ps(k, drift, vj);
            // SAFETY: as above.
            unsafe { _mm256_storeu_ps(pv.add(at), next) };
            mask |= (_mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(next, v_th)) as u32) << (LANES * u);
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

/// [`crate::exp_f32`] of four vectors with its exact operations: clamp
/// (max/min with the argument second, so a NaN passes through as in
/// `f32::clamp`), t = x·log2e + magic, k = t − magic, r = x − k·ln2 in two
/// parts, the Horner chain, and 2^k from t's low bits.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn exp_single(x: [__m256; UNROLL]) -> [__m256; UNROLL] {
    let set = |c: f32| _mm256_set1_ps(c);
    let (magic, bias) = (set(ROUND_MAGIC_F32), _mm256_set1_epi32(127));
    let mut t = [_mm256_setzero_ps(); UNROLL];
    let mut r = [_mm256_setzero_ps(); UNROLL];
    for u in 0..UNROLL {
        let a = _mm256_min_ps(set(88.0), _mm256_max_ps(set(-87.0), x[u]));
        t[u] = _mm256_add_ps(_mm256_mul_ps(a, set(LOG2E_F32)), magic);
        let k = _mm256_sub_ps(t[u], magic);
        r[u] = _mm256_fnmadd_ps(k, set(LN2_LO_F32), _mm256_fnmadd_ps(k, set(LN2_HI_F32), a));
    }
    let mut p = [set(HORNER_TOP_F32); UNROLL];
    for c in HORNER_F32 {
        for u in 0..UNROLL {
            p[u] = _mm256_fmadd_ps(p[u], r[u], set(c));
        }
    }
    std::array::from_fn(|u| {
        let scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(t[u]), bias), 23);
        _mm256_mul_ps(p[u], _mm256_castsi256_ps(scale))
    })
}
