//! Experiment N (specs/akil.md §4.1): the static network as a fixed weight
//! is varied — rates and mean covariances against j_ee and against j_ei,
//! beside the balanced theory of §3.1–3.2 evaluated at each weight.

use crate::akil::{base_config, run};
use crate::{Check, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use serde::{Deserialize, Serialize};

/// Leading-order E rate (Hz) below which the j_ei sweep is near the edge
/// of the balanced regime: the finite-N shift there is as large as the rate.
const EDGE_RATE_HZ: f64 = 2.0;

/// Parameters of experiment N.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerturbationParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time per point (ms).
    pub duration_ms: f64,
    /// Input correlation c.
    pub c: f64,
    /// The j_ee values (j_ei at its default).
    pub j_ee: Vec<f64>,
    /// The j_ei values (j_ee at its default).
    pub j_ei: Vec<f64>,
    /// Seed.
    pub seed: u64,
}

impl Params for PerturbationParams {
    fn preset(tier: Tier) -> Self {
        match tier {
            Tier::Quick => Self {
                n: 5000,
                duration_ms: 8_000.0,
                c: 0.1,
                j_ee: vec![5.0, 15.0, 25.0],
                j_ei: vec![-100.0, -200.0],
                seed: 11,
            },
            Tier::Default => Self {
                n: 5000,
                duration_ms: 50_000.0,
                c: 0.1,
                j_ee: vec![1.0, 5.0, 10.0, 15.0, 20.0, 25.0],
                j_ei: vec![-100.0, -125.0, -150.0, -175.0, -200.0, -250.0],
                seed: 11,
            },
            Tier::Paper => Self {
                n: 10_000,
                duration_ms: 100_000.0,
                c: 0.1,
                j_ee: (1..=20).map(f64::from).collect(),
                j_ei: vec![-100.0, -125.0, -150.0, -175.0, -200.0, -225.0, -250.0],
                seed: 11,
            },
        }
    }
}

/// One static run at one weight.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerturbationRun {
    /// Which weight was varied (`"j_ee"` or `"j_ei"`).
    pub varied: String,
    /// Its value.
    pub j: f64,
    /// Measured rates (E, I) in Hz.
    pub rates_hz: [f64; 2],
    /// Theory rates at the delivered external rate (E, I) in Hz.
    pub theory_rates_hz: [f64; 2],
    /// Measured mean covariances E-E, E-I, I-I.
    pub cov: [f64; 3],
    /// §3.2 covariances at the delivered external rate.
    pub theory_cov: [f64; 3],
    /// External rate actually delivered (Hz).
    pub delivered_hz: f64,
}

impl PerturbationParams {
    /// The static network with one weight (`"j_ee"` or `"j_ei"`) set.
    fn config(&self, varied: &str, j: f64) -> hebb::sim::SimConfig {
        let mut cfg = base_config(self.n, self.duration_ms, self.seed, self.c);
        // The default network lists E←E, E←I, I←E, I←I in this order.
        let k = if varied == "j_ee" { 0 } else { 1 };
        debug_assert!(cfg.network.connections[0].pre == "E" && cfg.network.connections[1].pre == "I");
        cfg.network.connections[k].j = j;
        cfg
    }

    /// Rates with the semi-empirical finite-N correction of §3.1 carried
    /// over from the reference run (default weights): the √N-scaled net
    /// input u = √N (W r + W_x r_x) measured there is kept, and the
    /// balance equations W r + W_x r_x = u/√N are solved at the new weight.
    fn corrected_rates(&self, reference: &PerturbationRun, run: &PerturbationRun) -> Result<[f64; 2]> {
        let net_ref =
            hebb::theory::mean_field(&self.config(&reference.varied, reference.j), Some(&[reference.delivered_hz]));
        let m = net_ref.matrices()?;
        let sqrt_n = (self.n as f64).sqrt();
        let u: Vec<f64> = (0..2)
            .map(|a| {
                let wr: f64 = (0..2).map(|b| m.w[a][b] * reference.rates_hz[b] * 1e-3).sum();
                sqrt_n * (wr + m.w_x[a][0] * m.r_x_khz[0])
            })
            .collect();
        let net = hebb::theory::mean_field(&self.config(&run.varied, run.j), Some(&[run.delivered_hz]));
        let neg: Vec<f64> = u.iter().map(|x| -x).collect();
        let r = hebb_theory::balanced_rates_corrected(&net, &neg)?.rates_hz();
        Ok([r[0], r[1]])
    }
}

impl crate::Sweep for PerturbationParams {
    type Task = PerturbationRun;
    /// One task per j_ee value, then one per j_ei value.
    fn task_count(&self) -> usize {
        self.j_ee.len() + self.j_ei.len()
    }
    fn run_task(&self, index: usize) -> Result<PerturbationRun> {
        let (varied, j) = if index < self.j_ee.len() {
            ("j_ee", self.j_ee[index])
        } else {
            ("j_ei", self.j_ei[index - self.j_ee.len()])
        };
        let cfg = self.config(varied, j);
        let res = run(cfg.clone())?.results();
        let delivered = [res.external_rates_hz["X"]];
        let th = hebb::theory::rates(&cfg, Some(&delivered))?.rates_hz();
        let cov = hebb::theory::covariances(&cfg, Some(&delivered))?.cov_by_pair();
        let pairs = ["E-E", "E-I", "I-I"];
        Ok(PerturbationRun {
            varied: varied.into(),
            j,
            rates_hz: [res.rates_hz["E"], res.rates_hz["I"]],
            theory_rates_hz: [th[0], th[1]],
            cov: pairs.map(|p| res.cov_mean[p]),
            theory_cov: pairs.map(|p| *cov.get(p).expect("a pair of the default network")),
            delivered_hz: delivered[0],
        })
    }
    fn collect(&self, runs: Vec<PerturbationRun>, dir: &RunDir) -> Result<Outcome> {
        perturbation(self, runs, dir)
    }
}

/// Experiment N: rates and covariances against a fixed weight, simulation
/// beside theory; every point's rates are checked against the theory at
/// its delivered external rate.
pub fn perturbation(p: &PerturbationParams, runs: Vec<PerturbationRun>, dir: &RunDir) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut panels = Vec::new();
    // The reference run: default weights (j_ee = 25 or j_ei = −150).
    let defaults = base_config(p.n, p.duration_ms, p.seed, p.c);
    let (j_ee0, j_ei0) = (defaults.network.connections[0].j, defaults.network.connections[1].j);
    let reference = runs.iter().find(|r| (r.varied == "j_ee" && r.j == j_ee0) || (r.varied == "j_ei" && r.j == j_ei0));
    let corrected: Vec<Option<[f64; 2]>> =
        runs.iter().map(|r| reference.map(|rf| p.corrected_rates(rf, r)).transpose()).collect::<Result<_>>()?;
    for varied in ["j_ee", "j_ei"] {
        let idx: Vec<usize> = (0..runs.len()).filter(|&i| runs[i].varied == varied).collect();
        if idx.is_empty() {
            continue;
        }
        let js: Vec<f64> = idx.iter().map(|&i| runs[i].j).collect();
        let col = |f: &dyn Fn(usize) -> f64| idx.iter().map(|&i| f(i)).collect::<Vec<f64>>();
        let mut rates = LinePanel::new(
            format!(
                "Rates against {varied}: simulation (points), leading order at the delivered input (lines), with the reference run's finite-N input kept (dashed)"
            ),
            varied,
            "rate (Hz)",
        );
        let mut cov = LinePanel::new(
            format!("Mean spike-count covariances against {varied} (250 ms): simulation (points), §3.2 (lines)"),
            varied,
            "C̄",
        );
        for (k, name) in ["E", "I"].iter().enumerate() {
            rates = rates
                .with_series(Series::points(*name, js.clone(), col(&|i| runs[i].rates_hz[k])).with_color(k))
                .with_series(
                    Series::line(format!("{name} theory"), js.clone(), col(&|i| runs[i].theory_rates_hz[k]))
                        .with_color(k),
                );
            if reference.is_some() {
                rates = rates.with_series(
                    Series::dashed(
                        format!("{name} corrected"),
                        js.clone(),
                        col(&|i| corrected[i].map_or(f64::NAN, |c| c[k])),
                    )
                    .with_color(k),
                );
            }
        }
        for (k, pair) in ["E-E", "E-I", "I-I"].iter().enumerate() {
            cov =
                cov.with_series(Series::points(*pair, js.clone(), col(&|i| runs[i].cov[k])).with_color(k)).with_series(
                    Series::line(format!("{pair} theory"), js.clone(), col(&|i| runs[i].theory_cov[k])).with_color(k),
                );
        }
        panels.push(rates);
        panels.push(cov);
        for &i in &idx {
            let r = &runs[i];
            let is_reference = reference.is_some_and(|rf| std::ptr::eq(rf, r));
            // Near the edge of balance the rates are off by their own size.
            let near_edge = varied == "j_ei" && r.theory_rates_hz[0] < EDGE_RATE_HZ;
            for (k, name) in ["E", "I"].iter().enumerate() {
                if varied == "j_ee" {
                    checks.push(Check::rel(
                        &format!("j_ee = {}: rate {name} vs leading order", r.j),
                        r.rates_hz[k],
                        r.theory_rates_hz[k],
                        0.10,
                        "§4.2: rates within 5–10 % of the leading order at N = 5000",
                    ));
                    if let (Some(c), false) = (corrected[i], is_reference) {
                        checks.push(Check::rel(
                            &format!("j_ee = {}: rate {name} vs theory with the reference run's net input", r.j),
                            r.rates_hz[k],
                            c[k],
                            0.05,
                            "§3.1 semi-empirical correction: the finite-N net input u = √N(W r + W_x r_x) measured at the default weights, kept as j_ee changes; what is left is sampling noise and the change of u with the rates (a few %)",
                        ));
                    }
                } else if !near_edge {
                    checks.push(Check::rel(
                        &format!("j_ei = {}: rate {name} vs leading order", r.j),
                        r.rates_hz[k],
                        r.theory_rates_hz[k],
                        0.35,
                        "§3.1: O(1/√N) finite-N error, large away from the default j_ei. Measured: the E-rate error at j_ei = −100 falls from 23 % (N = 5000) to 15 % (N = 10000), at −200 from 30 % to 25 %; the constant-net-input correction does not capture it (dashed lines), so this check only bounds it",
                    ));
                } else if k == 0 {
                    checks.push(Check::at_least(
                        &format!("j_ei = {}: rate E minus leading order (Hz, ≥ 0: near the edge of balance)", r.j),
                        r.rates_hz[0] - r.theory_rates_hz[0],
                        0.0,
                        "§3.1: the leading-order E rate falls linearly to 0 at j_ei ≈ −333 (18 + 0.054 j_ei = 0), while the finite network's input fluctuations keep its neurons firing; below ~2 Hz the O(1/√N) shift (≈ +0.9 Hz at −200) is as large as the rate itself, so only its sign is checked there",
                    ));
                }
            }
            // Covariances: order of magnitude (sampling noise of ~30 windows);
            // not near the edge of balance, where the rates themselves are off
            // by their own size.
            if !near_edge {
                checks.push(Check::abs(
                &format!("{varied} = {}: ln(C̄_EE / theory)", r.j),
                (r.cov[0] / r.theory_cov[0]).ln(),
                0.0,
                3f64.ln(),
                "§3.2 leading order; with ~30 windows of 250 ms a population covariance has a relative sd ≈ 0.25 and finite-N corrections add tens of %: the check asks for the right order (within 3×)",
            ));
            }
        }
    }
    let figures = vec![crate::save_lines(
        dir,
        format!("Static network as one weight is varied (experiment N), N = {}, c = {}", p.n, p.c),
        panels,
        "perturbation",
        "Rates and covariances follow the balanced theory as j_ee or j_ei changes: stronger recurrent excitation raises both rates, stronger E←I inhibition lowers the E rate. Along j_ee the finite-N offset is a constant net input (dashed curves, fitted at the default weights, match to a few %); along j_ei it is not, and the simulated rates sit 20–30 % from the leading order at the extremes (an O(1/√N) error: smaller at N = 10000).",
    )?];
    Ok(Outcome {
        title: "N: rates and covariances against fixed weights".into(),
        checks,
        figures,
        results: serde_json::json!(runs),
    })
}
