//! Tangent dynamics, Lyapunov exponents and the Kaplan–Yorke dimension
//! (spec §8.1, §8.5).
//!
//! **What is linearised.** The discrete map of §2.5 itself (so the
//! exponents are those of the simulated system, not of the ODE), on the joint
//! state (x, A) with A symmetric:
//!
//! δx_{n+1} = δx_n + dt (−δx_n + (g J* + A_n) D_n δx_n + δA_n φ_n),
//! δA_{n+1} = α δA_n + β (D_n δx_n φ_nᵀ + φ_n (D_n δx_n)ᵀ),
//!
//! with D_n = diag φ'(x_n) (spec §8.1).
//!
//! **Why not the 2N reduction of §5.1.** That reduction holds at a fixed
//! state: there φ is constant and the subspace {p φᵀ + φ pᵀ} is invariant.
//! Along a trajectory φ_n changes every step, so the δA reachable from a δx
//! perturbation is Σ_m α^(n−1−m) (u_m φ_mᵀ + φ_m u_mᵀ), which is not of
//! that form; the reduction does not apply to tangent dynamics. We evolve the
//! full symmetric δA in packed storage instead (N(N+1)/2 values per tangent
//! vector). This is exact for every exponent above ln(α)/dt ≈ −1/τ_s: the
//! antisymmetric part of a general δA is driven by nothing and decays by
//! exactly α per step (§8.1, "Storage").
//!
//! **Norm.** ‖(δx, δA)‖² = ‖δx‖² + ‖δA‖_F² (Frobenius norm of the full
//! symmetric matrix). The exponents do not depend on this choice (any fixed
//! norm gives the same limits).
//!
//! **Frozen synapses.** While the network is frozen, A is a parameter, not a
//! state variable: δA is set to zero and not evolved, and the exponents are
//! those of the neuronal dynamics with couplings g J* + A(t*) (the quantity
//! that decides freezability, §6.2). On unfreezing δA restarts from zero.
//!
//! **Cost.** One step of m tangent vectors reads J* once and A twice
//! (products for all vectors, then the fused forward update) and each δA_a
//! once (a fused product + rank-2 update pass); orthonormalisation is
//! modified Gram–Schmidt, applied twice, every `renorm_every` steps.

use hebb_core::rng::{Purpose, stream};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{RateError, checked_len, try_zeroed};
use crate::kernel::{parallel, reduce_partials};
use crate::math::{
    axpy, dot, packed_chunk, packed_chunk_products, packed_chunk_rank2, packed_frobenius_dot, packed_len,
    split_packed_mut,
};
use crate::network::{DenseNetwork, STREAM_TAG};
use crate::nonlin::RateFunction;
use hebb_core::ParamError;

use crate::params::PlasticPrecision;

/// Second stream id of the initial tangent vectors (ASCII "tang").
const TANGENT_TAG: u64 = 0x7461_6e67;

/// m tangent vectors (δx_a, δA_a) evolved alongside a [`DenseNetwork`].
///
/// [`step`](Self::step) advances the network *and* the tangent vectors by
/// one step (they share the reads of J* and A);
/// [`orthonormalize`](Self::orthonormalize) performs the QR step and returns
/// the log growth factors.
#[derive(Debug, Clone)]
pub struct Tangent {
    n: usize,
    m: usize,
    plen: usize,
    dx: Vec<f64>,
    da: Vec<f64>,
    da_active: bool,
    d: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    gemv_out: Vec<f64>,
    a_parts: Vec<Vec<Vec<f64>>>,
    da_parts: Vec<Vec<Vec<f64>>>, // [vector][chunk]
}

impl Tangent {
    /// `m` random orthonormal tangent vectors for `net`, drawn from
    /// `stream(seed, Purpose::InitialState, &[STREAM_TAG, TANGENT_TAG, a])`.
    /// `m` must lie in [1, dim], dim = N + N(N+1)/2 (N while frozen).
    pub fn new(net: &DenseNetwork, m: usize, seed: u64) -> Result<Self, RateError> {
        let n = net.n();
        if net.params.plastic_precision != PlasticPrecision::F64 {
            return Err(ParamError::new(
                "plastic_precision",
                "f32",
                "f64 (tangent dynamics linearise the f64 dense kernel)",
            )
            .into());
        }
        let plen = packed_len(n);
        let dim = if net.is_frozen() { n } else { n + plen };
        if m == 0 || m > dim {
            return Err(
                ParamError::new("exponents", m, format!("an integer in [1, {dim}] (the tangent dimension)")).into()
            );
        }
        let mut dx = try_zeroed(checked_len(m, n, "tangent δx")?, "tangent δx")?;
        let mut da = try_zeroed(checked_len(m, plen, "tangent δA")?, "tangent δA")?;
        let da_active = !net.is_frozen();
        for a in 0..m {
            let mut rng = stream(seed, Purpose::InitialState, &[STREAM_TAG, TANGENT_TAG, a as u64]);
            for v in dx[a * n..(a + 1) * n].iter_mut() {
                *v = rng.sample(StandardNormal);
            }
            if da_active {
                // O(1/N) entries, like A itself, so that neither block dominates at first.
                let s = 1.0 / n as f64;
                for v in da[a * plen..(a + 1) * plen].iter_mut() {
                    let z: f64 = rng.sample(StandardNormal);
                    *v = s * z;
                }
            }
        }
        let bounds = &net.kernel.bounds;
        let chunk_parts = |k: usize| -> Vec<Vec<Vec<f64>>> {
            bounds.windows(2).map(|w| (0..k).map(|_| vec![0.0; n - w[0]]).collect()).collect()
        };
        let a_parts = chunk_parts(m + 1);
        let da_parts = (0..m).map(|_| bounds.windows(2).map(|w| vec![0.0; n - w[0]]).collect()).collect();
        let mut t = Self {
            n,
            m,
            plen,
            dx,
            da,
            da_active,
            d: vec![0.0; n],
            u: vec![0.0; m * n],
            v: vec![0.0; m * n],
            gemv_out: vec![0.0; n * (m + 1)],
            a_parts,
            da_parts,
        };
        t.orthonormalize()?;
        Ok(t)
    }

    /// Number of tangent vectors m.
    pub fn len(&self) -> usize {
        self.m
    }

    /// Always false (m ≥ 1).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// δx of tangent vector `a` (panics if `a` ≥ [`len`](Self::len)).
    pub fn dx(&self, a: usize) -> &[f64] {
        &self.dx[a * self.n..(a + 1) * self.n]
    }

    /// δA of tangent vector `a`, packed upper triangle (all zero while the
    /// network is frozen; panics if `a` ≥ [`len`](Self::len)).
    pub fn da(&self, a: usize) -> &[f64] {
        &self.da[a * self.plen..(a + 1) * self.plen]
    }

    /// Advance `net` and the tangent vectors by one step.
    ///
    /// # Panics
    ///
    /// If `net` is not the network (size) this tangent was built for.
    pub fn step(&mut self, net: &mut DenseNetwork) {
        let n = self.n;
        assert_eq!(net.n(), n, "Tangent::step: network size");
        assert_eq!(net.params.plastic_precision, PlasticPrecision::F64, "Tangent::step: plastic_precision");
        let m = self.m;
        let plastic = !net.frozen;
        if !plastic && self.da_active {
            self.da.fill(0.0);
            self.da_active = false;
        }
        if plastic {
            self.da_active = true;
        }
        let nl = net.params.nonlinearity;
        nl.phi_slice(&net.x, &mut net.rates);
        nl.dphi_slice(&net.x, &mut self.d);
        for (ua, dxa) in self.u.chunks_exact_mut(n).zip(self.dx.chunks_exact(n)) {
            for ((u, &dx), &d) in ua.iter_mut().zip(dxa).zip(&self.d) {
                *u = d * dx;
            }
        }

        // (1) g J* [φ, u_1 … u_m], one read of J*. With f32/binary16
        // storage the network's product g J* φ is the single-precision one
        // (CouplingPrecision), so it is computed as in `RateNetwork::step`
        // and the tangent products (f64) in a second read.
        {
            let sp = net.gj.single_precision();
            let mut vs: Vec<&[f64]> = Vec::with_capacity(m + 1);
            if !sp {
                vs.push(&net.rates);
            }
            vs.extend(self.u.chunks_exact(n));
            let nv = vs.len();
            let first = usize::from(!sp);
            net.gj.gemv_multi(n, &vs, &mut self.gemv_out[..n * nv]);
            for (r, o) in self.gemv_out[..n * nv].chunks_exact(nv).enumerate() {
                if !sp {
                    net.input[r] = o[0];
                }
                for a in 0..m {
                    self.v[a * n + r] = o[first + a];
                }
            }
            if sp {
                net.gj.gemv_with(n, &net.rates, &mut net.rates32, &mut net.input);
            }
        }

        // (2) A_n u_a for all a, then the fused A_n φ + update, per chunk.
        {
            let bounds = &net.kernel.bounds;
            let (alpha, beta) = net.kernel.coefficients();
            let chunks = split_packed_mut(&mut net.kernel.packed, n, bounds);
            let us: Vec<&[f64]> = self.u.chunks_exact(n).collect();
            let rates = &net.rates;
            let work = |(c, (a, parts)): (usize, (&mut [f64], &mut Vec<Vec<f64>>))| {
                for p in parts.iter_mut() {
                    p.fill(0.0);
                }
                let (r0, r1) = (bounds[c], bounds[c + 1]);
                let (p_phi, p_u) = parts.split_at_mut(1);
                packed_chunk_products(a, r0, r1, n, &us, p_u);
                packed_chunk(a, r0, r1, n, rates, &mut p_phi[0], alpha, beta, plastic);
            };
            if parallel() && chunks.len() > 1 {
                chunks.into_par_iter().zip(self.a_parts.par_iter_mut()).enumerate().for_each(work);
            } else {
                chunks.into_iter().zip(self.a_parts.iter_mut()).enumerate().for_each(work);
            }
            for (c, parts) in self.a_parts.iter().enumerate() {
                let r0 = bounds[c];
                for (o, p) in net.input[r0..].iter_mut().zip(&parts[0]) {
                    *o += p;
                }
                for a in 0..m {
                    let va = &mut self.v[a * n + r0..(a + 1) * n];
                    for (o, p) in va.iter_mut().zip(&parts[1 + a]) {
                        *o += p;
                    }
                }
            }
        }

        // (3) δA_a φ and δA_a ← α δA_a + β (u_a φᵀ + φ u_aᵀ).
        if plastic {
            let bounds = &net.kernel.bounds;
            let (alpha, beta) = net.kernel.coefficients();
            let rates = &net.rates;
            let mut tasks: Vec<(usize, usize, &mut [f64], &mut Vec<f64>)> = Vec::new();
            for (a, (daa, parts)) in self.da.chunks_exact_mut(self.plen).zip(self.da_parts.iter_mut()).enumerate() {
                for (c, (chunk, part)) in split_packed_mut(daa, n, bounds).into_iter().zip(parts.iter_mut()).enumerate()
                {
                    tasks.push((a, c, chunk, part));
                }
            }
            let us = &self.u;
            let work = |(a, c, chunk, part): (usize, usize, &mut [f64], &mut Vec<f64>)| {
                part.fill(0.0);
                packed_chunk_rank2(
                    chunk,
                    bounds[c],
                    bounds[c + 1],
                    n,
                    rates,
                    &us[a * n..(a + 1) * n],
                    part,
                    alpha,
                    beta,
                );
            };
            if parallel() && tasks.len() > 1 {
                tasks.into_par_iter().for_each(work);
            } else {
                tasks.into_iter().for_each(work);
            }
            for (a, parts) in self.da_parts.iter().enumerate() {
                reduce_partials(parts, bounds, &mut self.v[a * n..(a + 1) * n]);
            }
        }

        // (4) Euler for x and δx.
        let dt = net.params.dt;
        for (x, h) in net.x.iter_mut().zip(&net.input) {
            *x += dt * (h - *x);
        }
        for (dxa, va) in self.dx.chunks_exact_mut(n).zip(self.v.chunks_exact(n)) {
            for (d, &v) in dxa.iter_mut().zip(va) {
                *d += dt * (v - *d);
            }
        }
        net.steps += 1;
    }

    /// Inner product of tangent vectors `a` and `b`.
    fn inner(&self, a: usize, b: usize) -> f64 {
        let mut s = dot(self.dx(a), self.dx(b));
        if self.da_active {
            s += packed_frobenius_dot(self.n, self.da(a), self.da(b));
        }
        s
    }

    /// `V_target −= r V_src` for `src < target`.
    fn sub_scaled(&mut self, target: usize, r: f64, src: usize) {
        debug_assert!(src < target);
        let (n, p) = (self.n, self.plen);
        let (x1, x2) = self.dx.split_at_mut(target * n);
        axpy(-r, &x1[src * n..(src + 1) * n], &mut x2[..n]);
        if self.da_active {
            let (a1, a2) = self.da.split_at_mut(target * p);
            axpy(-r, &a1[src * p..(src + 1) * p], &mut a2[..p]);
        }
    }

    fn scale(&mut self, a: usize, s: f64) {
        let (n, p) = (self.n, self.plen);
        self.dx[a * n..(a + 1) * n].iter_mut().for_each(|v| *v *= s);
        if self.da_active {
            self.da[a * p..(a + 1) * p].iter_mut().for_each(|v| *v *= s);
        }
    }

    /// QR step: orthonormalise the tangent vectors in order by modified
    /// Gram–Schmidt (applied twice for stability) and return ln R_aa, the log
    /// growth of vector a orthogonal to vectors 0..a since the last call.
    pub fn orthonormalize(&mut self) -> Result<Vec<f64>, RateError> {
        let mut logs = Vec::with_capacity(self.m);
        for a in 0..self.m {
            for _pass in 0..2 {
                for b in 0..a {
                    let r = self.inner(b, a);
                    self.sub_scaled(a, r, b);
                }
            }
            let norm = self.inner(a, a).sqrt();
            if !(norm.is_finite() && norm > 0.0) {
                return Err(RateError::Degenerate(format!(
                    "tangent vector {a} has norm {norm} after orthogonalisation"
                )));
            }
            self.scale(a, 1.0 / norm);
            logs.push(norm.ln());
        }
        Ok(logs)
    }
}

/// Schedule of a Lyapunov computation (spec §8.1: renormalise every time
/// unit, burn-in 150–300, average over 300–400).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LyapunovOptions {
    /// Number m of leading exponents (1 for the maximum exponent only).
    pub exponents: usize,
    /// Steps between QR renormalisations, ≥ 1 (10 = one time unit at dt 0.1).
    pub renorm_every: u64,
    /// Steps during which the tangent vectors align but nothing is averaged.
    pub transient_steps: u64,
    /// Steps over which the growth rates are averaged, ≥ 1.
    pub steps: u64,
    /// Seed of the initial tangent vectors.
    pub seed: u64,
}

impl Default for LyapunovOptions {
    fn default() -> Self {
        Self { exponents: 1, renorm_every: 10, transient_steps: 500, steps: 3000, seed: 0 }
    }
}

/// Result of [`lyapunov_spectrum`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LyapunovSpectrum {
    /// The m leading exponents (per unit time), in QR order, which is
    /// descending up to the statistical error.
    pub exponents: Vec<f64>,
    /// Averaging time (steps · dt).
    pub time: f64,
    /// Kaplan–Yorke dimension of the computed exponents, if they determine
    /// it (see [`kaplan_yorke`]).
    pub kaplan_yorke: Option<f64>,
}

/// The leading Lyapunov exponents of `net`'s discrete map (module docs),
/// continuing from its current state (which advances by
/// `transient_steps + steps`). Do the burn-in of the network itself first
/// (e.g. `net.run(1500)`).
pub fn lyapunov_spectrum(net: &mut DenseNetwork, opts: &LyapunovOptions) -> Result<LyapunovSpectrum, RateError> {
    if opts.renorm_every == 0 {
        return Err(ParamError::new("renorm_every", 0, "an integer >= 1").into());
    }
    if opts.steps == 0 {
        return Err(ParamError::new("steps", 0, "an integer >= 1").into());
    }
    let mut t = Tangent::new(net, opts.exponents, opts.seed)?;
    for s in 0..opts.transient_steps {
        t.step(net);
        if (s + 1) % opts.renorm_every == 0 {
            t.orthonormalize()?;
        }
    }
    t.orthonormalize()?;
    let mut sums = vec![0.0; opts.exponents];
    for s in 0..opts.steps {
        t.step(net);
        if (s + 1) % opts.renorm_every == 0 || s + 1 == opts.steps {
            for (acc, l) in sums.iter_mut().zip(t.orthonormalize()?) {
                *acc += l;
            }
        }
    }
    let time = opts.steps as f64 * net.params.dt;
    let exponents: Vec<f64> = sums.iter().map(|s| s / time).collect();
    let kaplan_yorke = kaplan_yorke(&exponents);
    Ok(LyapunovSpectrum { exponents, time, kaplan_yorke })
}

/// The maximum Lyapunov exponent (one renormalised tangent vector; the
/// `exponents` field of `opts` is ignored).
pub fn max_lyapunov(net: &mut DenseNetwork, opts: &LyapunovOptions) -> Result<f64, RateError> {
    let o = LyapunovOptions { exponents: 1, ..opts.clone() };
    Ok(lyapunov_spectrum(net, &o)?.exponents[0])
}

/// Kaplan–Yorke dimension D = j + (λ_1 + … + λ_j)/|λ_{j+1}|, with j the
/// largest index whose partial sum is ≥ 0 (exponents sorted in descending
/// order first). `Some(0.0)` if λ_1 < 0; `None` if all partial sums are
/// ≥ 0 (more exponents are needed) or the input is empty or non-finite.
pub fn kaplan_yorke(exponents: &[f64]) -> Option<f64> {
    if exponents.is_empty() || exponents.iter().any(|l| !l.is_finite()) {
        return None;
    }
    let mut l = exponents.to_vec();
    l.sort_by(|a, b| b.total_cmp(a));
    if l[0] < 0.0 {
        return Some(0.0);
    }
    let mut s = 0.0;
    for (j, &lj) in l.iter().enumerate() {
        if s + lj < 0.0 {
            return Some(j as f64 + s / lj.abs());
        }
        s += lj;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::packed_offset;

    #[test]
    fn kaplan_yorke_cases() {
        assert_eq!(kaplan_yorke(&[-0.1, -0.5]), Some(0.0));
        // 0.3 + 0.1 − 0.2 = 0.2 ≥ 0; next −0.4: D = 3 + 0.2/0.4.
        let d = kaplan_yorke(&[0.1, 0.3, -0.2, -0.4]).unwrap();
        assert!((d - 3.5).abs() < 1e-15);
        assert_eq!(kaplan_yorke(&[0.1, 0.05]), None);
        assert_eq!(kaplan_yorke(&[]), None);
        // A limit cycle: (0, −1) gives D = 1.
        assert_eq!(kaplan_yorke(&[0.0, -1.0]), Some(1.0));
    }

    use crate::params::RateParams;

    /// The tangent map is the derivative of the step map: evolve a tangent
    /// vector (δx, δA) and, beside it, the network perturbed by ε (δx, δA);
    /// after 50 steps (t = 5) (x' − x)/ε and (A' − A)/ε match δx and δA up to
    /// O(ε · curvature) ≈ 1e-7 relative (measured 4e-8–1.3e-7) plus round-off
    /// over ε, √N · 1e-15/ε ≈ 6e-8 absolute (which dominates in the frozen,
    /// contracting case where |δx| shrinks to 5e-3).
    /// The forward trajectory is bit-identical with or without tangents.
    #[test]
    fn tangent_matches_finite_differences() {
        for (k, frozen) in [(1.5, false), (-1.0, false), (2.0, true)] {
            let p = RateParams { n: 40, g: 2.0, k, tau_s: 1.0, ..Default::default() };
            let mut net = DenseNetwork::new(&p, 3).unwrap();
            net.run(300);
            if frozen {
                net.freeze();
            }
            let mut t = Tangent::new(&net, 1, 5).unwrap();
            let eps = 1e-7;
            let mut plain = net.clone();
            let mut pert = net.clone();
            for (x, d) in pert.x.iter_mut().zip(t.dx(0)) {
                *x += eps * d;
            }
            for (a, d) in pert.kernel.packed.iter_mut().zip(t.da(0)) {
                *a += eps * d;
            }
            for _ in 0..50 {
                t.step(&mut net);
                pert.step();
                plain.step();
            }
            assert_eq!(net.x, plain.x, "tangent steps must not perturb the trajectory");
            assert_eq!(net.kernel.packed, plain.kernel.packed);
            let fd: Vec<f64> = pert.x.iter().zip(&net.x).map(|(a, b)| (a - b) / eps).collect();
            let scale = dot(&fd, &fd).sqrt();
            let err: f64 = fd.iter().zip(t.dx(0)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
            assert!(scale > 1e-3, "k={k}: |δx| = {scale}");
            eprintln!("k={k} frozen={frozen}: relative δx error {:e}", err / scale);
            assert!(err < 1e-5 * scale + 1e-7, "k={k} frozen={frozen}: {err:e} vs {scale:e}");
            if !frozen {
                let fda: Vec<f64> =
                    pert.kernel.packed.iter().zip(&net.kernel.packed).map(|(a, b)| (a - b) / eps).collect();
                let sa = dot(&fda, &fda).sqrt();
                let ea: f64 = fda.iter().zip(t.da(0)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
                eprintln!("k={k}: relative δA error {:e}", ea / sa);
                assert!(ea < 1e-5 * sa, "k={k}: δA {ea:e} vs {sa:e}");
            }
        }
    }

    #[test]
    fn packed_offsets_used_by_tangent() {
        // The Frobenius dot of packed symmetric matrices equals the full one.
        let n = 5;
        let p = packed_len(n);
        let a: Vec<f64> = (0..p).map(|i| i as f64 * 0.3 - 1.0).collect();
        let full = |v: &[f64], i: usize, j: usize| {
            let (i, j) = if i <= j { (i, j) } else { (j, i) };
            v[packed_offset(n, i) + j - i]
        };
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                s += full(&a, i, j) * full(&a, i, j);
            }
        }
        assert!((packed_frobenius_dot(n, &a, &a) - s).abs() < 1e-12);
    }
}
