//! Experiments of Clark & Abbott (specs/clark.md).

use crate::{Check, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb_rate::{DenseNetwork, RateParams};
use serde::{Deserialize, Serialize};

/// Parameters of the freezing experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeParams {
    /// Neurons N.
    pub n: usize,
    /// Gain g.
    pub g: f64,
    /// Synaptic time constant τ_s.
    pub tau_s: f64,
    /// Hebbian strengths k.
    pub ks: Vec<f64>,
    /// Seeds (realisations) per k.
    pub seeds: Vec<u64>,
    /// Time before freezing, t* (in units of the neuronal time constant).
    pub t_star: f64,
    /// Time run after freezing.
    pub t_after: f64,
}

impl Params for FreezeParams {
    fn preset(tier: Tier) -> Self {
        let base = Self {
            n: 400,
            g: 2.0,
            tau_s: 1.0,
            ks: vec![0.0, 1.0, 1.5, 2.0],
            seeds: vec![1, 2, 3, 4],
            t_star: 200.0,
            t_after: 100.0,
        };
        match tier {
            Tier::Quick => base,
            Tier::Default => Self { n: 1000, seeds: (1..=10).collect(), ..base },
            Tier::Paper => {
                Self { n: 1000, seeds: (1..=40).collect(), ks: vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0], ..base }
            }
        }
    }
}

/// What to look at in the freezing figure.
const FREEZE_CAPTION: &str = "After A is frozen the speed of Hebbian networks (k ≥ 1.5) collapses to rounding level — a fixed point — while k = 0 stays chaotic (k = 1 is near the boundary); the fixed point lies closer to the frozen state the larger k.";

/// Speed below which a frozen network counts as at a fixed point (the
/// residual of a converged Euler iteration is ~1e-15).
const FIXED: f64 = 1e-8;

/// One realisation of the freezing protocol at one k.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FreezeRun {
    /// Hebbian strength.
    pub k: f64,
    /// Seed of the realisation.
    pub seed: u64,
    /// Speed |ẋ| of the frozen network at the end.
    pub final_speed: f64,
    /// |x(end) − x(t*)| / √N of the frozen network.
    pub offset: f64,
    /// Speed of the unfrozen control at the end.
    pub control_speed: f64,
    /// Time after freezing and speed of the frozen network (≤ 400 points;
    /// first seed of each k only).
    pub trace: Option<(Vec<f64>, Vec<f64>)>,
}

impl crate::Sweep for FreezeParams {
    type Task = FreezeRun;
    /// One task per (k, seed), k-major.
    fn task_count(&self) -> usize {
        self.ks.len() * self.seeds.len()
    }
    fn run_task(&self, index: usize) -> Result<FreezeRun> {
        let p = self;
        let (k, si) = (p.ks[index / p.seeds.len()], index % p.seeds.len());
        let seed = p.seeds[si];
        let dt = RateParams::default().dt;
        let steps_star = (p.t_star / dt).round() as u64;
        let steps_after = (p.t_after / dt).round() as u64;
        let params = RateParams { n: p.n, g: p.g, k, tau_s: p.tau_s, ..Default::default() };
        let mut net = DenseNetwork::new(&params, seed)?;
        net.run(steps_star);
        let x_star = net.x().to_vec();
        let mut control = net.clone();
        net.freeze();
        let (mut t, mut v) = (Vec::new(), Vec::new());
        net.run_with(steps_after, |n| {
            t.push(n.time() - p.t_star);
            v.push(n.speed().max(1e-300));
        });
        control.run(steps_after);
        let offset = (net.x().iter().zip(&x_star).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / p.n as f64).sqrt();
        let every = (t.len() / 400).max(1);
        let trace =
            (si == 0).then(|| (t.iter().step_by(every).copied().collect(), v.iter().step_by(every).copied().collect()));
        Ok(FreezeRun { k, seed, final_speed: net.speed(), offset, control_speed: control.speed(), trace })
    }
    fn collect(&self, runs: Vec<FreezeRun>, dir: &RunDir) -> Result<Outcome> {
        freeze(self, runs, dir)
    }
}

/// Freezable chaos (§6): run the coupled network to t*, hold A fixed and
/// follow the neurons. With strong Hebbian plasticity (k ≥ 2 at g = 2,
/// τ_s = 1) the frozen network falls onto a fixed point near the state it
/// was frozen in, the closer the larger k; without plasticity (k = 0) it
/// stays chaotic; an unfrozen control keeps moving. Near the boundary
/// (k = 1) freezing depends on the realisation: the fraction is reported.
/// `runs` are the tasks' outputs (k-major, then seed).
pub fn freeze(p: &FreezeParams, runs: Vec<FreezeRun>, dir: &RunDir) -> Result<Outcome> {
    let mut speed_panel = LinePanel::new(
        "Speed |ẋ| of the frozen network after freezing (first seed of each k)",
        "time after freezing",
        "speed",
    );
    speed_panel.log_y = true;
    let mut offset_panel = LinePanel::new(
        "Distance from the frozen state to where the network settles, per k (mean over seeds)",
        "k",
        "|x(end) − x(t*)| / √N",
    );
    let mut checks = Vec::new();
    let mut results = Vec::new();
    let (mut ks_off, mut offs) = (Vec::new(), Vec::new());
    for (ki, (&k, group)) in p.ks.iter().zip(runs.chunks(p.seeds.len())).enumerate() {
        let (mut frozen_count, mut offset_sum, mut control_moving) = (0usize, 0.0, 0usize);
        for r in group {
            if r.final_speed < FIXED {
                frozen_count += 1;
            }
            if r.control_speed > 1e-3 {
                control_moving += 1;
            }
            offset_sum += r.offset;
            if let Some((t, v)) = &r.trace {
                speed_panel =
                    speed_panel.with_series(Series::line(format!("k = {k}"), t.clone(), v.clone()).with_color(ki));
            }
            results.push(serde_json::json!({ "k": k, "seed": r.seed, "final_speed": r.final_speed, "offset": r.offset, "control_speed": r.control_speed }));
        }
        let fraction = frozen_count as f64 / p.seeds.len() as f64;
        ks_off.push(k);
        offs.push(offset_sum / p.seeds.len() as f64);
        if k == 0.0 {
            checks.push(Check::abs(
                "k = 0: fraction of seeds whose frozen network reaches a fixed point",
                fraction,
                0.0,
                0.0,
                "§6.2: without plasticity freezing changes nothing; g = 2 stays chaotic",
            ));
        }
        if k >= 2.0 {
            checks.push(Check::abs(&format!("k = {k}: fraction of seeds whose frozen network reaches a fixed point"), fraction, 1.0, 0.0, "§6.2–6.3: at g = 2, τ_s = 1 freezing leaves a stable fixed point once g²⟨φ'²⟩ < 1 (between k = 0 and 1); all seeds at k ≥ 2 in the spec"));
        }
        if k >= 1.5 {
            checks.push(Check::abs(&format!("k = {k}: fraction of unfrozen controls still moving"), control_moving as f64 / p.seeds.len() as f64, 1.0, 0.0, "§6.1: the plastic control keeps moving (the fixed point exists only with A held). At k ≥ 3 the coupled network itself often reaches a joint fixed point before t* = 200, which is why the quick tier stops at k = 2"));
        }
        results.push(serde_json::json!({ "k": k, "fraction_frozen": fraction }));
    }
    let (ka, kb) = (ks_off.iter().position(|&k| k == 1.5), ks_off.iter().position(|&k| k == 2.0));
    if let (Some(a), Some(b)) = (ka, kb) {
        checks.push(Check::abs(
            "offset(k = 2) / offset(k = 1.5)",
            offs[b] / offs[a],
            0.5,
            0.5,
            "§6.3: the offset between the frozen state and its fixed point shrinks as k grows (ratio in (0, 1))",
        ));
    }
    offset_panel = offset_panel.with_series(Series::points("mean over seeds", ks_off, offs));
    let figure = crate::save_lines(
        dir,
        format!("Freezable chaos (Clark & Abbott §6): N = {}, g = {}, τ_s = {}", p.n, p.g, p.tau_s),
        vec![speed_panel, offset_panel],
        "freeze",
        FREEZE_CAPTION,
    )?;
    Ok(Outcome {
        title: "Clark & Abbott §6: freezable chaos".into(),
        checks,
        figures: vec![figure],
        results: serde_json::json!(results),
    })
}
