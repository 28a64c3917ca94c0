//! The three synapse kernels compute the same dynamics (spec §2.5, §10.2,
//! §10.4, §4.3 "Cross-check" notes).
//!
//! Chaotic trajectories amplify round-off (λ_max ≈ 0.1–0.17 per time unit at
//! g = 2), so kernel equivalence is tested as the spec recommends: per step
//! on a *fed* sequence of rates ("teacher forcing"), and on free-running
//! trajectories only over a horizon short enough that the amplification is
//! bounded and stated.

use hebb_rate::{
    DenseKernel, DenseNetwork, HistoryKernel, HistoryNetwork, InitialSynapses, NaiveKernel, NaiveNetwork, RateFunction,
    RateParams, SynapseScheme, SynapticKernel,
};

fn params(n: usize, k: f64, tau_s: f64) -> RateParams {
    RateParams { n, g: 2.0, k, tau_s, ..Default::default() }
}

/// The rates of a free-running dense trajectory, φ(x_n) for n = 0..steps.
fn rate_sequence(p: &RateParams, seed: u64, steps: usize) -> Vec<Vec<f64>> {
    let mut net = DenseNetwork::new(p, seed).unwrap();
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        out.push(net.rates());
        net.step();
    }
    out
}

/// Feed the same rates to two kernels; return max_n max_i |h¹_n − h²_n| and
/// max |h|.
fn forced_difference<K1: SynapticKernel, K2: SynapticKernel>(
    p: &RateParams,
    seq: &[Vec<f64>],
    init: Option<&[f64]>,
    freeze_at: Option<(usize, usize)>,
) -> (f64, f64, K1, K2) {
    let mut k1 = K1::build(p, init).unwrap();
    let mut k2 = K2::build(p, init).unwrap();
    let (mut worst, mut hmax) = (0.0f64, 0.0f64);
    for (n, phi) in seq.iter().enumerate() {
        let plastic = match freeze_at {
            Some((a, b)) => !(a..b).contains(&n),
            None => true,
        };
        let mut h1 = vec![0.0; p.n];
        let mut h2 = vec![0.0; p.n];
        k1.step(phi, &mut h1, plastic);
        k2.step(phi, &mut h2, plastic);
        for (a, b) in h1.iter().zip(&h2) {
            worst = worst.max((a - b).abs());
            hmax = hmax.max(a.abs());
        }
    }
    (worst, hmax, k1, k2)
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Dense (packed, fused, chunked) against the naive full-matrix loops on a
/// chaotic rate sequence, 1000 steps, Hebbian and anti-Hebbian.
///
/// Tolerance: both kernels form A_ij (i ≤ j) by the *same* expression
/// α a + (β φ_i) φ_j, so their upper triangles are bit-identical (asserted;
/// the naive lower triangle uses (β φ_j) φ_i and may differ in the last
/// bit); only the summation order of A φ differs. Each product sums N = 300 terms of size
/// ≤ |k|/N, so the difference is ≤ N ε |k| ≈ 300 · 1.1e-16 · 2 ≈ 7e-14;
/// 1e-12 is the brief's target and still 15× above that bound.
#[test]
fn dense_equals_naive_reference() {
    for (k, tau_s) in [(2.0, 1.0), (-2.0, 1.0), (1.0, 10.0)] {
        let p = params(300, k, tau_s);
        let seq = rate_sequence(&p, 11, 1000);
        let (d, hmax, dense, naive) = forced_difference::<DenseKernel, NaiveKernel>(&p, &seq, None, None);
        eprintln!("dense vs naive, k={k} tau_s={tau_s}: max |Δh| = {d:e}");
        assert!(d < 1e-12, "k={k} tau_s={tau_s}: max |Δh| = {d:e}");
        assert!(hmax > 0.1, "the plastic input is O(1): {hmax}");
        let (ad, an) = (dense.to_dense(), naive.to_dense());
        let n = p.n;
        let upper_same = (0..n).all(|i| (i..n).all(|j| ad[i * n + j] == an[i * n + j]));
        assert!(upper_same, "upper triangles of A must be bit-identical");
        assert!(max_abs_diff(&ad, &an) < 1e-17);
    }
}

/// Free-running: the dense and naive networks from the same (J*, x0) over
/// 300 steps (t = 30) at g = 2, k = 2. Per-step differences ≤ 1e-13 (above)
/// grow at most like e^{λ t} with λ ≈ 0.15 (§8.2), a factor ≈ 90 at t = 30,
/// times a transient non-normal gain of O(10): 1e-10 bounds that.
#[test]
fn dense_and_naive_trajectories_agree_over_a_short_horizon() {
    let p = params(300, 2.0, 1.0);
    let mut d = DenseNetwork::new(&p, 3).unwrap();
    let mut nv = NaiveNetwork::new(&p, 3).unwrap();
    let mut worst = 0.0f64;
    for _ in 0..300 {
        d.step();
        nv.step();
        worst = worst.max(max_abs_diff(d.x(), nv.x()));
    }
    eprintln!("dense vs naive free-running, 300 steps: {worst:e}");
    assert!(worst < 1e-10, "{worst:e}");
}

/// History (no truncation: L > number of steps) against dense on a fed
/// sequence. The two form A φ by different but mathematically identical
/// sums (β α^(j−1) weights vs repeated α scaling); each of the ≤ 1000 terms
/// carries a relative error ≤ ~j ε from the powers, so |Δh| ≲ |k| · 1000 ε
/// ≈ 4e-13 in the worst case; the spec measured ≤ 4e-14 with numpy.
/// We assert 1e-12.
#[test]
fn history_equals_dense_without_truncation() {
    for (k, tau_s) in [(2.0, 1.0), (-2.0, 1.0), (1.0, 10.0)] {
        let p = RateParams { history_len: Some(1001), ..params(300, k, tau_s) };
        let seq = rate_sequence(&p, 11, 1000);
        let (d, _, _, _) = forced_difference::<HistoryKernel, DenseKernel>(&p, &seq, None, None);
        eprintln!("history vs dense, k={k} tau_s={tau_s}: {d:e}");
        assert!(d < 1e-12, "k={k} tau_s={tau_s}: {d:e}");
    }
}

/// With the default tolerance (α^L ≤ 1e-14) the truncation is below
/// round-off: same 1e-12 bound as above (the bound |k| α^L = 2e-14).
#[test]
fn history_with_default_truncation_is_exact_to_roundoff() {
    let p = params(300, 2.0, 1.0);
    let l = p.history_length().unwrap();
    assert!((300..=310).contains(&l), "L = {l}");
    let seq = rate_sequence(&p, 5, 1000);
    let (d, _, hk, _) = forced_difference::<HistoryKernel, DenseKernel>(&p, &seq, None, None);
    assert_eq!(hk.stored(), l);
    assert!(d < 1e-12, "{d:e}");
}

/// A deliberately short buffer: the error obeys the documented bound
/// |Δh_i| ≤ |k| α^L, and the bound is not loose by more than ~100× (the
/// dropped terms are correlated with φ_n only through C_N ≈ q < 1).
#[test]
fn history_truncation_error_obeys_the_bound() {
    for l in [10usize, 20, 40] {
        let p = RateParams { history_len: Some(l), ..params(200, 2.0, 1.0) };
        let seq = rate_sequence(&p, 9, 400);
        let (d, _, _, _) = forced_difference::<HistoryKernel, DenseKernel>(&p, &seq, None, None);
        let bound = p.history_truncation_bound(l);
        eprintln!("history L={l}: {d:e} (bound {bound:e})");
        assert!(d <= bound * (1.0 + 1e-9) + 1e-13, "L={l}: {d:e} > {bound:e}");
        assert!(d > bound / 100.0, "L={l}: bound loose? {d:e} vs {bound:e}");
    }
}

/// Freezing and unfreezing are the same operation in all kernels: A held
/// while frozen (bit-exactly for the dense kernel), then decaying again.
#[test]
fn freeze_unfreeze_agree_across_kernels() {
    let p = RateParams { history_len: Some(1001), ..params(200, 2.0, 1.0) };
    let seq = rate_sequence(&p, 4, 900);
    let (d, _, hk, dk) = forced_difference::<HistoryKernel, DenseKernel>(&p, &seq, None, Some((300, 600)));
    assert!(d < 1e-12, "{d:e}");
    assert!(max_abs_diff(&hk.to_dense(), &dk.to_dense()) < 1e-14);
    let (d2, _, _, _) = forced_difference::<NaiveKernel, DenseKernel>(&p, &seq, None, Some((300, 600)));
    assert!(d2 < 1e-12, "{d2:e}");

    // While frozen, the dense A does not change at all.
    let mut net = DenseNetwork::new(&p, 4).unwrap();
    net.run(100);
    net.freeze();
    let a0 = net.kernel().packed().to_vec();
    net.run(50);
    assert_eq!(a0, net.kernel().packed());
    net.unfreeze();
    net.step();
    assert_ne!(a0, net.kernel().packed());
}

/// A Hebbian A(0) = (k/N) φ₀φ₀ᵀ is carried exactly by the history kernel's
/// extra term; the exponential scheme agrees across kernels too.
#[test]
fn hebbian_initial_synapses_and_exponential_scheme() {
    for scheme in [SynapseScheme::Euler, SynapseScheme::Exponential] {
        let p = RateParams {
            history_len: Some(600),
            initial_synapses: InitialSynapses::Hebbian,
            scheme,
            ..params(150, 1.5, 2.0)
        };
        let seq = rate_sequence(&p, 21, 500);
        let init = seq[0].clone();
        let (d, _, hk, dk) = forced_difference::<HistoryKernel, DenseKernel>(&p, &seq, Some(&init), None);
        assert!(d < 1e-12, "{scheme:?}: {d:e}");
        assert!(max_abs_diff(&hk.to_dense(), &dk.to_dense()) < 1e-14);
        // Network level: the Hebbian A(0) is built from the network's own x(0).
        let net = HistoryNetwork::new(&p, 21).unwrap();
        let a = net.plastic_matrix();
        let r = net.rates();
        assert!((a[3 * 150 + 7] - 1.5 / 150.0 * r[3] * r[7]).abs() < 1e-16);
    }
}

/// Invariants of §2.5: A symmetric; A_ij = O(1/N) while (A φ)_i = O(1);
/// at k = 0, A ≡ 0 and the network is exactly SCS.
#[test]
fn synaptic_invariants() {
    let p = params(400, 2.0, 1.0);
    let mut net = DenseNetwork::new(&p, 1).unwrap();
    net.run(1000);
    let a = net.plastic_matrix();
    let n = p.n;
    for i in 0..n {
        for j in 0..n {
            assert_eq!(a[i * n + j], a[j * n + i]);
        }
    }
    let max_a = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_a <= p.k / n as f64, "|A_ij| ≤ |k|/N: {max_a}");
    let r = net.rates();
    let mut h = vec![0.0; n];
    for i in 0..n {
        h[i] = (0..n).map(|j| a[i * n + j] * r[j]).sum();
    }
    let rms = (h.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
    assert!(rms > 0.3, "plastic input O(1): {rms}");

    let p0 = params(100, 0.0, 1.0);
    let mut net0 = DenseNetwork::new(&p0, 1).unwrap();
    net0.run(200);
    assert!(net0.plastic_matrix().iter().all(|&v| v == 0.0));
    // SCS by hand: x ← x + dt(−x + gJ* φ(x)) from the same J* and x0.
    let mut x = hebb_rate::draw_initial_state(&p0, 1).unwrap();
    let gj = hebb_rate::draw_couplings(&p0, 1).unwrap();
    for _ in 0..200 {
        let r: Vec<f64> = x.iter().map(|&v| p0.nonlinearity.phi(v)).collect();
        for i in 0..100 {
            let h: f64 = (0..100).map(|j| gj[i * 100 + j] * r[j]).sum();
            x[i] += 0.1 * (h - x[i]);
        }
    }
    // Different summation order only, over 200 steps of chaos (t = 20).
    let dx = max_abs_diff(&x, net0.x());
    eprintln!("SCS by hand vs k = 0 network: {dx:e}");
    assert!(dx < 1e-10);
}
