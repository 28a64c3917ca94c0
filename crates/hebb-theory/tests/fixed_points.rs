//! Tests of the joint fixed-point search (spec `clark.md` §7): Newton
//! converges to true roots, a simulated network started at a stable one stays
//! there, and the count grows exponentially with N at g = 2, k = 4.

use hebb_rate::{DenseNetwork, InitialSynapses, Nonlinearity, RateFunction, RateParams, draw_couplings};
use hebb_theory::fixed_points::{SearchOptions, Starts, fit_line, residual, search};

fn transfer(x: f64) -> (f64, f64) {
    (Nonlinearity::Erf.phi(x), Nonlinearity::Erf.dphi(x))
}

fn couplings(n: usize, g: f64, seed: u64) -> Vec<f64> {
    draw_couplings(&RateParams { n, g, ..Default::default() }, seed).unwrap()
}

fn sign_search(n: usize, seed: u64) -> hebb_theory::fixed_points::FixedPointCount {
    let (g, k, tau_s) = (2.0, 4.0, 1.0);
    let gj = couplings(n, g, seed);
    let opts = SearchOptions { starts: Starts::SignPatterns { scale: k }, ..Default::default() };
    search(&gj, k, tau_s, &transfer, &opts).unwrap()
}

#[test]
fn newton_finds_true_distinct_fixed_points() {
    // Every reported point is a root to 1e-10 (Newton stops at ‖F‖_∞ ≤
    // 1e-12; recomputing F independently here must agree to round-off), the
    // points are pairwise distinct, and come in pairs ±x* (F is odd).
    let n = 8;
    let gj = couplings(n, 2.0, 1);
    let fps = sign_search(n, 1);
    assert!(fps.distinct() >= 8, "only {} fixed points", fps.distinct());
    for p in &fps.points {
        let f = residual(&gj, 4.0, &p.x, &transfer).unwrap();
        let r = f.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(r < 1e-10, "residual {r:e}");
        let neg: Vec<f64> = p.x.iter().map(|v| -v).collect();
        assert!(fps.points.iter().any(|o| o.x.iter().zip(&neg).all(|(a, b)| (a - b).abs() < 1e-6)), "−x* missing");
    }
    for (i, a) in fps.points.iter().enumerate() {
        for b in &fps.points[..i] {
            let d = a.x.iter().zip(&b.x).fold(0.0f64, |m, (u, v)| m.max((u - v).abs()));
            assert!(d >= 1e-6);
        }
    }
}

#[test]
fn simulated_network_stays_at_a_stable_fixed_point() {
    // Independent check with the hebb-rate Euler simulator (§2.5): a joint
    // fixed point (x*, A* = (k/N)φφᵀ) is a fixed point of the Euler map too,
    // so started there (A(0) Hebbian from x(0) = x*) the speed is round-off,
    // and started 1e-3 away the distance must shrink (max Re λ < 0 and
    // |1 + dt λ| < 1 for dt = 0.1); after t = 100 it decays at least like
    // e^(max Re λ · t) — we demand a 10× reduction, far weaker.
    let (n, g, k, tau_s) = (8, 2.0, 4.0, 1.0);
    let gj = couplings(n, g, 2);
    let fps = sign_search(n, 2);
    let p = fps.points.iter().filter(|p| p.stable).max_by(|a, b| b.max_re.total_cmp(&a.max_re)).unwrap();
    let params = RateParams { n, g, k, tau_s, initial_synapses: InitialSynapses::Hebbian, ..Default::default() };
    let net = DenseNetwork::from_parts(&params, gj.clone(), p.x.clone()).unwrap();
    assert!(net.speed() < 1e-10, "speed at x* {}", net.speed());
    let x0: Vec<f64> = p.x.iter().enumerate().map(|(i, v)| v + if i % 2 == 0 { 1e-3 } else { -1e-3 }).collect();
    let mut net = DenseNetwork::from_parts(&params, gj, x0).unwrap();
    net.run(1000);
    let d = net.x().iter().zip(&p.x).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(d < 1e-4, "distance after t = 100: {d:e} (max Re = {})", p.max_re);
}

#[test]
fn fixed_point_count_grows_exponentially_with_n() {
    // §7.2 at g = 2, k = 4, τ_s = 1 with all 2^N sign-pattern starts, three
    // J* seeds: the spec's counts give mean ln(#stable)/N = 0.60, 0.57, 0.55
    // at N = 4, 6, 8 (almost all points stable). Our J* realisations differ,
    // so we check the statements, not the numbers: ln(mean #stable) is
    // linear in N (r² ≥ 0.95 over N = 4..10) with a slope in [0.3, 0.69]
    // (the spec's ≈ 0.5 ± the seed spread; ln 2 is the ceiling set by the
    // 2^N starts), and ≥ 80 % of the points are stable.
    let ns = [4usize, 6, 8, 10];
    let mut lns = Vec::new();
    for &n in &ns {
        let mut stable = 0.0;
        let mut distinct = 0.0;
        for seed in 1..=3 {
            let c = sign_search(n, seed);
            eprintln!(
                "N = {n}, seed {seed}: {} distinct, {} stable, {} converged of {}",
                c.distinct(),
                c.stable(),
                c.converged,
                c.starts
            );
            stable += c.stable() as f64 / 3.0;
            distinct += c.distinct() as f64 / 3.0;
        }
        assert!(stable >= 0.8 * distinct, "N = {n}: {stable} stable of {distinct}");
        lns.push(stable.ln());
    }
    let x: Vec<f64> = ns.iter().map(|&n| n as f64).collect();
    let (_, slope, r2) = fit_line(&x, &lns).unwrap();
    eprintln!("slope {slope}, r2 {r2}");
    assert!(r2 >= 0.95 && (0.3..=0.69).contains(&slope), "slope {slope}, r² {r2}");
}

#[test]
fn random_starts_are_reproducible_and_find_true_roots() {
    // Keyed random starts (hebb_core::rng::counter_uniform): the same seed
    // gives the identical result; every point is a root (residual < 1e-10),
    // and at N = 8 (76 fixed points for this J*) 400 random starts find a
    // good share of those the 256 sign patterns find (≥ 50 %: most roots have
    // a basin of O(1) width in the box [−k, k]^N; an independent estimate of
    // the same set, not a bound from theory).
    let (n, k) = (8, 4.0);
    let gj = couplings(n, 2.0, 1);
    let opts = SearchOptions { starts: Starts::Random { count: 400, scale: k, seed: 9 }, ..Default::default() };
    let a = search(&gj, k, 1.0, &transfer, &opts).unwrap();
    let b = search(&gj, k, 1.0, &transfer, &opts).unwrap();
    assert_eq!(a, b);
    assert!(a.points.iter().all(|p| p.residual < 1e-10));
    let signs = sign_search(n, 1);
    let common = a
        .points
        .iter()
        .filter(|p| signs.points.iter().any(|q| q.x.iter().zip(&p.x).all(|(u, v)| (u - v).abs() < 1e-6)))
        .count();
    assert!(common * 2 >= signs.distinct(), "{common} of {} found by random starts", signs.distinct());
}
