//! Experiment I (specs/akil.md §4.1, §3.2–3.4): the impact of input
//! correlations on plastic weights. Soft-bounded Hebbian E←E stays at j_max
//! for every c (correlations enter only through Q⁺ − Q⁻); Kohonen E←E's
//! fixed point rises with c through the covariance term β Q⁻_ee / r_e; the
//! spike-count covariances grow linearly with c (§3.2).

use crate::akil::{base_config, corrected_theory, run, weight_series};
use crate::{Check, Outcome, Params, Tier};
use anyhow::{Result, ensure};
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb::sim::RuleConfig;
use serde::{Deserialize, Serialize};

/// Parameters of experiment I.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Input correlations c of the external layer (one run per rule and c).
    pub c: Vec<f64>,
    /// Simulated time of the soft-bounded Hebbian runs (ms).
    pub soft_duration_ms: f64,
    /// η of the soft-bounded Hebbian rule (j_max = 25, j_ee(0) = 20).
    pub soft_eta: f64,
    /// Simulated time of the Kohonen runs (ms).
    pub kohonen_duration_ms: f64,
    /// η of the Kohonen rule (β = 2, j_ee(0) = 5).
    pub kohonen_eta: f64,
    /// Seed.
    pub seed: u64,
}

impl Params for CorrelationParams {
    fn preset(tier: Tier) -> Self {
        match tier {
            // Reduced: N = 1000, four correlations, short runs with faster
            // rules (soft η 20× the paper's).
            Tier::Quick => Self {
                n: 1000,
                c: vec![0.0, 0.2, 0.4, 0.6],
                soft_duration_ms: 80_000.0,
                soft_eta: 5e-2,
                kohonen_duration_ms: 30_000.0,
                kohonen_eta: 0.25,
                seed: 9,
            },
            // §4.1 I at N = 1000 with shortened runs: c = linspace(0, 1, 10).
            Tier::Default => Self {
                n: 1000,
                c: (0..10).map(|i| i as f64 / 9.0).collect(),
                soft_duration_ms: 200_000.0,
                soft_eta: 5e-3,
                kohonen_duration_ms: 200_000.0,
                kohonen_eta: 0.25,
                seed: 9,
            },
            // §4.1 I: N = 10 000, soft T = 1000 s (η = 1e-3), Kohonen T = 200 s.
            Tier::Paper => Self {
                n: 10_000,
                c: (0..10).map(|i| i as f64 / 9.0).collect(),
                soft_duration_ms: 1_000_000.0,
                soft_eta: 1e-3,
                kohonen_duration_ms: 200_000.0,
                kohonen_eta: 0.25,
                seed: 9,
            },
        }
    }
}

const RULES: [&str; 2] = ["soft", "kohonen"];

/// One run of experiment I: one rule at one input correlation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorrelationRun {
    /// `soft` or `kohonen`.
    pub rule: String,
    /// Input correlation c.
    pub c: f64,
    /// Record times (s) and mean j_ee.
    pub t_s: Vec<f64>,
    /// Mean j_ee at `t_s`.
    pub j: Vec<f64>,
    /// Mean j_ee over the last quarter.
    pub j_final: f64,
    /// Rates (E, I) over the last quarter (Hz).
    pub rates_hz: [f64; 2],
    /// Mean E–E spike-count covariance over the last quarter (250-ms windows).
    pub cov_ee: f64,
    /// Soft-bounded rule: the mean j_ee predicted at the middle of the last
    /// quarter when every E←E synapse relaxes to j_max at its own rate
    /// b = η τ r_pre r_post (the rule's drift at c = 0, measured neuron
    /// rates); `None` for Kohonen.
    pub j_heterogeneous: Option<f64>,
    /// Fixed point of the quasi-static theory with the covariance closure
    /// (κ = τ/(τ + 10 ms), §3.3) at this c.
    pub j_theory: f64,
    /// The same without the covariance term (κ = 0).
    pub j_theory_no_cov: f64,
}

impl crate::Sweep for CorrelationParams {
    type Task = CorrelationRun;
    /// Tasks: every c for the soft-bounded rule, then every c for Kohonen.
    fn task_count(&self) -> usize {
        RULES.len() * self.c.len()
    }
    fn run_task(&self, index: usize) -> Result<CorrelationRun> {
        let (rule, c) = (RULES[index / self.c.len()], self.c[index % self.c.len()]);
        ensure!((0.0..=1.0).contains(&c), "c[{}] = {c}: input correlations must lie in [0, 1]", index % self.c.len());
        let tau_stdp_ms = 200.0;
        let synapse = "E<-E".parse().expect("a valid synapse type");
        let duration = if rule == "soft" { self.soft_duration_ms } else { self.kohonen_duration_ms };
        let mut cfg = base_config(self.n, duration, self.seed, c);
        cfg.record.burn_in_fraction = 0.75;
        cfg.record.weight_interval_ms = (duration / 60.0).round();
        cfg.network.connections[1].j = -100.0;
        let j0 = if rule == "soft" {
            cfg.plasticity = vec![RuleConfig::SoftHebbian {
                synapse,
                eta: self.soft_eta,
                j_max: 25.0,
                depression: Default::default(),
                tau_stdp_ms,
            }];
            20.0
        } else {
            cfg.plasticity = vec![RuleConfig::Kohonen { synapse, eta: self.kohonen_eta, beta: 2.0, tau_stdp_ms }];
            5.0
        };
        cfg.network.connections[0].j = j0;
        let sim = run(cfg.clone())?;
        let res = sim.results();
        let (t_s, j) = weight_series(&sim, 0);
        let tail: Vec<f64> =
            t_s.iter().zip(&j).filter(|(t, _)| **t * 1e3 >= 0.75 * duration).map(|(_, j)| *j).collect();
        let j_final = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
        // The semi-empirical theory (measured net input and Δ, §3.1, as in
        // experiment C): finite-N rates sit ~20 % below the leading order at
        // N = 1000–5000, and Kohonen's j* = βτ r_e scales with them.
        let mut with_cov = corrected_theory(&cfg, &sim, &[j_final])?;
        let j_theory_no_cov = with_cov.fixed_point(&[j_final])?.state.j[0];
        // §3.3: κ = τ_STDP/(τ_STDP + τ_c), τ_c ≈ 10 ms.
        with_cov.kappa = tau_stdp_ms / (tau_stdp_ms + 10.0);
        let j_theory = with_cov.fixed_point(&[j_final])?.state.j[0];
        let j_heterogeneous = if rule == "soft" {
            let n_e = (cfg.network.populations[0].fraction * cfg.network.n as f64).round() as usize;
            Some(heterogeneous_mean(&cfg, &res.neuron_rates_hz[..n_e], j0, 0.875 * duration))
        } else {
            None
        };
        Ok(CorrelationRun {
            j_heterogeneous,
            rule: rule.into(),
            c,
            t_s,
            j,
            j_final,
            rates_hz: [res.rates_hz["E"], res.rates_hz["I"]],
            cov_ee: res.cov_mean["E-E"],
            j_theory,
            j_theory_no_cov,
        })
    }
    fn collect(&self, runs: Vec<CorrelationRun>, dir: &RunDir) -> Result<Outcome> {
        correlations(self, runs, dir)
    }
}

/// Mean weight at time `t_ms` of a rule whose per-synapse drift is linear,
/// dw/dt = b (w* − w), started at `j0` (j units), with b and w* taken from
/// the rule's declared drift for each (pre, post) pair of `rates_hz` at
/// c = 0 (all pairs, as Bernoulli connectivity samples them uniformly).
fn heterogeneous_mean(cfg: &hebb::sim::SimConfig, rates_hz: &[f64], j0: f64, t_ms: f64) -> f64 {
    let n = cfg.network.n;
    let rule = cfg.plasticity[0].build(n, 1.0);
    let sqrt_n = (n as f64).sqrt();
    let (mut sum, mut count) = (0.0, 0usize);
    for &r_pre in rates_hz {
        for &r_post in rates_hz {
            let inputs = hebb_plasticity_inputs(r_pre * 1e-3, r_post * 1e-3);
            let (d0, d1) = (rule.drift(0.0, &inputs), rule.drift(1.0, &inputs));
            let (Some(d0), Some(d1)) = (d0, d1) else { return f64::NAN };
            let b = d0 - d1;
            let j = if b > 0.0 {
                let star = d0 / b * sqrt_n;
                star + (j0 - star) * (-b * t_ms).exp()
            } else {
                j0 + d0 * sqrt_n * t_ms
            };
            sum += j;
            count += 1;
        }
    }
    sum / count as f64
}

/// Drift inputs of one pair at c = 0 (no covariance).
fn hebb_plasticity_inputs(r_pre_khz: f64, r_post_khz: f64) -> hebb_plasticity::DriftInputs {
    hebb_plasticity::DriftInputs { r_post_khz, r_pre_khz, q_plus: 0.0, q_minus: 0.0 }
}

/// Least-squares line through `(x, y)`: (slope, intercept, r²).
fn line_fit(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx, if syy > 0.0 { sxy * sxy / (sxx * syy) } else { 1.0 })
}

/// Experiment I: final weights and covariances against c.
pub fn correlations(p: &CorrelationParams, runs: Vec<CorrelationRun>, dir: &RunDir) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut panels = Vec::new();
    let mut results = Vec::new();
    let mut cov_panel = LinePanel::new(
        "Mean E–E spike-count covariance against c (250-ms windows)",
        "input correlation c",
        "C̄_ee (spikes²)",
    );
    for (ri, rule) in RULES.iter().enumerate() {
        let rs: Vec<&CorrelationRun> = runs.iter().filter(|r| r.rule == *rule).collect();
        let cs: Vec<f64> = rs.iter().map(|r| r.c).collect();
        let finals: Vec<f64> = rs.iter().map(|r| r.j_final).collect();
        let label = if *rule == "soft" { "soft-bounded Hebbian (j_max = 25)" } else { "Kohonen (β = 2)" };
        let mut traj = LinePanel::new(format!("{label}: mean j_ee(t) for each c"), "time (s)", "mean j_ee");
        for (i, r) in rs.iter().enumerate() {
            traj = traj.with_series(Series::line(format!("c = {:.2}", r.c), r.t_s.clone(), r.j.clone()).with_color(i));
        }
        let fin = LinePanel::new(
            format!("{label}: final mean j_ee against c"),
            "input correlation c",
            "mean j_ee (last quarter)",
        )
        .with_series(Series::points("simulation", cs.clone(), finals.clone()).with_color(0))
        .with_series(
            Series::line("theory with the covariance term", cs.clone(), rs.iter().map(|r| r.j_theory).collect())
                .with_color(1),
        )
        .with_series(
            Series::dashed("theory without it", cs.clone(), rs.iter().map(|r| r.j_theory_no_cov).collect())
                .with_color(3),
        );
        let hetero: Vec<(f64, f64)> = rs.iter().filter_map(|r| r.j_heterogeneous.map(|j| (r.c, j))).collect();
        let fin = if hetero.is_empty() {
            fin
        } else {
            fin.with_series(
                Series::points(
                    "relaxation at the measured neuron rates (c = 0 drift)",
                    hetero.iter().map(|h| h.0).collect(),
                    hetero.iter().map(|h| h.1).collect(),
                )
                .with_color(2),
            )
        };
        panels.push(fin);
        panels.push(traj);
        cov_panel = cov_panel
            .with_series(Series::points(label, cs.clone(), rs.iter().map(|r| r.cov_ee).collect()).with_color(ri));
        if *rule == "soft" {
            let lag = finals.iter().map(|j| (25.0 - j).abs()).fold(0.0, f64::max);
            checks.push(Check::at_most(
                "soft Hebbian: largest |final mean j_ee − j_max| over c",
                lag,
                0.1 * 25.0,
                "§4.1 I: the weight stays ≈ j_max for all c. Within 10 % here: each synapse relaxes at a rate ∝ r_pre·r_post, so the pairs of low-rate neurons are still relaxing at the end of the reduced run (the `j_heterogeneous` prediction of the results, from the measured rates, puts the c = 0 mean at 24.1 after 80 s at N = 1000)",
            ));
        } else if let (Some(first), Some(last)) = (rs.first(), rs.last()) {
            checks.push(Check::at_least(
                "Kohonen: final j_ee at the largest c minus at c = 0",
                last.j_final - first.j_final,
                0.0,
                "§4.1 I: Kohonen's j* rises with c through β Q⁻_ee / r_e",
            ));
            checks.push(Check::at_most(
                "Kohonen at the largest c: |sim − theory with covariances| minus |sim − theory without|",
                (last.j_final - last.j_theory).abs() - (last.j_final - last.j_theory_no_cov).abs(),
                0.0,
                "§3.3–3.4: the covariance term (β Q⁻_ee) is what moves Kohonen's fixed point with c",
            ));
            let gap = rs.iter().map(|r| ((r.j_final - r.j_theory) / r.j_theory).abs()).fold(0.0, f64::max);
            checks.push(Check::at_most(
                "Kohonen: largest relative gap, final j_ee vs the theory with the covariance term",
                gap,
                0.3,
                "§4.2: mean-field checks agree within ~4–30 %; leading-order rates at finite N sit ~20 % off (experiment C)",
            ));
        }
        results.push(serde_json::json!({ "rule": rule, "c": cs, "j_final": finals,
            "j_theory": rs.iter().map(|r| r.j_theory).collect::<Vec<_>>(),
            "j_theory_no_cov": rs.iter().map(|r| r.j_theory_no_cov).collect::<Vec<_>>(),
            "cov_ee": rs.iter().map(|r| r.cov_ee).collect::<Vec<_>>(),
            "j_heterogeneous": rs.iter().map(|r| r.j_heterogeneous).collect::<Vec<_>>(),
            "rates_hz": rs.iter().map(|r| r.rates_hz).collect::<Vec<_>>() }));
    }
    // Covariances linear in c (§3.2: C̄ = O(1) and ∝ c at leading order for
    // c > 0). Fit over the soft-bounded runs, whose weights barely move.
    let soft: Vec<&CorrelationRun> = runs.iter().filter(|r| r.rule == "soft").collect();
    if soft.len() >= 3 {
        let (slope, _, r2) =
            line_fit(&soft.iter().map(|r| r.c).collect::<Vec<_>>(), &soft.iter().map(|r| r.cov_ee).collect::<Vec<_>>());
        checks.push(Check::at_least(
            "soft Hebbian runs: r² of a line C̄_ee(c)",
            r2,
            0.9,
            "§3.2: the mean covariance grows linearly with c (sampling noise with ~100 windows is 20–30 %, §4.2)",
        ));
        checks.push(Check::at_least(
            "soft Hebbian runs: slope of C̄_ee against c",
            slope,
            0.0,
            "§3.2: covariances grow with c",
        ));
    }
    panels.push(cov_panel);
    let figures = vec![crate::save_lines(
        dir,
        format!("Impact of input correlations on plastic weights (experiment I), N = {}", p.n),
        panels,
        "correlations",
        "Soft-bounded Hebbian weights stay near j_max whatever c (the closure puts Q⁺ = Q⁻, so its theory is flat; correlated input bursts push the simulation a little above); Kohonen's fixed point rises with c, as the covariance term of the theory (line) predicts and the theory without it (dashed) does not; covariances grow linearly with c.",
    )?];
    Ok(Outcome {
        title: "I: input correlations move Kohonen's fixed point, not the soft-bounded Hebbian one".into(),
        checks,
        figures,
        results: serde_json::json!(results),
    })
}
