//! Results are a pure function of (parameters, seed): bit-identical for
//! every rayon thread count (ARCHITECTURE.md "Contracts", ecosystem.md §2.4).
//!
//! N is chosen above 256 so that the dense kernel really splits the packed
//! triangle into several chunks (N/128 of them) and the history kernel's
//! overlap computation runs in parallel (m · N > 2^15).

use hebb_rate::{
    CouplingPrecision, DenseNetwork, HistoryNetwork, LyapunovOptions, RateParams, draw_couplings, draw_initial_state,
    lyapunov_spectrum,
};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn trajectories_are_bit_identical_for_any_thread_count() {
    let p = RateParams { n: 520, g: 2.0, k: 1.5, tau_s: 1.0, ..Default::default() };
    let pf = RateParams { coupling_precision: CouplingPrecision::F32, ..p.clone() };
    let ph = RateParams { coupling_precision: CouplingPrecision::F16, ..p.clone() };
    let run = |threads: usize| {
        pool(threads).install(|| {
            let mut d = DenseNetwork::new(&p, 17).unwrap();
            d.run(150);
            d.freeze();
            d.run(20);
            d.unfreeze();
            d.run(30);
            let mut h = HistoryNetwork::new(&p, 17).unwrap();
            h.run(200);
            let mut f = DenseNetwork::new(&pf, 17).unwrap();
            f.run(100);
            let mut q = HistoryNetwork::new(&ph, 17).unwrap();
            q.run(60);
            let mut fx = bits(f.x());
            fx.extend(bits(q.x()));
            (bits(d.x()), bits(d.kernel().packed()), bits(h.x()), bits(h.kernel().overlaps()), fx)
        })
    };
    let one = run(1);
    for threads in [2, 3] {
        let other = run(threads);
        assert!(one.0 == other.0, "dense x differs with {threads} threads");
        assert!(one.1 == other.1, "dense A differs with {threads} threads");
        assert!(one.2 == other.2, "history x differs with {threads} threads");
        assert!(one.3 == other.3, "history overlaps differ with {threads} threads");
        assert!(one.4 == other.4, "f32/f16-coupling x differs with {threads} threads");
    }
}

#[test]
fn lyapunov_spectrum_is_bit_identical_for_any_thread_count() {
    let p = RateParams { n: 300, g: 2.0, k: 1.0, tau_s: 1.0, ..Default::default() };
    let opts = LyapunovOptions { exponents: 3, transient_steps: 20, steps: 60, ..Default::default() };
    let run = |threads: usize| {
        pool(threads).install(|| {
            let mut net = DenseNetwork::new(&p, 3).unwrap();
            net.run(100);
            let s = lyapunov_spectrum(&mut net, &opts).unwrap();
            (bits(&s.exponents), bits(net.x()))
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn streams_are_keyed_by_seed_and_purpose() {
    let p = RateParams { n: 64, ..Default::default() };
    // Same seed, same draws; another seed, other draws.
    assert_eq!(draw_couplings(&p, 5).unwrap(), draw_couplings(&p, 5).unwrap());
    assert_ne!(draw_couplings(&p, 5).unwrap(), draw_couplings(&p, 6).unwrap());
    // x(0) comes from its own stream: it does not depend on J* (or g), and
    // x(0) of a smaller network is a prefix of a larger one's.
    let x64 = draw_initial_state(&p, 5).unwrap();
    let x128 = draw_initial_state(&RateParams { n: 128, g: 0.5, ..p.clone() }, 5).unwrap();
    assert_eq!(x64[..], x128[..64]);
    // J* and x(0) are drawn in parallel rows with 1 or 3 threads alike.
    let big = RateParams { n: 300, ..Default::default() };
    let j1 = pool(1).install(|| draw_couplings(&big, 9).unwrap());
    let j3 = pool(3).install(|| draw_couplings(&big, 9).unwrap());
    assert_eq!(bits(&j1), bits(&j3));
    // The draws are N(0, g²/N): mean ≈ 0, variance ≈ g²/N within 3 %.
    let n = big.n as f64;
    let mean = j1.iter().sum::<f64>() / (n * n);
    let var = j1.iter().map(|v| v * v).sum::<f64>() / (n * n);
    assert!(mean.abs() < 3.0 * (4.0 / n).sqrt() / n);
    assert!((var * n / 4.0 - 1.0).abs() < 0.03, "{}", var * n / 4.0);
}

/// Storing g J* in f32 or binary16 only rounds the matrix: the reduced-
/// precision path is bit for bit the f64 path run on the rounded matrix
/// (the widening is exact and the lanes and folding are the same), for both
/// kernels and with 1 or 2 threads. Also the rounding itself: every entry is
/// the nearest f32 / binary16 value of the f64 draw.
#[test]
fn reduced_precision_couplings_equal_f64_on_the_rounded_matrix() {
    let p = RateParams { n: 300, g: 2.0, k: 1.5, tau_s: 1.0, ..Default::default() };
    let gj = draw_couplings(&p, 9).unwrap();
    let x0 = draw_initial_state(&p, 9).unwrap();
    for prec in [CouplingPrecision::F32, CouplingPrecision::F16] {
        let pr = RateParams { coupling_precision: prec, ..p.clone() };
        let low = DenseNetwork::new(&pr, 9).unwrap();
        let rounded = low.couplings().to_f64();
        for (&r, &x) in rounded.iter().zip(&gj) {
            // Relative rounding error ≤ 2^-24 (f32) or 2^-11 (binary16,
            // normal range; the subnormal step is 2^-24).
            let tol = if prec == CouplingPrecision::F32 {
                x.abs() * 2f64.powi(-24)
            } else {
                x.abs() * 2f64.powi(-11) + 2f64.powi(-25)
            };
            assert!((r - x).abs() <= tol, "{prec:?}: {x} -> {r}");
        }
        for threads in [1, 2] {
            pool(threads).install(|| {
                let mut a = DenseNetwork::new(&pr, 9).unwrap();
                let mut b = DenseNetwork::from_parts(&p, rounded.clone(), x0.clone()).unwrap();
                a.run(80);
                b.run(80);
                assert!(bits(a.x()) == bits(b.x()), "{prec:?} dense, {threads} threads");
                let mut a = HistoryNetwork::new(&pr, 9).unwrap();
                let mut b = HistoryNetwork::from_parts(&p, rounded.clone(), x0.clone()).unwrap();
                a.run(80);
                b.run(80);
                assert!(bits(a.x()) == bits(b.x()), "{prec:?} history, {threads} threads");
            });
        }
    }
}
