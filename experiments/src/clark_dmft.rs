//! Experiment `clark_dmft`: the DMFT of Clark & Abbott (specs/clark.md §3)
//! against simulated networks across the plasticity strength k.
//!
//! One task per k: the stationary DMFT (Monte-Carlo Picard iteration,
//! `hebb_theory::dmft`, §3.6) and the network (hebb-rate, dense kernel,
//! Euler dt = 0.1, x(0) ~ N(0, 1), A(0) = 0) for every seed, with the
//! chaotic-state statistics of §3.3 (Δ₀, q, g²⟨φ'²⟩, C_φ(τ), τ_½). In the
//! default and paper tiers one more task locates where Hebbian plasticity
//! creates chaos below g = 1 and extrapolates the tricritical k_t (§3.8).
//! The collect step draws C_φ(τ)/q for each k (DMFT lines, network dashed,
//! the figure of §9 item 2), Δ₀, τ_½ and g²⟨φ'²⟩ against k, and checks the
//! §3.9 agreement and the §4.3 relations.

use crate::{Check, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb_rate::{ChaosStats, ChaosSummary, DenseNetwork, RateParams};
use hebb_theory::dmft::{
    KtEstimate, OnsetOptions, Phi, StationaryModel, StationaryOptions, StationarySolution, solve_stationary,
    tricritical_k,
};
use serde::{Deserialize, Serialize};

/// Parameters of `clark_dmft`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DmftParams {
    /// Gain g.
    pub g: f64,
    /// Synaptic time constant τ_s.
    pub tau_s: f64,
    /// Plasticity strengths k (one task each).
    pub ks: Vec<f64>,
    /// Network size N.
    pub n: usize,
    /// Network seeds per k.
    pub seeds: Vec<u64>,
    /// Network burn-in (time units).
    pub t_burn: f64,
    /// Network measurement time.
    pub t_meas: f64,
    /// Largest lag of the network autocorrelation.
    pub max_lag: f64,
    /// DMFT options (Picard iteration, §3.6).
    pub dmft: StationaryOptions,
    /// Gains g < 1 at which the onset of Hebbian chaos is located for k_t
    /// (empty: skip, as in the quick tier).
    pub kt_gs: Vec<f64>,
    /// Options of the onset bisection.
    pub onset: OnsetOptions,
}

impl Params for DmftParams {
    fn preset(tier: Tier) -> Self {
        let base = Self {
            g: 2.0,
            tau_s: 1.0,
            ks: vec![-2.0, -1.0, 0.0, 1.0, 2.0],
            n: 400,
            seeds: vec![11],
            t_burn: 100.0,
            t_meas: 400.0,
            max_lag: 40.0,
            dmft: StationaryOptions {
                paths: 320,
                iterations: 10,
                average_last: 5,
                warmup: 32,
                tau_max: 120.0,
                t_meas: 360.0,
                ..Default::default()
            },
            kt_gs: vec![],
            onset: OnsetOptions::default(),
        };
        match tier {
            Tier::Quick => base,
            Tier::Default => Self {
                ks: vec![-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0],
                n: 1000,
                seeds: vec![11, 12, 13],
                t_meas: 700.0,
                max_lag: 60.0,
                dmft: StationaryOptions { tau_max: 120.0, t_meas: 360.0, ..Default::default() },
                kt_gs: vec![0.95, 0.98],
                ..base
            },
            Tier::Paper => Self {
                ks: vec![-3.0, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5],
                n: 1000,
                seeds: (11..=16).collect(),
                t_meas: 700.0,
                max_lag: 60.0,
                dmft: StationaryOptions { tau_max: 150.0, t_meas: 450.0, paths: 1600, ..Default::default() },
                kt_gs: vec![0.9, 0.95, 0.98, 0.99],
                ..base
            },
        }
    }
}

/// Output of one task: a k with its DMFT and networks, or the k_t search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DmftTask {
    /// Plasticity strength (None for the k_t task).
    pub k: Option<f64>,
    /// The DMFT solution.
    pub dmft: Option<StationarySolution>,
    /// One summary per network seed.
    pub networks: Vec<ChaosSummary>,
    /// The tricritical search.
    pub kt: Option<KtEstimate>,
}

impl crate::Sweep for DmftParams {
    type Task = DmftTask;
    /// One task per k, plus one for k_t when `kt_gs` is not empty.
    fn task_count(&self) -> usize {
        self.ks.len() + usize::from(!self.kt_gs.is_empty())
    }
    fn run_task(&self, index: usize) -> Result<DmftTask> {
        if index == self.ks.len() {
            let kt = tricritical_k(Phi::Erf, self.tau_s, &self.kt_gs, &self.onset)?;
            return Ok(DmftTask { k: None, dmft: None, networks: vec![], kt: Some(kt) });
        }
        let k = self.ks[index];
        let model = StationaryModel { g: self.g, k, tau_s: self.tau_s, phi: Phi::Erf };
        let dmft = solve_stationary(&model, &self.dmft, None)?;
        let p = RateParams { n: self.n, g: self.g, k, tau_s: self.tau_s, ..Default::default() };
        let steps = |t: f64| (t / p.dt).round() as u64;
        let lag = (self.max_lag / p.dt).round() as usize;
        let mut networks = Vec::new();
        for &seed in &self.seeds {
            let mut net = DenseNetwork::new(&p, seed)?;
            net.run(steps(self.t_burn));
            let mut st = ChaosStats::new(p.n, lag, p.nonlinearity);
            net.run_with(steps(self.t_meas), |n| st.observe(n.x()));
            networks.push(st.summary(p.g, p.dt));
        }
        Ok(DmftTask { k: Some(k), dmft: Some(dmft), networks, kt: None })
    }
    fn collect(&self, tasks: Vec<DmftTask>, dir: &RunDir) -> Result<Outcome> {
        collect(self, tasks, dir)
    }
}

const CORR_CAPTION: &str = "C_φ(τ)/C_φ(0) from the DMFT (solid) and from networks (dashed, mean over seeds) for each k at g = 2, τ_s = 1: Hebbian plasticity (k > 0) slows the decorrelation, anti-Hebbian plasticity (k < 0) speeds it up and adds a negative lobe (ringing).";
const STATS_CAPTION: &str = "Δ₀, τ_½ and g²⟨φ'²⟩ against k: DMFT (line) and networks (points, one per seed). g²⟨φ'²⟩ < 1 (below the dashed line) marks freezable chaos (§6.2).";

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Spec §3.9 DMFT Δ₀ at g = 2, τ_s = 1 (M = 800, SCS start).
fn spec_dmft_delta0(k: f64) -> Option<f64> {
    [(-2.0, 0.706), (-1.0, 1.080), (0.0, 2.076), (1.0, 4.943), (2.0, 11.48)].iter().find(|p| p.0 == k).map(|p| p.1)
}

/// The collect step: figures and checks.
pub fn collect(p: &DmftParams, tasks: Vec<DmftTask>, dir: &RunDir) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut results = Vec::new();
    let mut corr = LinePanel::new("C_φ(τ)/C_φ(0): DMFT (solid) and network (dashed)", "τ", "C_φ/q");
    corr.x_range = Some((0.0, p.max_lag));
    let mut d0_panel = LinePanel::new("Δ₀ = ⟨x²⟩ against k", "k", "Δ₀");
    let mut th_panel = LinePanel::new("Decorrelation time τ_½ of C_φ against k", "k", "τ_½");
    let mut fz_panel = LinePanel::new("g²⟨φ'²⟩ against k (freezable below 1)", "k", "g²⟨φ'²⟩");
    let (mut ks, mut d0s, mut ths, mut gps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut pk, mut pd0, mut pth, mut pgp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut lobes = Vec::new();
    let lag_last = (p.max_lag / p.dmft.dt).round() as usize;
    for (i, t) in tasks.iter().enumerate() {
        let (Some(k), Some(s)) = (t.k, &t.dmft) else { continue };
        let m = s.c_phi.len().min(lag_last + 1);
        let tau: Vec<f64> = (0..m).map(|j| s.tau(j)).collect();
        let r: Vec<f64> = s.c_phi[..m].iter().map(|c| c / s.q).collect();
        corr = corr.with_series(Series::line(format!("k = {k} DMFT"), tau, r).with_color(i));
        let nl = t.networks.iter().map(|n| n.c_phi.len()).min().unwrap_or(0).min(lag_last + 1);
        if nl > 0 {
            let avg: Vec<f64> =
                (0..nl).map(|j| mean(&t.networks.iter().map(|n| n.c_phi[j] / n.q).collect::<Vec<_>>())).collect();
            let tau: Vec<f64> = (0..nl).map(|j| j as f64 * s.dt).collect();
            corr = corr.with_series(Series::dashed(format!("k = {k} network"), tau, avg).with_color(i));
        }
        let th = s.tau_half.unwrap_or(f64::NAN);
        ks.push(k);
        d0s.push(s.delta0);
        ths.push(th);
        gps.push(s.g2_phi_prime_sq);
        for n in &t.networks {
            pk.push(k);
            pd0.push(n.delta0);
            pth.push(n.tau_half.unwrap_or(f64::NAN));
            pgp.push(n.g2_phi_prime_sq);
        }
        let min20 = s.c_phi.iter().take(201).fold(f64::INFINITY, |a, &b| a.min(b)) / s.q;
        lobes.push((k, min20, s.first_zero));
        let nd0 = mean(&t.networks.iter().map(|n| n.delta0).collect::<Vec<_>>());
        let nq = mean(&t.networks.iter().map(|n| n.q).collect::<Vec<_>>());
        let ngp = mean(&t.networks.iter().map(|n| n.g2_phi_prime_sq).collect::<Vec<_>>());
        let nth = mean(&t.networks.iter().map(|n| n.tau_half.unwrap_or(f64::NAN)).collect::<Vec<_>>());
        // §3.9: 1–4 % on Δ₀ and q, ≈ 3 % on g²⟨φ'²⟩ for |k| ≤ 1 at N = 1000
        // (one seed); 4 % / 11 % / 18 % on Δ₀ / g²⟨φ'²⟩ / τ½ at k = 2. With
        // N = 400–1000 and few seeds: 8 % / 4 % / 8 % / 15 % for |k| ≤ 1 and
        // 10 % / 4 % / 25 % / 30 % beyond.
        let strong = k.abs() > 1.0;
        let why = "§3.9: DMFT vs N = 1000 network 1–4 % (Δ₀, q), ≈3 % (g²⟨φ'²⟩), ≈10 % (τ½) for |k| ≤ 1, and 4 % / 11 % / 18 % at k = 2; widened for smaller N and few seeds (§4.3: 10–20 % for chaotic-state statistics)";
        checks.push(Check::rel(
            &format!("k = {k}: DMFT Δ₀ vs network"),
            s.delta0,
            nd0,
            if strong { 0.10 } else { 0.08 },
            why,
        ));
        checks.push(Check::rel(&format!("k = {k}: DMFT q vs network"), s.q, nq, 0.04, why));
        checks.push(Check::rel(
            &format!("k = {k}: DMFT g²⟨φ'²⟩ vs network"),
            s.g2_phi_prime_sq,
            ngp,
            if strong { 0.25 } else { 0.08 },
            why,
        ));
        checks.push(Check::rel(
            &format!("k = {k}: DMFT τ½ vs network"),
            th,
            nth,
            if strong { 0.30 } else { 0.15 },
            why,
        ));
        if let Some(d) = spec_dmft_delta0(k).filter(|_| p.g == 2.0 && p.tau_s == 1.0) {
            checks.push(Check::rel(
                &format!("k = {k}: DMFT Δ₀ vs the spec's DMFT"),
                s.delta0,
                d,
                0.05,
                "§3.9 DMFT column (numpy Picard, M = 800); Δ₀ converges fast, both carry ≈1 % Monte-Carlo noise",
            ));
        }
        if k == 0.0 && p.g > 1.0 {
            let scs = hebb_theory::dmft::scs_solution(Phi::Erf, p.g, p.dmft.dt, 1)?;
            checks.push(Check::rel(
                "k = 0: DMFT Δ₀ vs SCS (energy conservation)",
                s.delta0,
                scs.delta0,
                0.02,
                "§3.4: k = 0 is the SCS network; Monte-Carlo noise ≈0.5 %",
            ));
        }
        results.push(serde_json::json!({
            "k": k, "dmft": {"delta0": s.delta0, "q": s.q, "g2_phi_prime_sq": s.g2_phi_prime_sq, "tau_half": s.tau_half,
            "tau_int": s.tau_int, "first_zero": s.first_zero, "min_c_over_q": s.min_c_over_q, "noise": s.noise,
            "residual": s.residuals.last(), "iterations": s.iterations},
            "network_mean": {"delta0": nd0, "q": nq, "g2_phi_prime_sq": ngp, "tau_half": nth},
        }));
        dir.write_csv(
            &format!("c_phi_dmft_k{k}.csv"),
            &["tau", "c_phi", "c_x"],
            &(0..s.c_phi.len()).map(|j| [s.tau(j), s.c_phi[j], s.c_x[j]]).collect::<Vec<_>>(),
        )?;
    }
    // §4.3 relations on the DMFT.
    let incr = |v: &[f64]| v.windows(2).all(|w| w[1] > w[0]);
    checks.push(Check::abs(
        "DMFT τ½ increases with k (1 = yes)",
        f64::from(u8::from(incr(&ths))),
        1.0,
        0.0,
        "§4.3: Hebbian plasticity slows, anti-Hebbian speeds up the dynamics",
    ));
    checks.push(Check::abs(
        "DMFT Δ₀ increases with k (1 = yes)",
        f64::from(u8::from(incr(&d0s))),
        1.0,
        0.0,
        "§4.3: Hebbian plasticity amplifies the chaos",
    ));
    let (below, above) = (
        ks.iter().zip(&gps).filter(|(k, _)| **k == 0.0).map(|p| *p.1).next(),
        ks.iter().zip(&gps).filter(|(k, _)| **k == 1.0).map(|p| *p.1).next(),
    );
    if let (Some(a), Some(b)) = (below, above) {
        checks.push(Check::abs(
            "g²⟨φ'²⟩ crosses 1 between k = 0 and k = 1 (1 = yes)",
            f64::from(u8::from(a > 1.0 && b < 1.0)),
            1.0,
            0.0,
            "§4.2–4.3: freezability threshold k_f ≈ 0.6–0.7 at g = 2, τ_s = 1",
        ));
    }
    let lobe_ok = lobes.iter().all(|&(k, _, z)| {
        if k <= -2.0 {
            z.is_some_and(|z| z < 7.0)
        } else if k >= 0.0 {
            z.is_none_or(|z| z > 10.0)
        } else {
            true
        }
    });
    checks.push(Check::abs(
        "negative lobe of C_φ: first zero before τ = 7 at k ≤ −2, none before τ = 10 at k ≥ 0 (1 = yes)",
        f64::from(u8::from(lobe_ok)),
        1.0,
        0.0,
        "§4.3: ringing only with anti-Hebbian plasticity (network first zero τ ≈ 4 at k = −2, ≈ 8.5 at k = −1). The DMFT lobe is shallow (§3.9: −0.05 to −0.12 at k = −2) and the slow tail of C/q wanders by about ±0.03 between Picard iterations (a nearly marginal direction), so the depth is not asserted and k = −1, whose zero lies near τ = 9–10, is reported only",
    ));
    for &(k, m, z) in &lobes {
        results.push(serde_json::json!({"k": k, "min_c_over_q_tau_le_20": m, "first_zero": z}));
    }

    d0_panel = d0_panel
        .with_series(Series::line("DMFT", ks.clone(), d0s.clone()).with_color(0))
        .with_series(Series::points("network", pk.clone(), pd0).with_color(1));
    th_panel = th_panel
        .with_series(Series::line("DMFT", ks.clone(), ths.clone()).with_color(0))
        .with_series(Series::points("network", pk.clone(), pth).with_color(1));
    let (k0, k1) = (ks.first().copied().unwrap_or(-2.0), ks.last().copied().unwrap_or(2.0));
    fz_panel = fz_panel
        .with_series(Series::line("DMFT", ks.clone(), gps.clone()).with_color(0))
        .with_series(Series::points("network", pk, pgp).with_color(1))
        .with_series(Series::dashed("1 (freezability)", vec![k0, k1], vec![1.0, 1.0]).with_color(2));

    for t in &tasks {
        if let Some(kt) = &t.kt {
            for o in &kt.onsets {
                results.push(
                    serde_json::json!({"onset_g": o.g, "k_below": o.k_below, "k_above": o.k_above, "points": o.points}),
                );
            }
            results.push(
                serde_json::json!({"k_t_dmft": kt.k_t, "k_t_stated": kt.stated, "k_t_consistent": kt.consistent}),
            );
            checks.push(Check::abs(
                "tricritical k_t: DMFT continuation (extrapolated to g = 1) vs the consistent leading order π/4",
                kt.k_t,
                kt.consistent,
                0.3,
                "§3.8: π/4 ≈ 0.785 is leading order only (the stated π/4 − π²/96 ≈ 0.683 is inconsistent); the DMFT value decides, tolerance covers the extrapolation in √(1 − g) from g < 1 and the bisection step",
            ));
        }
    }

    let f1 = crate::save_lines(
        dir,
        format!("DMFT vs network autocorrelations (Clark & Abbott §3.9): g = {}, τ_s = {}, N = {}", p.g, p.tau_s, p.n),
        vec![corr],
        "autocorrelations",
        CORR_CAPTION,
    )?;
    let f2 = crate::save_lines(
        dir,
        format!("Chaotic-state statistics against k: g = {}, τ_s = {}", p.g, p.tau_s),
        vec![d0_panel, th_panel, fz_panel],
        "statistics",
        STATS_CAPTION,
    )?;
    Ok(Outcome {
        title: "Clark & Abbott §3: DMFT of coupled neuronal–synaptic dynamics vs networks".into(),
        checks,
        figures: vec![f1, f2],
        results: serde_json::json!(results),
    })
}
