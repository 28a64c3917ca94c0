//! Theory checks of the per-neuron RLS (kimchow.md §3.4, §4.1, §9).

mod common;

use common::*;
use hebb_training::theory::{
    batch_hard_rowsum_ls, batch_inverse_correlation, batch_penalised_ls, p0_closed_form, q_matrix, ranges_from_sizes,
};
use hebb_training::{Grouping, LearningSchedule, PlasticInputs, Precision, Rls, RlsConfig, Rowsum, UNGROUPED};
use nalgebra::{DMatrix, DVector};

/// The five configurations of the numpy peer's `rls-unit` (a), K_p = 100.
fn unit_configs() -> Vec<(&'static str, Vec<usize>, f64, Rowsum)> {
    vec![
        ("EI soft", vec![50, 50], 0.5, Rowsum::Soft { mu: 2.0 }),
        ("EI no rowsum", vec![50, 50], 0.5, Rowsum::Off),
        ("EI small lam, mu=8", vec![50, 50], 0.05, Rowsum::Soft { mu: 8.0 }),
        ("EI unequal 60/40", vec![60, 40], 0.3, Rowsum::Soft { mu: 1.0 }),
        ("10 subpop groups", vec![13, 7, 11, 14, 5, 11, 9, 14, 9, 7], 0.2, Rowsum::Soft { mu: 3.0 }),
    ]
}

/// §4.1 / §9: after every prefix of n updates, RLS weights equal the batch
/// penalised least-squares solution `(Q + RRᵀ)⁻¹(Rg + Qw⁰)` and `P_n` equals
/// `(Q + RRᵀ)⁻¹`, to 1e-9 (fused and unfused, all ROWSUM variants incl. the
/// hard one against its KKT solution).
#[test]
fn rls_equals_batch_penalised_least_squares() {
    let n = 400;
    let mut cases = unit_configs();
    cases.push(("EI hard", vec![50, 50], 0.5, Rowsum::Hard));
    cases.push(("10 subpop hard", vec![13, 7, 11, 14, 5, 11, 9, 14, 9, 7], 0.2, Rowsum::Hard));
    for (c, (name, sizes, lambda, rowsum)) in cases.into_iter().enumerate() {
        let kp: usize = sizes.iter().sum();
        let pr = problem(100 + c as u64, kp, sizes[0], n);
        let groups = ranges_from_sizes(&sizes);
        for fused in [true, false] {
            let cfg = RlsConfig { lambda, rowsum, fused, parallel: false, precision: Precision::F64 };
            let mut rls = one_row(&pr.w0, labels_from_sizes(&sizes), cfg);
            let mut worst_w: f64 = 0.0;
            let mut worst_p: f64 = 0.0;
            for m in 0..n {
                rls.update(&pr.samples[m], &[pr.h[m]], &[pr.f[m]]).unwrap();
                let done = m + 1;
                if [1, 10, 100, n].contains(&done) {
                    let r = DMatrix::from_fn(kp, done, |j, t| pr.samples[t][j]);
                    let g = DVector::from_fn(done, |t, _| pr.f[t] - pr.h[t]);
                    let w0 = DVector::from_column_slice(&pr.w0);
                    let wb = match rowsum {
                        Rowsum::Hard => batch_hard_rowsum_ls(&r, &g, &w0, &groups, lambda).unwrap(),
                        _ => {
                            let q = q_matrix(kp, &groups, lambda, rowsum.mu()).unwrap();
                            let pb = batch_inverse_correlation(&r, &q).unwrap();
                            let dp = (rls.p_dense(0) - pb).abs().max();
                            worst_p = worst_p.max(dp);
                            batch_penalised_ls(&r, &g, &w0, &q).unwrap()
                        }
                    };
                    worst_w = worst_w.max(max_abs_diff(rls.weights(0), wb.as_slice()));
                }
            }
            let moved = max_abs_diff(rls.weights(0), &pr.w0);
            assert!(moved > 1e-2, "{name}: the weights barely moved ({moved})");
            assert!(worst_w <= 1e-9, "{name} fused={fused}: max |w_rls - w_batch| = {worst_w:.2e}");
            assert!(worst_p <= 1e-9, "{name} fused={fused}: max |P_rls - P_batch| = {worst_p:.2e}");
        }
    }
}

/// §3.4 / §9: the closed-form P₀ equals Q⁻¹ (nalgebra inverse) for {E, I}
/// and subpopulation groups, relative to max|Q⁻¹| within 1e-12 · max(1,
/// cond(Q)/1e3) (the inverse itself is only accurate to ~ε·cond), and the
/// trainer's arena starts at exactly that P₀.
#[test]
fn closed_form_p0_equals_inverse_of_q() {
    let mut cases = unit_configs();
    cases.push(("EI 100+100 mu=8 lam=0.5", vec![100, 100], 0.5, Rowsum::Soft { mu: 8.0 }));
    cases.push(("EI 100+100 mu=0.01 lam=0.01", vec![100, 100], 0.01, Rowsum::Soft { mu: 0.01 }));
    cases.push(("EI 100+100 mu=1e4 lam=1e-3", vec![100, 100], 1e-3, Rowsum::Soft { mu: 1e4 }));
    let rate_sorted = Grouping::RateSorted {
        n_exc: 500,
        groups_per_population: 5,
        rates: (0..1000).map(|j| ((j * 7919) % 1000) as f64 * 0.01).collect(),
    }
    .labels(1000)
    .unwrap();
    for (name, sizes, lambda, rowsum) in cases {
        let kp: usize = sizes.iter().sum();
        let groups = ranges_from_sizes(&sizes);
        let q = q_matrix(kp, &groups, lambda, rowsum.mu()).unwrap();
        let p0 = p0_closed_form(kp, &groups, lambda, rowsum).unwrap();
        let inv = q.clone().try_inverse().unwrap();
        let rel = (&p0 - &inv).abs().max() / inv.abs().max();
        let kmax = *sizes.iter().max().unwrap() as f64;
        let cond = (lambda + rowsum.mu() * kmax) / lambda;
        let tol = 1e-12 * (cond / 1e3).max(1.0);
        assert!(rel <= tol, "{name}: rel diff {rel:.2e} > {tol:.0e}");
        let resid = (&p0 * &q - DMatrix::<f64>::identity(kp, kp)).abs().max();
        assert!(resid <= 1e-12 * cond, "{name}: |P0 Q - I| = {resid:.2e}");
        let rls =
            one_row(&vec![0.0; kp], labels_from_sizes(&sizes), RlsConfig { lambda, rowsum, ..RlsConfig::default() });
        let d = (rls.p_dense(0) - &p0).abs().max() / p0.abs().max();
        assert!(d <= 1e-15, "{name}: arena P0 differs from the closed form by {d:.1e}");
    }
    // Rate-sorted subpopulations of a real presynaptic set (Fig. 5: 5 E + 5 I
    // groups), plus ungrouped inputs that only get λ.
    let mut labels = rate_sorted.clone();
    labels[7] = UNGROUPED;
    labels[600] = UNGROUPED;
    let row: Vec<u32> = (0..1000).step_by(5).chain([7, 601]).collect();
    let inputs =
        PlasticInputs::from_rows(1000, vec![0], std::slice::from_ref(&row), &[vec![0.1; row.len()]], &labels).unwrap();
    let g = inputs.groups(0);
    assert_eq!(g.len(), 10, "5 E + 5 I groups");
    let kp = inputs.k_p(0);
    let ranges: Vec<_> = g.iter().map(|x| x.range()).collect();
    assert_eq!(ranges.last().unwrap().end, kp - 2, "the two ungrouped inputs (7, 600) sit last");
    for rowsum in [Rowsum::Soft { mu: 8.0 }, Rowsum::Soft { mu: 0.3 }] {
        let q = q_matrix(kp, &ranges, 0.5, rowsum.mu()).unwrap();
        let inv = q.try_inverse().unwrap();
        let rls = Rls::<f64>::new(inputs.clone(), RlsConfig { rowsum, ..RlsConfig::default() }).unwrap();
        let rel = (rls.p_dense(0) - &inv).abs().max() / inv.abs().max();
        assert!(rel <= 1e-12, "rate-sorted groups {rowsum:?}: rel diff {rel:.2e}");
    }
}

fn hard_run(lambda: f64, precision: Precision, n: usize) -> (f64, f64, f64) {
    let (ke, ki) = (50, 50);
    let kp = ke + ki;
    let mut r = rng(7);
    let w0: Vec<f64> = (0..kp).map(|j| if j < ke { 1.0 } else { -1.0 }).collect();
    let inputs = PlasticInputs::from_rows(
        kp,
        vec![0],
        &[(0..kp as u32).collect()],
        std::slice::from_ref(&w0),
        &Grouping::ExcInh { n_exc: ke }.labels(kp).unwrap(),
    )
    .unwrap();
    let cfg = RlsConfig { lambda, rowsum: Rowsum::Hard, precision, parallel: false, ..RlsConfig::default() };
    let mut rls = hebb_training::AnyRls::new(inputs, cfg).unwrap();
    let s0 = rls.group_sums(0);
    let mut worst: f64 = 0.0;
    let mut traces = vec![0.0; kp];
    for _ in 0..n {
        traces.iter_mut().for_each(|x| *x = 0.1 * r.random::<f64>());
        let f = 2.0 * normal(&mut r);
        rls.update(&traces, &[0.0], &[f]).unwrap();
        let s = rls.group_sums(0);
        worst = worst.max((s[0] - s0[0]).abs()).max((s[1] - s0[1]).abs());
    }
    rls.flush();
    let p = rls.p_dense(0);
    let p1 = (0..kp)
        .map(|a| {
            let e: f64 = (0..ke).map(|b| p[(a, b)]).sum();
            let i: f64 = (ke..kp).map(|b| p[(a, b)]).sum();
            e.abs().max(i.abs())
        })
        .fold(0.0, f64::max);
    let moved = max_abs_diff(rls.weights(0), &w0);
    (worst, p1, moved)
}

use rand::RngExt;

/// §3.3 item 3 / §3.5 / §9: with hard ROWSUM, the E and I row sums change by
/// at most 1e-12 over 5000 updates (λ = 0.5 and the harder λ = 0.05), while
/// single weights move by O(1); `P_n 1_B ≈ 0`. The weight step is f64 even
/// with an f32 arena, so the row sums hold there too.
#[test]
fn hard_rowsum_keeps_row_sums() {
    for (lambda, precision) in [(0.5, Precision::F64), (0.05, Precision::F64), (0.5, Precision::F32)] {
        let (worst, p1, moved) = hard_run(lambda, precision, 5000);
        assert!(moved > 0.3, "weights must move: max |w - w0| = {moved}");
        assert!(worst <= 1e-12, "lambda={lambda} {precision:?}: row sums drifted by {worst:.2e}");
        let p1_tol = if precision == Precision::F64 { 1e-9 } else { 1e-3 };
        assert!(p1 <= p1_tol, "lambda={lambda} {precision:?}: max |P 1_B| = {p1:.2e}");
    }
}

/// §3.6 / §9: the number of updates per loop is the documented count.
#[test]
fn updates_per_window_match_the_documented_count() {
    let s = LearningSchedule::from_ms(0.1, 200.0, 1000.0, 10.0, true).unwrap();
    assert_eq!(s.updates_per_window(), 101);
    assert_eq!((0..20_000).filter(|&t| s.is_update(t)).count(), 101);
    assert_eq!(s.update_steps().collect::<Vec<_>>(), (0..20_000).filter(|&t| s.is_update(t)).collect::<Vec<_>>());
    assert!(s.is_update(2000) && s.is_update(12_000) && !s.is_update(12_100) && !s.is_update(1900));
    let x = LearningSchedule { inclusive_end: false, ..s };
    assert_eq!(x.updates_per_window(), 100);
    assert_eq!((0..20_000).filter(|&t| x.is_update(t)).count(), 100);
    let odd = LearningSchedule::from_ms(0.1, 0.0, 1005.0, 10.0, false).unwrap();
    assert_eq!(odd.updates_per_window(), (0..20_000).filter(|&t| odd.is_update(t)).count() as u64);
    assert!(LearningSchedule::from_ms(0.1, 0.0, 1000.0, 10.05, true).is_err());
    assert!(LearningSchedule::from_ms(0.1, 0.0, 1000.0, 0.0, true).is_err());
}

mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        /// Random sizes, group partitions, λ, μ (off, soft, hard) and data:
        /// RLS = batch solution to 1e-9 relative to the weight scale.
        #[test]
        fn rls_matches_batch_on_random_problems(
            sizes in prop::collection::vec(1usize..8, 1..4),
            lambda in 0.05f64..2.0,
            mode in 0u8..3,
            mu in 0.01f64..10.0,
            n in 1usize..60,
            seed in 0u64..1000,
        ) {
            let kp: usize = sizes.iter().sum();
            let pr = problem(10_000 + seed, kp, sizes[0], n);
            let rowsum = match mode { 0 => Rowsum::Off, 1 => Rowsum::Soft { mu }, _ => Rowsum::Hard };
            let mut rls = one_row(&pr.w0, labels_from_sizes(&sizes), RlsConfig { lambda, rowsum, parallel: false, ..RlsConfig::default() });
            for m in 0..n {
                rls.update(&pr.samples[m], &[pr.h[m]], &[pr.f[m]]).unwrap();
            }
            let groups = ranges_from_sizes(&sizes);
            let r = DMatrix::from_fn(kp, n, |j, t| pr.samples[t][j]);
            let g = DVector::from_fn(n, |t, _| pr.f[t] - pr.h[t]);
            let w0 = DVector::from_column_slice(&pr.w0);
            let wb = match rowsum {
                Rowsum::Hard => batch_hard_rowsum_ls(&r, &g, &w0, &groups, lambda).unwrap(),
                _ => batch_penalised_ls(&r, &g, &w0, &q_matrix(kp, &groups, lambda, rowsum.mu()).unwrap()).unwrap(),
            };
            let scale = wb.abs().max().max(1.0);
            prop_assert!(max_abs_diff(rls.weights(0), wb.as_slice()) <= 1e-9 * scale);
        }
    }
}
