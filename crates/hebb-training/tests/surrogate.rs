//! The one-neuron surrogate of kimchow.md §4.3: block-mean theory of §4.2.

use hebb_training::surrogate::{SurrogateConfig, surrogate_data};
use hebb_training::theory::{BlockMoments, batch_penalised_ls, q_matrix};
use hebb_training::{Rls, RlsConfig, Rowsum};
use nalgebra::{DMatrix, DVector};

struct Row {
    lambda: f64,
    mu: f64,
    d: [f64; 2],
    pred: [f64; 2],
    beta: [f64; 2],
    dale: [f64; 2],
    rls_minus_batch: Option<f64>,
}

fn run(seed: u64, rows: &[(f64, Rowsum)]) -> (BlockMoments, Vec<Row>) {
    let cfg = SurrogateConfig::default();
    let data = surrogate_data(&cfg, seed).unwrap();
    let mom = BlockMoments::from_samples(&data.samples, &data.target, &data.w0, &data.groups).unwrap();
    let inputs = data.plastic_inputs().unwrap();
    let ke = cfg.k_exc;
    let out = rows
        .iter()
        .map(|&(lambda, rowsum)| {
            let mut rls =
                Rls::<f64>::new(inputs.clone(), RlsConfig { lambda, rowsum, parallel: false, ..RlsConfig::default() })
                    .unwrap();
            for (s, &f) in data.samples.iter().zip(&data.target) {
                rls.update(s, &[0.0], &[f]).unwrap();
            }
            // RLS = batch penalised LS on this realistic data too (§4.1)
            let batch = if rowsum == Rowsum::Hard {
                None
            } else {
                let kp = data.w0.len();
                let r = DMatrix::from_fn(kp, data.samples.len(), |j, t| data.samples[t][j]);
                let g = DVector::from_column_slice(&data.target);
                let q = q_matrix(kp, &data.groups, lambda, rowsum.mu()).unwrap();
                let wb = batch_penalised_ls(&r, &g, &DVector::from_column_slice(&data.w0), &q).unwrap();
                Some(wb.iter().zip(rls.weights(0)).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max))
            };
            let w = rls.weights(0);
            let me = w[..ke].iter().sum::<f64>() / ke as f64;
            let mi = w[ke..].iter().sum::<f64>() / (w.len() - ke) as f64;
            let pred = mom.predicted_mean_change(lambda, rowsum.mu()).unwrap();
            let beta = mom.retention(lambda, rowsum.mu());
            Row {
                lambda,
                mu: rowsum.mu(),
                d: [me - cfg.w_exc, mi - cfg.w_inh],
                pred: [pred[0], pred[1]],
                beta: [beta[0], beta[1]],
                rls_minus_batch: batch,
                dale: [
                    w[..ke].iter().filter(|&&x| x < 0.0).count() as f64 / ke as f64,
                    w[ke..].iter().filter(|&&x| x > 0.0).count() as f64 / (w.len() - ke) as f64,
                ],
            }
        })
        .collect();
    (mom, out)
}

const ROWS: [(f64, Rowsum); 7] = [
    (1.0, Rowsum::Off),
    (0.01, Rowsum::Off),
    (0.01, Rowsum::Soft { mu: 0.01 }),
    (0.01, Rowsum::Soft { mu: 0.1 }),
    (0.01, Rowsum::Soft { mu: 1.0 }),
    (0.001, Rowsum::Off),
    (0.01, Rowsum::Hard),
];

/// kimchow.md §4.2–§4.3 / §9 on the spec's surrogate (K_E = K_I = 100,
/// w⁰ = ±1, log-normal OU-modulated Poisson inputs, τ_s = 50 ms, n = 900),
/// eight seeds, every row of the spec's table:
///
/// 1. RLS equals the batch penalised LS on these data (< 1e-9) and the hard
///    mode leaves the group means unchanged (< 1e-12).
/// 2. **Retention law in the ROWSUM regime** (μK ≫ nσ²: μK = 10 and 100
///    against nσ² ≈ 0.05–0.12): the retained change is
///    `(1 − β_B)(m_B^data − w̄⁰_B)` with a μ-independent data term, so
///    `Δw̄_B(μ = 0.1)/Δw̄_B(μ = 1) = (1 − β_B(0.1))/(1 − β_B(1)) ≈ 10`
///    (the "change ∝ 1/μ" of §9). Measured: median ratio of ratios 1.00;
///    the largest deviation, 14 %, is where the change itself is tiny
///    (|Δw̄| ~ 2e-5). Asserted: median within 3 %, every entry within 20 %.
/// 3. **The 2×2 prediction** of §4.2 for the μ = 0 rows. The spec reports
///    5–25 % (two seeds, "more in one entry"). Per seed the deviation here
///    reaches 50–80 % (finite-sample cross-covariances: 9 s of samples with
///    ~100-ms correlations give ~90 independent samples for 200 weights, and
///    the reduction also drops rate heterogeneity); the numpy peer shows the
///    same. Averaged over the eight seeds it is within 22 % (E and I, all
///    three λ); asserted: the 8-seed means within the spec's 25 %.
/// 4. With μ = 0 and λ = 0.001 (nσ² ≫ λ) the E mean **crosses zero** (8-seed
///    mean of w̄_E < 0) and ≥ 40 % of E weights violate Dale; with λ = 1
///    (β ≈ 0.95) fewer than 5 % do.
#[test]
fn surrogate_block_means_follow_the_theory() {
    let seeds: Vec<u64> = (1..=8).collect();
    let runs: Vec<Vec<Row>> = seeds.iter().map(|&s| run(s, &ROWS).1).collect();
    // 1.
    for rows in &runs {
        for r in rows {
            if let Some(d) = r.rls_minus_batch {
                assert!(d <= 1e-9, "lam {} mu {}: |rls - batch| = {d:.1e}", r.lambda, r.mu);
            } else {
                assert!(r.d[0].abs() <= 1e-12 && r.d[1].abs() <= 1e-12, "hard: {:?}", r.d);
            }
        }
    }
    // 2.
    let mut q = Vec::new();
    for rows in &runs {
        for b in 0..2 {
            let measured = rows[3].d[b] / rows[4].d[b];
            let law = (1.0 - rows[3].beta[b]) / (1.0 - rows[4].beta[b]);
            q.push(measured / law);
        }
    }
    q.sort_by(f64::total_cmp);
    let median = 0.5 * (q[q.len() / 2 - 1] + q[q.len() / 2]);
    println!("retention-law ratio of ratios: median {median:.4}, range {:.3}..{:.3}", q[0], q[q.len() - 1]);
    assert!((median - 1.0).abs() <= 0.03, "median {median}");
    assert!(q.iter().all(|x| (x - 1.0).abs() <= 0.2), "{q:?}");
    // 3.
    let ns = runs.len() as f64;
    for k in [0usize, 1, 5] {
        for b in 0..2 {
            let m: f64 = runs.iter().map(|r| r[k].d[b]).sum::<f64>() / ns;
            let p: f64 = runs.iter().map(|r| r[k].pred[b]).sum::<f64>() / ns;
            println!("lam {} group {b}: mean change {m:+.4}, 2x2 prediction {p:+.4}", ROWS[k].0);
            assert!((m - p).abs() <= 0.25 * p.abs(), "lam {}: {m:+.4} vs {p:+.4}", ROWS[k].0);
        }
    }
    // 4.
    let we = 1.0 + runs.iter().map(|r| r[5].d[0]).sum::<f64>() / ns;
    let dale_small: f64 = runs.iter().map(|r| r[5].dale[0]).sum::<f64>() / ns;
    let dale_big: f64 = runs.iter().map(|r| r[0].dale[0]).sum::<f64>() / ns;
    println!("lam 0.001: mean w_E {we:+.3}, Dale E {dale_small:.2}; lam 1: Dale E {dale_big:.3}");
    assert!(we < 0.0 && dale_small >= 0.4 && dale_big < 0.05);
}
