//! The f32 plastic state (`PlasticPrecision::F32`) against the f64
//! reference and the two kernels against each other in f32 (spec §2.5,
//! §10.2, §10.4; the error model is in the `PlasticPrecision` docs).
//!
//! Notation: u = 2^-24 (the unit round-off of f32), |k| the plasticity
//! strength; every stored value of A is bounded by |k|/N and |φ| ≤ 1, so
//! Σ_j |A_ij φ_j| ≤ |k| (the scale of every absolute bound below).

use hebb_rate::{
    CouplingPrecision, DenseKernel, DenseNetwork, HistoryKernel, HistoryNetwork, InitialSynapses, PlasticPrecision,
    RateParams, SynapticKernel,
};

const U: f64 = 1.0 / 16_777_216.0; // 2^-24

/// The rates of a free-running f64 dense trajectory (chaotic, g = 2).
fn rate_sequence(p: &RateParams, seed: u64, steps: usize) -> Vec<Vec<f64>> {
    let mut net = DenseNetwork::new(p, seed).unwrap();
    (0..steps)
        .map(|_| {
            let r = net.rates();
            net.step();
            r
        })
        .collect()
}

/// Feed `seq` to two kernels; max_n max_i |h¹ − h²| and max |h¹|.
fn fed<K1: SynapticKernel, K2: SynapticKernel>(p1: &RateParams, p2: &RateParams, seq: &[Vec<f64>]) -> (f64, f64) {
    let mut a = K1::build(p1, None).unwrap();
    let mut b = K2::build(p2, None).unwrap();
    let (mut worst, mut hmax) = (0.0f64, 0.0f64);
    for phi in seq {
        let (mut h1, mut h2) = (vec![0.0; p1.n], vec![0.0; p1.n]);
        a.step(phi, &mut h1, true);
        b.step(phi, &mut h2, true);
        for (x, y) in h1.iter().zip(&h2) {
            worst = worst.max((x - y).abs());
            hmax = hmax.max(x.abs());
        }
    }
    (worst, hmax)
}

/// In f32, the dense and history kernels agree on a fed chaotic sequence
/// (1000 steps, N = 300, no truncation: L = 1001), and each stays close to
/// the f64 dense kernel.
///
/// Tolerance (worst case, linear error accumulation): the dense kernel's A
/// carries the roundings of α, β and of each update, decayed by α, so its
/// relative error is ≤ (2 + 2/(1 − α)) u; its product adds ≤ (N/16 + 2) u
/// (row lanes) and ≤ N u (the column chain of FMAs) relative to
/// Σ |A_ij φ_j| ≤ |k|. The history kernel rounds φ (u), the overlap sums
/// ((N/16 + 2) u), the weights (u) and chains ≤ 32 FMAs per block of ages
/// (32 u) before the f64 block sum. Both together:
/// |Δh| ≤ (2N + 2/(1 − α) + 48) u |k|, i.e. 4.0e-5 |k| at N = 300, τ_s/dt = 10 and
/// 5.1e-5 |k| at τ_s/dt = 100. The measured values are far below (printed).
#[test]
fn f32_dense_and_history_agree_and_track_f64() {
    for (k, tau_s) in [(2.0, 1.0), (-2.0, 1.0), (1.0, 10.0)] {
        let p = RateParams { n: 300, g: 2.0, k, tau_s, history_len: Some(1001), ..Default::default() };
        let ps = RateParams { plastic_precision: PlasticPrecision::F32, ..p.clone() };
        let seq = rate_sequence(&p, 11, 1000);
        let one_minus_alpha = p.dt / tau_s;
        let bound = (2.0 * p.n as f64 + 2.0 / one_minus_alpha + 48.0) * U * k.abs();
        let (dh, hmax) = fed::<DenseKernel, HistoryKernel>(&ps, &ps, &seq);
        let (d64, _) = fed::<DenseKernel, DenseKernel>(&ps, &p, &seq);
        let (h64, _) = fed::<HistoryKernel, DenseKernel>(&ps, &p, &seq);
        eprintln!(
            "k={k} tau_s={tau_s}: f32 dense vs f32 history {dh:e}, f32 dense vs f64 {d64:e}, f32 history vs f64 {h64:e} (bound {bound:e}, max|h| {hmax:.3})"
        );
        assert!(hmax > 0.1, "the plastic input is O(1): {hmax}");
        assert!(dh <= bound, "dense vs history: {dh:e} > {bound:e}");
        assert!(d64 <= bound, "f32 dense vs f64: {d64:e} > {bound:e}");
        assert!(h64 <= bound, "f32 history vs f64: {h64:e} > {bound:e}");
        // The roundings are real (not an f64 path in disguise).
        assert!(d64 > 0.0 && h64 > 0.0);
    }
}

/// On a non-chaotic trajectory (g = 0.5 < 1, Hebbian A(0) with x(0) of
/// standard deviation 3, k = 4: the self-sustained fixed point of spec
/// §4.2) the all-single-precision network (J* in f32, plastic state in f32)
/// tracks the f64 network, both kernels.
///
/// Tolerance: per step the input differs by ≲ (2N + 2/(1 − α) + 48) u
/// (|k| + Σ_j |g J*_ij|) ≈ 5e-4 at worst (Σ_j |g J*_ij| ≈ g √(2N/π) ≈ 5.6
/// at N = 200; the J* rounding adds u), and the x dynamics at this stable
/// fixed point damp a constant input perturbation δh to δx = (1 − J_eff)⁻¹
/// δh, with J_eff = (g J* + A) diag(φ') of norm < 1 at a stable point
/// (gain ≲ 1/(1 − 0.5) = 2 for the g J* part). |Δx| ≤ 1e-3 therefore
/// bounds the worst case; the measured values (≈ 1e-6 .. 1e-5) are printed.
#[test]
fn single_precision_network_tracks_f64_without_chaos() {
    let p = RateParams {
        n: 200,
        g: 0.5,
        k: 4.0,
        tau_s: 1.0,
        x0_std: 3.0,
        initial_synapses: InitialSynapses::Hebbian,
        ..Default::default()
    };
    let ps = RateParams {
        coupling_precision: CouplingPrecision::F32,
        plastic_precision: PlasticPrecision::F32,
        ..p.clone()
    };
    let mut a = DenseNetwork::new(&p, 4).unwrap();
    let mut b = DenseNetwork::new(&ps, 4).unwrap();
    let mut c = HistoryNetwork::new(&ps, 4).unwrap();
    let (mut worst_d, mut worst_h) = (0.0f64, 0.0f64);
    for _ in 0..2000 {
        a.step();
        b.step();
        c.step();
        for ((x, y), z) in a.x().iter().zip(b.x()).zip(c.x()) {
            worst_d = worst_d.max((x - y).abs());
            worst_h = worst_h.max((x - z).abs());
        }
    }
    eprintln!(
        "non-chaotic: rms x = {:.3}, speed = {:.2e}, max |Δx| dense f32 {worst_d:e}, history f32 {worst_h:e}",
        a.rms_x(),
        a.speed()
    );
    assert!(a.rms_x() > 0.3, "the run must sit on the non-trivial fixed point: {}", a.rms_x());
    assert!(a.speed() < 1e-3, "and have settled: {}", a.speed());
    assert!(worst_d < 1e-3 && worst_h < 1e-3, "{worst_d:e} {worst_h:e}");
    assert!(worst_d > 0.0, "the single-precision run must differ in the last bits");
}

/// The f32 kernels' accessors: A read back through `get`/`to_dense` is the
/// stored f32 value, symmetric, and within |k|/N; `packed()` is empty and
/// `packed_f32()` holds the triangle; tangent dynamics refuse f32 storage
/// with an error naming the field.
#[test]
fn f32_storage_accessors_and_tangent_refusal() {
    let p = RateParams { n: 64, k: 2.0, plastic_precision: PlasticPrecision::F32, ..Default::default() };
    let mut net = DenseNetwork::new(&p, 1).unwrap();
    net.run(50);
    let kern = net.kernel();
    assert_eq!(kern.precision(), PlasticPrecision::F32);
    assert!(kern.packed().is_empty());
    assert_eq!(kern.packed_f32().len(), 64 * 65 / 2);
    let a = net.plastic_matrix();
    for i in 0..64 {
        for j in 0..64 {
            assert_eq!(a[i * 64 + j], a[j * 64 + i]);
            assert!(a[i * 64 + j].abs() <= p.k / 64.0 * (1.0 + 1e-6));
        }
    }
    // total_input (the product without the update: `apply`) against the
    // f64 product with the stored values: ≤ (N + 2) u Σ|terms| + the f32
    // rounding of φ (u |k|) — 1e-5 bounds it with Σ|g J* φ| ≲ 10.
    let r = net.rates();
    let gj = net.couplings().to_f64();
    let h = net.total_input();
    for i in 0..64 {
        let want: f64 = (0..64).map(|j| (gj[i * 64 + j] + a[i * 64 + j]) * r[j]).sum();
        assert!((h[i] - want).abs() < 1e-5, "{i}: {} vs {want}", h[i]);
    }
    let mut hist = HistoryNetwork::new(&p, 1).unwrap();
    hist.run(50);
    let (ha, hb) = (hist.total_input(), {
        let a = hist.plastic_matrix();
        let r = hist.rates();
        (0..64).map(|i| (0..64).map(|j| (gj[i * 64 + j] + a[i * 64 + j]) * r[j]).sum::<f64>()).collect::<Vec<f64>>()
    });
    for (x, y) in ha.iter().zip(&hb) {
        assert!((x - y).abs() < 1e-5, "history: {x} vs {y}");
    }
    let err = hebb_rate::Tangent::new(&net, 2, 1).unwrap_err().to_string();
    assert!(err.contains("plastic_precision"), "{err}");
}

/// Tangent dynamics with f32 or binary16 couplings advance the network
/// exactly like `RateNetwork::step` (the single-precision quenched product),
/// so the state under a Lyapunov computation is the plain trajectory, bit
/// for bit.
#[test]
fn tangent_steps_follow_the_single_precision_trajectory() {
    for prec in [CouplingPrecision::F32, CouplingPrecision::F16] {
        let p = RateParams { n: 120, k: 1.0, coupling_precision: prec, ..Default::default() };
        let mut a = DenseNetwork::new(&p, 8).unwrap();
        let mut b = DenseNetwork::new(&p, 8).unwrap();
        let mut t = hebb_rate::Tangent::new(&a, 3, 2).unwrap();
        for _ in 0..40 {
            t.step(&mut a);
            b.step();
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(bits(a.x()), bits(b.x()), "{prec:?}");
        assert_eq!(bits(a.kernel().packed()), bits(b.kernel().packed()), "{prec:?}");
    }
}
