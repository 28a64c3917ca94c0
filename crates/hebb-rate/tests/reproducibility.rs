//! Results are a pure function of (parameters, seed): bit-identical for
//! every rayon thread count (ARCHITECTURE.md "Contracts", ecosystem.md §2.4).
//!
//! N is chosen above 256 so that the dense kernel really splits the packed
//! triangle into several chunks (N/128 of them) and the history kernel's
//! overlap computation runs in parallel (m · N > 2^15).

use hebb_rate::{
    CouplingPrecision, DenseNetwork, HistoryNetwork, LyapunovOptions, PlasticPrecision, RateParams, draw_couplings,
    draw_initial_state, lyapunov_spectrum,
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
    let ps = RateParams { plastic_precision: PlasticPrecision::F32, ..ph.clone() };
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
            // f32 plastic state, both kernels (with f16 and f32 couplings),
            // through a freeze.
            let mut ds = DenseNetwork::new(&ps, 17).unwrap();
            ds.run(80);
            ds.freeze();
            ds.run(10);
            ds.unfreeze();
            ds.run(10);
            let mut hs = HistoryNetwork::new(&ps, 17).unwrap();
            hs.run(120);
            let mut hs2 =
                HistoryNetwork::new(&RateParams { coupling_precision: CouplingPrecision::F32, ..ps.clone() }, 17)
                    .unwrap();
            hs2.run(40);
            fx.extend(bits(ds.x()));
            fx.extend(ds.kernel().packed_f32().iter().map(|x| u64::from(x.to_bits())));
            fx.extend(bits(hs.x()));
            fx.extend(bits(hs.kernel().overlaps()));
            fx.extend(bits(hs2.x()));
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
        assert!(one.4 == other.4, "f32/f16-coupling or f32-plastic runs differ with {threads} threads");
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

/// The single-precision quenched product, written out from its definition
/// (`CouplingPrecision` docs): φ rounded to f32; per row sixteen f32 lanes
/// (lane l takes columns 16m + l) accumulated with `f32::mul_add`, widened
/// to f64 and folded as v_k = a_k + a_{k+8}, s_k = v_k + v_{k+4},
/// (s_0 + s_1) + (s_2 + s_3); the remaining columns added in f64.
fn single_precision_gemv(gj: &[f64], n: usize, phi: &[f64]) -> Vec<f64> {
    let v: Vec<f32> = phi.iter().map(|&x| x as f32).collect();
    (0..n)
        .map(|i| {
            let row: Vec<f32> = gj[i * n..(i + 1) * n].iter().map(|&x| x as f32).collect();
            let m = n - n % 16;
            let mut lanes = [0.0f32; 16];
            for j in 0..m {
                lanes[j % 16] = row[j].mul_add(v[j], lanes[j % 16]);
            }
            let a: Vec<f64> = lanes.iter().map(|&x| f64::from(x)).collect();
            let w: Vec<f64> = (0..8).map(|k| a[k] + a[k + 8]).collect();
            let s: Vec<f64> = (0..4).map(|k| w[k] + w[k + 4]).collect();
            let mut r = (s[0] + s[1]) + (s[2] + s[3]);
            for j in m..n {
                r += f64::from(row[j]) * f64::from(v[j]);
            }
            r
        })
        .collect()
}

/// Storing g J* in f32 or binary16 rounds every coupling to the nearest
/// representable value, and the network's quenched product is then exactly
/// the single-precision product of `single_precision_gemv` (bit for bit,
/// 1 and 2 threads; k = 0 so that the total input is the quenched product
/// alone), for the f32 and the binary16 storage alike (binary16 values are
/// f32 values).
#[test]
fn reduced_precision_couplings_use_the_defined_single_precision_product() {
    let p = RateParams { n: 300, g: 2.0, k: 0.0, tau_s: 1.0, ..Default::default() };
    let gj = draw_couplings(&p, 9).unwrap();
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
                let mut b = HistoryNetwork::new(&pr, 9).unwrap();
                for _ in 0..3 {
                    a.run(20);
                    b.run(20);
                    assert_eq!(bits(a.x()), bits(b.x()), "{prec:?}: dense and history at k = 0");
                    let want = single_precision_gemv(&rounded, p.n, &a.rates());
                    assert!(a.total_input() == want, "{prec:?}, {threads} threads");
                }
            });
        }
    }
}
