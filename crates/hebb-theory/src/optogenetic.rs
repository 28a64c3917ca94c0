//! Fixed points of homeostatic iSTDP with pinned rates, and the
//! three-population optogenetic theory (specs/akil.md §3.4, §3.6; Akil,
//! Rosenbaum & Josić 2021, the optogenetics figure).
//!
//! iSTDP on a_k ← I (Vogels et al. 2011) has a stable fixed point only where
//! the postsynaptic rate equals its target: r_{a_k} = ρ_k. With those rates
//! pinned, the leading-order balance equations (W r + W_x r_x)_a = 0 are
//! solved in two steps:
//! 1. the rows of the populations whose incoming weights are fixed give a
//!    linear system for the rates of the unpinned populations (here I);
//! 2. each pinned row a_k is linear in its plastic weight j_{a_k ← I}:
//!    p q_I j r_I = −(Σ_{b≠I} W_ab r_b + (W_x r_x)_a).
//!
//! This is how the optogenetic protocol is handled even though, with E1 and
//! E2 identical, W is singular and the balanced rates r = −W⁻¹W_x r_x do not
//! exist (§3.6): the plastic weights take up the slack. With the laser off
//! the theory gives j_{E1←I} = j_{E2←I} = −119.66 and r_I = 23.40 Hz; with
//! X2 (5 Hz onto E1) on, j_{E1←I} strengthens to −158.12 while j_{E2←I} and
//! r_I stay (the I row does not see X2).

use crate::balanced::{MeanFieldNetwork, TheoryError};
use hebb_core::ParamError;
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// One plastic inhibitory projection whose postsynaptic rate is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pinned {
    /// Postsynaptic population index (its rate is pinned).
    pub post: usize,
    /// Presynaptic (inhibitory) population index of the plastic weight.
    pub pre: usize,
    /// Target rate ρ of `post` (Hz).
    pub rho_hz: f64,
}

/// Result of [`pinned_fixed_point`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PinnedFixedPoint {
    /// Rates of every population (Hz): ρ for the pinned ones, solved for the others.
    pub rates_hz: Vec<f64>,
    /// The plastic weights j_{post ← pre} at the fixed point, in the order of `pinned`.
    pub j: Vec<f64>,
}

/// The leading-order fixed point of iSTDP on the projections `pinned`
/// (module docs). Every pinned projection must come from an unpinned
/// population with a nonzero connection probability; the unpinned rows must
/// determine the unpinned rates (a non-singular block), and the resulting
/// presynaptic rates must be positive.
pub fn pinned_fixed_point(net: &MeanFieldNetwork, pinned: &[Pinned]) -> Result<PinnedFixedPoint, TheoryError> {
    let m = net.matrices()?;
    let np = net.pops.len();
    let field = |k: usize, f: &str| format!("pinned[{k}].{f}");
    for (k, p) in pinned.iter().enumerate() {
        if p.post >= np {
            return Err(ParamError::new(field(k, "post"), p.post, format!("a population index < {np}")).into());
        }
        if p.pre >= np || pinned.iter().any(|q| q.post == p.pre) {
            return Err(ParamError::new(
                field(k, "pre"),
                p.pre,
                "an index < P of a population whose rate is not pinned",
            )
            .into());
        }
        if net.recurrent[p.post][p.pre].p <= 0.0 {
            return Err(ParamError::new(field(k, "pre"), p.pre, "a population projecting onto `post` (p > 0)").into());
        }
        hebb_core::check_positive(&field(k, "rho_hz"), p.rho_hz)?;
        if pinned[..k].iter().any(|q| q.post == p.post) {
            return Err(ParamError::new(field(k, "post"), p.post, "each population pinned once").into());
        }
    }
    let mut r = vec![0.0; np];
    for p in pinned {
        r[p.post] = p.rho_hz * 1e-3;
    }
    let drive: Vec<f64> = (0..np).map(|a| m.w_x[a].iter().zip(&m.r_x_khz).map(|(w, x)| w * x).sum()).collect();
    // Step 1: the unpinned rows for the unpinned rates.
    let free: Vec<usize> = (0..np).filter(|a| !pinned.iter().any(|p| p.post == *a)).collect();
    let a_mat = DMatrix::from_fn(free.len(), free.len(), |i, j| m.w[free[i]][free[j]]);
    let rhs = DVector::from_fn(free.len(), |i, _| {
        let a = free[i];
        -(drive[a] + pinned.iter().map(|p| m.w[a][p.post] * r[p.post]).sum::<f64>())
    });
    let solved = a_mat.clone().lu().solve(&rhs).ok_or(TheoryError::Singular {
        det: a_mat.determinant(),
        scale: a_mat.amax(),
        rcond: 0.0,
    })?;
    for (i, &a) in free.iter().enumerate() {
        r[a] = solved[i];
    }
    // Step 2: each pinned row for its plastic weight.
    let n = net.n_total();
    let mut j = Vec::with_capacity(pinned.len());
    for (k, p) in pinned.iter().enumerate() {
        if r[p.pre] <= 0.0 {
            return Err(ParamError::new(
                field(k, "pre"),
                p.pre,
                format!("a population with a positive rate at the fixed point (it has {:.4} Hz)", r[p.pre] * 1e3),
            )
            .into());
        }
        let rest: f64 = drive[p.post] + (0..np).filter(|&b| b != p.pre).map(|b| m.w[p.post][b] * r[b]).sum::<f64>();
        let link = net.recurrent[p.post][p.pre];
        let q = net.pops[p.pre].size / n;
        j.push(-rest / (link.p * q * r[p.pre]));
    }
    Ok(PinnedFixedPoint { rates_hz: r.iter().map(|x| x * 1e3).collect(), j })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balanced::{ExternalMf, Link, PopMf};

    /// The §3.6 network at N = 5000: E1, E2, I; X1 onto all, X2 onto E1.
    fn opto(x2_on: bool) -> MeanFieldNetwork {
        let n = 5000.0;
        let pops = ["E1", "E2", "I"]
            .iter()
            .zip([0.4, 0.4, 0.2])
            .map(|(s, q)| PopMf { name: s.to_string(), size: q * n })
            .collect();
        let l = Link::new;
        let e = [l(0.1, 25.0), l(0.1, 25.0), l(0.1, -250.0)];
        let i = [l(0.1, 112.5), l(0.1, 112.5), l(0.1, -250.0)];
        let x1 = ExternalMf {
            name: "X1".into(),
            size: 0.2 * n,
            rate_khz: 0.01,
            c: 0.0,
            targets: vec![l(0.1, 180.0), l(0.1, 180.0), l(0.1, 135.0)],
        };
        let x2 = ExternalMf {
            name: "X2".into(),
            size: 0.2 * n,
            rate_khz: if x2_on { 0.005 } else { 0.0 },
            c: 0.0,
            targets: vec![l(0.1, 180.0), l(0.0, 0.0), l(0.0, 0.0)],
        };
        MeanFieldNetwork { pops, recurrent: vec![e.to_vec(), e.to_vec(), i.to_vec()], external: vec![x1, x2] }
    }

    fn pins() -> Vec<Pinned> {
        vec![Pinned { post: 0, pre: 2, rho_hz: 10.0 }, Pinned { post: 1, pre: 2, rho_hz: 10.0 }]
    }

    #[test]
    fn before_stimulation_matches_the_spec() {
        // §3.6: j_{E1←I} = j_{E2←I} = −119.66, r_I = 23.40 Hz (printed to
        // these digits in the spec, hence the tolerances).
        let fp = pinned_fixed_point(&opto(false), &pins()).unwrap();
        assert!((fp.j[0] + 119.66).abs() < 0.01 && (fp.j[1] + 119.66).abs() < 0.01, "{:?}", fp.j);
        assert!((fp.rates_hz[2] - 23.40).abs() < 0.005, "{:?}", fp.rates_hz);
    }

    #[test]
    fn during_stimulation_only_e1_inhibition_moves() {
        let (off, on) =
            (pinned_fixed_point(&opto(false), &pins()).unwrap(), pinned_fixed_point(&opto(true), &pins()).unwrap());
        // By hand: the E1 row gains p q_x j r_X2 = 0.1·0.2·180·0.005 = 0.018
        // mV/ms, taken up by p q_I Δj r_I = 0.1·0.2·Δj·0.0234.
        let dj = -0.018 / (0.1 * 0.2 * 0.0234);
        assert!((on.j[0] - off.j[0] - dj).abs() < 1e-9, "{} vs {}", on.j[0] - off.j[0], dj);
        assert_eq!(on.j[1], off.j[1]);
        assert_eq!(on.rates_hz[2], off.rates_hz[2]);
    }

    #[test]
    fn the_two_population_demo_agrees_with_the_three_population_split() {
        // Merging E1 and E2 into one E population (q = 0.8) must give the
        // same j_EI and r_I as the split network with the laser off.
        let n = 5000.0;
        let l = Link::new;
        let net = MeanFieldNetwork {
            pops: vec![PopMf { name: "E".into(), size: 0.8 * n }, PopMf { name: "I".into(), size: 0.2 * n }],
            recurrent: vec![vec![l(0.1, 25.0), l(0.1, -250.0)], vec![l(0.1, 112.5), l(0.1, -250.0)]],
            external: vec![ExternalMf {
                name: "X".into(),
                size: 0.2 * n,
                rate_khz: 0.01,
                c: 0.0,
                targets: vec![l(0.1, 180.0), l(0.1, 135.0)],
            }],
        };
        let two = pinned_fixed_point(&net, &[Pinned { post: 0, pre: 1, rho_hz: 10.0 }]).unwrap();
        let three = pinned_fixed_point(&opto(false), &pins()).unwrap();
        assert!((two.j[0] - three.j[0]).abs() < 1e-9 && (two.rates_hz[1] - three.rates_hz[2]).abs() < 1e-9);
    }

    #[test]
    fn bad_pins_name_the_field() {
        let err = pinned_fixed_point(&opto(false), &[Pinned { post: 0, pre: 0, rho_hz: 10.0 }]).unwrap_err();
        assert!(err.to_string().contains("pinned[0].pre"), "{err}");
        let err = pinned_fixed_point(&opto(false), &[Pinned { post: 0, pre: 2, rho_hz: -1.0 }]).unwrap_err();
        assert!(err.to_string().contains("pinned[0].rho_hz"), "{err}");
        let err = pinned_fixed_point(&opto(false), &[Pinned { post: 7, pre: 2, rho_hz: 1.0 }]).unwrap_err();
        assert!(err.to_string().contains("pinned[0].post"), "{err}");
    }
}
