//! Clark & Abbott §4: the phase diagram in the (g, k) plane at fixed τ_s,
//! drawn by the recipe of §4.2:
//!
//! * the quiescent line g = 1 (exact: x = 0 is stable iff g < 1, §3.5);
//! * chaos for g > 1, from networks started at x(0) ~ N(0, 1), A(0) = 0;
//! * Hebbian-induced chaos (or nonzero fixed points) at g < 1 from large
//!   initial states: x(0) with standard deviation 3 and
//!   A(0) = (k/N) φ(x₀) φ(x₀)ᵀ (§2.3, §4.2 caveat on A(0) = 0);
//! * the freezability line g²⟨φ'²⟩ = 1 along the chaotic branch from the
//!   stationary DMFT (`hebb_theory::dmft`, §3.6; k = 0 from the exact SCS
//!   solution, §3.4);
//! * loss of chaos at large k: the fraction of seeds that end on a fixed
//!   point.
//!
//! Every network run ends in one of three classes, read off the last window
//! of the run (as in `clark_lyapunov`): decayed to x = 0, on a fixed point
//! (speed ‖ẋ‖/√N at rounding level), or sustained motion. Each network run
//! and each DMFT solution is one task of the [`Sweep`](crate::Sweep).
//!
//! The tricritical strength k_t on g = 1 (§3.8) would need the DMFT
//! continuation of `hebb_theory::dmft::tricritical_k` (minutes per point);
//! the figure marks only the leading-order value π/4 (§3.8 consistency
//! note), labelled as such.

use crate::{Check, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb_rate::{DenseNetwork, InitialSynapses, RateFunction, RateParams};
use hebb_theory::dmft::{
    Phi, StationaryModel, StationaryOptions, TwoTimeOptions, scs_solution, solve_stationary, solve_two_time,
};
use serde::{Deserialize, Serialize};

/// Parameters of the phase-diagram experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseParams {
    /// Neurons N of the network runs (§4.2 used 300–400; the window at g < 1
    /// is N-sensitive).
    pub n: usize,
    /// Synaptic time constants τ_s (one panel each).
    pub tau_s: Vec<f64>,
    /// Gains g of the network grid.
    pub gs: Vec<f64>,
    /// Plasticity strengths k of the network grid.
    pub ks: Vec<f64>,
    /// Seeds per grid point.
    pub seeds: Vec<u64>,
    /// Length of each network run (time units).
    pub t_run: f64,
    /// Final window over which a run is classified (time units).
    pub t_window: f64,
    /// Standard deviation of x(0) of the large starts at g < 1 (§4.2: 3).
    pub x0_large: f64,
    /// Gains of the DMFT freezability line (g > 1).
    pub dmft_gs: Vec<f64>,
    /// Plasticity strengths of the DMFT line (k = 0 uses the exact SCS
    /// solution, the others the stationary Monte-Carlo DMFT).
    pub dmft_ks: Vec<f64>,
    /// Options of the stationary DMFT.
    pub dmft: StationaryOptions,
    /// Plasticity strengths of the freezing comparison (g = 2, τ_s = 1):
    /// two-time DMFT (§3.6) beside networks, frozen at `two_time.t_freeze`.
    pub freeze_ks: Vec<f64>,
    /// Neurons N of the freezing networks (one run per seed of `seeds`).
    pub freeze_n: usize,
    /// Options of the two-time DMFT of the freezing comparison (its x0_std,
    /// t_max and t_freeze are also the networks').
    pub two_time: TwoTimeOptions,
}

impl Params for PhaseParams {
    fn preset(tier: Tier) -> Self {
        // Quick: a cheap DMFT (M = 256 paths, 12 + 12 iterations, τ_max = 60):
        // g²⟨φ'²⟩ at g = 2, k = 1 is a single-site average, whose Monte-Carlo
        // error at M = 256 and T_meas = 200 is ≈ 1 % — far below what the
        // crossing check needs.
        let cheap = StationaryOptions {
            paths: 256,
            tau_max: 60.0,
            t_burn: 60.0,
            t_meas: 200.0,
            iterations: 12,
            warmup: 12,
            average_last: 6,
            ..Default::default()
        };
        let quick = Self {
            n: 200,
            tau_s: vec![1.0],
            gs: vec![0.8, 0.95, 1.5, 2.0, 2.5],
            ks: vec![-1.0, 0.0, 0.5, 1.0, 2.0, 4.0],
            seeds: vec![1, 2],
            t_run: 200.0,
            t_window: 40.0,
            x0_large: 3.0,
            dmft_gs: vec![2.0],
            dmft_ks: vec![0.0, 1.0],
            dmft: cheap,
            freeze_ks: vec![0.0, 2.0],
            freeze_n: 400,
            // x(0) std 3 reaches the Hebbian chaotic state within a few time
            // units (Δ ≈ 11 at k = 2 by t = 10), so t* = 20 freezes a
            // developed state at a horizon the two-time solver affords.
            two_time: TwoTimeOptions {
                t_max: 40.0,
                x0_std: 3.0,
                t_freeze: Some(20.0),
                paths: 600,
                // The SCS start is far from the k = 2 state; the causal Picard
                // map then converges front-like (≈ 2 time units per
                // iteration, measured at g = 2), so ≈ T/2.5 iterations before
                // the averaged ones.
                iterations: 16,
                average_last: 4,
                out_every: 10,
                ..Default::default()
            },
        };
        match tier {
            Tier::Quick => quick,
            Tier::Default => Self {
                n: 400,
                tau_s: vec![1.0, 10.0],
                gs: vec![0.6, 0.8, 0.9, 0.95, 1.2, 1.5, 2.0, 2.5, 3.0],
                ks: vec![-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0],
                seeds: vec![1, 2, 3],
                t_run: 400.0,
                t_window: 50.0,
                dmft_gs: vec![1.5, 2.0, 2.5, 3.0],
                dmft_ks: vec![0.0, 0.5, 1.0, 1.5],
                dmft: StationaryOptions { tau_max: 100.0, ..Default::default() },
                freeze_ks: vec![0.0, 1.0, 2.0],
                two_time: TwoTimeOptions { paths: 1000, iterations: 24, average_last: 6, ..quick.two_time.clone() },
                ..quick
            },
            Tier::Paper => Self {
                n: 1000,
                tau_s: vec![1.0, 10.0],
                gs: vec![0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.1, 1.2, 1.5, 2.0, 2.5, 3.0],
                ks: vec![-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0],
                seeds: (1..=6).collect(),
                t_run: 600.0,
                t_window: 100.0,
                dmft_gs: vec![1.2, 1.5, 2.0, 2.5, 3.0],
                dmft_ks: vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5],
                dmft: StationaryOptions { tau_max: 150.0, ..Default::default() },
                freeze_ks: vec![0.0, 0.5, 1.0, 1.5, 2.0],
                freeze_n: 1000,
                two_time: TwoTimeOptions { paths: 1500, iterations: 30, average_last: 8, ..quick.two_time.clone() },
                ..quick
            },
        }
    }
}

/// Outcome class of a network run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// x → 0 (the quiescent state).
    Decay,
    /// A nonzero fixed point (speed at rounding level).
    FixedPoint,
    /// Sustained motion (chaos, or slow motion near the boundaries).
    Motion,
}

/// rms x below which a g < 1 run is in the linear regime around x = 0 and
/// decays for sure (there φ(x) ≈ x, A = O(k x²) and the linear dynamics
/// has growth rate g − 1 < 0, §3.5); it must also still be shrinking.
const DECAYED_RMS: f64 = 0.05;
/// Speed ‖ẋ‖/√N below which a run is on a fixed point: the approach to a
/// stable fixed point is exponential, so after the run it is far below
/// this (1e-15 at convergence), while the slowest motion in §4.2 has speed
/// 0.002.
const FIXED_SPEED: f64 = 1e-6;

/// A run whose speed is below this and fell more than tenfold over the
/// final window is converging (exponentially) onto a fixed point, only
/// slowly (near a saddle-node, §4.2: the g = 0.8, k ≈ 2 runs).
const SLOW_SPEED: f64 = 1e-4;

/// One task of the experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PhaseTask {
    /// A network run.
    Net {
        /// τ_s.
        tau_s: f64,
        /// g.
        g: f64,
        /// k.
        k: f64,
        /// Seed.
        seed: u64,
        /// Large start (x(0) std `x0_large`, Hebbian A(0)) or the default.
        large: bool,
        /// rms x at the start and the end of the final window.
        rms: (f64, f64),
        /// Speed ‖ẋ‖/√N at the start and the end of the final window.
        speed: (f64, f64),
        /// g²⟨φ'(x)²⟩ over units, averaged over the final window (the
        /// network's freezability indicator, §4.2).
        g2_phi_prime_sq: f64,
        /// The class.
        class: Class,
        /// For g < 1: max Re λ(g J*), the growth rate + 1 of the linearisation
        /// at x = 0, A = 0 (−I + g J*, the Hebbian term drops out, §3.5).
        /// Above 1 the quiescent state of this finite-N realisation is
        /// unstable although g < 1 (the circular-law edge fluctuates by
        /// O(N^(−1/2))). None for g ≥ 1.
        max_re_gj: Option<f64>,
    },
    /// A point of the DMFT freezability line.
    Dmft {
        /// τ_s.
        tau_s: f64,
        /// g.
        g: f64,
        /// k.
        k: f64,
        /// g²⟨φ'²⟩ of the chaotic state.
        g2_phi_prime_sq: f64,
        /// Δ₀.
        delta0: f64,
        /// Monte-Carlo standard error of Δ₀ (0 for exact SCS).
        noise: f64,
    },
    /// The two-time DMFT of the freezing protocol (g = 2, τ_s = 1).
    FreezeDmft {
        /// k.
        k: f64,
        /// Output times (every `out_every` steps).
        times: Vec<f64>,
        /// Δ(t) = ⟨x(t)²⟩ at `times`.
        delta: Vec<f64>,
        /// Monte-Carlo standard error of Δ(t).
        delta_se: Vec<f64>,
        /// C_φ(t, t_ref), t_ref = t* + (T − t*)/2.
        c_ref: Vec<f64>,
        /// Smallest correlation coefficient of C_φ(t, t') over t, t' ∈
        /// [t_ref, T] (→ 1: frozen onto a fixed point).
        min_corr: f64,
    },
    /// A network of the freezing protocol, same protocol as the DMFT.
    FreezeNet {
        /// k.
        k: f64,
        /// Seed.
        seed: u64,
        /// Output times.
        times: Vec<f64>,
        /// ‖x(t)‖²/N.
        delta: Vec<f64>,
        /// C_N(t, t_ref) = φ(t)·φ(t_ref)/N.
        c_ref: Vec<f64>,
        /// Smallest correlation coefficient of C_N(t, t') over t, t' ∈
        /// [t_ref, T].
        min_corr: f64,
    },
}

/// Smallest C(i, j)/√(C(i, i) C(j, j)) over i, j ≥ i0 of a row-major n × n
/// matrix.
fn min_corr(c: &[f64], n: usize, i0: usize) -> f64 {
    let mut m = f64::INFINITY;
    for i in i0..n {
        for j in i0..n {
            let d = (c[i * n + i] * c[j * n + j]).sqrt();
            m = m.min(if d > 0.0 { c[i * n + j] / d } else { 1.0 });
        }
    }
    m
}

/// A network run of the grid.
#[derive(Debug, Clone, Copy)]
struct NetSpec {
    tau_s: f64,
    g: f64,
    k: f64,
    seed: u64,
    large: bool,
}

impl PhaseParams {
    fn net_specs(&self) -> Vec<NetSpec> {
        let mut v = Vec::new();
        for &tau_s in &self.tau_s {
            for large in [false, true] {
                for &g in &self.gs {
                    if large && g >= 1.0 {
                        continue;
                    }
                    for &k in &self.ks {
                        for &seed in &self.seeds {
                            v.push(NetSpec { tau_s, g, k, seed, large });
                        }
                    }
                }
            }
        }
        v
    }

    fn dmft_specs(&self) -> Vec<(f64, f64, f64)> {
        let mut v = Vec::new();
        for &tau_s in &self.tau_s {
            for &g in &self.dmft_gs {
                for &k in &self.dmft_ks {
                    v.push((tau_s, g, k));
                }
            }
        }
        v
    }

    fn run_net(&self, s: NetSpec) -> Result<PhaseTask> {
        let params = RateParams {
            n: self.n,
            g: s.g,
            k: s.k,
            tau_s: s.tau_s,
            x0_std: if s.large { self.x0_large } else { 1.0 },
            initial_synapses: if s.large { InitialSynapses::Hebbian } else { InitialSynapses::Zero },
            ..Default::default()
        };
        let mut net = DenseNetwork::new(&params, s.seed)?;
        let max_re_gj = if s.g < 1.0 {
            let ev = hebb_theory::jacobian::eigenvalues(&net.couplings().to_f64(), self.n)?;
            Some(ev.iter().map(|e| e.re).fold(f64::NEG_INFINITY, f64::max))
        } else {
            None
        };
        let steps = |t: f64| (t / params.dt).round() as u64;
        let (n_run, n_win) = (steps(self.t_run), steps(self.t_window.min(self.t_run)));
        net.run(n_run - n_win);
        let (rms0, speed0) = (net.rms_x(), net.speed());
        let every = steps(1.0).max(1);
        let (mut g2p, mut samples) = (0.0, 0.0f64);
        let phi = params.nonlinearity;
        net.run_with(n_win, |nw| {
            if nw.steps() % every == 0 {
                let x = nw.x();
                let m = x.iter().map(|&v| phi.dphi(v).powi(2)).sum::<f64>() / x.len() as f64;
                g2p += s.g * s.g * m;
                samples += 1.0;
            }
        });
        let (rms1, speed1) = (net.rms_x(), net.speed());
        let class = if rms1 < DECAYED_RMS && rms1 < rms0 && s.g < 1.0 {
            Class::Decay
        } else if speed1 < FIXED_SPEED || (speed1 < SLOW_SPEED && speed1 < 0.1 * speed0) {
            Class::FixedPoint
        } else {
            Class::Motion
        };
        Ok(PhaseTask::Net {
            tau_s: s.tau_s,
            g: s.g,
            k: s.k,
            seed: s.seed,
            large: s.large,
            rms: (rms0, rms1),
            speed: (speed0, speed1),
            g2_phi_prime_sq: g2p / samples.max(1.0),
            class,
            max_re_gj,
        })
    }

    /// t* and the reference time t_ref = t* + (T − t*)/2 of the freezing
    /// comparison.
    fn freeze_times(&self) -> (f64, f64) {
        let o = &self.two_time;
        let ts = o.t_freeze.unwrap_or(o.t_max / 2.0);
        (ts, ts + 0.5 * (o.t_max - ts))
    }

    fn run_freeze_dmft(&self, k: f64) -> Result<PhaseTask> {
        let model = StationaryModel { g: 2.0, k, tau_s: 1.0, phi: Phi::Erf };
        let s = solve_two_time(&model, &self.two_time)?;
        let (_, t_ref) = self.freeze_times();
        let n = s.times_out.len();
        let step = self.two_time.out_every;
        Ok(PhaseTask::FreezeDmft {
            k,
            delta: (0..n).map(|i| s.delta[i * step]).collect(),
            delta_se: (0..n).map(|i| s.delta_se[i * step]).collect(),
            c_ref: s.times_out.iter().map(|&t| s.c_phi_at(t, t_ref)).collect(),
            min_corr: s.plateau(t_ref).min_corr,
            times: s.times_out,
        })
    }

    fn run_freeze_net(&self, k: f64, seed: u64) -> Result<PhaseTask> {
        let o = &self.two_time;
        let params = RateParams { n: self.freeze_n, g: 2.0, k, tau_s: 1.0, x0_std: o.x0_std, ..Default::default() };
        let mut net = DenseNetwork::new(&params, seed)?;
        let n_tot = (o.t_max / params.dt).round() as u64;
        let n_freeze = o.t_freeze.map(|t| (t / params.dt).round() as u64);
        let every = o.out_every as u64;
        let mut rates = vec![net.rates()];
        let mut delta = vec![net.rms_x().powi(2)];
        for step in 1..=n_tot {
            if Some(step - 1) == n_freeze {
                net.freeze();
            }
            net.step();
            if step % every == 0 {
                rates.push(net.rates());
                delta.push(net.rms_x().powi(2));
            }
        }
        let m = rates.len();
        let nn = self.freeze_n as f64;
        let mut c = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                c[i * m + j] = rates[i].iter().zip(&rates[j]).map(|(a, b)| a * b).sum::<f64>() / nn;
            }
        }
        let (_, t_ref) = self.freeze_times();
        let h = params.dt * every as f64;
        let i_ref = ((t_ref / h).round() as usize).min(m - 1);
        Ok(PhaseTask::FreezeNet {
            k,
            seed,
            times: (0..m).map(|i| i as f64 * h).collect(),
            delta,
            c_ref: (0..m).map(|i| c[i * m + i_ref]).collect(),
            min_corr: min_corr(&c, m, i_ref),
        })
    }

    fn run_dmft(&self, tau_s: f64, g: f64, k: f64) -> Result<PhaseTask> {
        if k == 0.0 {
            // §3.4: at k = 0 the DMFT is SCS; ⟨φ'²⟩ = (1 + π Δ₀)^(−1/2) (§2.2).
            let s = scs_solution(Phi::Erf, g, 0.1, 1)?;
            return Ok(PhaseTask::Dmft {
                tau_s,
                g,
                k,
                g2_phi_prime_sq: g * g * s.phi_prime_sq,
                delta0: s.delta0,
                noise: 0.0,
            });
        }
        let model = StationaryModel { g, k, tau_s, phi: Phi::Erf };
        // A plateau of C_φ is expected only at slow synapses (§3.4).
        let opts = StationaryOptions { static_part: tau_s >= 5.0, ..self.dmft.clone() };
        let s = solve_stationary(&model, &opts, None)?;
        Ok(PhaseTask::Dmft { tau_s, g, k, g2_phi_prime_sq: s.g2_phi_prime_sq, delta0: s.delta0, noise: s.noise })
    }
}

impl crate::Sweep for PhaseParams {
    type Task = PhaseTask;
    /// Network runs (τ_s-major, then default/large start, g, k, seed), the
    /// DMFT points (τ_s, g, k), the two-time DMFT of each freezing k, then
    /// the freezing networks (k-major, then seed).
    fn task_count(&self) -> usize {
        self.net_specs().len() + self.dmft_specs().len() + self.freeze_ks.len() * (1 + self.seeds.len())
    }
    fn run_task(&self, index: usize) -> Result<PhaseTask> {
        let nets = self.net_specs();
        if index < nets.len() {
            return self.run_net(nets[index]);
        }
        let index = index - nets.len();
        let dmft = self.dmft_specs();
        if index < dmft.len() {
            let (tau_s, g, k) = dmft[index];
            return self.run_dmft(tau_s, g, k);
        }
        let index = index - dmft.len();
        if index < self.freeze_ks.len() {
            return self.run_freeze_dmft(self.freeze_ks[index]);
        }
        let index = index - self.freeze_ks.len();
        let s = self.seeds.len();
        self.run_freeze_net(self.freeze_ks[index / s], self.seeds[index % s])
    }
    fn collect(&self, tasks: Vec<PhaseTask>, dir: &RunDir) -> Result<Outcome> {
        phase(self, tasks, dir)
    }
}

/// Crossing of 1 by g²⟨φ'²⟩(k), linear interpolation between the first
/// bracketing pair of consecutive points (None if it does not cross).
fn crossing(points: &[(f64, f64)]) -> Option<f64> {
    points.windows(2).find_map(|w| {
        let ((k0, a), (k1, b)) = (w[0], w[1]);
        ((a - 1.0) * (b - 1.0) <= 0.0 && a != b).then(|| k0 + (a - 1.0) / (a - b) * (k1 - k0))
    })
}

/// Colour of a class in the figure (palette index).
fn color(class: Option<Class>) -> usize {
    match class {
        Some(Class::Decay) => 0,
        Some(Class::FixedPoint) => 1,
        Some(Class::Motion) => 2,
        None => 3,
    }
}

/// The phase map, its checks and results, from the tasks' outputs.
pub fn phase(p: &PhaseParams, tasks: Vec<PhaseTask>, dir: &RunDir) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut results = serde_json::Map::new();
    let nets: Vec<&PhaseTask> = tasks.iter().filter(|t| matches!(t, PhaseTask::Net { .. })).collect();
    results.insert("runs".into(), serde_json::to_value(&nets)?);

    // The DMFT freezability line per τ_s.
    let mut kf_lines: Vec<(f64, Vec<(f64, f64)>)> = Vec::new();
    let mut dmft_rows = Vec::new();
    for &tau_s in &p.tau_s {
        let mut line = Vec::new();
        for &g in &p.dmft_gs {
            let pts = dmft_curve(&tasks, tau_s, g);
            let kf = crossing(&pts);
            dmft_rows.push(serde_json::json!({ "tau_s": tau_s, "g": g, "g2_phi_prime_sq": pts, "k_f": kf }));
            if let Some(kf) = kf {
                line.push((g, kf));
            }
        }
        kf_lines.push((tau_s, line));
    }
    results.insert("dmft_freezability".into(), serde_json::json!(dmft_rows));
    let mut dmft_points = Vec::new();
    for t in &tasks {
        if let PhaseTask::Dmft { tau_s, g, k, delta0, noise, .. } = t {
            dmft_points.push(serde_json::json!({ "tau_s": tau_s, "g": g, "k": k, "delta0": delta0, "noise": noise }));
        }
    }
    results.insert("dmft_points".into(), serde_json::json!(dmft_points));

    // Per-cell majority class.
    let runs = |tau_s: f64, large: bool| -> Vec<(f64, f64, Class, f64)> {
        nets.iter()
            .filter_map(|t| match t {
                PhaseTask::Net { tau_s: ts, g, k, large: l, class, g2_phi_prime_sq, .. }
                    if *ts == tau_s && *l == large =>
                {
                    Some((*g, *k, *class, *g2_phi_prime_sq))
                }
                _ => None,
            })
            .collect()
    };
    let mut panels = Vec::new();
    let mut cells = Vec::new();
    let kt = std::f64::consts::FRAC_PI_4;
    for (&tau_s, (_, kf_line)) in p.tau_s.iter().zip(&kf_lines) {
        let mut panel = LinePanel::new(
            format!(
                "τ_s = {tau_s}, N = {}: g < 1 from x(0) std {} with Hebbian A(0); g > 1 from x(0) std 1, A(0) = 0 ({} seeds per point)",
                p.n,
                p.x0_large,
                p.seeds.len()
            ),
            "g",
            "k",
        );
        let mut by_class: [(Vec<f64>, Vec<f64>); 4] = Default::default();
        for large in [false, true] {
            let rs = runs(tau_s, large);
            for &g in &p.gs {
                if (g < 1.0) != large {
                    continue;
                }
                for &k in &p.ks {
                    let cls: Vec<Class> = rs.iter().filter(|r| r.0 == g && r.1 == k).map(|r| r.2).collect();
                    if cls.is_empty() {
                        continue;
                    }
                    let same = cls.iter().all(|c| *c == cls[0]);
                    let c = same.then_some(cls[0]);
                    let slot = &mut by_class[color(c)];
                    slot.0.push(g);
                    slot.1.push(k);
                    let frac = |x: Class| cls.iter().filter(|c| **c == x).count() as f64 / cls.len() as f64;
                    cells.push(serde_json::json!({
                        "tau_s": tau_s, "g": g, "k": k, "large_start": large,
                        "decay": frac(Class::Decay), "fixed_point": frac(Class::FixedPoint), "motion": frac(Class::Motion),
                    }));
                }
            }
        }
        let names = ["decays to x = 0", "fixed point", "sustained motion", "seeds disagree"];
        for (i, (gx, ky)) in by_class.into_iter().enumerate() {
            if !gx.is_empty() {
                panel = panel.with_series(Series::points(names[i], gx, ky).with_color(i));
            }
        }
        let (klo, khi) = p.ks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &k| (a.0.min(k), a.1.max(k)));
        panel = panel
            .with_series(Series::dashed("g = 1 (exact quiescent edge)", vec![1.0, 1.0], vec![klo, khi]).with_color(7));
        if !kf_line.is_empty() {
            let (gx, ky): (Vec<f64>, Vec<f64>) = kf_line.iter().copied().unzip();
            let label = "DMFT freezability g²⟨φ'²⟩ = 1";
            panel = panel.with_series(if gx.len() > 1 {
                Series::line(label, gx, ky).with_color(4)
            } else {
                Series::points(label, gx, ky).with_color(4)
            });
        }
        panel = panel.with_series(Series::points("k_t ≈ π/4 (§3.8 leading order)", vec![1.0], vec![kt]).with_color(5));
        panels.push(panel);
    }
    results.insert("cells".into(), serde_json::json!(cells));

    // Freezability indicator against k: networks (each seed, g > 1, default
    // start) and the DMFT, per τ_s and DMFT gain.
    for &tau_s in &p.tau_s {
        let mut fp = LinePanel::new(
            format!("g²⟨φ'²⟩ against k, τ_s = {tau_s}: networks (N = {}, final window) and the stationary DMFT", p.n),
            "k",
            "g²⟨φ'²⟩",
        );
        for (i, &g) in p.dmft_gs.iter().enumerate() {
            let (nk, nv): (Vec<f64>, Vec<f64>) =
                runs(tau_s, false).iter().filter(|r| r.0 == g && r.2 == Class::Motion).map(|r| (r.1, r.3)).unzip();
            if !nk.is_empty() {
                fp = fp.with_series(Series::points(format!("network g = {g}"), nk, nv).with_color(i));
            }
            let pts = dmft_curve(&tasks, tau_s, g);
            let (dk, dv): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
            fp = fp.with_series(Series::line(format!("DMFT g = {g}"), dk, dv).with_color(i));
        }
        let (klo, khi) = p.ks.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &k| (a.0.min(k), a.1.max(k)));
        fp = fp.with_series(Series::dashed("1 (freezability threshold)", vec![klo, khi], vec![1.0, 1.0]).with_color(7));
        panels.push(fp);
    }

    // Checks.
    let all = |f: &dyn Fn(&PhaseTask) -> bool| -> Vec<&PhaseTask> { nets.iter().copied().filter(|t| f(t)).collect() };
    let class_of = |t: &PhaseTask| match t {
        PhaseTask::Net { class, .. } => *class,
        _ => unreachable!(),
    };
    // 1. g < 1 from the default start, weak plasticity: decay.
    let stable0 = |t: &PhaseTask| matches!(t, PhaseTask::Net { max_re_gj: Some(m), .. } if *m < 1.0);
    let unstable0 = all(&|t| matches!(t, PhaseTask::Net { max_re_gj: Some(m), .. } if *m >= 1.0));
    results.insert("g_below_1_runs_with_unstable_x0".into(), serde_json::json!(unstable0.len()));
    let small = all(&|t| matches!(t, PhaseTask::Net { g, k, large: false, .. } if *g < 1.0 && *k <= 0.5) && stable0(t));
    if !small.is_empty() {
        let bad = small.iter().filter(|t| class_of(t) != Class::Decay).count();
        checks.push(Check::abs(
            &format!("g < 1, k ≤ 0.5, x(0) std 1, max Re λ(gJ*) < 1: runs not decayed (of {})", small.len()),
            bad as f64,
            0.0,
            0.0,
            "§3.5 [D]: x = 0 is stable iff g < 1 (N → ∞; at finite N iff max Re λ(gJ*) < 1, the linearisation −I + gJ* at x = 0, A = 0) for every k; below the tricritical strength (k_t ≈ 0.68–0.79, §3.8) there is no chaotic branch at g < 1 and joint fixed points need kq > 1 (k > 1), so x = 0 is the only attractor",
        ));
    }
    if !unstable0.is_empty() {
        let bad = unstable0.iter().filter(|t| class_of(t) == Class::Decay).count();
        checks.push(Check::abs(
            &format!("g < 1 realisations with max Re λ(gJ*) ≥ 1: runs decayed (of {})", unstable0.len()),
            bad as f64,
            0.0,
            0.0,
            "exact: x = 0 is linearly unstable there (finite-N edge of the circular law above 1/g), so a run cannot converge to it; these finite-size realisations are left out of the decay checks",
        ));
    }
    // 2. g > 1, k ≤ 1: chaos.
    // g ≥ 1.5: nearer to g = 1 the chaotic amplitude is small and the
    // finite-N onset is blurred by the O(N^(−1/2)) fluctuations of the
    // spectral edge of gJ* (as seen at g = 0.95), so single realisations may
    // settle; those points are reported, not checked.
    let chaos = all(&|t| matches!(t, PhaseTask::Net { g, k, large: false, .. } if *g >= 1.5 && *k <= 1.0));
    if !chaos.is_empty() {
        let frac = chaos.iter().filter(|t| class_of(t) == Class::Motion).count() as f64 / chaos.len() as f64;
        checks.push(Check::abs(
            &format!("g ≥ 1.5, k ≤ 1: fraction of runs in sustained motion (of {})", chaos.len()),
            frac,
            1.0,
            0.0,
            "§4.2 phase 2: chaos for g > 1, continuously connected to SCS; joint fixed points need kq > 1, impossible for k ≤ 1 since q < 1 (§3.5)",
        ));
    }
    // 3. The freezability crossing at g = 2, τ_s = 1.
    if let Some((_, line)) = kf_lines.iter().find(|(ts, _)| *ts == 1.0)
        && let Some(&(_, kf)) = line.iter().find(|(g, _)| *g == 2.0)
    {
        checks.push(Check::abs(
            "DMFT freezability crossing k_f at g = 2, τ_s = 1",
            kf,
            0.65,
            0.15,
            "§4.2 phase 5: networks at N = 1000 give g²⟨φ'²⟩ = 1.48 at k = 0 and 0.78 at k = 1, so k_f ≈ 0.6–0.7; ±0.15 covers the linear interpolation of the DMFT points over a k step of ≤ 1 (the curve bends: 0.78 → 0.18 from k = 1 to 2) and their Monte-Carlo error (≈ 1 %)",
        ));
    }
    // 4. Loss of chaos at large k (g = 2, τ_s = 1, the largest k ≥ 4).
    let kmax = p.ks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if kmax >= 4.0 {
        let big = all(
            &|t| matches!(t, PhaseTask::Net { g, k, tau_s, large: false, .. } if *g == 2.0 && *k == kmax && *tau_s == 1.0),
        );
        if !big.is_empty() {
            let frac = big.iter().filter(|t| class_of(t) == Class::FixedPoint).count() as f64 / big.len() as f64;
            checks.push(Check::at_least(
                &format!("g = 2, τ_s = 1, k = {kmax}: fraction of seeds on a fixed point ≥ 0.5 (of {})", big.len()),
                frac,
                0.5,
                "§4.2 phase 4 [N]: at g = 2, τ_s = 1 chaos is seen for k ≤ 3, a fixed point at k = 4 (seed 1; k = 3 seed 5 also); §9 item 3: loss of chaos at k ≈ 3–4",
            ));
        }
    }
    // 5. Large starts at g < 1: weak plasticity still decays, strong does not.
    let weak = all(&|t| matches!(t, PhaseTask::Net { g, k, large: true, .. } if *g < 1.0 && *k <= 0.5) && stable0(t));
    if !weak.is_empty() {
        let bad = weak.iter().filter(|t| class_of(t) != Class::Decay).count();
        checks.push(Check::abs(
            &format!("g < 1, k ≤ 0.5, large start, max Re λ(gJ*) < 1: runs not decayed (of {})", weak.len()),
            bad as f64,
            0.0,
            0.0,
            "§3.5, §3.8: below k_t and with kq < 1 the quiescent state is the only attractor at g < 1, whatever the start",
        ));
    }
    let strong = all(&|t| matches!(t, PhaseTask::Net { g, k, large: true, .. } if *g < 1.0 && *k >= 2.0));
    if !strong.is_empty() {
        let frac = strong.iter().filter(|t| class_of(t) != Class::Decay).count() as f64 / strong.len() as f64;
        checks.push(Check::at_least(
            &format!("g < 1, k ≥ 2, large start: fraction not decayed ≥ 0.5 (of {})", strong.len()),
            frac,
            0.5,
            "§4.2 phases 3–4 [N]: from x(0) std 3 at g = 0.8 (τ_s = 1), k ≥ 2.2 ends on a nonzero fixed point and k = 1.8 keeps moving; at g = 0.95 k = 1.5–2 is chaotic — bistability with x = 0 (A(0) = (k/N)φφᵀ only helps, §4.2 caveat)",
        ));
    }

    let freeze_fig = freeze_comparison(p, &tasks, dir, &mut checks, &mut results)?;
    let mut figures = vec![crate::save_lines(
        dir,
        "Phase diagram in (g, k) (Clark & Abbott §4)".into(),
        panels,
        "phase",
        "Classes of network runs: below g = 1 weak plasticity decays to x = 0 while strong Hebbian plasticity sustains motion or a nonzero fixed point from large starts; above g = 1 chaos, lost to fixed points at large k. The DMFT freezability point(s) g²⟨φ'²⟩ = 1 separate freezable (above) from non-freezable chaos; k_t is the leading-order value, not the DMFT continuation. 'Seeds disagree' at g = 0.95 is a finite-N realisation whose x = 0 is unstable (max Re λ(gJ*) > 1). Lower panel(s): the network's g²⟨φ'²⟩ against k beside the DMFT; it crosses 1 where chaos becomes freezable.",
    )?];
    figures.extend(freeze_fig);
    Ok(Outcome {
        title: "Clark & Abbott §4: phase diagram in (g, k) — quiescence, chaos, Hebbian-induced chaos and fixed points at g < 1, freezability, loss of chaos".into(),
        checks,
        figures,
        results: serde_json::Value::Object(results),
    })
}

/// The freezing comparison (§3.6, §6): two-time DMFT C_φ(t, t_ref) and Δ(t)
/// beside networks frozen at the same t*, its checks and figure.
fn freeze_comparison(
    p: &PhaseParams,
    tasks: &[PhaseTask],
    dir: &RunDir,
    checks: &mut Vec<Check>,
    results: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<Option<crate::FigureRef>> {
    if p.freeze_ks.is_empty() {
        return Ok(None);
    }
    let (t_star, t_ref) = p.freeze_times();
    let mut cpanel = LinePanel::new(
        format!(
            "C_φ(t, {t_ref}) with synapses frozen at t* = {t_star} (g = 2, τ_s = 1, x(0) std {}): two-time DMFT (lines), networks N = {} (points)",
            p.two_time.x0_std, p.freeze_n
        ),
        "t",
        "C_φ(t, t_ref)",
    );
    let mut dpanel = LinePanel::new("Δ(t) = ⟨x²⟩: two-time DMFT (lines) and networks (points)", "t", "Δ(t)");
    let mut rows = Vec::new();
    for (i, &k) in p.freeze_ks.iter().enumerate() {
        for t in tasks {
            match t {
                PhaseTask::FreezeDmft { k: kk, times, delta, c_ref, min_corr, .. } if *kk == k => {
                    cpanel = cpanel
                        .with_series(Series::line(format!("DMFT k = {k}"), times.clone(), c_ref.clone()).with_color(i));
                    dpanel = dpanel
                        .with_series(Series::line(format!("DMFT k = {k}"), times.clone(), delta.clone()).with_color(i));
                    rows.push(serde_json::json!({ "k": k, "source": "two-time DMFT", "min_corr": min_corr }));
                    let name = format!(
                        "two-time DMFT, k = {k}: min correlation of C_φ(t, t') over t, t' ∈ [{t_ref}, {}]",
                        p.two_time.t_max
                    );
                    if k >= 2.0 {
                        checks.push(Check::at_least(&format!("{name} ≥ 0.95"), *min_corr, 0.95, "§3.6, §6.2: for k ≥ 2 (g²⟨φ'²⟩ ≈ 0.2 < 1, §4.2) the frozen single site converges to a fixed point, so φ(x(t)) is constant per path and the coefficient is 1 up to the residual creep of slow paths and the slow Picard convergence of static perturbations in the frozen window (measured 0.993–0.9998); chaos gives ≈ C_φ(10)/q ≈ 0.2, so 0.95 separates the two with room for both"));
                    } else if k == 0.0 {
                        checks.push(Check::at_most(&format!("{name} ≤ 0.5"), *min_corr, 0.5, "k = 0: nothing to freeze, the SCS chaos goes on; C_φ(τ)/q ≈ 0.2 at τ = 10 (§4.3), Monte-Carlo error ≈ 0.02"));
                    }
                }
                PhaseTask::FreezeNet { k: kk, seed, times, delta, c_ref, min_corr } if *kk == k => {
                    cpanel = cpanel.with_series(
                        Series::points(format!("network k = {k}, seed {seed}"), times.clone(), c_ref.clone())
                            .with_color(i),
                    );
                    dpanel = dpanel.with_series(
                        Series::points(format!("network k = {k}, seed {seed}"), times.clone(), delta.clone())
                            .with_color(i),
                    );
                    rows.push(serde_json::json!({ "k": k, "source": "network", "seed": seed, "min_corr": min_corr }));
                }
                _ => {}
            }
        }
        // Networks: the same criterion (all seeds).
        let nets: Vec<f64> = tasks
            .iter()
            .filter_map(|t| match t {
                PhaseTask::FreezeNet { k: kk, min_corr, .. } if *kk == k => Some(*min_corr),
                _ => None,
            })
            .collect();
        if !nets.is_empty() {
            let worst = nets.iter().copied().fold(f64::INFINITY, f64::min);
            let best = nets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let name = format!(
                "networks (N = {}), k = {k}: min correlation of C_N(t, t') over t, t' ∈ [{t_ref}, {}]",
                p.freeze_n, p.two_time.t_max
            );
            if k >= 2.0 {
                checks.push(Check::at_least(&format!("{name}, worst seed ≥ 0.95"), worst, 0.95, "§6.3 [N]: frozen networks at k = 2 reach a fixed point (end speed 3e-15; §6.5: assert freezing for k ≥ 2), so C_N(t, t') is constant and the coefficient is 1 once converged; 0.95 as for the DMFT"));
            } else if k == 0.0 {
                checks.push(Check::at_most(&format!("{name}, best seed ≤ 0.8"), best, 0.8, "§6.3 [N]: at k = 0 the network is not freezable and keeps decorrelating; C_φ(10)/q ≈ 0.2 at N → ∞ (§4.3), but one N = 400 realisation carries a slow population component (the floor of C_N ≈ 0.1–0.3 far from t_ref in the figure; §4.3 notes slow population-level swings), which lifts the coefficient (0.62 measured for seed 1) — 0.8 is still far from the frozen value 1"));
            }
        }
        // Δ(t) at the freeze time: DMFT against the networks.
        let dm = tasks.iter().find_map(|t| match t {
            PhaseTask::FreezeDmft { k: kk, times, delta, delta_se, .. } if *kk == k => Some((times, delta, delta_se)),
            _ => None,
        });
        let nd: Vec<f64> = tasks
            .iter()
            .filter_map(|t| match t {
                PhaseTask::FreezeNet { k: kk, times, delta, .. } if *kk == k => {
                    times.iter().position(|&x| (x - t_star).abs() < 1e-9).map(|i| delta[i])
                }
                _ => None,
            })
            .collect();
        if let Some((times, delta, se)) = dm
            && let Some(i) = times.iter().position(|&x| (x - t_star).abs() < 1e-9)
            && !nd.is_empty()
        {
            let net = nd.iter().sum::<f64>() / nd.len() as f64;
            let se_net = std::f64::consts::SQRT_2 * delta[i] / (p.freeze_n as f64 * nd.len() as f64).sqrt();
            let tol = 4.0 * (se_net * se_net + se[i] * se[i]).sqrt();
            checks.push(Check::abs(
                &format!("k = {k}: Δ(t* = {t_star}) of the networks (mean of {} seeds) vs two-time DMFT", nd.len()),
                net,
                delta[i],
                tol,
                "4 combined standard errors: the network's population mean of x² scatters by √2 Δ/√N per seed for (nearly) independent Gaussian units (§3.1: cavity corrections O(N^(−1/2))), the DMFT's by its path variance over M × average_last paths",
            ));
        }
    }
    results.insert("freezing".into(), serde_json::json!(rows));
    Ok(Some(crate::save_lines(
        dir,
        "Freezing: two-time DMFT beside networks (Clark & Abbott §3.6, §6)".into(),
        vec![cpanel, dpanel],
        "freeze_two_time",
        "After the synapses are frozen at t*, Hebbian chaos (k = 2) stops: C_φ(t, t_ref) becomes flat in t (a fixed point), in the two-time DMFT and in the networks alike, while at k = 0 the correlation still peaks at t_ref and decays away from it. Δ(t) follows the DMFT transient from x(0) std 3.",
    )?))
}

/// The DMFT points (k, g²⟨φ'²⟩) at (τ_s, g), sorted by k: the freezability
/// curve that both the k_f crossing and the figure read.
fn dmft_curve(tasks: &[PhaseTask], tau_s: f64, g: f64) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = tasks
        .iter()
        .filter_map(|t| match t {
            PhaseTask::Dmft { tau_s: ts, g: gg, k, g2_phi_prime_sq, .. } if *ts == tau_s && *gg == g => {
                Some((*k, *g2_phi_prime_sq))
            }
            _ => None,
        })
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}
