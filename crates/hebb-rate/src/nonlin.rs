//! Rate nonlinearities φ and their derivatives (spec `clark.md` §2.2).
//!
//! The reference is φ(x) = erf(√π x / 2), with φ'(x) = exp(−π x² / 4),
//! φ'(0) = 1 and saturation at ±1; `tanh` is the alternative the spec
//! names. Both are bounded by 1 in absolute value, which the history
//! kernel's truncation bound and the boundedness argument of
//! [`RateNetwork`](crate::RateNetwork) rely on.
//!
//! [`erf`] is implemented here (std has no stable `erf`): piecewise
//! polynomials whose coefficients were computed in 60-digit decimal
//! arithmetic from the Maclaurin and Hermite–Taylor series of erf
//! (`scripts/gen_erf.py`, which also writes `src/erf_tables.rs`). It uses only
//! additions and multiplications, so it is bit-identical on every platform;
//! the maximum error on a 6000-point grid over (0, 6) is 1.1e-16 absolute
//! and 1.9e-16 relative (about one ulp).

use serde::{Deserialize, Serialize};

#[allow(dead_code, clippy::approx_constant, clippy::excessive_precision)]
mod tables {
    include!("erf_tables.rs");
}

/// The error function erf(z) = 2/√π ∫₀ᶻ e^(−t²) dt, accurate to about one
/// ulp (see the module docs). `erf(NaN)` is NaN.
#[inline]
pub fn erf(z: f64) -> f64 {
    use tables::*;
    let a = z.abs();
    if a < Z0 {
        let z2 = z * z;
        let mut p = 0.0;
        for &b in SMALL.iter().rev() {
            p = p * z2 + b;
        }
        z * p
    } else if a < ZMAX {
        // a ∈ [0.5, 6): interval index and midpoint are exact (WIDTH = 1/4).
        let i = ((a - Z0) * (1.0 / WIDTH)) as usize;
        let i = i.min(NINT - 1);
        let c = Z0 + (i as f64 + 0.5) * WIDTH;
        let t = a - c;
        let row = &TABLE[i];
        let mut p = 0.0;
        for &coef in row.iter().rev() {
            p = p * t + coef;
        }
        p.copysign(z)
    } else if a >= ZMAX {
        1.0f64.copysign(z)
    } else {
        z // NaN
    }
}

/// [`erf`] of `W` arguments at once, with exactly the operations of
/// [`erf`] for each (the same bits), arranged so that the `W` Horner chains
/// advance in lockstep: the small-argument series is padded with leading
/// zero coefficients to the table's degree (0 · t + 0 = +0 leaves the chain
/// unchanged), so every lane runs the same 19 multiply-adds on its own row
/// of coefficients. The independent chains overlap in the pipeline (a
/// single erf is one dependent chain of 19 multiplies and adds, ≈ 20–30 ns);
/// this is what makes [`Erf::phi_slice`] fast.
#[inline]
fn erf_lanes<const W: usize>(z: &[f64; W]) -> [f64; W] {
    use tables::*;
    const SMALL_PAD: [f64; DEG] = {
        let mut a = [0.0; DEG];
        let mut i = 0;
        while i < SMALL.len() {
            a[i] = SMALL[i];
            i += 1;
        }
        a
    };
    const ZERO: [f64; DEG] = [0.0; DEG];
    let mut rows: [&[f64; DEG]; W] = [&ZERO; W];
    let mut t = [0.0f64; W];
    for e in 0..W {
        let a = z[e].abs();
        if a < Z0 {
            rows[e] = &SMALL_PAD;
            t[e] = z[e] * z[e];
        } else if a < ZMAX {
            let i = (((a - Z0) * (1.0 / WIDTH)) as usize).min(NINT - 1);
            let c = Z0 + (i as f64 + 0.5) * WIDTH;
            rows[e] = &TABLE[i];
            t[e] = a - c;
        }
    }
    let mut p = [0.0f64; W];
    for k in (0..DEG).rev() {
        for e in 0..W {
            p[e] = p[e] * t[e] + rows[e][k];
        }
    }
    let mut out = [0.0f64; W];
    for e in 0..W {
        let a = z[e].abs();
        out[e] = if a < Z0 {
            z[e] * p[e]
        } else if a < ZMAX {
            p[e].copysign(z[e])
        } else if a >= ZMAX {
            1.0f64.copysign(z[e])
        } else {
            z[e]
        };
    }
    out
}

/// Lanes of [`erf_lanes`] used by [`Erf::phi_slice`].
const ERF_LANES: usize = 8;

/// √π / 2, the slope that makes φ'(0) = 1 for the erf nonlinearity.
pub const SQRT_PI_OVER_2: f64 = 0.886_226_925_452_758; // correctly rounded √π/2

/// A rate nonlinearity φ with its derivative.
///
/// The network uses the closed set [`Nonlinearity`]; this trait is the
/// extension point for other bounded rate functions (|φ| ≤ 1 is assumed by
/// the history kernel's truncation bound, [`crate::HistoryKernel`]).
pub trait RateFunction {
    /// φ(x).
    fn phi(&self, x: f64) -> f64;
    /// φ'(x).
    fn dphi(&self, x: f64) -> f64;
    /// `out_i = φ(x_i)`.
    fn phi_slice(&self, x: &[f64], out: &mut [f64]) {
        for (o, &xi) in out.iter_mut().zip(x) {
            *o = self.phi(xi);
        }
    }
    /// `out_i = φ'(x_i)`.
    fn dphi_slice(&self, x: &[f64], out: &mut [f64]) {
        for (o, &xi) in out.iter_mut().zip(x) {
            *o = self.dphi(xi);
        }
    }
}

/// φ(x) = erf(√π x / 2), φ'(x) = exp(−π x² / 4): the reference nonlinearity
/// (spec §2.2, the author's choice in `davidclark1/MultiregionDMFT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erf;

impl RateFunction for Erf {
    #[inline]
    fn phi(&self, x: f64) -> f64 {
        erf(SQRT_PI_OVER_2 * x)
    }
    #[inline]
    fn dphi(&self, x: f64) -> f64 {
        (-(std::f64::consts::FRAC_PI_4) * x * x).exp()
    }
    /// φ of every entry, eight at a time through the lockstep `erf_lanes`
    /// (bit for bit [`phi`](Self::phi) of each entry).
    fn phi_slice(&self, x: &[f64], out: &mut [f64]) {
        let n = x.len().min(out.len());
        let m = n - n % ERF_LANES;
        for (xc, oc) in x[..m].chunks_exact(ERF_LANES).zip(out[..m].chunks_exact_mut(ERF_LANES)) {
            let z: [f64; ERF_LANES] = std::array::from_fn(|e| SQRT_PI_OVER_2 * xc[e]);
            oc.copy_from_slice(&erf_lanes(&z));
        }
        for (o, &xi) in out[m..n].iter_mut().zip(&x[m..n]) {
            *o = self.phi(xi);
        }
    }
}

/// φ(x) = tanh(x), φ'(x) = 1 − tanh²(x) (spec §2.2, "alternative"). Uses
/// the platform's `tanh`, so the last bit may differ between platforms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tanh;

impl RateFunction for Tanh {
    #[inline]
    fn phi(&self, x: f64) -> f64 {
        x.tanh()
    }
    #[inline]
    fn dphi(&self, x: f64) -> f64 {
        let t = x.tanh();
        1.0 - t * t
    }
}

/// The nonlinearity of a network, chosen in the configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nonlinearity {
    /// [`Erf`]: φ(x) = erf(√π x / 2) (the reference, and the default).
    #[default]
    Erf,
    /// [`Tanh`]: φ(x) = tanh(x).
    Tanh,
}

impl RateFunction for Nonlinearity {
    #[inline]
    fn phi(&self, x: f64) -> f64 {
        match self {
            Nonlinearity::Erf => Erf.phi(x),
            Nonlinearity::Tanh => Tanh.phi(x),
        }
    }
    #[inline]
    fn dphi(&self, x: f64) -> f64 {
        match self {
            Nonlinearity::Erf => Erf.dphi(x),
            Nonlinearity::Tanh => Tanh.dphi(x),
        }
    }
    fn phi_slice(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Nonlinearity::Erf => Erf.phi_slice(x, out),
            Nonlinearity::Tanh => Tanh.phi_slice(x, out),
        }
    }
    fn dphi_slice(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Nonlinearity::Erf => Erf.dphi_slice(x, out),
            Nonlinearity::Tanh => Tanh.dphi_slice(x, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_reference_values() {
        // Reference values to 16+ digits (Abramowitz & Stegun / any CAS).
        let cases = [
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (1.5, 0.966_105_146_475_310_7),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
        ];
        for (z, v) in cases {
            assert!((erf(z) - v).abs() <= 2e-16, "erf({z}) = {} vs {v}", erf(z));
            assert_eq!(erf(-z), -erf(z));
        }
        assert_eq!(erf(0.0), 0.0);
        assert_eq!(erf(7.0), 1.0);
        assert_eq!(erf(-1e300), -1.0);
        assert!(erf(f64::NAN).is_nan());
        // Tiny arguments: relative accuracy (erf(z) ≈ 2z/√π).
        let z = 1e-200;
        assert!((erf(z) / (z * 2.0 / std::f64::consts::PI.sqrt()) - 1.0).abs() < 1e-15);
    }

    /// erf(j/10), j = 1..59, to 21 digits, from the 60-digit decimal
    /// reference of `scripts/gen_erf.py` (the positive series
    /// 2/√π e^(−z²) Σ (2z²)^n z/(2n+1)!!).
    #[allow(clippy::excessive_precision)]
    const ERF_REF: [(u32, f64); 59] = [
        (1, 1.12462916018284892203e-1),
        (2, 2.22702589210478454140e-1),
        (3, 3.28626759459127427639e-1),
        (4, 4.28392355046668455104e-1),
        (5, 5.20499877813046537683e-1),
        (6, 6.03856090847925922563e-1),
        (7, 6.77801193837418472976e-1),
        (8, 7.42100964707660486167e-1),
        (9, 7.96908212422832128519e-1),
        (10, 8.42700792949714869341e-1),
        (11, 8.80205069574081699772e-1),
        (12, 9.10313978229635380238e-1),
        (13, 9.34007944940652436604e-1),
        (14, 9.52285119762648810516e-1),
        (15, 9.66105146475310727067e-1),
        (16, 9.76348383344644007774e-1),
        (17, 9.83790458590774563626e-1),
        (18, 9.89090501635730714184e-1),
        (19, 9.92790429235257469948e-1),
        (20, 9.95322265018952734162e-1),
        (21, 9.97020533343667014496e-1),
        (22, 9.98137153702018108557e-1),
        (23, 9.98856823402643348535e-1),
        (24, 9.99311486103354921430e-1),
        (25, 9.99593047982555041060e-1),
        (26, 9.99763965583470650796e-1),
        (27, 9.99865667260059475671e-1),
        (28, 9.99924986805334540976e-1),
        (29, 9.99958902121900541164e-1),
        (30, 9.99977909503001414559e-1),
        (31, 9.99988351342632800404e-1),
        (32, 9.99993974238848237905e-1),
        (33, 9.99996942290203561839e-1),
        (34, 9.99998478006637137715e-1),
        (35, 9.99999256901627658587e-1),
        (36, 9.99999644137006992315e-1),
        (37, 9.99999832848942090854e-1),
        (38, 9.99999922996072543036e-1),
        (39, 9.99999965207751402768e-1),
        (40, 9.99999984582742099720e-1),
        (41, 9.99999993299972345915e-1),
        (42, 9.99999997144505820408e-1),
        (43, 9.99999998806528206278e-1),
        (44, 9.99999999510828972939e-1),
        (45, 9.99999999803383955846e-1),
        (46, 9.99999999922504004026e-1),
        (47, 9.99999999970047402136e-1),
        (48, 9.99999999988647856415e-1),
        (49, 9.99999999995781063476e-1),
        (50, 9.99999999998462540206e-1),
        (51, 9.99999999999450617978e-1),
        (52, 9.99999999999807509389e-1),
        (53, 9.99999999999933869181e-1),
        (54, 9.99999999999977723213e-1),
        (55, 9.99999999999992642152e-1),
        (56, 9.99999999999997617164e-1),
        (57, 9.99999999999999243379e-1),
        (58, 9.99999999999999764441e-1),
        (59, 9.99999999999999928096e-1),
    ];

    /// Within one ulp of the correctly rounded value (≤ 1.2e-16 absolute
    /// for values ≤ 1) on the whole grid.
    #[test]
    fn erf_matches_high_precision_grid() {
        for (j, v) in ERF_REF {
            let z = j as f64 / 10.0;
            let e = (erf(z) - v).abs();
            assert!(e <= 1.2e-16, "erf({z}): error {e:e}");
        }
    }

    /// The lockstep erf of `phi_slice` gives the bits of the scalar erf,
    /// on a dense sweep across every branch (series, each table interval and
    /// its edges, saturation, ±0, ±∞, NaN), and both stay within 1e-15
    /// relative (a few ulp) of the C library's erf (glibc: < 1 ulp).
    #[test]
    fn lockstep_erf_equals_scalar_and_libm() {
        unsafe extern "C" {
            #[link_name = "erf"]
            fn libm_erf(x: f64) -> f64;
        }
        let mut xs: Vec<f64> = (-80_000..=80_000).map(|j| j as f64 * 1e-4).collect();
        for j in 0..=24 {
            let e = 0.5 + 0.25 * j as f64;
            xs.extend([e, -e, e.next_up(), e.next_down(), -e.next_up()]);
        }
        xs.extend([0.0, -0.0, 1e-300, -1e-300, 5.9999, 6.0, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
        let mut z = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50_000 {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            xs.push(((z >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 16.0);
        }
        for chunk in xs.chunks_exact(8) {
            let zz: [f64; 8] = std::array::from_fn(|e| chunk[e]);
            let got = erf_lanes(&zz);
            for e in 0..8 {
                let want = erf(zz[e]);
                assert!(got[e].to_bits() == want.to_bits() || (got[e].is_nan() && want.is_nan()), "erf({})", zz[e]);
                if zz[e].is_finite() {
                    // SAFETY: erf from the C math library is a pure function.
                    let r = unsafe { libm_erf(zz[e]) };
                    assert!((want - r).abs() <= 1e-15 * r.abs().max(1e-300), "erf({}) = {want} vs libm {r}", zz[e]);
                }
            }
        }
        // And through phi_slice (remainder lengths included).
        for n in [0usize, 1, 7, 8, 9, 100, 1003] {
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() * 4.0).collect();
            let mut out = vec![0.0; n];
            Erf.phi_slice(&x, &mut out);
            for (o, &xi) in out.iter().zip(&x) {
                assert_eq!(o.to_bits(), Erf.phi(xi).to_bits());
            }
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let h = 1e-5;
        for nl in [Nonlinearity::Erf, Nonlinearity::Tanh] {
            for j in -40..=40 {
                let x = j as f64 * 0.1;
                let fd = (nl.phi(x + h) - nl.phi(x - h)) / (2.0 * h);
                // Central difference error ~ h² |φ'''|/6 < 1e-10, round-off ~ 1e-11.
                assert!((fd - nl.dphi(x)).abs() < 1e-9, "{nl:?} at {x}");
            }
        }
        assert_eq!(Erf.dphi(0.0), 1.0);
        assert!((Erf.phi(1e-8) / 1e-8 - 1.0).abs() < 1e-12);
    }

    /// The Gaussian integrals of spec §2.2 for the erf model:
    /// ⟨φ(u)²⟩ = (2/π) arcsin(Δ/(Δ + 2/π)), ⟨φ'(u)²⟩ = (1 + πΔ)^(−1/2),
    /// ⟨φ'(u)⟩ = (1 + πΔ/2)^(−1/2) for u ~ N(0, Δ). A fine trapezoid rule
    /// on [−12σ, 12σ] is accurate to ≪ 1e-10 for these smooth integrands.
    #[test]
    fn gaussian_integrals_of_the_erf_model() {
        let pi = std::f64::consts::PI;
        for delta in [0.3, 1.0, 2.0641, 5.0] {
            let s = f64::sqrt(delta);
            let m = 20_000;
            let h = 24.0 * s / m as f64;
            let (mut i_phi2, mut i_dphi2, mut i_dphi) = (0.0, 0.0, 0.0);
            for j in 0..=m {
                let u = -12.0 * s + j as f64 * h;
                let w = if j == 0 || j == m { 0.5 } else { 1.0 } * h * (-u * u / (2.0 * delta)).exp()
                    / (2.0 * pi * delta).sqrt();
                i_phi2 += w * Erf.phi(u).powi(2);
                i_dphi2 += w * Erf.dphi(u).powi(2);
                i_dphi += w * Erf.dphi(u);
            }
            let e_phi2 = 2.0 / pi * (delta / (delta + 2.0 / pi)).asin();
            assert!((i_phi2 - e_phi2).abs() < 1e-10, "Δ={delta}: {i_phi2} vs {e_phi2}");
            assert!((i_dphi2 - (1.0 + pi * delta).powf(-0.5)).abs() < 1e-10);
            assert!((i_dphi - (1.0 + pi * delta / 2.0).powf(-0.5)).abs() < 1e-10);
        }
    }
}
