//! The strongly coupled LIF network and the trainer (kimchow.md §2, §3.6,
//! §3.7, §9): physics of the untrained network, learning, hard ROWSUM in a
//! real training run, reproducibility.

use hebb_training::{
    Network, NetworkConfig, Rowsum, TrainedSet, Trainer, TrainerConfig, TrainingInitialState, TrialReport,
};

/// The untrained network sits in the balanced state of §2.4 (N = 1000,
/// K = 100, x = 0.12, τ_s = 20 ms: the spec's prototype setting, which
/// measured 5.5 / 8.5 Hz, 6 % silent E cells, mean total input 0.65).
///
/// Measured here (seed 1, 1 s after 200 ms): 5.2 / 8.3 Hz against the
/// leading-order balance 7.5 / 13.5 Hz; 6.4 % silent E cells; mean total
/// input 0.72 (E) and 0.60 (I), made of an excitatory part X + u_E of 1.96 /
/// 2.24 and an inhibitory part of −1.24 / −1.65.
///
/// Bounds:
/// * rates within [0.5, 1] of the balance solution: at K = 100 the O(1/√K)
///   correction lowers both (the spec's prototype is at 0.73 / 0.63); a
///   network out of balance (e.g. no inhibition, or drive not ∝ √K) is off by
///   far more, and ν_I > ν_E as balance demands (ν_I − ν_E = x/20);
/// * cancellation: the mean total input is O(1) while each part is O(√K), so
///   |total| / (X + u_E) must be < 0.5 (measured 0.37 / 0.27; without
///   recurrent inhibition it would be ≥ 1);
/// * fluctuation-driven: the mean total input is below threshold (< 1) and
///   above 0, and fewer than 15 % of E cells are silent.
#[test]
fn untrained_network_is_balanced() {
    let cfg = NetworkConfig { tau_s_ms: 20.0, ..NetworkConfig::default() };
    assert_eq!((cfg.n_exc, cfg.n_inh, cfg.k, cfg.x), (500, 500, 100, 0.12));
    let mut net = Network::new(cfg, 1).unwrap();
    net.reset(1);
    for _ in 0..2000 {
        net.step();
    }
    let (n, ne, steps) = (1000, 500, 10_000);
    let mut counts = vec![0u32; n];
    let (mut tot, mut exc, mut inh) = ([0.0f64; 2], [0.0f64; 2], [0.0f64; 2]);
    for _ in 0..steps {
        for &j in net.step() {
            counts[j as usize] += 1;
        }
        for i in 0..n {
            let p = usize::from(i >= ne);
            tot[p] += net.total_input(i);
            exc[p] += net.bias()[i] + net.exc_input()[i];
            inh[p] += net.inh_input()[i];
        }
    }
    let norm = (steps * ne) as f64;
    let rate = |r: std::ops::Range<usize>| counts[r].iter().sum::<u32>() as f64 / ne as f64; // Hz over 1 s
    let (re, ri) = (rate(0..ne), rate(ne..n));
    let bal = cfg.balanced_rates().unwrap();
    let (be, bi) = (bal[0] * 1e3, bal[1] * 1e3);
    assert!((be - 7.5).abs() < 1e-12 && (bi - 13.5).abs() < 1e-12);
    let avg = |x: [f64; 2]| [x[0] / norm, x[1] / norm];
    println!(
        "rates {re:.2} / {ri:.2} Hz (balance {be:.2} / {bi:.2}); mean total input {:.3?}, X + u_E {:.3?}, u_I {:.3?}",
        avg(tot),
        avg(exc),
        avg(inh)
    );
    assert!((0.5..=1.0).contains(&(re / be)), "E rate {re} Hz vs balance {be}");
    assert!((0.5..=1.0).contains(&(ri / bi)), "I rate {ri} Hz vs balance {bi}");
    assert!(ri > re, "I rate {ri} must exceed E rate {re}");
    for p in 0..2 {
        let (t, e, i) = (tot[p] / norm, exc[p] / norm, inh[p] / norm);
        assert!(t.abs() / e < 0.5, "pop {p}: total {t} vs excitatory part {e} (inhibitory {i})");
        assert!((0.0..1.0).contains(&t), "pop {p}: mean total input {t} must be subthreshold");
        assert!(i < -0.5 * e, "pop {p}: inhibition {i} must cancel most of the excitation {e}");
    }
    let silent = counts[..ne].iter().filter(|&&c| c == 0).count();
    assert!(silent < ne * 15 / 100, "{silent} silent E cells");
}

/// Rates relative to the balance solution over 0.5 s after 100 ms.
fn rate_ratio(n: usize, k: usize) -> [f64; 2] {
    let cfg = NetworkConfig { n_exc: n / 2, n_inh: n / 2, k, tau_s_ms: 20.0, ..NetworkConfig::default() };
    let mut net = Network::new(cfg, 1).unwrap();
    net.reset(1);
    for _ in 0..1000 {
        net.step();
    }
    let mut c = [0usize; 2];
    for _ in 0..5000 {
        for &j in net.step() {
            c[usize::from(j as usize >= n / 2)] += 1;
        }
    }
    let b = cfg.balanced_rates().unwrap(); // spikes/ms
    let per_ms = |x: usize| x as f64 / (n / 2) as f64 / 500.0;
    [per_ms(c[0]) / b[0], per_ms(c[1]) / b[1]]
}

/// The balanced rates are the K → ∞ limit (§2.4, §9): the mean total input
/// stays O(1) while the couplings grow like √K, so the rates approach
/// `x/16` and `x/16 + x/20` with an O(1/√K) deviation. Quadrupling K
/// (50 → 200 at N = 500) should halve `1 − ν/ν_bal`.
///
/// Measured: ν/ν_bal = 0.57 / 0.42 (E / I) at K = 50 and 0.80 / 0.67 at
/// K = 200, i.e. deviation ratios 0.47 / 0.58. Bounds [0.3, 0.75] around
/// the predicted 0.5 leave room for the O(1/K) terms and for rate noise
/// (≈ 1–2 % over 0.5 s), and fail for a network whose rates do not move
/// towards balance (ratio ≈ 1) or overshoot it.
#[test]
fn rates_approach_balance_as_k_grows() {
    let small = rate_ratio(500, 50);
    let large = rate_ratio(500, 200);
    println!("nu/nu_bal: K = 50 {small:.3?}, K = 200 {large:.3?}");
    for p in 0..2 {
        let ratio = (1.0 - large[p]) / (1.0 - small[p]);
        assert!((0.3..0.75).contains(&ratio), "pop {p}: deviation ratio {ratio} ({small:?} -> {large:?})");
    }
}

fn small_net(k: usize, n: usize) -> NetworkConfig {
    NetworkConfig { n_exc: n / 2, n_inh: n / 2, k, tau_s_ms: 50.0, ..NetworkConfig::default() }
}

fn frozen_r(tr: &mut Trainer, trials: u64) -> (f64, f64, Vec<f64>) {
    let reps: Vec<TrialReport> = (0..trials).map(|t| tr.test_trial(t).unwrap()).collect();
    let single = reps.iter().map(|r| r.mean_pearson).sum::<f64>() / trials as f64;
    let (avg, per) = tr.trial_averaged_pearson(&reps);
    (single, avg, per)
}

/// RLS training raises the frozen-weight Pearson R of trained neurons
/// (§3.7, §9 relation 5). N = 400, K = 80, τ_s = 50 ms, OU targets
/// (τ = 200 ms, s.d. 0.3) on top of each neuron's own mean input, λ = 0.05,
/// soft ROWSUM μ = 8, 5 loops of a 1-s window (505 updates), new initial
/// voltages every loop; R measured on 3 test trials with new initial
/// voltages and frozen weights.
///
/// Measured (seed 7): R_train 0.675 → 0.774 from loop 1 to 5; frozen R,
/// single-trial mean −0.001 → 0.149, trial-averaged 0.000 → 0.182, with
/// 67 % of neurons improving.
///
/// Bounds: before training, input and target are independent, so R is 0
/// up to noise: with ~5 independent target fluctuations per 1-s window a
/// neuron's R has s.d. ≈ 0.4, its mean over 400 neurons ≈ 0.02; the test
/// asks for a rise of 0.08 (4 s.d.) in both single-trial and trial-averaged
/// R, for more than 60 % of neurons to improve (50 % ± 2.5 % by chance), and for
/// R_train to rise by 0.05 over the loops. ROWSUM μ = 8 must keep the block
/// means within 1e-3 relative (§9 relation 1; measured ~1e-4).
#[test]
fn rls_training_raises_pearson_r() {
    let mut cfg = TrainerConfig { training_initial_state: TrainingInitialState::NewEachLoop, ..Default::default() };
    cfg.rls.lambda = 0.05;
    let mut tr = Trainer::new(small_net(80, 400), cfg, 7).unwrap();
    let means0 = tr.network().block_means();
    let (s0, a0, per0) = frozen_r(&mut tr, 3);
    let r_train: Vec<f64> = (0..5).map(|_| tr.train_loop().unwrap().mean_pearson).collect();
    assert_eq!(tr.rls().n_updates(), 505);
    let (s1, a1, per1) = frozen_r(&mut tr, 3);
    let improved = per0.iter().zip(&per1).filter(|(a, b)| b > a).count() as f64 / per0.len() as f64;
    println!("R_train {r_train:.3?}; single {s0:.3} -> {s1:.3}; averaged {a0:.3} -> {a1:.3}; improved {improved:.2}");
    assert!(s0.abs() < 0.06 && a0.abs() < 0.06, "untrained R must be ~0: {s0} {a0}");
    assert!(s1 > s0 + 0.08, "single-trial R {s0} -> {s1}");
    assert!(a1 > a0 + 0.08, "trial-averaged R {a0} -> {a1}");
    assert!(improved > 0.6, "fraction of neurons whose R improved: {improved}");
    assert!(r_train[4] > r_train[0] + 0.05, "R_train over loops {r_train:?}");
    let means1 = tr.network().block_means();
    println!("block means {means0:.4?} -> {means1:.4?}");
    for b in 0..2 {
        for a in 0..2 {
            let rel = (means1[b][a] / means0[b][a] - 1.0).abs();
            assert!(rel < 1e-3, "block [{b}][{a}] mean {} -> {} ({rel})", means0[b][a], means1[b][a]);
        }
    }
}

/// Hard ROWSUM in a real training run: after every one of 2 × 51 updates,
/// the E and I row sums of every trained neuron, both in the RLS state and
/// in the network's own weights, equal their initial values K·W_block to
/// 1e-9 (measured: ~1e-13, f64 rounding of sums of ~20 terms of size ~1-5).
/// The weights do move (mean |Δw| > 0.01, measured ~0.3) and, with the same
/// run without ROWSUM, the row sums move by more than 1e-3 (measured ~0.2),
/// so the bound is not trivially met.
#[test]
fn hard_rowsum_fixes_block_row_sums_through_training() {
    let run = |rowsum: Rowsum| {
        let mut cfg = TrainerConfig {
            stimulus_ms: 100.0,
            window_ms: 500.0,
            trained: TrainedSet::Subset((0..200).step_by(3).collect()),
            ..Default::default()
        };
        cfg.rls.lambda = 0.05;
        cfg.rls.rowsum = rowsum;
        let mut tr = Trainer::new(small_net(20, 200), cfg, 3).unwrap();
        let trained = tr.trained().to_vec();
        let k = 20usize;
        let init: Vec<[f64; 2]> = trained
            .iter()
            .map(|&i| {
                let w = tr.network().weights(i as usize);
                [w[..k].iter().sum(), w[k..].iter().sum()]
            })
            .collect();
        let mut max_dev = 0.0f64;
        let mut updates = 0;
        for _ in 0..2 {
            tr.train_loop_observed(|rls, net| {
                updates += 1;
                for (q, &i) in trained.iter().enumerate() {
                    let g = rls.group_sums(q);
                    let w = net.weights(i as usize);
                    let (se, si): (f64, f64) = (w[..k].iter().sum(), w[k..].iter().sum());
                    for d in [g[0] - init[q][0], g[1] - init[q][1], se - init[q][0], si - init[q][1]] {
                        max_dev = max_dev.max(d.abs());
                    }
                }
            })
            .unwrap();
        }
        assert_eq!(updates, 102);
        let moved = tr
            .rls()
            .weights_flat()
            .iter()
            .zip(tr.rls().inputs().initial_weights_flat())
            .map(|(w, w0)| (w - w0).abs())
            .sum::<f64>()
            / tr.rls().weights_flat().len() as f64;
        (max_dev, moved)
    };
    let (dev_hard, moved_hard) = run(Rowsum::Hard);
    let (dev_off, moved_off) = run(Rowsum::Off);
    println!("hard: row-sum deviation {dev_hard:.2e}, mean |dw| {moved_hard:.3}; off: {dev_off:.3}, {moved_off:.3}");
    assert!(dev_hard < 1e-9, "hard ROWSUM row sums drifted by {dev_hard}");
    assert!(moved_hard > 0.01, "weights must move under training: {moved_hard}");
    assert!(dev_off > 1e-3, "without ROWSUM the row sums should move: {dev_off}");
}

fn fingerprint(tr: &mut Trainer) -> (Vec<u64>, Vec<u64>, Vec<u32>) {
    let l = tr.train_loop().unwrap();
    let t = tr.test_trial(0).unwrap();
    let mut w: Vec<u64> = tr.rls().weights_flat().iter().map(|x| x.to_bits()).collect();
    for i in 0..tr.network().n() {
        w.extend(tr.network().weights(i).iter().map(|x| x.to_bits()));
    }
    let rec: Vec<u64> = l.inputs.iter().chain(&t.inputs).chain(&l.pearson).map(|x| x.to_bits()).collect();
    let counts = l.trial_counts.iter().chain(&t.trial_counts).copied().collect();
    (w, rec, counts)
}

/// Trials are a pure function of the seed and bit-identical on 1 and 2
/// rayon threads (network step and RLS both parallel) and with the serial
/// code paths, and another seed gives another run.
#[test]
fn trials_are_reproducible_and_thread_independent() {
    let cfg = TrainerConfig { stimulus_ms: 100.0, window_ms: 400.0, ..Default::default() };
    let net = NetworkConfig { parallel: true, ..small_net(20, 300) };
    let run = |threads: usize, seed: u64, parallel: bool| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut cfg = cfg.clone();
        cfg.rls.parallel = parallel;
        let net = NetworkConfig { parallel, ..net };
        pool.install(|| fingerprint(&mut Trainer::new(net, cfg, seed).unwrap()))
    };
    let a = run(1, 5, true);
    let b = run(2, 5, true);
    let c = run(2, 5, true);
    let serial = run(2, 5, false);
    assert!(a.2.iter().sum::<u32>() > 100, "the network must spike");
    assert!(a == b, "1 and 2 threads differ");
    assert!(b == c, "two runs with the same seed differ");
    assert!(a == serial, "parallel and serial code paths differ");
    let d = run(2, 6, true);
    assert!(a.0 != d.0 && a.2 != d.2, "another seed must give another run");
}
