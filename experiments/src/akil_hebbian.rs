//! Experiment F (specs/akil.md §4.1): classical additive, hard-bounded and
//! soft-bounded Hebbian plasticity on E←E — mean weights and the spread of
//! the weight distribution over time.

use crate::akil::{Relaxation, base_config, lag_factor, weight_series};
use crate::{Check, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb::sim::RuleConfig;
use serde::{Deserialize, Serialize};

/// Parameters of experiment F.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HebbianParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time of each run (ms).
    pub duration_ms: f64,
    /// η of the classical (unbounded) rule.
    pub eta_classic: f64,
    /// η of the hard-bounded rule (gates [0, 50]).
    pub eta_hard: f64,
    /// η of the soft-bounded rule.
    pub eta_soft: f64,
    /// j_max of the soft-bounded rule.
    pub j_max_soft: f64,
    /// Sampled synapses per run.
    pub samples: usize,
    /// Check the soft rule's final mean against its fixed point j_max
    /// (only runs long enough to converge: default and paper tiers).
    pub check_fixed_point: bool,
    /// Seed.
    pub seed: u64,
}

impl Params for HebbianParams {
    fn preset(tier: Tier) -> Self {
        match tier {
            // Reduced: N = 2000, 30 s, rules 5–60× faster than the paper's.
            Tier::Quick => Self {
                n: 2000,
                duration_ms: 30_000.0,
                eta_classic: 5e-3,
                eta_hard: 5e-3,
                eta_soft: 6e-2,
                j_max_soft: 30.0,
                samples: 2000,
                check_fixed_point: false,
                seed: 5,
            },
            // Soft: η = 1/30 over 300 s, the paper's η·T (1e-3 × 10 000 s).
            // Each pair relaxes at η τ r_post r_pre, so the low-rate pairs set
            // the pace: at η·T = 1.5 (5e-3 × 300 s) 42 % of the initial
            // distance to j_max was left, at 3 (1e-2 × 300 s) 32 %. (A longer
            // T is no cheaper route: the spike cap grows with T, and the
            // classic rule's runaway then runs at ~200 Hz until it hits it.)
            Tier::Default => Self {
                n: 5000,
                duration_ms: 300_000.0,
                eta_classic: 5e-3,
                eta_hard: 1e-3,
                eta_soft: 1.0 / 30.0,
                j_max_soft: 30.0,
                samples: 2000,
                check_fixed_point: true,
                seed: 5,
            },
            // §4.1: classic 500 s, hard 5000 s, soft 10 000 s; one duration
            // here (the longest) for all three.
            Tier::Paper => Self {
                n: 5000,
                duration_ms: 10_000_000.0,
                eta_classic: 5e-3,
                eta_hard: 1e-3,
                eta_soft: 1e-3,
                j_max_soft: 30.0,
                samples: 2000,
                check_fixed_point: true,
                seed: 5,
            },
        }
    }
}

/// One run: the mean and the standard deviation of the sampled E←E
/// weights over time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HebbianRun {
    /// `classic`, `hard` or `soft`.
    pub rule: String,
    /// Record times (s).
    pub t_s: Vec<f64>,
    /// Mean j_ee over all E←E synapses.
    pub mean: Vec<f64>,
    /// Standard deviation of the sampled weights.
    pub sd: Vec<f64>,
    /// Rates (E, I) over the second half in Hz; `None` when the run ran
    /// away before it.
    pub rates_hz: [Option<f64>; 2],
    /// The leading-order mean-field ODE of §3.3 with the same η: times (s).
    pub ode_t_s: Vec<f64>,
    /// The ODE's j_ee.
    pub ode_j: Vec<f64>,
    /// Soft rule: ⟨e^{−η τ r_j r_k T}⟩ over all E pairs at the measured
    /// (second-half) neuron rates, the fraction of the initial distance to
    /// j_max a synapse onto j from k still has at T; 0 for the other rules.
    #[serde(default)]
    pub unconverged_fraction: f64,
    /// Time (s) at which activity ran away (the spike cap stopped the run;
    /// everything above was recorded up to then), if it did.
    #[serde(default)]
    pub runaway_s: Option<f64>,
}

const RULES: [&str; 3] = ["classic", "hard", "soft"];

impl crate::Sweep for HebbianParams {
    type Task = HebbianRun;
    /// One task per rule: classic, hard, soft.
    fn task_count(&self) -> usize {
        RULES.len()
    }
    fn run_task(&self, index: usize) -> Result<HebbianRun> {
        let mut cfg = base_config(self.n, self.duration_ms, self.seed, 0.0);
        // About 60 records, on the step grid (the config requires a whole
        // number of steps).
        let dt = cfg.run.dt_ms;
        cfg.record.weight_interval_ms = (self.duration_ms / 60.0 / dt).round().max(1.0) * dt;
        cfg.record.weight_sample = self.samples;
        let synapse = "E<-E".parse().expect("a valid synapse type");
        let tau_stdp_ms = 200.0;
        cfg.plasticity = vec![match RULES[index] {
            "classic" => {
                RuleConfig::AdditiveHebbian { synapse, eta: self.eta_classic, j_min: -1e20, j_max: 1e20, tau_stdp_ms }
            }
            "hard" => RuleConfig::AdditiveHebbian { synapse, eta: self.eta_hard, j_min: 0.0, j_max: 50.0, tau_stdp_ms },
            _ => RuleConfig::SoftHebbian {
                synapse,
                eta: self.eta_soft,
                j_max: self.j_max_soft,
                depression: Default::default(),
                tau_stdp_ms,
            },
        }];
        // The unbounded classical rule widens the weight distribution
        // without limit, which can end in runaway activity within the run
        // (default tier: ~230 s of 300): that is an outcome, kept with what
        // was recorded until then.
        let (sim, runaway) = crate::run_simulation_keeping_runaway(cfg.clone())?;
        let runaway_s = match runaway {
            Some(hebb::sim::SimError::SpikeCap { t_ms, .. }) => Some(t_ms * 1e-3),
            _ => None,
        };
        if runaway_s.is_some() && RULES[index] != "classic" {
            anyhow::bail!("{} rule: activity ran away at {:?} s", RULES[index], runaway_s);
        }
        let ode = crate::akil::weight_theory(&cfg, None, vec![]).integrate(
            &[cfg.network.connections[0].j],
            self.duration_ms,
            50.0,
            10,
        )?;
        let (t_s, mean) = weight_series(&sim, 0);
        let w = &sim.recorder.weights;
        let s = w.sample_positions[0].len();
        let sd = (0..w.t_ms.len())
            .map(|r| {
                let xs = &w.sample_j[r * s..(r + 1) * s];
                let m = xs.iter().map(|&x| x as f64).sum::<f64>() / s as f64;
                (xs.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / (s as f64 - 1.0)).sqrt()
            })
            .collect();
        let res = sim.results();
        // Soft bounds: per synapse dJ/dt = η τ r_j r_k (J_max − J) (§3.3 at
        // the pair's own rates), so each relaxes at η τ r_j r_k; pairs of
        // slow neurons lag (rates in kHz, times in ms).
        let unconverged_fraction = if RULES[index] == "soft" {
            let n_e = cfg.population_sizes()[0];
            let r: Vec<f64> = res.neuron_rates_hz[..n_e].iter().map(|x| x * 1e-3).collect();
            let soft = Relaxation { eta: self.eta_soft, a: 0.0, b: 1.0, tau_ms: tau_stdp_ms };
            lag_factor(&r, soft, &[self.duration_ms])
        } else {
            0.0
        };
        Ok(HebbianRun {
            unconverged_fraction,
            runaway_s,
            rule: RULES[index].into(),
            t_s,
            mean,
            sd,
            rates_hz: [res.rates_hz["E"], res.rates_hz["I"]].map(|r| r.is_finite().then_some(r)),
            ode_t_s: ode.iter().map(|s| s.0 * 1e-3).collect(),
            ode_j: ode.iter().map(|s| s.1.j[0]).collect(),
        })
    }
    fn collect(&self, runs: Vec<HebbianRun>, dir: &RunDir) -> Result<Outcome> {
        hebbian(self, runs, dir)
    }
}

/// Experiment F: the soft-bounded rule drives the mean weight to j_max
/// (§3.3–3.4: its drift vanishes only there at leading order); the
/// classical rule has no mean drift (§3.3: potentiation and depression
/// cancel at the rate level) while its weights diffuse, the variance
/// growing linearly in time; the hard-bounded rule is the classical one
/// gated to [0, 50].
pub fn hebbian(p: &HebbianParams, runs: Vec<HebbianRun>, dir: &RunDir) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut mean_panel = LinePanel::new("Mean j_ee over time", "time (s)", "mean j_ee");
    let mut sd_panel = LinePanel::new("Spread (sd) of sampled j_ee over time", "time (s)", "sd of j_ee");
    for (i, r) in runs.iter().enumerate() {
        mean_panel = mean_panel.with_series(Series::line(r.rule.clone(), r.t_s.clone(), r.mean.clone()).with_color(i));
        sd_panel = sd_panel.with_series(Series::line(r.rule.clone(), r.t_s.clone(), r.sd.clone()).with_color(i));
        let (m0, m_end, sd_end) = (r.mean[0], *r.mean.last().unwrap(), *r.sd.last().unwrap());
        match r.rule.as_str() {
            "soft" => {
                mean_panel = mean_panel.with_series(
                    Series::dashed("soft: j_max (§3.4)", vec![0.0, *r.t_s.last().unwrap()], vec![p.j_max_soft; 2])
                        .with_color(i),
                );
                mean_panel = mean_panel
                    .with_series(Series::dashed("soft: ODE (§3.3)", r.ode_t_s.clone(), r.ode_j.clone()).with_color(3));
                // j_max approached by each synapse at its own pair's rate.
                let expected = p.j_max_soft - (p.j_max_soft - m0) * r.unconverged_fraction;
                checks.push(Check::rel(
                    "soft: final mean j_ee vs j_max approached at each pair's rate η τ r_post r_pre (measured rates)",
                    m_end,
                    expected,
                    0.05,
                    "§3.3 per synapse: dJ/dt = η τ r_j r_k (J_max − J); the mean-rate ODE ignores the broad rate distribution. §4.2: weights within ~5 %",
                ));
                if p.check_fixed_point {
                    checks.push(Check::rel(
                        "soft: final mean j_ee vs j_max",
                        m_end,
                        p.j_max_soft,
                        0.05,
                        "§4.1/§3.4: the soft-bounded rule's fixed point is j_max (30); fixed-point weights within ~5 % (§4.2)",
                    ));
                }
            }
            "classic" => {
                // Diffusion: with a stationary network the variance grows
                // linearly, so sd(T) / sd(T/2) = √2 once the initial spread
                // (zero: every synapse starts at j_ee) is forgotten.
                let half = r.sd[r.sd.len() / 2];
                // After a runaway, T is the last record before it.
                let until = match r.runaway_s {
                    Some(t) => format!(" (activity ran away at {t:.1} s: T = {:.1} s)", r.t_s.last().unwrap()),
                    None => String::new(),
                };
                checks.push(Check::abs(
                    &format!("classic: sd(T)² / sd(T/2)² (weights diffuse){until}"),
                    (sd_end / half).powi(2),
                    2.0,
                    0.4,
                    "§4.1: the classical rule has no restoring force, the distribution keeps widening; for independent increments the variance is linear in t (ratio 2). Tolerance: the sampling error of a variance from 2000 synapses (~3 %) and slow rate drifts as the weights spread",
                ));
                checks.push(Check::abs(
                    &format!("classic: |mean j_ee(T) − j_ee(0)| / sd(T){until}"),
                    (m_end - m0).abs() / sd_end,
                    0.0,
                    0.5,
                    "§3.3: potentiation and depression cancel at the rate level (the same trace time constant), so the mean moves much less than the spread grows; the O(1/N) covariance term and finite-N effects are allowed half an sd",
                ));
            }
            _ => {}
        }
    }
    let figures = vec![crate::save_lines(
        dir,
        format!("Hebbian plasticity on E←E (experiment F), N = {}", p.n),
        vec![mean_panel, sd_panel],
        "hebbian",
        "Soft bounds pull the mean weight towards j_max; the classical rule keeps its mean while the weights diffuse (sd grows like √t); the hard gates hold the classical rule inside [0, 50]. Open finding: the simulated soft-bounded mean rises 2–3× more slowly than the leading-order ODE (dashed) and creeps towards j_max. The ODE uses population-mean rates; the rates are broadly spread (many E neurons near 0 Hz), so synapses onto slow neurons lag while fast pairs saturate at j_max (our hypothesis; the initial drift does match within 20 % at η = 1e-3, see the conformance test). Not checked in the quick tier.",
    )?];
    Ok(Outcome {
        title: "F: classical, hard-bounded and soft-bounded Hebbian plasticity on E←E".into(),
        checks,
        figures,
        results: serde_json::json!(runs.iter().map(|r| serde_json::json!({ "rule": r.rule, "mean_start": r.mean[0], "mean_end": r.mean.last(), "sd_end": r.sd.last(), "rates_hz": r.rates_hz, "runaway_s": r.runaway_s, "soft_unconverged_fraction": r.unconverged_fraction })).collect::<Vec<_>>()),
    })
}
