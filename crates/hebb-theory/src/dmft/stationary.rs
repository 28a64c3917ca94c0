//! The stationary DMFT by Monte-Carlo Picard iteration (spec §3.2, §3.6
//! scheme (b)).
//!
//! # The scheme
//!
//! The unknown is the rate autocorrelation on the lag grid,
//! C\[m\] ≈ C_φ(m dt), m = 0..=L with L = τ_max/dt, split into a static part
//! C_∞ and a decaying part C̃ = C − C_∞. One Picard iteration maps C to a new
//! estimate:
//!
//! 1. **Split and taper.** C̃ is multiplied by a raised-cosine taper over the
//!    last `taper` fraction of the window, so that it reaches 0 at τ_max.
//! 2. **Draw the field.** For each path, η = √(g² C_∞) z (a static offset,
//!    z ~ N(0, 1)) plus a stationary Gaussian process with covariance g² C̃,
//!    drawn by circulant embedding (FFT of period P ≥ steps + L + 1, negative
//!    eigenvalues clipped to 0; the real and imaginary parts of one complex
//!    draw are two independent paths).
//! 3. **Integrate.** Euler with step dt, exactly the network's discrete
//!    kernel of §2.5 with the stationary population correlation in place of
//!    C_N:
//!    x_{n+1} = x_n + dt (−x_n + η_n + S_n),
//!    S_n = k [Σ_{m=1}^{L_k} w_m C̃\[m\] φ(x_{n−m}) + C_∞ y_n],
//!    y_{n+1} = (1 − dt/τ_s) y_n + (dt/τ_s) φ(x_n),
//!    w_m = (dt/τ_s)(1 − dt/τ_s)^(m−1). The window sum is truncated at
//!    L_k = min(L, ⌈ln(kernel_tol)/ln(1 − dt/τ_s)⌉) lags (the dropped
//!    weights sum to (1 − dt/τ_s)^L_k ≤ kernel_tol; §10.4).
//! 4. **Measure.** After `t_burn`, C_φ(τ) and Δ(τ) = ⟨x(t) x(t + τ)⟩ are
//!    averaged over time and paths (FFT, no mean removed: the estimator of
//!    `hebb_rate::ChaosStats`); C_∞ is held at 0 (the default, exact for
//!    symmetric states) or, with `static_part`, estimated as the mean of C
//!    over the tapered tail of the window.
//! 5. **Damped update.** C ← (1 − a) C + a C_new, a = `damping`.
//!
//! The first `warmup` iterations use a quarter of the paths (the shape of
//! C_φ converges slowly, its noise matters only at the end). The reported
//! statistics are the averages of the measured quantities
//! over the last `average_last` iterations (Monte-Carlo noise down by
//! √average_last); `noise` is the standard error of Δ₀ across them and
//! `residuals` the sup-norm change of C/C(0) per iteration.
//!
//! # Cost
//!
//! Per iteration ≈ paths × (t_burn + t_meas)/dt × L_k multiply-adds for the
//! self-term (the dominant part; 800 × 4000 × 263 ≈ 8.4e8 at τ_s = 1) plus
//! two FFTs of length P per path pair; a warm-up iteration costs a quarter.
//! Measured on the shared 2-core reference VM (release build, one rayon
//! thread, load average ≈ 4 from other builds): one solution at g = 2,
//! k = 1, τ_s = 1 with the default options (40 warm-up + 40 full
//! iterations, 800 paths) took 35 s of CPU time (68 s wall under that
//! load), 27 s of CPU without the warm-up; k = 0 (no self-term) 16 s.
//! Command: `cargo run --release -p hebb-theory --example dmft_timing -- 2 1
//! 1 800 40`. Paths are independent, so the time divides by the number of
//! rayon threads.

use super::scs::scs_solution;
use super::{DMFT_STREAM_TAG, DmftError, Phi, crossing, fft::Fft};
use hebb_core::rng::{Purpose, stream};
use hebb_core::{ParamError, check_finite, check_in_range, check_positive};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Paths integrated together (one chunk, one random stream, one unit of
/// parallel work).
const CHUNK: usize = 32;

/// The model whose single-site process is solved (§2.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationaryModel {
    /// Gain g of the quenched couplings, finite and > 0.
    pub g: f64,
    /// Plasticity strength k (finite; > 0 Hebbian, < 0 anti-Hebbian).
    pub k: f64,
    /// Synaptic time constant τ_s > 0, with dt ≤ τ_s (Euler kernel).
    pub tau_s: f64,
    /// Nonlinearity φ.
    pub phi: Phi,
}

impl Default for StationaryModel {
    /// g = 2, k = 0, τ_s = 1, erf: the SCS reference point of the spec.
    fn default() -> Self {
        Self { g: 2.0, k: 0.0, tau_s: 1.0, phi: Phi::Erf }
    }
}

/// Options of the Picard iteration (§3.6). The defaults are the spec's
/// settings (M = 800 paths, T_meas = 300, 40 iterations, τ_max = 80, dt =
/// 0.1) with burn-in 100 and an average over the last 10 iterations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StationaryOptions {
    /// Time step of the Euler kernel, in (0, 1] (0.1: the network's).
    pub dt: f64,
    /// Length of the correlation window τ_max > dt (80). It must exceed a
    /// few correlation times (τ_½ ≈ 20 at g = 2, k = 2: use ≥ 150 there).
    pub tau_max: f64,
    /// Fraction of the window over which C̃ is tapered to 0, in (0, 0.5] (0.2).
    pub taper: f64,
    /// Number of single-site paths M per iteration, even, in [2, 1e6] (800).
    pub paths: usize,
    /// Burn-in discarded at the start of each path, ≥ 0 (100).
    pub t_burn: f64,
    /// Measured length of each path, ≥ τ_max (300).
    pub t_meas: f64,
    /// Number of Picard iterations with all `paths`, ≥ 1 (40).
    pub iterations: usize,
    /// Cheap iterations run first with a quarter of the paths (at least 32),
    /// in [0, 100000] (40). The shape of C_φ converges slowly (a contraction
    /// of roughly 0.9 per iteration for τ_½, §3.6 practical notes), while its
    /// Monte-Carlo noise matters only at the end; these iterations move the
    /// shape most of the way for about a quarter of the cost each.
    pub warmup: usize,
    /// Number of final iterations whose measurements are averaged, in
    /// [1, iterations] (10).
    pub average_last: usize,
    /// Damping a of the update C ← (1 − a) C + a C_new, in (0, 1] (1).
    pub damping: f64,
    /// Estimate the static part C_∞ from the window's tail (true) or hold it
    /// at 0 (false, the default). C_∞ = 0 is exact for the symmetric chaotic
    /// states (x → −x) at τ_s = 1; estimating it there only feeds
    /// Monte-Carlo noise and slow tails into a nearly marginal static mode
    /// (§3.6(a) pitfall 2): at g = 2, k = −2 it wandered to C_∞ ≈ 0.02 ≈
    /// 0.06 q. Turn it on where a plateau is expected (τ_s = 10, k ≥ 2, §3.4).
    pub static_part: bool,
    /// Truncation of the self-term kernel: the dropped Euler weights sum to
    /// at most this, in (0, 0.1] (1e-12).
    pub kernel_tol: f64,
    /// Standard deviation of x at the start of each path, ≥ 0 (1).
    pub x0_std: f64,
    /// Seed of the random streams.
    pub seed: u64,
}

impl Default for StationaryOptions {
    fn default() -> Self {
        Self {
            dt: 0.1,
            tau_max: 80.0,
            taper: 0.2,
            paths: 800,
            t_burn: 100.0,
            t_meas: 300.0,
            iterations: 40,
            warmup: 40,
            average_last: 10,
            damping: 1.0,
            static_part: false,
            kernel_tol: 1e-12,
            x0_std: 1.0,
            seed: 1,
        }
    }
}

impl StationaryOptions {
    /// Check every field (the error names it and its allowed values).
    pub fn validate(&self) -> Result<(), ParamError> {
        check_in_range("dt", self.dt, 1e-6, 1.0)?;
        check_positive("tau_max", self.tau_max)?;
        if self.tau_max < 2.0 * self.dt || self.tau_max / self.dt > 1e6 {
            return Err(ParamError::new("tau_max", self.tau_max, "a number in [2 dt, 1e6 dt]"));
        }
        check_in_range("taper", self.taper, 1e-9, 0.5)?;
        if self.paths < 2 || !self.paths.is_multiple_of(2) || self.paths > 1_000_000 {
            return Err(ParamError::new("paths", self.paths, "an even integer in [2, 1000000]"));
        }
        check_in_range("t_burn", self.t_burn, 0.0, 1e7)?;
        check_in_range("t_meas", self.t_meas, self.tau_max, 1e7)
            .map_err(|_| ParamError::new("t_meas", self.t_meas, "a number in [tau_max, 1e7]"))?;
        if (self.t_burn + self.t_meas) / self.dt > 1e8 {
            return Err(ParamError::new("t_meas", self.t_meas, "(t_burn + t_meas)/dt at most 1e8 steps"));
        }
        if self.iterations == 0 || self.iterations > 100_000 {
            return Err(ParamError::new("iterations", self.iterations, "an integer in [1, 100000]"));
        }
        if self.warmup > 100_000 {
            return Err(ParamError::new("warmup", self.warmup, "an integer in [0, 100000]"));
        }
        if self.average_last == 0 || self.average_last > self.iterations {
            return Err(ParamError::new("average_last", self.average_last, "an integer in [1, iterations]"));
        }
        check_in_range("damping", self.damping, 1e-9, 1.0)?;
        check_in_range("kernel_tol", self.kernel_tol, 1e-300, 0.1)?;
        check_in_range("x0_std", self.x0_std, 0.0, 1e6)?;
        Ok(())
    }

    fn n_lags(&self) -> usize {
        (self.tau_max / self.dt).round() as usize
    }
    fn n_burn(&self) -> usize {
        (self.t_burn / self.dt).round() as usize
    }
    fn n_meas(&self) -> usize {
        (self.t_meas / self.dt).round() as usize
    }
}

impl StationaryModel {
    /// Check every field against the options (dt ≤ τ_s for the Euler
    /// synaptic kernel).
    pub fn validate(&self, opts: &StationaryOptions) -> Result<(), ParamError> {
        check_in_range("g", self.g, 1e-12, 1e6)?;
        check_finite("k", self.k)?;
        if self.k.abs() > 1e6 {
            return Err(ParamError::new("k", self.k, "a number in [-1e6, 1e6]"));
        }
        check_positive("tau_s", self.tau_s)?;
        if self.tau_s < opts.dt || self.tau_s > 1e6 {
            return Err(ParamError::new("tau_s", self.tau_s, "a number in [dt, 1e6] (Euler kernel: dt <= tau_s)"));
        }
        Ok(())
    }
}

/// The stationary solution and its diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationarySolution {
    /// The model solved.
    pub model: StationaryModel,
    /// Lag step dt (C_φ\[m\] is at τ = m dt).
    pub dt: f64,
    /// C_φ(τ) at τ = 0, dt, …, τ_max (average of the last iterations'
    /// measurements).
    pub c_phi: Vec<f64>,
    /// Δ(τ) = ⟨x(t) x(t + τ)⟩ at the same lags.
    pub c_x: Vec<f64>,
    /// Static part C_∞ of C_φ.
    pub c_inf: f64,
    /// Δ₀ = ⟨x²⟩ = Δ(0).
    pub delta0: f64,
    /// q = ⟨φ²⟩ = C_φ(0).
    pub q: f64,
    /// ⟨φ'(x)²⟩.
    pub phi_prime_sq: f64,
    /// g² ⟨φ'²⟩: below 1 the chaos is freezable (§4.2, §6.2).
    pub g2_phi_prime_sq: f64,
    /// ⟨φ'(x)⟩.
    pub phi_prime_mean: f64,
    /// τ_½ of C_φ/C_φ(0) (linear interpolation), if reached in the window.
    pub tau_half: Option<f64>,
    /// Integral time ∫₀^τmax (C_φ − C_∞)/(C_φ(0) − C_∞) dτ (trapezoid).
    pub tau_int: f64,
    /// First zero of C_φ, if any in the window.
    pub first_zero: Option<f64>,
    /// Minimum of C_φ/C_φ(0) over the window and its lag.
    pub min_c_over_q: (f64, f64),
    /// True if the iteration collapsed to the quiescent solution x ≡ 0
    /// (q < 1e-12); then all statistics are those of x ≡ 0.
    pub quiescent: bool,
    /// Iterations performed.
    pub iterations: usize,
    /// Per iteration: max_m |C_new\[m\] − C\[m\]| / C_new\[0\].
    pub residuals: Vec<f64>,
    /// Per iteration: the measured Δ₀ (to judge convergence).
    pub delta0_history: Vec<f64>,
    /// Per iteration: the measured τ_½ (NaN if not reached in the window);
    /// the shape of C_φ converges more slowly than Δ₀ (§3.6).
    pub tau_half_history: Vec<f64>,
    /// Standard error of Δ₀ over the averaged iterations (Monte-Carlo
    /// noise, and any residual drift).
    pub noise: f64,
    /// Largest fraction of the circulant spectrum's mass clipped
    /// (negative eigenvalues set to 0) in any iteration.
    pub clipped: f64,
    /// Lags L_k of the self-term kernel.
    pub kernel_lags: usize,
}

impl StationarySolution {
    /// Lag τ of index m.
    pub fn tau(&self, m: usize) -> f64 {
        m as f64 * self.dt
    }

    /// C_φ(τ)/C_φ(0) at the lag nearest to `tau` (None outside the window or
    /// at the quiescent solution).
    pub fn c_over_q(&self, tau: f64) -> Option<f64> {
        let i = (tau / self.dt).round();
        if i.is_nan() || i < 0.0 || i as usize >= self.c_phi.len() || self.c_phi[0] <= 0.0 {
            return None;
        }
        Some(self.c_phi[i as usize] / self.c_phi[0])
    }
}

/// Per-chunk sums (reduced in chunk order).
struct ChunkSums {
    x2: f64,
    phi2: f64,
    dphi2: f64,
    dphi: f64,
    ac_phi: Vec<f64>,
    ac_x: Vec<f64>,
}

/// Solve the stationary DMFT of `model` (§3.2) by Picard iteration (§3.6).
///
/// `init` is the initial guess of C_φ on the lag grid of `opts` (index m at
/// τ = m dt; shorter vectors are extended by their last value, longer ones
/// cut) together with its static part, e.g. the previous solution of a
/// continuation in k (`(&sol.c_phi, sol.c_inf)`). `None` starts from the SCS
/// solution at g (§3.4), or at g = 2 when g ≤ 1 (a large-amplitude start:
/// whether a chaotic state survives at g ≤ 1 is the question there, §4.2).
///
/// ```no_run
/// use hebb_theory::dmft::{solve_stationary, StationaryModel, StationaryOptions};
/// let m = StationaryModel { g: 2.0, k: 1.0, ..Default::default() };
/// let s = solve_stationary(&m, &StationaryOptions::default(), None).unwrap();
/// println!("Δ0 {:.3} q {:.3} g²⟨φ'²⟩ {:.3} τ½ {:?}", s.delta0, s.q, s.g2_phi_prime_sq, s.tau_half);
/// ```
pub fn solve_stationary(
    model: &StationaryModel,
    opts: &StationaryOptions,
    init: Option<(&[f64], f64)>,
) -> Result<StationarySolution, DmftError> {
    opts.validate()?;
    model.validate(opts)?;
    let dt = opts.dt;
    let nl = opts.n_lags();
    let (n_burn, n_meas) = (opts.n_burn(), opts.n_meas());
    let n_tot = n_burn + n_meas;

    // Initial guess.
    let (mut c, mut c_inf) = match init {
        Some((c0, ci)) => {
            if c0.is_empty() || c0.iter().any(|v| !v.is_finite()) || !ci.is_finite() {
                return Err(ParamError::new("init", "empty or non-finite", "finite values, at least one lag").into());
            }
            let mut c: Vec<f64> = c0.iter().copied().take(nl + 1).collect();
            let last = *c.last().unwrap_or(&0.0);
            c.resize(nl + 1, last);
            (c, if opts.static_part { ci } else { 0.0 })
        }
        None => {
            // The Euler kernel shortens the effective neuronal time constant to
            // ≈ √(1 − dt) (its transfer function is 1/(1 + (1 − dt) ω²) at
            // low frequency), so the continuous SCS solution is evaluated at
            // τ/√(1 − dt): at g = 2, dt = 0.1 the discrete fixed point has
            // τ_½ = 4.40 against 4.65 in continuous time.
            let g0 = if model.g > 1.0 { model.g } else { 2.0 };
            let s = (1.0 - dt).max(0.01).sqrt();
            let fine = scs_solution(model.phi, g0, dt / s, nl)?;
            (fine.c_phi, 0.0)
        }
    };

    // Taper over the last `taper` fraction of the window (raised cosine).
    let m0 = ((1.0 - opts.taper) * nl as f64).floor() as usize;
    let taper: Vec<f64> = (0..=nl)
        .map(|m| {
            if m <= m0 { 1.0 } else { 0.5 * (1.0 + (std::f64::consts::PI * (m - m0) as f64 / (nl - m0) as f64).cos()) }
        })
        .collect();
    // Self-term kernel length and Euler weights (§2.5).
    let alpha = 1.0 - dt / model.tau_s;
    let lk = if model.k == 0.0 {
        0
    } else if alpha <= 0.0 {
        1
    } else {
        ((opts.kernel_tol.ln() / alpha.ln()).ceil() as usize).clamp(1, nl)
    };
    let w: Vec<f64> =
        (0..=lk).map(|m| if m == 0 { 0.0 } else { dt / model.tau_s * alpha.powi(m as i32 - 1) }).collect();

    let p_field = (n_tot + nl + 1).next_power_of_two().max(2);
    let p_corr = (n_meas + nl + 1).next_power_of_two().max(2);
    let fft_field = Fft::new(p_field);
    let fft_corr = Fft::new(p_corr);

    let mut residuals = Vec::new();
    let mut d0_hist = Vec::new();
    let mut th_hist = Vec::new();
    let mut clipped_max: f64 = 0.0;
    // Accumulators of the averaged iterations.
    let n_avg = opts.average_last;
    let mut acc_c = vec![0.0; nl + 1];
    let mut acc_x = vec![0.0; nl + 1];
    let (mut acc_cinf, mut acc_phi2, mut acc_dphi2, mut acc_dphi) = (0.0, 0.0, 0.0, 0.0);
    let mut avg_d0 = Vec::new();
    let mut done = 0;

    let total = opts.warmup + opts.iterations;
    for it in 0..total {
        let paths = if it < opts.warmup { (opts.paths / 4).max(32).min(opts.paths) & !1 } else { opts.paths };
        let n_chunks = paths.div_ceil(CHUNK);
        // 1. split and taper.
        let ct: Vec<f64> = (0..=nl).map(|m| (c[m] - c_inf) * taper[m]).collect();
        // 2. circulant embedding of g² C̃.
        let g2 = model.g * model.g;
        let (mut re, mut im) = (vec![0.0; p_field], vec![0.0; p_field]);
        for m in 0..=nl {
            re[m] = g2 * ct[m];
            if m > 0 {
                re[p_field - m] = g2 * ct[m];
            }
        }
        fft_field.run(&mut re, &mut im, false);
        let (mut neg, mut tot) = (0.0, 0.0);
        let amp: Vec<f64> = re
            .iter()
            .map(|&l| {
                tot += l.abs();
                if l < 0.0 {
                    neg -= l;
                    0.0
                } else {
                    (l / p_field as f64).sqrt()
                }
            })
            .collect();
        if tot > 0.0 {
            clipped_max = clipped_max.max(neg / tot);
        }
        let kappa: Vec<f64> = (0..=lk).map(|m| model.k * w[m] * ct[m]).collect();
        let static_sd = (g2 * c_inf.max(0.0)).sqrt();
        let self_static = model.k * c_inf;

        // 3–4. integrate and measure, chunk by chunk.
        let run_chunk = |chunk: usize| -> ChunkSums {
            let used = (paths - chunk * CHUNK).min(CHUNK);
            let mut rng = stream(opts.seed, Purpose::User, &[DMFT_STREAM_TAG, it as u64, chunk as u64]);
            let mut eta = vec![0.0; n_tot * CHUNK];
            let (mut zr, mut zi) = (vec![0.0; p_field], vec![0.0; p_field]);
            for pair in 0..CHUNK / 2 {
                for j in 0..p_field {
                    let a: f64 = rng.sample(StandardNormal);
                    let b: f64 = rng.sample(StandardNormal);
                    zr[j] = amp[j] * a;
                    zi[j] = amp[j] * b;
                }
                fft_field.run(&mut zr, &mut zi, false);
                let o1: f64 = static_sd * rng.sample::<f64, _>(StandardNormal);
                let o2: f64 = static_sd * rng.sample::<f64, _>(StandardNormal);
                for n in 0..n_tot {
                    eta[n * CHUNK + 2 * pair] = zr[n] + o1;
                    eta[n * CHUNK + 2 * pair + 1] = zi[n] + o2;
                }
            }
            let mut x = [0.0; CHUNK];
            for v in x.iter_mut() {
                *v = opts.x0_std * rng.sample::<f64, _>(StandardNormal);
            }
            let mut y = [0.0; CHUNK];
            let mut hist = vec![0.0; lk.max(1) * CHUNK];
            let mut rec_x = vec![0.0; CHUNK * n_meas];
            let mut rec_p = vec![0.0; CHUNK * n_meas];
            let (mut x2, mut phi2, mut dphi2, mut dphi) = (0.0, 0.0, 0.0, 0.0);
            let a_y = dt / model.tau_s;
            for n in 0..n_tot {
                let mut s = [0.0; CHUNK];
                if lk > 0 {
                    let r = n % lk;
                    // lags 1..=r live in rows r−1 … 0, lags r+1..=lk in rows lk−1 … r.
                    for (m, &kap) in kappa.iter().enumerate().skip(1) {
                        let row = if m <= r { r - m } else { lk + r - m };
                        let h: &[f64; CHUNK] = hist[row * CHUNK..(row + 1) * CHUNK].try_into().expect("row");
                        for b in 0..CHUNK {
                            s[b] += kap * h[b];
                        }
                    }
                }
                let mut ph = [0.0; CHUNK];
                for b in 0..CHUNK {
                    ph[b] = model.phi.phi(x[b]);
                }
                if n >= n_burn {
                    let t = n - n_burn;
                    for b in 0..used {
                        rec_x[b * n_meas + t] = x[b];
                        rec_p[b * n_meas + t] = ph[b];
                        let d = model.phi.dphi(x[b]);
                        x2 += x[b] * x[b];
                        phi2 += ph[b] * ph[b];
                        dphi2 += d * d;
                        dphi += d;
                    }
                }
                let e = &eta[n * CHUNK..(n + 1) * CHUNK];
                for b in 0..CHUNK {
                    let drive = e[b] + s[b] + self_static * y[b];
                    x[b] += dt * (-x[b] + drive);
                    y[b] = alpha * y[b] + a_y * ph[b];
                }
                if lk > 0 {
                    let row = n % lk;
                    hist[row * CHUNK..(row + 1) * CHUNK].copy_from_slice(&ph);
                }
            }
            // Autocorrelation sums by FFT, two paths per complex transform:
            // with Z = FFT(a + i b), |A_f|² + |B_f|² = (|Z_f|² + |Z_{−f}|²)/2.
            let corr = |rec: &[f64]| -> Vec<f64> {
                let mut pow = vec![0.0; p_corr];
                let (mut ar, mut ai) = (vec![0.0; p_corr], vec![0.0; p_corr]);
                for pair in 0..used.div_ceil(2) {
                    ar.iter_mut().for_each(|v| *v = 0.0);
                    ai.iter_mut().for_each(|v| *v = 0.0);
                    ar[..n_meas].copy_from_slice(&rec[2 * pair * n_meas..(2 * pair + 1) * n_meas]);
                    if 2 * pair + 1 < used {
                        ai[..n_meas].copy_from_slice(&rec[(2 * pair + 1) * n_meas..(2 * pair + 2) * n_meas]);
                    }
                    fft_corr.run(&mut ar, &mut ai, false);
                    for f in 0..p_corr {
                        let g = (p_corr - f) % p_corr;
                        pow[f] += 0.5 * (ar[f] * ar[f] + ai[f] * ai[f] + ar[g] * ar[g] + ai[g] * ai[g]);
                    }
                }
                let mut zero = vec![0.0; p_corr];
                fft_corr.run(&mut pow, &mut zero, true);
                pow.truncate(nl + 1);
                pow.iter_mut().for_each(|v| *v /= p_corr as f64);
                pow
            };
            ChunkSums { x2, phi2, dphi2, dphi, ac_phi: corr(&rec_p), ac_x: corr(&rec_x) }
        };
        let sums: Vec<ChunkSums> = (0..n_chunks).into_par_iter().map(run_chunk).collect();

        // Reduce in chunk order.
        let mut ac_p = vec![0.0; nl + 1];
        let mut ac_x = vec![0.0; nl + 1];
        let (mut x2, mut phi2, mut dphi2, mut dphi) = (0.0, 0.0, 0.0, 0.0);
        for s in &sums {
            x2 += s.x2;
            phi2 += s.phi2;
            dphi2 += s.dphi2;
            dphi += s.dphi;
            for m in 0..=nl {
                ac_p[m] += s.ac_phi[m];
                ac_x[m] += s.ac_x[m];
            }
        }
        let samples = (paths * n_meas) as f64;
        let c_new: Vec<f64> = (0..=nl).map(|m| ac_p[m] / (paths * (n_meas - m)) as f64).collect();
        let x_new: Vec<f64> = (0..=nl).map(|m| ac_x[m] / (paths * (n_meas - m)) as f64).collect();
        let d0 = x2 / samples;
        if !d0.is_finite() || c_new.iter().any(|v| !v.is_finite()) {
            return Err(DmftError::Diverged { iteration: it, what: "single-site paths (Δ₀ or C_φ)".into() });
        }
        let q_new = phi2 / samples;
        d0_hist.push(d0);
        let r_new: Vec<f64> = c_new.iter().map(|v| v / c_new[0]).collect();
        th_hist.push(crossing(&r_new, 0.5, dt).unwrap_or(f64::NAN));
        let cinf_new = if opts.static_part {
            let tail = &c_new[m0..];
            tail.iter().sum::<f64>() / tail.len() as f64
        } else {
            0.0
        };
        let res = c_new.iter().zip(&c).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / c_new[0].max(1e-300);
        residuals.push(res);
        if q_new < 1e-12 {
            let mut z = quiescent(model, opts, it + 1, residuals, d0_hist, clipped_max, lk);
            z.tau_half_history = th_hist;
            return Ok(z);
        }
        // 5. damped update.
        let a = opts.damping;
        for m in 0..=nl {
            c[m] = (1.0 - a) * c[m] + a * c_new[m];
        }
        c_inf = (1.0 - a) * c_inf + a * cinf_new;

        if it + n_avg >= total {
            for m in 0..=nl {
                acc_c[m] += c_new[m];
                acc_x[m] += x_new[m];
            }
            acc_cinf += cinf_new;
            acc_phi2 += q_new;
            acc_dphi2 += dphi2 / samples;
            acc_dphi += dphi / samples;
            avg_d0.push(d0);
            done += 1;
        }
    }

    let nf = done as f64;
    let c_phi: Vec<f64> = acc_c.iter().map(|v| v / nf).collect();
    let c_x: Vec<f64> = acc_x.iter().map(|v| v / nf).collect();
    let c_inf = acc_cinf / nf;
    let delta0 = avg_d0.iter().sum::<f64>() / nf;
    let noise = if done > 1 {
        (avg_d0.iter().map(|v| (v - delta0).powi(2)).sum::<f64>() / (nf - 1.0) / nf).sqrt()
    } else {
        f64::NAN
    };
    let q = c_phi[0];
    let ratio: Vec<f64> = c_phi.iter().map(|v| v / q).collect();
    let tilde0 = q - c_inf;
    let tau_int = if tilde0 > 0.0 {
        let f: Vec<f64> = c_phi.iter().map(|v| (v - c_inf) / tilde0).collect();
        dt * (f.iter().sum::<f64>() - 0.5 * (f[0] + f[nl]))
    } else {
        0.0
    };
    let (imin, vmin) =
        ratio.iter().enumerate().fold((0, f64::INFINITY), |acc, (i, &v)| if v < acc.1 { (i, v) } else { acc });
    let phi_prime_sq = acc_dphi2 / nf;
    let _ = acc_phi2;
    Ok(StationarySolution {
        model: *model,
        dt,
        tau_half: crossing(&ratio, 0.5, dt),
        first_zero: crossing(&ratio, 0.0, dt),
        min_c_over_q: (vmin, imin as f64 * dt),
        c_phi,
        c_x,
        c_inf,
        delta0,
        q,
        phi_prime_sq,
        g2_phi_prime_sq: model.g * model.g * phi_prime_sq,
        phi_prime_mean: acc_dphi / nf,
        tau_int,
        quiescent: false,
        iterations: total,
        residuals,
        delta0_history: d0_hist,
        tau_half_history: th_hist,
        noise,
        clipped: clipped_max,
        kernel_lags: lk,
    })
}

fn quiescent(
    model: &StationaryModel,
    opts: &StationaryOptions,
    iterations: usize,
    residuals: Vec<f64>,
    delta0_history: Vec<f64>,
    clipped: f64,
    kernel_lags: usize,
) -> StationarySolution {
    let nl = opts.n_lags();
    StationarySolution {
        model: *model,
        dt: opts.dt,
        c_phi: vec![0.0; nl + 1],
        c_x: vec![0.0; nl + 1],
        c_inf: 0.0,
        delta0: 0.0,
        q: 0.0,
        phi_prime_sq: 1.0,
        g2_phi_prime_sq: model.g * model.g,
        phi_prime_mean: 1.0,
        tau_half: None,
        tau_int: 0.0,
        first_zero: None,
        min_c_over_q: (0.0, 0.0),
        quiescent: true,
        iterations,
        residuals,
        delta0_history,
        tau_half_history: Vec::new(),
        noise: 0.0,
        clipped,
        kernel_lags,
    }
}
