//! Tests of the joint Jacobian (spec `clark.md` §5): the exact 2N reduction
//! against the full (N + N²) Jacobian, the Jacobian against finite
//! differences of the vector field, and the bulk-support formula against
//! computed spectra of simulated states (hebb-rate).

use hebb_rate::{DenseNetwork, Nonlinearity, RateFunction, RateParams};
use hebb_theory::jacobian::{
    Eigenvalue, Plastic, Support, eigenvalues, fraction_inside, full_jacobian, joint_spectrum, max_matching_distance,
    reduced_jacobian, vector_field,
};

fn transfer(x: f64) -> (f64, f64) {
    (Nonlinearity::Erf.phi(x), Nonlinearity::Erf.dphi(x))
}

/// A simulated state (x, A, g J*) after `steps` Euler steps.
fn state(n: usize, g: f64, k: f64, tau_s: f64, seed: u64, steps: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let p = RateParams { n, g, k, tau_s, ..Default::default() };
    let mut net = DenseNetwork::new(&p, seed).unwrap();
    net.run(steps);
    (net.x().to_vec(), net.plastic_matrix(), net.couplings().to_f64())
}

fn phis(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    x.iter().map(|&v| transfer(v)).unzip()
}

#[test]
fn reduced_spectrum_equals_full_spectrum() {
    // §5.1: spec(full) = spec(L) ∪ {−1/τ_s}^(N²−N). τ_s = 2 keeps −1/τ_s
    // away from the −1 cluster of saturated units. The eigenvalue −1/τ_s is
    // semisimple in the full Jacobian (its eigenspace {δx = 0, δA ∈ ker J_xA}
    // has dimension N² − N), so backward-stable QR resolves every eigenvalue
    // to ~1e-13 here; 1e-9 leaves a wide margin.
    for (n, k, seed) in [(8usize, 2.0, 1u64), (10, -1.5, 2), (12, 3.0, 3)] {
        let tau_s = 2.0;
        let (x, a, gj) = state(n, 2.0, k, tau_s, seed, 300);
        let (phi, dphi) = phis(&x);
        let full = full_jacobian(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s).unwrap();
        let ev_full = eigenvalues(&full, n + n * n).unwrap();
        let mut ev_red = joint_spectrum(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s).unwrap();
        ev_red.extend(std::iter::repeat_n(Eigenvalue { re: -1.0 / tau_s, im: 0.0 }, n * n - n));
        let d = max_matching_distance(&ev_red, &ev_full).unwrap();
        assert!(d < 1e-9, "N = {n}, k = {k}: max distance {d:e}");
    }
}

#[test]
fn full_jacobian_matches_finite_differences() {
    // Central differences with h = 1e-5: truncation error h²/6·|f'''| ≲ 1e-10
    // (φ and its derivatives are O(1)), round-off ε·|f|/h ≈ 1e-11; 1e-7 is
    // a safe bound that still catches any wrong entry (entries are O(1/N)..O(1)).
    let (n, k, tau_s) = (6usize, 2.5, 1.7);
    let (x, a, gj) = state(n, 2.0, k, tau_s, 4, 200);
    let (phi, dphi) = phis(&x);
    let jac = full_jacobian(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s).unwrap();
    let m = n + n * n;
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for c in 0..m {
        let (mut xp, mut ap, mut xm, mut am) = (x.clone(), a.clone(), x.clone(), a.clone());
        if c < n {
            xp[c] += h;
            xm[c] -= h;
        } else {
            ap[c - n] += h;
            am[c - n] -= h;
        }
        let (fxp, fap) = vector_field(&gj, &ap, &xp, k, tau_s, transfer).unwrap();
        let (fxm, fam) = vector_field(&gj, &am, &xm, k, tau_s, transfer).unwrap();
        let col: Vec<f64> =
            fxp.iter().chain(&fap).zip(fxm.iter().chain(&fam)).map(|(p, q)| (p - q) / (2.0 * h)).collect();
        for r in 0..m {
            worst = worst.max((col[r] - jac[r * m + c]).abs());
        }
    }
    assert!(worst < 1e-7, "max |J − J_fd| = {worst:e}");
}

#[test]
fn reduced_jacobian_is_the_restriction_to_the_symmetric_phi_subspace() {
    // Exact algebra (§5.1): for δA = (p φᵀ + φ pᵀ)/N, the full Jacobian maps
    // (δx, δA) to (top rows of L·(δx, p), (ṗ φᵀ + φ ṗᵀ)/N) with ṗ the bottom
    // rows of L·(δx, p). Only round-off separates the two sides (entries
    // O(1), sums of ≤ 2N terms): 1e-12.
    let (n, k, tau_s) = (7usize, 1.3, 3.0);
    let (x, a, gj) = state(n, 2.0, k, tau_s, 5, 250);
    let (phi, dphi) = phis(&x);
    let full = full_jacobian(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s).unwrap();
    let l = reduced_jacobian(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s).unwrap();
    let dx: Vec<f64> = (0..n).map(|i| ((i * 7 + 3) % 5) as f64 / 5.0 - 0.4).collect();
    let p: Vec<f64> = (0..n).map(|i| ((i * 3 + 1) % 7) as f64 / 7.0 - 0.5).collect();
    let nf = n as f64;
    let mut z = dx.clone();
    for i in 0..n {
        for j in 0..n {
            z.push((p[i] * phi[j] + phi[i] * p[j]) / nf);
        }
    }
    let m = n + n * n;
    let jz: Vec<f64> = (0..m).map(|r| (0..m).map(|c| full[r * m + c] * z[c]).sum()).collect();
    let v: Vec<f64> = dx.iter().chain(&p).copied().collect();
    let lv: Vec<f64> = (0..2 * n).map(|r| (0..2 * n).map(|c| l[r * 2 * n + c] * v[c]).sum()).collect();
    for i in 0..n {
        assert!((jz[i] - lv[i]).abs() < 1e-12, "δẋ_{i}: {} vs {}", jz[i], lv[i]);
        for j in 0..n {
            let want = (lv[n + i] * phi[j] + phi[i] * lv[n + j]) / nf;
            let got = jz[n + i * n + j];
            assert!((got - want).abs() < 1e-12, "δȦ_{i}{j}: {got} vs {want}");
        }
    }
}

#[test]
fn support_formula_matches_spectra_of_simulated_states() {
    // §5.4 at N = 400, g = 2, τ_s = 1, state at t = 200 (2000 Euler steps).
    // Tolerances from the spec's recommended tests: edges (rightmost real
    // part of the bulk, max |Im|) within 0.1 at N ≥ 400 (finite-N edge
    // fluctuations of a 800 × 800 non-normal matrix are O(N^(-1/2)) ≈ 0.05
    // plus outliers of the finite-rank pieces); the fraction of eigenvalues
    // with F(λ) ≥ 0.9 (outside disks of radius 0.05 around −1 and −1/τ_s)
    // was 0.998 at k = −2 and 0.84 at k = 1 in the spec's [N] runs; we
    // demand ≥ 0.95 and ≥ 0.7 (one realisation, other seed).
    let n = 400;
    for (k, min_frac) in [(-2.0, 0.95), (1.0, 0.7)] {
        let (x, a, gj) = state(n, 2.0, k, 1.0, 11, 2000);
        let (phi, dphi) = phis(&x);
        let ev = joint_spectrum(&gj, Plastic::Dense(&a), &phi, &dphi, k, 1.0).unwrap();
        let sup = Support::from_state(2.0, k, 1.0, &phi, &dphi).unwrap();
        let edges = sup.edges(-3.0, 2.0, 3.0, 251, 151);
        let top_re = ev[0].re;
        eprintln!("k = {k}: edges {edges:?}, top {:?}", &ev[..2]);
        let max_im = ev.iter().fold(0.0f64, |m, e| m.max(e.im.abs()));
        assert!(
            (edges.max_re - top_re).abs() < 0.1,
            "k = {k}: support max Re {} vs top eigenvalue {top_re}",
            edges.max_re
        );
        assert!((edges.max_abs_im - max_im).abs() < 0.1, "k = {k}: support max |Im| {} vs {max_im}", edges.max_abs_im);
        let (frac, counted) = fraction_inside(&sup, &ev, 0.9, 0.05);
        assert!(frac >= min_frac, "k = {k}: fraction inside {frac} of {counted}");
        if k < 0.0 {
            // Two lobes off the real axis (§5.4 table, k = −2): the rightmost
            // support points are off the axis, the real axis is inside the
            // support only well to their left.
            let r = edges.rightmost_real.unwrap_or(f64::NEG_INFINITY);
            assert!(r < edges.max_re - 0.1, "k = {k}: real-axis edge {r} vs max Re {}", edges.max_re);
        }
    }
}

#[test]
fn local_roots_are_the_eigenvalues_of_the_one_unit_block() {
    // §5.3: dropping g J*, A and φφᵀ/N, L is block-diagonal with 2 × 2 blocks
    // [[−1, q], [k φ'/τ_s, −1/τ_s]] whose characteristic polynomial is
    // (λ + 1)(1 + τ_s λ) = k q φ'. Independent route: the eigensolver.
    // Both are exact up to round-off (1e-12).
    for (k, q, d, tau_s) in [(2.0, 0.7, 0.9, 1.0), (-2.0, 0.5, 0.8, 1.0), (3.0, 0.9, 0.1, 10.0), (-1.0, 0.4, 0.6, 5.0)]
    {
        let (a, b) = hebb_theory::jacobian::local_roots(k, q, d, tau_s);
        let block = [-1.0, q, k * d / tau_s, -1.0 / tau_s];
        let ev = eigenvalues(&block, 2).unwrap();
        let dist = max_matching_distance(&[a, b], &ev).unwrap();
        assert!(dist < 1e-12, "k = {k}, τ_s = {tau_s}: {a:?} {b:?} vs {ev:?}");
        if k < 0.0 && 4.0 * tau_s * k.abs() * q * d > (1.0 - tau_s).powi(2) {
            // Anti-Hebbian: complex pair with real part −(1 + τ_s)/(2τ_s).
            assert!(a.im != 0.0 && (a.re + (1.0 + tau_s) / (2.0 * tau_s)).abs() < 1e-12);
        }
    }
}

#[test]
fn bad_input_is_an_error_naming_the_field() {
    let n = 3;
    let gj = vec![0.0; n * n];
    let (phi, dphi) = (vec![0.1; n], vec![1.0; n]);
    let msg = |r: Result<Vec<f64>, hebb_theory::jacobian::SpectrumError>| r.unwrap_err().to_string();
    assert!(msg(reduced_jacobian(&gj[..8], Plastic::Zero, &phi, &dphi, 1.0, 1.0)).contains("gj"));
    assert!(msg(reduced_jacobian(&gj, Plastic::Zero, &phi, &dphi[..2], 1.0, 1.0)).contains("dphi"));
    assert!(msg(reduced_jacobian(&gj, Plastic::Zero, &phi, &dphi, 1.0, 0.0)).contains("tau_s"));
    assert!(msg(reduced_jacobian(&gj, Plastic::Zero, &phi, &dphi, f64::NAN, 1.0)).contains("k"));
    assert!(msg(reduced_jacobian(&gj, Plastic::Dense(&[0.0; 4]), &phi, &dphi, 1.0, 1.0)).contains("`a`"));
    assert!(
        msg(full_jacobian(&vec![0.0; 65 * 65], Plastic::Zero, &[0.0; 65], &[1.0; 65], 1.0, 1.0)).contains("N <= 64")
    );
    assert!(eigenvalues(&[1.0, f64::INFINITY, 0.0, 1.0], 2).unwrap_err().to_string().contains("mat[1]"));
    let opts = hebb_theory::fixed_points::SearchOptions {
        starts: hebb_theory::fixed_points::Starts::SignPatterns { scale: 1.0 },
        ..Default::default()
    };
    let big = vec![0.0; 25 * 25];
    let e = hebb_theory::fixed_points::search(&big, 1.0, 1.0, &transfer, &opts).unwrap_err().to_string();
    assert!(e.contains("starts") && e.contains("N <= 24"), "{e}");
}
