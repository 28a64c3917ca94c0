//! Diagnostics and §4 theory against the network and its RLS (kimchow.md
//! §4.2, §4.4, §4.5, §5, §6.1).

use hebb_training::theory::{BlockMoments, batch_penalised_ls, isn_response, predicted_dale_fractions, q_matrix};
use hebb_training::{
    GroupMeans, LifForceConfig, NetworkConfig, Rowsum, Trainer, TrainerConfig, TrainingInitialState,
    group_dale_violations, run_sine_task,
};
use nalgebra::{DMatrix, DVector};

fn small_net(k: usize, n: usize) -> NetworkConfig {
    NetworkConfig { n_exc: n / 2, n_inh: n / 2, k, tau_s_ms: 50.0, ..NetworkConfig::default() }
}

/// §6.1: FORCE on the Nicola–Clopath LIF network learns the 5-Hz sine.
/// N = 1000 (half the reference's 2000, to keep the test short), the
/// reference's 15-s protocol: learning from 5 to 10 s every 2.5 ms (2000
/// updates), test from 10 to 15 s with the decoder frozen.
///
/// Measured (seed 1): test correlation 0.976, relative RMSE 0.22, 21 Hz
/// mean rate; at N = 2000 0.924 / 0.39 (the acceptance of the task is a
/// correlation > 0.9). Bounds: correlation > 0.9 and relative RMSE < 0.6
/// (an output with the right shape but a 40 % amplitude or phase error
/// fails); the untrained output is exactly 0 (Φ₀ = 0); the rate must be in
/// the asynchronous range 5–50 Hz the reference reports (~20 Hz).
#[test]
fn lif_force_learns_the_sine() {
    let cfg = LifForceConfig { n: 1000, ..LifForceConfig::default() };
    let r = run_sine_task(&cfg, 1).unwrap();
    println!(
        "corr {:.4} rel rmse {:.3} rate {:.1} Hz updates {}",
        r.test_correlation, r.test_relative_rmse, r.mean_rate_hz, r.n_updates
    );
    assert_eq!(r.n_updates, 2000);
    assert_eq!(r.pre_correlation, 0.0);
    assert!(r.test_correlation > 0.9, "test correlation {}", r.test_correlation);
    assert!(r.test_relative_rmse < 0.6, "relative RMSE {}", r.test_relative_rmse);
    assert!((5.0..50.0).contains(&r.mean_rate_hz), "rate {}", r.mean_rate_hz);
}

/// Bad FORCE-LIF configurations name their field.
#[test]
fn lif_force_bad_config_names_field() {
    let bad = LifForceConfig { t_learn_end_ms: 20_000.0, ..LifForceConfig::default() };
    let e = run_sine_task(&bad, 1).unwrap_err().to_string();
    assert!(e.contains("lif_force.t_learn_end_ms"), "{e}");
    let bad = LifForceConfig { p: 0.0, ..LifForceConfig::default() };
    assert!(run_sine_task(&bad, 1).unwrap_err().to_string().contains("lif_force.p"));
}

/// §4.5: the ISN probe on the untrained network against the leading-order
/// response `Δν = −J̃⁻¹(0, δ/√K)` (N = 400, K = 80, δ = 0.5, 6 paired
/// trials).
#[test]
fn isn_probe_against_leading_order() {
    let cfg = TrainerConfig { window_ms: 1000.0, ..Default::default() };
    let mut tr = Trainer::new(small_net(80, 400), cfg, 3).unwrap();
    let probe = tr.isn_probe(0.5, 6).unwrap();
    let d = probe.mean_change();
    let th = isn_response(tr.network().block_means(), 80.0, 0.5).unwrap();
    println!(
        "base {:.2?} change {:.3?} Hz (sem I {:.3}); theory {:.3?} Hz",
        probe.mean_base(),
        d,
        probe.inh_change_sem(),
        [th[0] * 1e3, th[1] * 1e3]
    );
    // E falls as predicted: within 40 % of the leading order (the O(1/√K)
    // corrections at K = 80 lower the rates themselves by ~35 %); the I
    // change is small, as the spec's prototype found (−0.2 Hz against the
    // predicted −0.6 Hz at K = 100): it must not be significantly positive
    // (a network that lost the ISN property raises ν_I by several Hz).
    let (de, di) = (d[0], d[1]);
    assert!((de / (th[0] * 1e3) - 1.0).abs() < 0.4, "E change {de} Hz vs theory {}", th[0] * 1e3);
    assert!(di < 2.0 * probe.inh_change_sem(), "I change {di} Hz (sem {})", probe.inh_change_sem());
}

/// §4.2 against the network's own RLS (μ = 0, λ = 0.05, N = 200, K = 40,
/// two loops): for trained neurons, the block-mean change predicted by the
/// 2 × 2 equations from the traces RLS actually saw, against the change of
/// the RLS weights. And §4.4: Φ(−|m_B|/s_B) against the measured Dale
/// fractions after training.
#[test]
fn block_mean_equations_against_network_rls() {
    let mut cfg = TrainerConfig {
        training_initial_state: TrainingInitialState::NewEachLoop,
        window_ms: 1000.0,
        ..Default::default()
    };
    cfg.rls.lambda = 0.05;
    cfg.rls.rowsum = Rowsum::Off;
    let mut tr = Trainer::new(small_net(40, 200), cfg, 5).unwrap();
    let watch: Vec<usize> = (0..200).step_by(10).collect();
    let mut samples: Vec<Vec<Vec<f64>>> = vec![Vec::new(); watch.len()];
    let mut gs: Vec<Vec<f64>> = vec![Vec::new(); watch.len()];
    let pre: Vec<Vec<u32>> = watch.iter().map(|&q| tr.network().pre(tr.trained()[q] as usize).to_vec()).collect();
    let w0: Vec<Vec<f64>> = watch.iter().map(|&q| tr.rls().weights(q).to_vec()).collect();
    let targets: Vec<Vec<f64>> = watch.iter().map(|&q| tr.target(q).to_vec()).collect();
    let bias: Vec<f64> = watch.iter().map(|&q| tr.network().bias()[tr.trained()[q] as usize]).collect();
    for _ in 0..2 {
        let mut m = 0usize;
        tr.train_loop_observed(|_, net| {
            for (w, p) in pre.iter().enumerate() {
                samples[w].push(p.iter().map(|&j| net.traces()[j as usize]).collect());
                gs[w].push(targets[w][m * 10] - bias[w]);
            }
            m += 1;
        })
        .unwrap();
    }
    let k = 40;
    let mut worst_batch = 0.0f64;
    let (mut pred, mut predc, mut got) = ([0.0f64; 2], [0.0f64; 2], [0.0f64; 2]);
    for (w, &q) in watch.iter().enumerate() {
        let mom = BlockMoments::from_samples(&samples[w], &gs[w], &w0[w], &[0..k, k..2 * k]).unwrap();
        let p = mom.predicted_mean_change(0.05, 0.0).unwrap();
        let pc = mom.predicted_mean_change_correlated(0.05, 0.0).unwrap();
        let wn = tr.rls().weights(q);
        // §4.1 on the network's own data: RLS = batch penalised LS
        let n = samples[w].len();
        let r = DMatrix::from_fn(2 * k, n, |j, t| samples[w][t][j]);
        let qm = q_matrix(2 * k, &[0..k, k..2 * k], 0.05, 0.0).unwrap();
        let wb = batch_penalised_ls(&r, &DVector::from_column_slice(&gs[w]), &DVector::from_column_slice(&w0[w]), &qm)
            .unwrap();
        let scale = wb.abs().max();
        worst_batch = worst_batch.max(wb.iter().zip(wn).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / scale);
        for b in 0..2 {
            let r = b * k..(b + 1) * k;
            let d = wn[r.clone()].iter().sum::<f64>() / k as f64 - w0[w][r].iter().sum::<f64>() / k as f64;
            pred[b] += p[b] / watch.len() as f64;
            predc[b] += pc[b] / watch.len() as f64;
            got[b] += d / watch.len() as f64;
        }
    }
    let (pe, pi) = predicted_dale_fractions(tr.network());
    let (de, di) = tr.network().dale_violations().within_type();
    println!(
        "RLS vs batch (rel) {worst_batch:.2e}; block-mean change: predicted {pred:.4?}, correlated {predc:.4?}, RLS {got:.4?}; Dale predicted {pe:.3}/{pi:.3}, measured {de:.3}/{di:.3}"
    );
    assert!(worst_batch < 1e-8, "RLS in the network vs batch penalised LS: {worst_batch:e}");
    for b in 0..2 {
        // same sign (E mean falls, I mean rises towards 0) and the reductions
        // overestimate: the actual change is 20–100 % of the prediction
        for p in [pred[b], predc[b]] {
            let ratio = got[b] / p;
            assert!((0.2..=1.0).contains(&ratio), "block {b}: RLS {} vs predicted {p}", got[b]);
        }
        assert!((predc[b] - got[b]).abs() < (pred[b] - got[b]).abs(), "correlations must bring the prediction closer");
    }
    assert!(got[0] < 0.0 && got[1] > 0.0);
    // §4.4 from the measured block means and s.d.s: within a factor 2 for E
    // synapses (the Gaussian spread assumption; the spec's prototype found
    // 27 % vs 26 %), and small for I synapses (both under 5 %)
    assert!((0.5..=2.0).contains(&(pe / de)), "Dale E predicted {pe} vs measured {de}");
    assert!(pi < 0.05 && di < 0.05, "Dale I predicted {pi} vs measured {di}");
    let labels = tr.exc_inh_labels();
    let gm = GroupMeans::of(tr.network(), &labels).unwrap();
    let bm = tr.network().block_means();
    assert!((gm.get(0, 0) - bm[0][0]).abs() < 1e-12 && (gm.get(1, 1) - bm[1][1]).abs() < 1e-12);
    let (per, total) = group_dale_violations(tr.network(), &labels).unwrap();
    let d = tr.network().dale_violations();
    assert_eq!(per[0].exc + per[1].exc, d.exc);
    assert_eq!(per[0].inh + per[1].inh, d.inh);
    assert_eq!(total, d.n_exc_synapses + d.n_inh_synapses);
}

/// Fig. 5J: pruning removes exactly the violating synapses.
#[test]
fn pruning_removes_violations() {
    let mut cfg = TrainerConfig { window_ms: 300.0, stimulus_ms: 50.0, ..Default::default() };
    cfg.rls.lambda = 0.01;
    cfg.rls.rowsum = Rowsum::Off;
    let mut tr = Trainer::new(small_net(20, 100), cfg, 2).unwrap();
    tr.train_loop().unwrap();
    let before = tr.network().dale_violations();
    assert!(before.exc + before.inh > 0, "training must create violations");
    let mut net = tr.network().clone();
    let removed = net.prune_dale_violations();
    assert_eq!(removed, before);
    let after = net.dale_violations();
    assert_eq!((after.exc, after.inh), (0, 0));
    let zeros: usize = (0..net.n()).map(|i| net.weights(i).iter().filter(|&&w| w == 0.0).count()).sum();
    assert!(zeros >= before.exc + before.inh);
}
