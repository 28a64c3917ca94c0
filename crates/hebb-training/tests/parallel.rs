//! Parallel = serial bit for bit; fused = unfused; f32 ≈ f64; CSR round trip
//! (kimchow.md §8.3, §9).

mod common;

use common::*;
use hebb_connectivity::{Block, Csr, bernoulli};
use hebb_training::{Grouping, PlasticInputs, Precision, Real, Rls, RlsConfig, Rowsum};
use rand::RngExt;

const N: usize = 120;
const NE: usize = 60;

fn network() -> Csr {
    let blocks = vec![
        Block { pre: 0..NE, post: 0..N, p: 0.25, weight: 0.3, autapses: false },
        Block { pre: NE..N, post: 0..N, p: 0.25, weight: -1.5, autapses: false },
    ];
    bernoulli(N, N, &blocks, 11, 0).unwrap()
}

fn inputs(csr: &Csr) -> PlasticInputs {
    // rate-sorted subpopulations (3 E + 3 I groups) from made-up rates;
    // every second neuron is trained (a subset).
    let rates: Vec<f64> = (0..N).map(|j| ((j * 37) % 17) as f64).collect();
    let labels = Grouping::RateSorted { n_exc: NE, groups_per_population: 3, rates }.labels(N).unwrap();
    let trained: Vec<u32> = (0..N as u32).step_by(2).collect();
    PlasticInputs::from_csr(csr, &trained, &labels).unwrap()
}

struct Run<T: Real> {
    rls: Rls<T>,
    errors: Vec<Vec<f64>>,
}

fn run<T: Real>(inp: &PlasticInputs, cfg: RlsConfig, n: usize) -> Run<T> {
    let mut rls = Rls::<T>::new(inp.clone(), cfg).unwrap();
    let m = inp.n_rows();
    let mut r = rng(99);
    let mut errors = Vec::new();
    let mut traces = vec![0.0; N];
    for _ in 0..n {
        traces.iter_mut().for_each(|x| *x = 0.05 * r.random::<f64>());
        let bias: Vec<f64> = (0..m).map(|_| 1.0 + 0.1 * normal(&mut r)).collect();
        let target: Vec<f64> = (0..m).map(|_| normal(&mut r)).collect();
        errors.push(rls.update(&traces, &bias, &target).unwrap().to_vec());
    }
    Run { rls, errors }
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// §8.3 item 3 / §9: every neuron's arithmetic is independent and its
/// reductions sequential, so the parallel update is bit-identical to the
/// serial one on 1, 2 and 3 threads (weights, errors, and the arena).
#[test]
fn parallel_equals_serial_bit_for_bit() {
    let csr = network();
    let inp = inputs(&csr);
    assert!(inp.n_rows() == N / 2);
    let kps: Vec<usize> = (0..inp.n_rows()).map(|i| inp.k_p(i)).collect();
    assert!(kps.iter().min() != kps.iter().max(), "heterogeneous K_p");
    for rowsum in [Rowsum::Soft { mu: 8.0 }, Rowsum::Hard, Rowsum::Off] {
        for fused in [true, false] {
            let base = RlsConfig { lambda: 0.3, rowsum, fused, parallel: false, precision: Precision::F64 };
            let mut serial = run::<f64>(&inp, base, 60);
            serial.rls.flush();
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let mut par = pool.install(|| run::<f64>(&inp, RlsConfig { parallel: true, ..base }, 60));
                pool.install(|| par.rls.flush());
                assert_eq!(
                    bits(serial.rls.weights_flat()),
                    bits(par.rls.weights_flat()),
                    "{rowsum:?} {threads} threads"
                );
                assert_eq!(bits(serial.rls.arena().as_slice()), bits(par.rls.arena().as_slice()));
                for (a, b) in serial.errors.iter().zip(&par.errors) {
                    assert_eq!(bits(a), bits(b));
                }
            }
        }
    }
}

/// §8.1 / §9: the fused update (downdate deferred into the next mat-vec)
/// equals the unfused one to 1e-12 relative; in this implementation the two
/// compute every element with the same expressions, so they agree exactly.
#[test]
fn fused_equals_unfused() {
    let csr = network();
    let inp = inputs(&csr);
    for rowsum in [Rowsum::Soft { mu: 8.0 }, Rowsum::Hard] {
        let base = RlsConfig { lambda: 0.3, rowsum, fused: true, parallel: false, precision: Precision::F64 };
        let mut a = run::<f64>(&inp, base, 80);
        let b = run::<f64>(&inp, RlsConfig { fused: false, ..base }, 80);
        assert!(!a.rls.is_flushed() && b.rls.is_flushed());
        // p_dense includes the pending downdate without flushing
        let pd = a.rls.p_dense(3);
        a.rls.flush();
        let scale_w = b.rls.weights_flat().iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let dw = max_abs_diff(a.rls.weights_flat(), b.rls.weights_flat()) / scale_w;
        let scale_p = b.rls.arena().as_slice().iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let dp = max_abs_diff(a.rls.arena().as_slice(), b.rls.arena().as_slice()) / scale_p;
        assert!(dw <= 1e-12 && dp <= 1e-12, "{rowsum:?}: rel dw {dw:.1e}, dP {dp:.1e}");
        assert_eq!(bits(a.rls.weights_flat()), bits(b.rls.weights_flat()), "expected exact agreement");
        assert!((pd - a.rls.p_dense(3)).abs().max() <= 1e-12 * scale_p);
    }
}

/// An f32 arena follows the f64 reference closely over a short run (f32
/// rounding of P, ~1e-7 relative per operation, accumulated over 80 updates:
/// 1e-4 of the weight change is a generous bound), and stays bit-identical
/// across thread counts too.
#[test]
fn f32_arena_tracks_f64() {
    let csr = network();
    let inp = inputs(&csr);
    let base = RlsConfig { lambda: 0.3, rowsum: Rowsum::Soft { mu: 8.0 }, parallel: false, ..RlsConfig::default() };
    let a = run::<f64>(&inp, base, 80);
    let cfg32 = RlsConfig { precision: Precision::F32, ..base };
    let b = run::<f32>(&inp, cfg32, 80);
    let change = max_abs_diff(a.rls.weights_flat(), inp.initial_weights_flat());
    let d = max_abs_diff(a.rls.weights_flat(), b.rls.weights_flat());
    assert!(change > 0.1 && d <= 1e-4 * change, "f32 vs f64: {d:.2e} (change {change:.2e})");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let c = pool.install(|| run::<f32>(&inp, RlsConfig { parallel: true, ..cfg32 }, 80));
    assert_eq!(bits(b.rls.weights_flat()), bits(c.rls.weights_flat()));
    assert!(Rls::<f32>::new(inp.clone(), base).is_err(), "precision must match the arena type");
}

/// The trained weights go back into the CSR they came from, and the
/// recomputed plastic input `w·r` matches a direct sum.
#[test]
fn csr_round_trip_and_plastic_input() {
    let mut csr = network();
    let inp = inputs(&csr);
    let a = run::<f64>(&inp, RlsConfig::default(), 20);
    a.rls.write_to_csr(&mut csr).unwrap();
    let idx = csr.post_index();
    for (i, &t) in inp.trained().iter().enumerate() {
        let mut got: Vec<(u32, f32)> = idx
            .incoming(t as usize)
            .iter()
            .zip(idx.incoming_pre(t as usize))
            .map(|(&p, &j)| (j, csr.weights()[p as usize]))
            .collect();
        let mut want: Vec<(u32, f32)> = inp.pre(i).iter().zip(a.rls.weights(i)).map(|(&j, &w)| (j, w as f32)).collect();
        got.sort_by_key(|x| x.0);
        want.sort_by_key(|x| x.0);
        assert_eq!(got, want);
    }
    let traces: Vec<f64> = (0..N).map(|j| 0.01 * j as f64).collect();
    let mut out = vec![0.0; inp.n_rows()];
    a.rls.plastic_input(&traces, &mut out).unwrap();
    for (i, o) in out.iter().enumerate() {
        let want: f64 = inp.pre(i).iter().zip(a.rls.weights(i)).map(|(&j, w)| w * traces[j as usize]).sum();
        assert!((o - want).abs() <= 1e-12);
    }
}
