//! Checks of the balanced theory against the spec's numbers (akil.md §1.1,
//! §3.1, §3.2, §3.6) and against independent closed-form computations.

#![allow(clippy::needless_range_loop, clippy::type_complexity)]

use hebb_theory::balanced::*;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Closed-form 2×2 solve written out: r = −W⁻¹ W_x r_x with
/// W = [[p q_e j_ee, p q_i j_ei], [p q_e j_ie, p q_i j_ii]].
fn two_pop_by_hand(t: &TwoPop) -> ([f64; 2], [[f64; 2]; 2], [f64; 2]) {
    let qi = 1.0 - t.q_e;
    let (a, b) = (t.p * t.q_e * t.j_ee, t.p * qi * t.j_ei);
    let (c, d) = (t.p * t.q_e * t.j_ie, t.p * qi * t.j_ii);
    let (x, y) = (t.p * t.q_x * t.j_ex, t.p * t.q_x * t.j_ix);
    let det = a * d - b * c;
    // W⁻¹ = [[d, −b], [−c, a]] / det
    let u = [(d * x - b * y) / det, (-c * x + a * y) / det]; // W⁻¹ W_x
    let r = [-u[0] * t.r_x_khz, -u[1] * t.r_x_khz];
    ([r[0], r[1]], [[a, b], [c, d]], u)
}

#[test]
fn default_matrices_match_spec() {
    let m = TwoPop::default().network().matrices().unwrap();
    let w = [[2.0, -3.0], [9.0, -5.0]];
    for a in 0..2 {
        for b in 0..2 {
            assert!((m.w[a][b] - w[a][b]).abs() < 1e-12, "W[{a}][{b}] = {}", m.w[a][b]);
        }
    }
    assert!((m.w_x[0][0] - 3.6).abs() < 1e-12);
    assert!((m.w_x[1][0] - 2.7).abs() < 1e-12);
    assert_eq!(m.r_x_khz, vec![0.01]);
    // c = 0: C_x = r_x / N_X = 0.01 / 1000.
    assert!(rel(m.c_x_khz[0], 1e-5) < 1e-12);
    assert_eq!(m.pops, vec!["E", "I"]);
}

#[test]
fn default_rates_match_spec_and_hand_solution() {
    let t = TwoPop::default();
    let r = balanced_rates(&t.network()).unwrap();
    assert!(r.positive);
    let hz = r.rates_hz();
    assert!((hz[0] - 5.824).abs() < 1e-3, "r_e = {}", hz[0]);
    assert!((hz[1] - 15.882).abs() < 1e-3, "r_i = {}", hz[1]);
    // det W = 17, r = (0.099, 0.27)/17 kHz.
    assert!(rel(r.rates_khz[0], 0.099 / 17.0) < 1e-12);
    assert!(rel(r.rates_khz[1], 0.27 / 17.0) < 1e-12);
    let (by_hand, _, _) = two_pop_by_hand(&t);
    assert!(rel(r.rates_khz[0], by_hand[0]) < 1e-12);
    assert!(rel(r.rates_khz[1], by_hand[1]) < 1e-12);
    let keyed = r.hz_by_pop();
    assert_eq!(keyed.keys().collect::<Vec<_>>(), ["E", "I"]);
    assert!((keyed.get("I").unwrap() - 15.882).abs() < 1e-3);
}

#[test]
fn closed_form_in_j_ee_for_j_ei_minus_100() {
    for j_ee in [1.0, 5.0, 10.0, 20.0, 30.0, 44.0] {
        let t = TwoPop { j_ee, j_ei: -100.0, ..TwoPop::default() };
        let r = balanced_rates(&t.network()).unwrap();
        assert!(rel(r.rates_khz[0], 0.315 / (45.0 - j_ee)) < 1e-10, "j_ee {j_ee}");
        assert!(rel(r.rates_khz[1], (0.81 - 0.0054 * j_ee) / (45.0 - j_ee)) < 1e-10, "j_ee {j_ee}");
        let (h, _, _) = two_pop_by_hand(&t);
        assert!(rel(r.rates_khz[0], h[0]) < 1e-12 && rel(r.rates_khz[1], h[1]) < 1e-12);
        assert!(r.positive);
    }
}

#[test]
fn closed_form_in_j_ei_and_istdp_fixed_point() {
    let rx = 0.01;
    for j_ei in [-80.0, -100.0, -119.66, -150.0, -200.0] {
        let t = TwoPop { j_ei, ..TwoPop::default() };
        let r = balanced_rates(&t.network()).unwrap();
        let den = -10.0 - 0.18 * j_ei;
        assert!(rel(r.rates_khz[0], rx * (18.0 + 0.054 * j_ei) / den) < 1e-10, "j_ei {j_ei}");
        assert!(rel(r.rates_khz[1], 27.0 * rx / den) < 1e-10, "j_ei {j_ei}");
    }
    // Spec §3.6: j_EI = -119.66 pins r_e at rho_e = 10 Hz with r_i = 23.40 Hz.
    let r = balanced_rates(&TwoPop { j_ei: -119.66, ..TwoPop::default() }.network()).unwrap();
    let hz = r.rates_hz();
    assert!((hz[0] - 10.0).abs() < 5e-3, "r_e = {}", hz[0]);
    assert!((hz[1] - 23.40).abs() < 5e-3, "r_i = {}", hz[1]);
}

#[test]
fn negative_rates_are_flagged_not_hidden() {
    // j_ei = -100, j_ee = 50 > 45: r_e = 0.315/(45 - 50) < 0.
    let t = TwoPop { j_ee: 50.0, j_ei: -100.0, ..TwoPop::default() };
    let r = balanced_rates(&t.network()).unwrap();
    assert!(!r.positive);
    assert!(rel(r.rates_khz[0], 0.315 / -5.0) < 1e-10);
    match r.clone().require_positive() {
        Err(TheoryError::NonPositiveRates { pops, rates_hz }) => {
            assert_eq!(pops, vec!["E", "I"]);
            assert!(rel(rates_hz[0], -63.0) < 1e-10);
        }
        other => panic!("expected NonPositiveRates, got {other:?}"),
    }
    // Covariance is still returned, with undefined correlations where V <= 0.
    let c = leading_order_covariance(&t.network(), 250.0).unwrap();
    assert!(c.corr[0][0].is_none() && c.corr[0][1].is_none());
}

/// Spec §3.2 table, T_win = 250 ms.
#[test]
fn covariance_table_of_spec() {
    let cases: [(f64, f64, [f64; 3], [f64; 3], f64); 4] = [
        (5000.0, 0.0, [8.48e-4, 2.31e-3, 6.31e-3], [5.8e-4, 9.6e-4, 1.6e-3], 0.02),
        (10000.0, 0.0, [4.24e-4, 1.16e-3, 3.15e-3], [2.9e-4, 4.8e-4, 8.0e-4], 0.02),
        (5000.0, 0.1, [0.0848, 0.231, 0.631], [0.058, 0.096, 0.159], 0.005),
        (5000.0, 0.25, [0.212, 0.578, 1.58], [0.146, 0.240, 0.397], 0.005),
    ];
    for (n, c, cov, corr, tol_corr) in cases {
        let t = TwoPop { n, c, ..TwoPop::default() };
        let th = leading_order_covariance(&t.network(), 250.0).unwrap();
        let got = [th.cov[0][0], th.cov[0][1], th.cov[1][1]];
        for k in 0..3 {
            // The table is given to 3 significant digits.
            assert!(rel(got[k], cov[k]) < 5e-3, "N={n} c={c} k={k}: {} vs {}", got[k], cov[k]);
            let r = [th.corr[0][0], th.corr[0][1], th.corr[1][1]][k].unwrap();
            assert!(rel(r, corr[k]) < tol_corr, "N={n} c={c} k={k}: R {r} vs {}", corr[k]);
        }
        assert_eq!(th.cov[0][1], th.cov[1][0]);
    }
    // Same at any N for c > 0.
    let a = leading_order_covariance(&TwoPop { n: 1000.0, c: 0.1, ..TwoPop::default() }.network(), 250.0);
    let b = leading_order_covariance(&TwoPop { n: 20000.0, c: 0.1, ..TwoPop::default() }.network(), 250.0);
    assert!(rel(a.unwrap().cov[0][1], b.unwrap().cov[0][1]) < 1e-12);
}

/// Independent computation: with one external layer C̄_ab = T c_x u_a u_b with
/// u = W⁻¹ W_x from the hand-written 2×2 inverse.
#[test]
fn covariance_matches_hand_computation() {
    for (n, c, j_ee, t_win) in [(5000.0, 0.0, 25.0, 250.0), (2680.0, 0.2, 10.0, 100.0), (10000.0, 0.05, 40.0, 1000.0)] {
        let t = TwoPop { n, c, j_ee, j_ei: -100.0, ..TwoPop::default() };
        let (r, _, u) = two_pop_by_hand(&t);
        let cx = if c > 0.0 { c * t.r_x_khz } else { t.r_x_khz / (t.q_x * n) };
        let th = leading_order_covariance(&t.network(), t_win).unwrap();
        for a in 0..2 {
            assert!(rel(th.rates_khz[a], r[a]) < 1e-12);
            assert!(rel(th.variance[a], r[a] * t_win) < 1e-12);
            for b in 0..2 {
                let want = t_win * cx * u[a] * u[b];
                assert!(rel(th.cov[a][b], want) < 1e-12, "{a}{b}: {} vs {want}", th.cov[a][b]);
                let want_r = want / (r[a] * t_win * r[b] * t_win).sqrt();
                assert!(rel(th.corr[a][b].unwrap(), want_r) < 1e-12);
            }
        }
    }
}

fn three_pop(d: f64) -> MeanFieldNetwork {
    // E1 (0.4 N), E2 (0.4 N), I (0.2 N); E<->E weights 25 ± d so that each E
    // population's total E input is unchanged when r_E1 = r_E2.
    let t = TwoPop::default();
    let p = t.p;
    let n = t.n;
    MeanFieldNetwork {
        pops: vec![
            PopMf { name: "E1".into(), size: 0.4 * n },
            PopMf { name: "E2".into(), size: 0.4 * n },
            PopMf { name: "I".into(), size: 0.2 * n },
        ],
        recurrent: vec![
            vec![Link::new(p, t.j_ee + d), Link::new(p, t.j_ee - d), Link::new(p, t.j_ei)],
            vec![Link::new(p, t.j_ee - d), Link::new(p, t.j_ee + d), Link::new(p, t.j_ei)],
            vec![Link::new(p, t.j_ie), Link::new(p, t.j_ie), Link::new(p, t.j_ii)],
        ],
        external: vec![ExternalMf {
            name: "X1".into(),
            size: 0.2 * n,
            rate_khz: 0.01,
            c: 0.1,
            targets: vec![Link::new(p, 180.0), Link::new(p, 180.0), Link::new(p, 135.0)],
        }],
    }
}

#[test]
fn identical_e1_e2_split_is_singular() {
    // Spec §3.6: with identical E1/E2 weights W has two identical rows.
    let net = three_pop(0.0);
    let err = balanced_rates(&net).unwrap_err();
    assert!(matches!(err, TheoryError::Singular { .. }), "{err:?}");
    assert!(err.to_string().contains("singular"), "{err}");
    assert!(leading_order_covariance(&net, 250.0).is_err());
}

#[test]
fn three_pop_split_reproduces_two_pop() {
    let two = TwoPop { c: 0.1, ..TwoPop::default() }.network();
    let r2 = balanced_rates(&two).unwrap();
    let c2 = leading_order_covariance(&two, 250.0).unwrap();
    for d in [5.0, -10.0, 20.0] {
        let net = three_pop(d);
        let m = net.matrices().unwrap();
        // w_ab = p q_b j_ab with q = (0.4, 0.4, 0.2), spec §3.6.
        assert!(rel(m.w[0][0], 0.1 * 0.4 * (25.0 + d)) < 1e-12);
        assert!(rel(m.w[2][2], 0.1 * 0.2 * -250.0) < 1e-12);
        let r3 = balanced_rates(&net).unwrap();
        for (k, k2) in [(0, 0), (1, 0), (2, 1)] {
            assert!(rel(r3.rates_khz[k], r2.rates_khz[k2]) < 1e-10, "d={d} pop {k}");
        }
        let c3 = leading_order_covariance(&net, 250.0).unwrap();
        for (a, b, a2, b2) in [(0, 0, 0, 0), (0, 1, 0, 0), (1, 1, 0, 0), (0, 2, 0, 1), (1, 2, 0, 1), (2, 2, 1, 1)] {
            assert!(rel(c3.cov[a][b], c2.cov[a2][b2]) < 1e-10, "d={d} ({a},{b})");
        }
        assert_eq!(c3.pair_names(), vec!["E1-E1", "E1-E2", "E1-I", "E2-E2", "E2-I", "I-I"]);
    }
}

/// Splitting an uncorrelated layer in two halves changes nothing (W_x
/// columns halve, C_x doubles); rates add over several layers.
#[test]
fn several_external_layers() {
    let one = TwoPop::default().network();
    let mut two = one.clone();
    let x = two.external[0].clone();
    two.external = vec![
        ExternalMf { name: "Xa".into(), size: x.size / 2.0, ..x.clone() },
        ExternalMf { name: "Xb".into(), size: x.size / 2.0, ..x.clone() },
    ];
    let (r1, r2) = (balanced_rates(&one).unwrap(), balanced_rates(&two).unwrap());
    let (c1, c2) = (leading_order_covariance(&one, 250.0).unwrap(), leading_order_covariance(&two, 250.0).unwrap());
    for a in 0..2 {
        assert!(rel(r1.rates_khz[a], r2.rates_khz[a]) < 1e-12);
        for b in 0..2 {
            assert!(rel(c1.cov[a][b], c2.cov[a][b]) < 1e-12);
        }
    }
    // A second, E-only layer (spec §3.6 X2 at 5 Hz): rates are linear in the inputs.
    let mut stim = one.clone();
    stim.external.push(ExternalMf {
        name: "X2".into(),
        size: 1000.0,
        rate_khz: 0.005,
        c: 0.0,
        targets: vec![Link::new(0.1, 180.0), Link::new(0.0, 0.0)],
    });
    let rs = balanced_rates(&stim).unwrap();
    // Hand: extra input 0.1*0.2*180*0.005 = 0.018 onto E; W⁻¹ = [[-5, 3], [-9, 2]]/17.
    let dr = [-(-5.0 * 0.018) / 17.0, -(-9.0 * 0.018) / 17.0];
    for a in 0..2 {
        assert!(rel(rs.rates_khz[a], r1.rates_khz[a] + dr[a]) < 1e-12);
    }
}

#[test]
fn finite_n_correction() {
    let t = TwoPop::default();
    let net = t.network();
    let r0 = balanced_rates(&net).unwrap();
    // Δ = √N W v shifts the solution by −v.
    let v = [0.001, -0.002];
    let w = [[2.0, -3.0], [9.0, -5.0]];
    let sn = t.n.sqrt();
    let delta = [sn * (w[0][0] * v[0] + w[0][1] * v[1]), sn * (w[1][0] * v[0] + w[1][1] * v[1])];
    let r = balanced_rates_corrected(&net, &delta).unwrap();
    for a in 0..2 {
        assert!((r.rates_khz[a] - (r0.rates_khz[a] - v[a])).abs() < 1e-14);
    }
    assert!(matches!(balanced_rates_corrected(&net, &[0.0]), Err(TheoryError::Param(_))));
    assert!(matches!(balanced_rates_corrected(&net, &[0.0, f64::NAN]), Err(TheoryError::Param(_))));
}

#[test]
fn invalid_descriptions_name_the_field() {
    let field = |net: &MeanFieldNetwork| match balanced_rates(net) {
        Err(TheoryError::Param(e)) => e.field,
        other => panic!("expected a ParamError, got {other:?}"),
    };
    let good = TwoPop::default().network();
    let mut n = good.clone();
    n.recurrent[1][0].p = 1.5;
    assert_eq!(field(&n), "recurrent[1][0].p");
    let mut n = good.clone();
    n.recurrent[0].pop();
    assert_eq!(field(&n), "recurrent[0]");
    let mut n = good.clone();
    n.pops[1].size = 0.0;
    assert_eq!(field(&n), "pops[1].size");
    let mut n = good.clone();
    n.pops[1].name = "E".into();
    assert_eq!(field(&n), "pops[1].name");
    let mut n = good.clone();
    n.external[0].c = -0.1;
    assert_eq!(field(&n), "external[0].c");
    let mut n = good.clone();
    n.external[0].targets.push(Link::new(0.1, 1.0));
    assert_eq!(field(&n), "external[0].targets");
    let mut n = good.clone();
    n.external[0].targets[1].j = f64::INFINITY;
    assert_eq!(field(&n), "external[0].targets[1].j");
    let n = MeanFieldNetwork { pops: vec![], recurrent: vec![], external: vec![] };
    assert_eq!(field(&n), "pops");
    assert!(matches!(leading_order_covariance(&good, 0.0), Err(TheoryError::Param(_))));
    assert!(matches!(leading_order_covariance(&good, f64::NAN), Err(TheoryError::Param(_))));
    // All-zero W is singular, not a panic.
    let mut n = good.clone();
    for row in &mut n.recurrent {
        for l in row {
            l.j = 0.0;
        }
    }
    assert!(matches!(balanced_rates(&n), Err(TheoryError::Singular { .. })));
}

#[test]
fn json_round_trip_and_pair_keys() {
    let net = TwoPop { c: 0.1, ..TwoPop::default() }.network();
    let s = serde_json::to_string(&net).unwrap();
    let back: MeanFieldNetwork = serde_json::from_str(&s).unwrap();
    assert_eq!(back, net);
    let th = leading_order_covariance(&net, 250.0).unwrap();
    let j = serde_json::to_string(&th.cov_by_pair()).unwrap();
    let (ee, ei, ii) = (j.find("\"E-E\"").unwrap(), j.find("\"E-I\"").unwrap(), j.find("\"I-I\"").unwrap());
    assert!(ee < ei && ei < ii, "{j}");
    assert!(j.find("\"I-E\"").is_none());
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert!(rel(v["E-I"].as_f64().unwrap(), 0.231) < 5e-3);
}
