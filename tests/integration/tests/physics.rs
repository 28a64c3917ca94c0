//! The balanced network against its mean-field theory (specs/akil.md §3.1,
//! §3.2, tolerances of §4.2). Run in release: `cargo test --release`.

use hebb::sim::SimConfig;
use hebb::sim::Simulation;

fn default_run(c: f64, duration_ms: f64) -> (SimConfig, hebb::sim::RunResults) {
    let mut cfg = SimConfig::akil_default();
    cfg.external[0].c = c;
    cfg.run.duration_ms = duration_ms;
    cfg.record.spikes = false;
    let mut sim = Simulation::new(cfg.clone()).unwrap();
    sim.run(&mut |_| {}).unwrap();
    (cfg, sim.results())
}

fn rel(a: f64, b: f64) -> f64 {
    a / b - 1.0
}

/// N = 5000, c = 0, 10 s (rates over the last 5 s): E and I rates within
/// 10 % of the leading-order balanced rates 5.824 / 15.882 Hz. Finite-N
/// corrections are O(1/√N) (≈ 1.4 % times an O(1)–O(10) coefficient); the
/// authors' package sits at −3 % / −9 % here (spec §4.2), and the 5-s
/// counting window adds < 1 % of Poisson noise (≈ 10⁵ E spikes). We measure
/// about −2 % / −9 %.
#[test]
fn rates_match_balanced_theory_uncorrelated() {
    let (cfg, res) = default_run(0.0, 10_000.0);
    let theory = hebb::theory::rates(&cfg, None).unwrap().rates_hz();
    assert!((theory[0] - 5.824).abs() < 1e-3 && (theory[1] - 15.882).abs() < 1e-3);
    let (e, i) = (res.rates_hz["E"], res.rates_hz["I"]);
    assert!(rel(e, theory[0]).abs() < 0.10, "E {e} Hz vs theory {}", theory[0]);
    assert!(rel(i, theory[1]).abs() < 0.10, "I {i} Hz vs theory {}", theory[1]);
    // Balance: E+X and I inputs are each O(√N) (±3.4 mV/ms at N = 5000,
    // spec §3.1) and cancel to O(1): the net input is < 25 % of either.
    let m = &res.mean_input["E"];
    assert!(m.e + m.x > 2.0 && m.i < -2.0, "inputs {m:?}");
    assert!(m.total.abs() < 0.25 * (m.e + m.x), "net input {m:?}");
}

/// N = 5000, c = 0.1, 40 s: every external unit thins one shared mother
/// train, so the delivered external rate varies from seed to seed; the
/// rates are compared with the theory at the delivered rate (10 %, as
/// above), and the mean spike-count covariances (250 ms windows, 80 of them)
/// with the leading-order formula C̄ = T_win W⁻¹W_x c r_x W_xᵀW⁻ᵀ. With 80
/// windows the relative standard error of a population covariance is
/// √(2/79) ≈ 0.16, and the leading-order theory carries O(1/√N) bias, so we
/// require agreement within a factor 0.6–1.6 (we measure ratios ≈ 1.1–1.3).
/// Uncorrelated input must give covariances more than 10× smaller
/// (O(1/N) against O(1), spec §3.2).
#[test]
fn rates_and_covariances_with_correlated_input() {
    let (cfg, res) = default_run(0.1, 40_000.0);
    let delivered = [res.external_rates_hz["X"]];
    let theory = hebb::theory::rates(&cfg, Some(&delivered)).unwrap().rates_hz();
    for (p, th) in ["E", "I"].iter().zip(&theory) {
        let r = res.rates_hz[*p];
        assert!(rel(r, *th).abs() < 0.10, "{p}: {r} Hz vs theory at delivered input {th}");
    }
    let cov = hebb::theory::covariances(&cfg, Some(&delivered)).unwrap().cov_by_pair();
    for pair in ["E-E", "E-I", "I-I"] {
        let (m, t) = (res.cov_mean[pair], *cov.get(pair).unwrap());
        assert!(m / t > 0.6 && m / t < 1.6, "{pair}: covariance {m} vs theory {t}");
    }
    let (_, uncorrelated) = default_run(0.0, 10_000.0);
    for pair in ["E-E", "E-I", "I-I"] {
        assert!(
            uncorrelated.cov_mean[pair] * 10.0 < res.cov_mean[pair],
            "{pair}: c = 0 gives {} vs c = 0.1 {}",
            uncorrelated.cov_mean[pair],
            res.cov_mean[pair]
        );
    }
}

/// The LIF benchmark network of specs/performance.md §2 fires at the rate
/// its peers report (Brian2 ≈ 5.0 Hz, NEST 5.0–5.3 Hz, §2.8). Our Poisson
/// drive and the peers' are statistically the same, so 2 s (1 s measured,
/// ≈ 2·10⁴ E spikes) must land in [4, 6.5] Hz for E and I.
#[test]
fn benchmark_network_fires_like_its_peers() {
    let mut cfg = SimConfig::benchmark();
    cfg.run.duration_ms = 2000.0;
    cfg.record.spikes = false;
    let mut sim = Simulation::new(cfg).unwrap();
    sim.run(&mut |_| {}).unwrap();
    let r = sim.results();
    for p in ["E", "I"] {
        assert!((4.0..6.5).contains(&r.rates_hz[p]), "{p}: {} Hz", r.rates_hz[p]);
    }
}

/// iSTDP on E←I (ρ_e = 10 Hz) pins the E rate to its target
/// (specs/akil.md §3.4; acceptance of the plasticity issue: within 0.5 Hz).
/// N = 5000, c = 0, η₀ = 2e-3 with the MATLAB normaliser −200 (fast, so the
/// relaxation time, ≈ 125 s·1e-4/η₀ ≈ 6 s at τ = 200 ms, fits a 30 s run);
/// the E rate is measured over the last 10 s. Covariances are O(1/N) at
/// c = 0, so the leading-order target r_e* = ρ_e holds up to O(1/√N).
#[test]
fn istdp_pins_the_excitatory_rate() {
    let mut cfg = SimConfig::akil_default();
    cfg.external[0].c = 0.0;
    cfg.run.duration_ms = 30_000.0;
    cfg.record.burn_in_fraction = 2.0 / 3.0;
    cfg.record.spikes = false;
    cfg.plasticity = vec![hebb::sim::RuleConfig::Homeostatic {
        synapse: "E<-I".parse().unwrap(),
        eta0: 2e-3,
        j_norm: -200.0,
        rho_hz: 10.0,
        tau_stdp_ms: 200.0,
    }];
    let mut sim = Simulation::new(cfg).unwrap();
    sim.run(&mut |_| {}).unwrap();
    let res = sim.results();
    let e = res.rates_hz["E"];
    let w = &sim.recorder.weights;
    assert!((e - 10.0).abs() < 0.5, "E rate {e} Hz, mean j(E<-I) {} -> {}", w.mean_j[0], w.mean_j.last().unwrap());
    // Inhibition onto E weakened from −150 toward the leading-order −119.7.
    let j = *w.mean_j.last().unwrap();
    assert!(j > -135.0 && j < -105.0, "final mean j(E<-I) = {j}");
}

/// The embedded default (the demo with iSTDP on E←I and I←I) moves both
/// inhibitory weights the way §3.3 predicts from its rates: both rates are
/// below their targets (≈ 5.7 < 10 Hz, ≈ 14 < 20 Hz), so both inhibitions
/// weaken (mean j rises toward 0).
#[test]
fn demo_istdp_moves_weights_in_the_predicted_direction() {
    let mut cfg = SimConfig::akil_demo();
    cfg.run.duration_ms = 3000.0;
    cfg.record.spikes = false;
    let mut sim = Simulation::new(cfg).unwrap();
    sim.run(&mut |_| {}).unwrap();
    let res = sim.results();
    let w = &sim.recorder.weights;
    assert!(res.rates_hz["E"] < 10.0 && res.rates_hz["I"] < 20.0);
    let k = w.types.len();
    let last = w.t_ms.len() - 1;
    for (p, name) in w.types.iter().enumerate() {
        assert!(w.mean_j[last * k + p] > w.mean_j[p], "{name}: {} -> {}", w.mean_j[p], w.mean_j[last * k + p]);
    }
}

/// The optogenetic protocol's input (specs/akil.md §1.4, §3.6): E split into
/// E1 and E2 (same weights), and a second external layer of 0.2 N Poisson
/// units at 5 Hz onto E1 only, active in [1, 2) s. During the window E1
/// fires clearly above E2 (the extra drive is O(√N) before the network
/// rebalances: at N = 2000 it adds √N·p·q·j·r = 44.7·0.1·0.2·180·0.005 ≈
/// 0.8 mV/ms to E1), and outside it the two halves fire alike (within 20 %,
/// the sampling noise of 1 s of ~800 neurons at ~5 Hz is ~2 %, finite-size
/// asymmetry of the random graph adds more).
#[test]
fn windowed_layer_drives_only_its_target_inside_the_window() {
    use hebb::sim::config::{ExternalConfig, TargetConfig};
    let mut cfg = SimConfig::akil_default();
    cfg.network.n = 2000;
    cfg.run.duration_ms = 3000.0;
    cfg.record.spikes = false;
    cfg.record.rate_bin_ms = 1000.0;
    cfg.external[0].c = 0.0;
    cfg.split_population("E", &[("E1", 0.4), ("E2", 0.4)]).unwrap();
    cfg.external.push(ExternalConfig {
        name: "X2".into(),
        fraction: 0.2,
        rate_hz: 5.0,
        c: 0.0,
        jitter_ms: 5.0,
        window_ms: Some([1000.0, 2000.0]),
        targets: vec![TargetConfig { post: "E1".into(), p: 0.1, j: 180.0 }],
    });
    let mut sim = Simulation::new(cfg).unwrap();
    sim.run(&mut |_| {}).unwrap();
    let r = sim.results();
    // Bins of 1 s: [0, 1), [1, 2) (laser on), [2, 3).
    let (e1, e2) = (&r.bin_rates_hz[0], &r.bin_rates_hz[1]);
    assert!(e1[1] > 1.3 * e2[1], "during the window E1 {} Hz vs E2 {} Hz", e1[1], e2[1]);
    for b in [0, 2] {
        assert!((e1[b] / e2[b] - 1.0).abs() < 0.2, "bin {b}: E1 {} vs E2 {} Hz", e1[b], e2[b]);
    }
}
