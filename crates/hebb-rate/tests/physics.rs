//! Physics checks against the spec's theory and [N] reference numbers
//! (`specs/clark.md`). All at g = 2, dt = 0.1, Euler, erf, x(0) ~ N(0, 1),
//! A(0) = 0 unless stated. Our J* and x(0) come from hebb's keyed streams,
//! not numpy's, so every comparison is statistical: several seeds, and
//! tolerances from the spec's own guidance (10–20 % for chaotic-state
//! statistics, ±0.02 for one-seed Lyapunov exponents) widened where the
//! spec flags a quantity as seed- or N-sensitive. Sizes are CI-sized
//! (N = 300–400, T ≈ 300; spec §10.8).

use hebb_rate::{
    ChaosStats, ChaosSummary, DenseNetwork, LyapunovOptions, RateParams, kaplan_yorke, lyapunov_spectrum, max_lyapunov,
};

fn params(n: usize, g: f64, k: f64, tau_s: f64) -> RateParams {
    RateParams { n, g, k, tau_s, ..Default::default() }
}

/// Burn in `burn` steps, then record `steps` steps with lags up to `lag`.
fn stats(p: &RateParams, seed: u64, burn: u64, steps: u64, lag: usize) -> ChaosSummary {
    let mut net = DenseNetwork::new(p, seed).unwrap();
    net.run(burn);
    let mut st = ChaosStats::new(p.n, lag, p.nonlinearity);
    st.observe(net.x());
    net.run_with(steps, |n| st.observe(n.x()));
    st.summary(p.g, p.dt)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn rel(a: f64, b: f64) -> f64 {
    (a / b - 1.0).abs()
}

/// k = 0 is the SCS network (§3.4, §4.2): x = 0 is stable iff g < 1. The
/// linearisation decays at rate 1 − g ρ(J*) with ρ(J*) → 1, so after
/// t = 200 the state is below e^(−200 (1 − g)(1 − O(N^−1/2))): measured
/// 5e-43 (g = 0.5) and 4e-14 (g = 0.8); we assert 1e-30 and 1e-8.
#[test]
fn scs_below_one_decays_to_the_quiescent_state() {
    for (g, bound) in [(0.5, 1e-30), (0.8, 1e-8)] {
        let mut net = DenseNetwork::new(&params(200, g, 0.0, 1.0), 1).unwrap();
        net.run(2000);
        assert!(net.rms_x() < bound, "g = {g}: rms x = {:e}", net.rms_x());
    }
}

/// k = 0, g = 2: chaotic, with the SCS DMFT statistics of §3.4 (exact
/// quadrature: Δ₀ = 2.0641, q = 0.5538, ⟨φ'²⟩ = 0.3655 → g²⟨φ'²⟩ = 1.462,
/// τ½ = 4.65). Mean of 3 seeds at N = 400 over t ∈ [100, 400]: measured
/// within 3 % on Δ₀, q, g²⟨φ'²⟩ and within 4 % on τ½; asserted 10 % (15 %
/// for τ½, whose finite-N, finite-T error is larger, §4.3 notes).
#[test]
fn scs_chaos_matches_the_dmft_statistics() {
    let p = params(400, 2.0, 0.0, 1.0);
    let s: Vec<ChaosSummary> = (1..=3).map(|seed| stats(&p, seed, 1000, 3000, 100)).collect();
    let d0 = mean(&s.iter().map(|s| s.delta0).collect::<Vec<_>>());
    let q = mean(&s.iter().map(|s| s.q).collect::<Vec<_>>());
    let gp = mean(&s.iter().map(|s| s.g2_phi_prime_sq).collect::<Vec<_>>());
    let th = mean(&s.iter().map(|s| s.tau_half.unwrap()).collect::<Vec<_>>());
    eprintln!("k=0: Δ0 {d0:.3} q {q:.3} g²⟨φ'²⟩ {gp:.3} τ½ {th:.2}");
    assert!(rel(d0, 2.0641) < 0.10, "Δ0 {d0}");
    assert!(rel(q, 0.5538) < 0.10, "q {q}");
    assert!(rel(gp, 4.0 * 0.3655) < 0.10, "g²⟨φ'²⟩ {gp}");
    assert!(rel(th, 4.65) < 0.15, "τ½ {th}");
    // Still moving at the end: not a fixed point.
    let mut net = DenseNetwork::new(&p, 1).unwrap();
    net.run(3000);
    assert!(net.speed() > 0.1, "speed {}", net.speed());
}

/// Hebbian plasticity slows and amplifies the chaos (§4.3, τ_s = 1, [N] at
/// N = 1000): Δ₀ = 1.05, 2.03, 4.88, 11.9 and τ½ = 2.7–3.0, 4.65–5.0, 7.5,
/// 21–24.5 for k = −1, 0, 1, 2. Two seeds per k at N = 400. Asserted: Δ₀
/// and τ½ increase with k; g²⟨φ'²⟩ crosses 1 between k = 0 and k = 1 (the
/// freezability threshold, §4.2); at k = 1 the [N] values Δ₀ = 4.88,
/// q = 0.749, g²⟨φ'²⟩ = 0.78, τ½ = 7.5 within 15 % (20 % for τ½; measured
/// within 6 %). τ½ at k = 2 lies beyond the 15-unit lag window (> 15 is
/// all we assert; the spec's value is 21–24.5).
#[test]
fn hebbian_plasticity_slows_and_amplifies_chaos() {
    let ks = [-1.0, 0.0, 1.0, 2.0];
    let mut d0 = Vec::new();
    let mut th = Vec::new();
    let mut gp = Vec::new();
    let mut q = Vec::new();
    for &k in &ks {
        let p = params(400, 2.0, k, 1.0);
        let s: Vec<ChaosSummary> = (1..=2).map(|seed| stats(&p, seed, 1000, 3000, 150)).collect();
        d0.push(mean(&s.iter().map(|s| s.delta0).collect::<Vec<_>>()));
        q.push(mean(&s.iter().map(|s| s.q).collect::<Vec<_>>()));
        gp.push(mean(&s.iter().map(|s| s.g2_phi_prime_sq).collect::<Vec<_>>()));
        th.push(mean(&s.iter().map(|s| s.tau_half.unwrap_or(f64::INFINITY)).collect::<Vec<_>>()));
    }
    eprintln!("k {ks:?}\nΔ0 {d0:.3?}\nq {q:.3?}\ng²⟨φ'²⟩ {gp:.3?}\nτ½ {th:.2?}");
    assert!(d0.windows(2).all(|w| w[0] < w[1]), "Δ0 {d0:?}");
    assert!(th.windows(2).all(|w| w[0] < w[1]), "τ½ {th:?}");
    assert!(gp[1] > 1.0 && gp[2] < 1.0, "g²⟨φ'²⟩ {gp:?}");
    assert!(rel(d0[2], 4.88) < 0.15 && rel(q[2], 0.749) < 0.15 && rel(gp[2], 0.78) < 0.15);
    assert!(rel(th[2], 7.5) < 0.20, "τ½(k=1) {}", th[2]);
    assert!(th[3] > 15.0);
}

/// Maximum Lyapunov exponent at N = 300, g = 2, τ_s = 1 (§8.2, one numpy
/// seed: 0.080 at k = 0, 0.148 at k = 1.5). Three seeds each, renormalised
/// every time unit, burn-in 100 + 50, averaged over 300 time units (§8.1).
/// Seed-to-seed spread at N = 300 is ±0.025 (measured 0.062–0.111 at k = 0),
/// so the 3-seed mean has a standard error ≈ 0.015; asserted: positive at
/// k = 0 (chaos), both means within 0.035 of the spec, and the Hebbian rise.
#[test]
fn max_lyapunov_exponent_matches_the_reference_scan() {
    let opts = LyapunovOptions { transient_steps: 500, steps: 3000, ..Default::default() };
    let mut means = Vec::new();
    for k in [0.0, 1.5] {
        let l: Vec<f64> = (1..=3)
            .map(|seed| {
                let mut net = DenseNetwork::new(&params(300, 2.0, k, 1.0), seed).unwrap();
                net.run(1000);
                max_lyapunov(&mut net, &opts).unwrap()
            })
            .collect();
        eprintln!("k = {k}: λ_max {l:.4?}");
        assert!(l.iter().all(|&v| v > 0.02), "k = {k}: {l:?}");
        means.push(mean(&l));
    }
    assert!((means[0] - 0.080).abs() < 0.035, "{means:?}");
    assert!((means[1] - 0.148).abs() < 0.035, "{means:?}");
    assert!(means[1] > means[0] + 0.02, "Hebbian rise {means:?}");
}

/// The QR spectrum: its first exponent is the maximum exponent (the first
/// tangent vector is only normalised by Gram–Schmidt, and both runs draw it
/// from the same stream), exponents come out in descending order up to
/// noise, and the Kaplan–Yorke dimension of a chaotic state is finite and
/// > 1. At a stable fixed point every exponent is negative and D = 0.
#[test]
fn lyapunov_spectrum_and_kaplan_yorke_dimension() {
    let p = params(80, 2.0, 1.0, 1.0);
    let opts = LyapunovOptions { exponents: 10, transient_steps: 300, steps: 2000, ..Default::default() };
    let mut a = DenseNetwork::new(&p, 2).unwrap();
    a.run(1000);
    let mut b = a.clone();
    let s = lyapunov_spectrum(&mut a, &opts).unwrap();
    let l1 = max_lyapunov(&mut b, &opts).unwrap();
    eprintln!("spectrum {:.3?}, D_KY {:?}", s.exponents, s.kaplan_yorke);
    assert_eq!(s.exponents[0].to_bits(), l1.to_bits());
    assert!(s.exponents[0] > 0.0);
    assert!(s.exponents.windows(2).all(|w| w[0] > w[1] - 0.02));
    let d = s.kaplan_yorke.unwrap();
    assert!(d > 1.0 && d < 10.0, "{d}");
    assert_eq!(kaplan_yorke(&s.exponents), Some(d));

    // k = 3 (§4.2: fixed points at large k): settles, all exponents < 0.
    let mut f = DenseNetwork::new(&params(80, 2.0, 3.0, 1.0), 1).unwrap();
    f.run(3000);
    assert!(f.speed() < 1e-8, "speed {}", f.speed());
    let s = lyapunov_spectrum(
        &mut f,
        &LyapunovOptions { exponents: 4, transient_steps: 100, steps: 500, ..Default::default() },
    )
    .unwrap();
    assert!(s.exponents.iter().all(|&l| l < 0.0), "{:?}", s.exponents);
    assert_eq!(s.kaplan_yorke, Some(0.0));
}

/// Freezable chaos (§6.1–6.3): N = 400, g = 2, τ_s = 1, t* = 200, frozen
/// for 100 time units.
///
/// * k = 2: the frozen network converges to a fixed point (residual speed
///   at round-off: measured 2e-15 on three seeds, [N] 3e-15; asserted
///   1e-10), close to x(t*) (relative offset measured 0.14–0.21, [N] 0.11;
///   asserted < 0.35), with a negative frozen-network Lyapunov exponent
///   (measured −0.42…−0.55; [N] max Re of the frozen Jacobian −0.62), while
///   the plastic control keeps moving (d(t* + 100) ≈ 4.5–5 ≈ rms x; asserted
///   > 2). Unfreezing restarts the dynamics.
/// * k = 0: A ≡ 0, so freezing changes nothing and the chaos goes on
///   (speed ≈ 0.35, [N] 0.34; frozen exponent > 0).
#[test]
fn freezing_stops_hebbian_chaos_but_not_scs_chaos() {
    let d =
        |a: &[f64], b: &[f64]| (a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>() / a.len() as f64).sqrt();
    let lyap = LyapunovOptions { transient_steps: 100, steps: 300, ..Default::default() };
    for seed in [1, 2] {
        let mut net = DenseNetwork::new(&params(400, 2.0, 2.0, 1.0), seed).unwrap();
        net.run(2000);
        let xs = net.x().to_vec();
        let mut control = net.clone();
        net.freeze();
        net.run(1000);
        control.run(1000);
        let speed = net.speed();
        let offset = d(net.x(), &xs) / d(&xs, &vec![0.0; xs.len()]);
        let moved = d(control.x(), &xs);
        eprintln!("k = 2, seed {seed}: speed {speed:e}, offset {offset:.3}, control {moved:.2}");
        assert!(speed < 1e-10);
        assert!(offset < 0.35);
        assert!(moved > 2.0);
        let x_inf = net.x().to_vec();
        let a_frozen = net.kernel().packed().to_vec();
        let lf = max_lyapunov(&mut net, &lyap).unwrap();
        assert!(lf < -0.2, "frozen exponent {lf}");
        assert_eq!(net.kernel().packed(), &a_frozen[..], "A held while frozen");
        // Unfreeze: the synapses move the fixed point, the chaos resumes.
        net.unfreeze();
        net.run(1000);
        assert!(d(net.x(), &x_inf) > 1.0);
        assert!(net.speed() > 1e-3);
    }
    let mut net = DenseNetwork::new(&params(400, 2.0, 0.0, 1.0), 2).unwrap();
    net.run(2000);
    net.freeze();
    net.run(1000);
    let speed = net.speed();
    let lf = max_lyapunov(&mut net, &lyap).unwrap();
    eprintln!("k = 0: speed {speed:.3}, frozen exponent {lf:.3}");
    assert!(speed > 0.1);
    assert!(lf > 0.0);
}
