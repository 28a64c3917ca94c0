//! A vectorisable double-precision exponential.

pub(crate) const LOG2E: f64 = std::f64::consts::LOG2_E;
// ln 2 split in a high part with trailing zero bits and a low remainder, so
// that k·LN2_HI is exact for |k| < 2^11 (Cody–Waite reduction).
pub(crate) const LN2_HI: f64 = 6.931_471_803_691_238e-1;
pub(crate) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
// 1.5·2^52: adding it rounds to the nearest integer and leaves that integer
// in the low mantissa bits (valid for |k| < 2^51).
pub(crate) const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;

/// The n = 12 Taylor coefficient 1/12!, where the Horner sum starts.
pub(crate) const HORNER_TOP: f64 = 1.0 / 479_001_600.0;

/// Taylor coefficients 1/n! for n = 11 down to 0 (after [`HORNER_TOP`]).
pub(crate) const HORNER: [f64; 12] = [
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// e^x for `x` in [−708, 709] (clamped outside), accurate to about 2 ulp.
///
/// Range reduction x = k ln2 + r with |r| ≤ ln2/2, a degree-12 Taylor
/// polynomial for e^r (truncation error < 2e-16 relative), and 2^k built
/// directly in the exponent bits. No branches, no table lookups and no
/// float→int conversions, so a loop over a slice of these vectorises, and
/// the result does not depend on the vector width.
///
/// The polynomial uses `f64::mul_add`, which is correctly rounded on every
/// platform (a hardware FMA where the code is compiled for one, a software
/// fma otherwise), so results are bit-identical across machines; only the
/// speed differs. The engine compiles its neuron loop for AVX2+FMA when the
/// CPU has them.
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let t = x * LOG2E + ROUND_MAGIC;
    let k = t - ROUND_MAGIC;
    let r = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, x));
    // Horner form of sum_{n=0}^{12} r^n / n!, with fused multiply-adds.
    let mut p: f64 = HORNER_TOP;
    for c in HORNER {
        p = p.mul_add(r, c);
    }
    // The low 12 bits of t's mantissa hold k mod 4096; k + 1023 is the
    // biased exponent of 2^k.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    p * scale
}

/// Whether this CPU has AVX2 and FMA (checked once). Code paths compiled
/// for them give the same results as the portable ones, only faster.
#[cfg(target_arch = "x86_64")]
pub fn has_fma() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"))
}

/// Lanes of [`exp_block`].
pub const EXP_LANES: usize = 8;

/// e^x of each of [`EXP_LANES`] values in place, with exactly the operations
/// of [`exp_f64`] (so bit-identical results), written lane-parallel: the
/// Horner chain of one value is a long dependent sequence, and eight
/// independent chains keep the floating-point pipelines busy. This is ~3×
/// faster than a loop over [`exp_f64`] on the machines we measured.
#[inline(always)]
pub fn exp_block(x: &mut [f64; EXP_LANES]) {
    let mut t = [0.0; EXP_LANES];
    let mut r = [0.0; EXP_LANES];
    let mut p: [f64; EXP_LANES] = [HORNER_TOP; EXP_LANES];
    for i in 0..EXP_LANES {
        let xi = x[i].clamp(-708.0, 709.0);
        t[i] = xi * LOG2E + ROUND_MAGIC;
        let k = t[i] - ROUND_MAGIC;
        r[i] = (-k).mul_add(LN2_LO, (-k).mul_add(LN2_HI, xi));
    }
    for c in HORNER {
        for i in 0..EXP_LANES {
            p[i] = p[i].mul_add(r[i], c);
        }
    }
    for i in 0..EXP_LANES {
        x[i] = p[i] * f64::from_bits(t[i].to_bits().wrapping_add(1023) << 52);
    }
}

pub(crate) const LOG2E_F32: f32 = std::f32::consts::LOG2_E;
/// ln 2 = LN2_HI_F32 + LN2_LO_F32, the high part 355/512 (9 significant bits).
#[allow(clippy::excessive_precision)] // written exactly: 355/512
pub(crate) const LN2_HI_F32: f32 = 0.693_359_375;
pub(crate) const LN2_LO_F32: f32 = -2.121_944_4e-4;
/// 1.5·2^23: adding it rounds an f32 to the nearest integer (|k| < 2^22).
pub(crate) const ROUND_MAGIC_F32: f32 = 12_582_912.0;
/// The n = 7 Taylor coefficient 1/7!, where the single-precision Horner sum starts.
pub(crate) const HORNER_TOP_F32: f32 = 1.0 / 5_040.0;
/// Taylor coefficients 1/n! for n = 6 down to 0 (after [`HORNER_TOP_F32`]).
pub(crate) const HORNER_F32: [f32; 7] = [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0];

/// e^x in single precision for `x` in [−87, 88] (clamped outside), within
/// ~3 ulp (relative error < 4e-7).
///
/// The same scheme as [`exp_f64`]: Cody–Waite reduction x = k ln2 + r with
/// |r| ≤ ln2/2, a degree-7 Taylor polynomial (truncation < 5.2e-9 relative,
/// r^8/8!), 2^k built in the exponent bits. Eight lanes of it cost about
/// what two lanes of [`exp_f64`] cost, which is why the EIF uses it by
/// default (see [`crate::ExpPrecision`]). Bit-identical on every machine
/// (`f32::mul_add` is correctly rounded everywhere).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E_F32 + ROUND_MAGIC_F32;
    let k = t - ROUND_MAGIC_F32;
    let r = (-k).mul_add(LN2_LO_F32, (-k).mul_add(LN2_HI_F32, x));
    let mut p = HORNER_TOP_F32;
    for c in HORNER_F32 {
        p = p.mul_add(r, c);
    }
    // k + 127 in [1, 254] is the biased exponent of 2^k; the shift drops
    // the bits of t above it.
    p * f32::from_bits(t.to_bits().wrapping_add(127) << 23)
}

/// [`exp_f32`] of each of [`EXP_LANES`] values in place, lane-parallel
/// (bit-identical to the scalar function, as [`exp_block`] is to [`exp_f64`]).
#[inline(always)]
pub fn exp_block_f32(x: &mut [f32; EXP_LANES]) {
    let mut t = [0.0; EXP_LANES];
    let mut r = [0.0; EXP_LANES];
    let mut p = [HORNER_TOP_F32; EXP_LANES];
    for i in 0..EXP_LANES {
        let xi = x[i].clamp(-87.0, 88.0);
        t[i] = xi * LOG2E_F32 + ROUND_MAGIC_F32;
        let k = t[i] - ROUND_MAGIC_F32;
        r[i] = (-k).mul_add(LN2_LO_F32, (-k).mul_add(LN2_HI_F32, xi));
    }
    for c in HORNER_F32 {
        for i in 0..EXP_LANES {
            p[i] = p[i].mul_add(r[i], c);
        }
    }
    for i in 0..EXP_LANES {
        x[i] = p[i] * f32::from_bits(t[i].to_bits().wrapping_add(127) << 23);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_to_a_few_ulp() {
        let mut worst: f64 = 0.0;
        let mut x = -700.0;
        while x < 700.0 {
            let rel = ((exp_f64(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        // 2 ulp of f64 is 4.4e-16; allow 5e-16 for rounding in the Horner sum.
        assert!(worst < 5e-16, "worst relative error {worst}");
        assert_eq!(exp_f64(0.0), 1.0);
    }

    #[test]
    fn block_equals_scalar_bit_for_bit() {
        let mut x = -700.0;
        while x < 700.0 {
            let mut b = [0.0; EXP_LANES];
            for (i, v) in b.iter_mut().enumerate() {
                *v = x + i as f64 * 0.37;
            }
            let scalar: Vec<u64> = b.iter().map(|&v| exp_f64(v).to_bits()).collect();
            exp_block(&mut b);
            assert_eq!(b.map(f64::to_bits).to_vec(), scalar);
            x += 1.713;
        }
    }

    /// Against the f64 libm exponential of the same f32 argument. The
    /// degree-7 truncation is 5.2e-9; the rest is the rounding of the
    /// reduction, the FMAs and the final product (measured worst 7.0e-8,
    /// 1.2 ulp of f32); the bound allows 2.5 ulp (1.5e-7).
    #[test]
    fn single_precision_matches_libm_to_a_few_ulp() {
        let mut worst: f64 = 0.0;
        let mut x = -87.0f32;
        while x < 88.0 {
            let exact = (x as f64).exp();
            worst = worst.max(((exp_f32(x) as f64 - exact) / exact).abs());
            x += 0.00731;
        }
        assert!(worst < 1.5e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(1e6).is_finite() && exp_f32(-1e6) > 0.0);
        let mut b: [f32; EXP_LANES] = std::array::from_fn(|i| -80.0 + 21.3 * i as f32);
        let scalar = b.map(|v| exp_f32(v).to_bits());
        exp_block_f32(&mut b);
        assert_eq!(b.map(f32::to_bits), scalar);
    }

    #[test]
    fn clamps_instead_of_overflowing() {
        assert!(exp_f64(1e6).is_finite());
        assert!(exp_f64(-1e6) >= 0.0);
    }
}
