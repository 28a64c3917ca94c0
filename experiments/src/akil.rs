//! Experiments of Akil, Rosenbaum & Josić (specs/akil.md §4).

use crate::{Check, FigureRef, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb::sim::{RuleConfig, SimConfig, Simulation};
use hebb_theory::weights::{
    PlasticType, WeightTheory, kohonen_beta_c, kohonen_fixed_points, kohonen_mean_fixed_points,
};
use serde::{Deserialize, Serialize};

/// The default static network with N, T, seed and input correlation c
/// set, and no spike raster file (experiments keep what they need).
pub(crate) fn base_config(n: usize, duration_ms: f64, seed: u64, c: f64) -> SimConfig {
    let mut cfg = SimConfig::akil_default();
    cfg.network.n = n;
    cfg.run.duration_ms = duration_ms;
    cfg.run.seed = seed;
    cfg.external[0].c = c;
    cfg.record.spikes = false;
    cfg
}

/// Run a config to the end (checkpointed, see [`crate::run_simulation`]).
pub(crate) fn run(cfg: SimConfig) -> Result<Simulation> {
    crate::run_simulation(cfg)
}

/// The weight theory of a config's plastic types (quasi-static closure with
/// κ = 0; `rx_hz` overrides the external rates; `delta` is the §3.1 input
/// correction, empty for the leading order).
pub(crate) fn weight_theory(cfg: &SimConfig, rx_hz: Option<&[f64]>, delta: Vec<f64>) -> WeightTheory {
    let net = hebb::theory::mean_field(cfg, rx_hz);
    let names: Vec<&str> = cfg.network.populations.iter().map(|p| p.name.as_str()).collect();
    let types = cfg
        .plasticity
        .iter()
        .map(|r| {
            let s = r.synapse();
            let pre = names.iter().position(|&n| n == s.pre).expect("validated");
            let sign = if cfg.network.populations[pre].kind == hebb::core::Kind::Inhibitory { -1.0 } else { 1.0 };
            PlasticType {
                post: names.iter().position(|&n| n == s.post).expect("validated"),
                pre,
                rule: r.build(cfg.network.n, sign),
            }
        })
        .collect();
    WeightTheory { net, types, kappa: 0.0, delta }
}

/// The semi-empirical weight theory of §3.1 for a finished run (experiments
/// C/L and H). At finite N the neurons need an O(1) mean net input R to fire
/// (≈ 0.5 mV/ms here), which the leading order sets to 0, and the mean-field
/// balance misses the weight–rate correlations of the run (the §3.5
/// manifold). Both are kept as measured in `sim` at its final plastic
/// weights `j_end` (the §3.1 mismatch Δ and R): the balance equations
/// become W r + W_x r_x = (R − Δ)/√N, which reproduces the measured rates at
/// the measured weights and moves with W(j). External rates are the
/// realised ones.
pub(crate) fn corrected_theory(cfg: &SimConfig, sim: &Simulation, j_end: &[f64]) -> Result<WeightTheory> {
    let res = sim.results();
    let names: Vec<&str> = cfg.network.populations.iter().map(|p| p.name.as_str()).collect();
    let r_hz: Vec<f64> = names.iter().map(|n| res.rates_hz[*n]).collect();
    let r_in: Vec<f64> = names.iter().map(|n| res.mean_input[*n].total).collect();
    let rx: Vec<f64> = cfg.external.iter().map(|x| res.external_rates_hz[&x.name]).collect();
    let mut net_end = weight_theory(cfg, None, vec![]).network_at(j_end);
    for (layer, r) in net_end.external.iter_mut().zip(&rx) {
        layer.rate_khz = r * 1e-3;
    }
    let mismatch = hebb_theory::weights::input_correction(&net_end, &r_hz, &r_in)?;
    let correction: Vec<f64> = mismatch.iter().zip(&r_in).map(|(d, r)| d - r).collect();
    Ok(weight_theory(cfg, Some(&rx), correction))
}

/// The finite-N balance r_e = A′/(B′ − j) (A′ in kHz) of a finished run at
/// uniform E←E weight `j`: the §3.1 semi-empirical correction keeps the
/// measured net input; the 2×2 balance with j in one entry has exactly
/// this form (Cramer's rule), so two evaluations fix A′ and B′.
pub(crate) fn finite_n_balance(cfg: &SimConfig, sim: &Simulation, j: f64) -> Result<(f64, f64)> {
    // The corrected theory needs a plastic E←E type to vary j along (any
    // rule: only the rates are used).
    let mut with_rule = cfg.clone();
    if with_rule.plasticity.is_empty() {
        with_rule.plasticity = vec![hebb::sim::RuleConfig::Kohonen {
            synapse: "E<-E".parse().expect("a valid synapse type"),
            eta: 1e-3,
            beta: 2.0,
            tau_stdp_ms: 200.0,
        }];
    }
    let theory = corrected_theory(&with_rule, sim, &[j])?;
    let inv_rate = |j: f64| -> Result<f64> { Ok(1e3 / theory.at(&[j])?.rates_hz[0]) };
    let (inv0, inv1) = (inv_rate(j)?, inv_rate(j + 1.0)?);
    let a_khz = 1.0 / (inv0 - inv1);
    Ok((a_khz, j + inv0 * a_khz))
}

/// How a Hebbian-type synapse type relaxes per synapse (§3.3 applied to one
/// synapse with its own pre- and postsynaptic rates): the linear rate
/// λ = η·(a·r_post + b·τ·r_pre·r_post) per ms (rates in kHz).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Relaxation {
    /// η.
    pub(crate) eta: f64,
    /// Coefficient of r_post (Kohonen: its depression −ηJ per post spike).
    pub(crate) a: f64,
    /// Coefficient of τ r_pre r_post (soft Hebbian: 1, its depression
    /// −η x_post J; weight-dependent: γ₊ − γ₋ = 2).
    pub(crate) b: f64,
    /// Trace τ (ms).
    pub(crate) tau_ms: f64,
}

/// Mean over E→E synapses of exp(−λ_jk t), averaged over the late record
/// times `t_ms`, with λ_jk from the neurons' measured rates (kHz): the
/// fraction of the initial offset a weight still holds if each synapse
/// relaxes exponentially towards its fixed point at the rates the network
/// has late in the run. Synapses onto (or between) nearly silent neurons
/// barely move, which is why the population mean lags the mean-field
/// fixed point (experiments F and I saw the same). Pairs are averaged over
/// an evenly strided subsample of ≤ 400 post × 400 pre E neurons
/// (connections are independent Bernoulli draws, so every pair is equally
/// likely to be a synapse). Used by experiments B (plastic), D and F.
pub(crate) fn lag_factor(rates_e_khz: &[f64], rel: Relaxation, t_ms: &[f64]) -> f64 {
    let stride = rates_e_khz.len().div_ceil(400).max(1);
    let sub: Vec<f64> = rates_e_khz.iter().step_by(stride).copied().collect();
    let mut total = 0.0;
    for &t in t_ms {
        let mut s = 0.0;
        for &post in &sub {
            for &pre in &sub {
                s += (-rel.eta * (rel.a * post + rel.b * rel.tau_ms * pre * post) * t).exp();
            }
        }
        total += s / (sub.len() * sub.len()) as f64;
    }
    total / t_ms.len() as f64
}

/// The sampled synapses of the first plastic type at the last weight record:
/// (presynaptic neuron, postsynaptic neuron, j). The recorder keeps CSR
/// positions; the row (presynaptic neuron) of a position is found from the
/// row offsets, its target is the postsynaptic neuron.
pub(crate) fn sampled_synapses(sim: &Simulation) -> Vec<(usize, usize, f64)> {
    let w = &sim.recorder.weights;
    let positions = &w.sample_positions[0];
    // `sample_j` is laid out [record][type][sample].
    let per_record: usize = w.sample_positions.iter().map(Vec::len).sum();
    let last = &w.sample_j[(w.t_ms.len() - 1) * per_record..][..positions.len()];
    let csr = &sim.network.recurrent;
    let (offsets, targets) = (csr.offsets(), csr.targets());
    positions
        .iter()
        .zip(last)
        .map(|(&pos, &j)| (offsets.partition_point(|&o| o <= pos) - 1, targets[pos as usize] as usize, j as f64))
        .collect()
}

/// ⟨J r_pre⟩/(j̄ r̄_pre) over sampled synapses, with neuron rates `rates`
/// (any unit): 1 when weights and presynaptic rates are uncorrelated,
/// 1 + CV² of the rates when every synapse sits at a value proportional to
/// its presynaptic rate (Kohonen's βτ r_pre, §3.5). The mean-field balance
/// of §3.1 assumes 1.
pub(crate) fn input_factor(synapses: &[(usize, usize, f64)], rates: &[f64]) -> f64 {
    let n = synapses.len() as f64;
    let mean_jr = synapses.iter().map(|&(pre, _, j)| j * rates[pre]).sum::<f64>() / n;
    let mean_j = synapses.iter().map(|s| s.2).sum::<f64>() / n;
    let mean_r = synapses.iter().map(|&(pre, _, _)| rates[pre]).sum::<f64>() / n;
    mean_jr / (mean_j * mean_r)
}

/// Squared coefficient of variation of `rates`.
pub(crate) fn cv2(rates: &[f64]) -> f64 {
    let n = rates.len() as f64;
    let mean = rates.iter().sum::<f64>() / n;
    rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n / (mean * mean)
}

/// Mean weight of plastic type `p` over the records: (t in s, j).
pub(crate) fn weight_series(sim: &Simulation, p: usize) -> (Vec<f64>, Vec<f64>) {
    let w = &sim.recorder.weights;
    let k = w.types.len();
    (w.t_ms.iter().map(|t| t * 1e-3).collect(), (0..w.t_ms.len()).map(|r| w.mean_j[r * k + p]).collect())
}

// ------------------------------------------------------------------------
// A: the balanced demo network against the theory of rates, inputs and
// covariances.

/// Parameters of experiment A.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time (ms).
    pub duration_ms: f64,
    /// Input correlation c.
    pub c: f64,
    /// Seed.
    pub seed: u64,
}

impl Params for DemoParams {
    fn preset(tier: Tier) -> Self {
        let duration_ms = match tier {
            Tier::Quick => 6_000.0,
            Tier::Default => 50_000.0,
            Tier::Paper => 50_000.0,
        };
        Self { n: 5000, duration_ms, c: 0.1, seed: 31415 }
    }
}

/// Experiment A: the static default network at N = 5000 — rates against the
/// balanced theory at the delivered external rate, the O(√N) E+X and I
/// inputs cancelling to O(1), and covariances against §3.2.
pub fn demo(p: &DemoParams, dir: &RunDir) -> Result<Outcome> {
    let cfg = base_config(p.n, p.duration_ms, p.seed, p.c);
    let sim = run(cfg.clone())?;
    let res = sim.results();
    hebb::report::figures(dir, &sim, &res)?;
    let delivered = [res.external_rates_hz["X"]];
    let th = hebb::theory::rates(&cfg, Some(&delivered))?.rates_hz();
    let cov = hebb::theory::covariances(&cfg, Some(&delivered))?.cov_by_pair();
    let mut checks = vec![
        Check::rel(
            "rate E (Hz) vs theory at the delivered input",
            res.rates_hz["E"],
            th[0],
            0.10,
            "§4.2: rates within 5–10 % of the leading order at N = 5000 (finite-N O(1/√N))",
        ),
        Check::rel(
            "rate I (Hz) vs theory at the delivered input",
            res.rates_hz["I"],
            th[1],
            0.10,
            "§4.2, as above; the I rate sits lowest at finite N",
        ),
    ];
    let m = &res.mean_input["E"];
    checks.push(Check::abs(
        "net input to E / (E+X input)",
        m.total / (m.e + m.x),
        0.0,
        0.25,
        "§3.1: E+X and I inputs are O(√N) and cancel to O(1); at N = 5000 the remainder is a few tenths of the O(√N) terms",
    ));
    for pair in ["E-E", "E-I", "I-I"] {
        let (v, t) = (res.cov_mean[pair], *cov.get(pair).unwrap());
        // Compared on a log scale: |ln(v/t)| ≤ ln 3. With ~10 windows of
        // 250 ms in the quick tier the estimate of a population covariance
        // has a relative sd near √(2/9) ≈ 0.5; the check asks for the right
        // order, as §4.2 allows 20–30 % only for long runs.
        checks.push(Check::abs(
            &format!("ln(cov {pair} / theory)"),
            (v / t).ln(),
            0.0,
            3f64.ln(),
            "§3.2 leading order; log tolerance for the short run's sampling noise",
        ));
    }
    Ok(Outcome {
        title: "A: balanced network — rates, inputs and covariances against the mean-field theory".into(),
        checks,
        figures: vec![FigureRef {
            png: "figures/overview.png".into(),
            caption: "Raster, population rates beside the theory (dashed), and the E+X and I inputs cancelling to a small total.".into(),
        }],
        results: serde_json::json!({ "rates_hz": res.rates_hz, "theory_rates_hz": th, "external_rates_hz": res.external_rates_hz, "cov_mean": res.cov_mean }),
    })
}

// ------------------------------------------------------------------------
// C + L: Kohonen on E←E, fixed points against β and the transient against
// the mean-field ODE.

/// Parameters of experiment C.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KohonenParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time per β (ms).
    pub duration_ms: f64,
    /// Learning rate η.
    pub eta: f64,
    /// The β√N values.
    pub betas: Vec<f64>,
    /// Initial j_ee.
    pub j_ee0: f64,
    /// j_ei (fixed).
    pub j_ei: f64,
    /// Seed.
    pub seed: u64,
}

impl Params for KohonenParams {
    fn preset(tier: Tier) -> Self {
        match tier {
            Tier::Quick => Self {
                n: 2000,
                duration_ms: 30_000.0,
                eta: 0.02,
                betas: vec![1.0, 2.0, 3.0],
                j_ee0: 1.0,
                j_ei: -100.0,
                seed: 1,
            },
            // Up to the spec's largest β = 4, past the observed loss of the
            // fixed point.
            Tier::Default => Self {
                n: 5000,
                duration_ms: 100_000.0,
                eta: 0.01,
                betas: vec![1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
                j_ee0: 1.0,
                j_ei: -100.0,
                seed: 1,
            },
            Tier::Paper => Self {
                n: 5000,
                duration_ms: 200_000.0,
                eta: 0.01,
                betas: (0..16).map(|i| 1.0 + 0.2 * i as f64).collect(),
                j_ee0: 1.0,
                j_ei: -100.0,
                seed: 1,
            },
        }
    }
}

/// One simulation of experiments C/L: the Kohonen run at one β.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KohonenRun {
    /// β√N.
    pub beta: f64,
    /// Record times (s) and the simulated mean j_ee.
    pub t_s: Vec<f64>,
    /// Simulated mean j_ee at `t_s`.
    pub j: Vec<f64>,
    /// The corrected ODE: times (s) and j_ee.
    pub ode_t_s: Vec<f64>,
    /// The corrected ODE's j_ee.
    pub ode_j: Vec<f64>,
    /// Leading-order stable fixed point j*₋ and its relaxation time (s).
    pub j_star: f64,
    /// Relaxation time of the fixed point (s).
    pub relaxation_s: f64,
    /// Time (s) at which runaway activity (the spike cap) stopped the run,
    /// if it did: past the saddle-node no fixed point holds the weights.
    #[serde(default)]
    pub runaway_at_s: Option<f64>,
    /// Squared coefficient of variation of the E neurons' rates over the
    /// run's second half (`None` for a runaway run).
    #[serde(default)]
    pub rate_cv2_e: Option<f64>,
    /// Bounded runs: the fully relaxed Kohonen state this run's network
    /// predicts once every synapse sits at βτ r_pre (see [`SpreadKohonen`]).
    #[serde(default)]
    pub spread: Option<SpreadKohonen>,
}

/// Kohonen's fixed points once every E←E synapse sits at βτ r_pre (§3.5),
/// from one bounded run (semi-empirical, in the spirit of §3.1). The run's
/// E←E input per unit mean weight, ⟨J r⟩/(j̄ r̄) = ζ, goes into an effective
/// coupling j_eff = ζ j̄ before the §3.1 input mismatch is measured, so the
/// mismatch keeps only the other finite-N effects; the corrected balance is
/// then exactly r_e = A′/(B′ − j_eff). With every synapse relaxed,
/// j_eff = (1 + CV²)·j̄ and Kohonen's fixed point is the §3.4 closed form
/// with A′, B′ and (1 + CV²)β (see `kohonen_mean_fixed_points`): the
/// saddle-node moves down to B′²/(4τA′)/(1 + CV²).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpreadKohonen {
    /// ζ = ⟨J r_pre⟩/(j̄ r̄) over the sampled synapses at the end of the run.
    pub input_factor: f64,
    /// A′ (kHz) of the corrected r_e = A′/(B′ − j_eff).
    pub a_khz: f64,
    /// B′.
    pub b: f64,
    /// Mean weight of the stable fixed point with all synapses relaxed
    /// (`None` past the saddle-node).
    pub j_relaxed: Option<f64>,
    /// The saddle-node β√N with the measured rate spread.
    pub beta_c: f64,
}

impl crate::Sweep for KohonenParams {
    type Task = KohonenRun;
    /// One task per β.
    fn task_count(&self) -> usize {
        self.betas.len()
    }
    fn run_task(&self, index: usize) -> Result<KohonenRun> {
        let (p, beta) = (self, self.betas[index]);
        let mut cfg = base_config(p.n, p.duration_ms, p.seed, 0.0);
        cfg.record.weight_interval_ms = 500.0;
        cfg.record.weight_sample = 2000;
        cfg.network.connections[0].j = p.j_ee0;
        cfg.network.connections[1].j = p.j_ei;
        cfg.plasticity =
            vec![RuleConfig::Kohonen { synapse: "E<-E".parse().unwrap(), eta: p.eta, beta, tau_stdp_ms: 200.0 }];
        // Past the saddle-node the weights grow until activity runs away:
        // an outcome here, kept with what was recorded.
        let (sim, runaway) = crate::run_simulation_keeping_runaway(cfg.clone())?;
        let (t_s, j) = weight_series(&sim, 0);
        // Theory with the realised sizes: A and B of r_e = A/(B − j).
        let star = weight_theory(&cfg, None, vec![]).fixed_point(&[p.j_ee0])?;
        if runaway.is_some() {
            return Ok(KohonenRun {
                beta,
                t_s,
                j,
                ode_t_s: Vec::new(),
                ode_j: Vec::new(),
                j_star: star.state.j[0],
                relaxation_s: star.relaxation_ms * 1e-3,
                runaway_at_s: Some(sim.steps_done() as f64 * sim.grid().dt_ms * 1e-3),
                rate_cv2_e: None,
                spread: None,
            });
        }
        // The semi-empirical ODE (§3.1, experiment L). At finite N the
        // neurons need an O(1) mean net input R to fire (≈ 0.5 mV/ms here),
        // which the leading order sets to 0: rates then sit ~20 % below the
        // leading order at N = 2000–5000, and j* = βτr_e with them. We keep
        // R and the §3.1 mismatch Δ measured in this run: the balance
        // equations become W r + W_x r_x = (R − Δ)/√N, which reproduces the
        // measured rates at the measured weights and moves with W(j).
        let theory = corrected_theory(&cfg, &sim, &[*j.last().expect("weights are recorded")])?;
        let ode = theory.integrate(&[p.j_ee0], p.duration_ms, 50.0, 10)?;
        let n_e = cfg.population_sizes()[0];
        let rates_e = &sim.results().neuron_rates_hz[..n_e];
        let rate_cv2_e = cv2(rates_e);
        let spread = spread_kohonen(&cfg, &sim, beta, rate_cv2_e)?;
        Ok(KohonenRun {
            beta,
            t_s,
            j,
            ode_t_s: ode.iter().map(|s| s.0 * 1e-3).collect(),
            ode_j: ode.iter().map(|s| s.1.j[0]).collect(),
            j_star: star.state.j[0],
            relaxation_s: star.relaxation_ms * 1e-3,
            runaway_at_s: None,
            rate_cv2_e: Some(rate_cv2_e),
            spread: Some(spread),
        })
    }
    fn collect(&self, runs: Vec<KohonenRun>, dir: &RunDir) -> Result<Outcome> {
        kohonen(self, runs, dir)
    }
}

/// [`SpreadKohonen`] of a finished bounded Kohonen run at β√N = `beta` whose
/// E rates have squared CV `rate_cv2`.
fn spread_kohonen(cfg: &SimConfig, sim: &Simulation, beta: f64, rate_cv2: f64) -> Result<SpreadKohonen> {
    let n_e = cfg.population_sizes()[0];
    let zeta = input_factor(&sampled_synapses(sim), &sim.results().neuron_rates_hz[..n_e]);
    let (_, j) = weight_series(sim, 0);
    let j_eff = zeta * j.last().expect("weights are recorded");
    let (a_khz, b) = finite_n_balance(cfg, sim, j_eff)?;
    let tau_ms = 200.0;
    Ok(SpreadKohonen {
        input_factor: zeta,
        a_khz,
        b,
        j_relaxed: kohonen_mean_fixed_points(a_khz, b, beta, tau_ms, rate_cv2).map(|f| f.0),
        beta_c: kohonen_beta_c(a_khz, b, tau_ms) / (1.0 + rate_cv2),
    })
}

/// Experiments C and L: for each β, the mean j_ee(t) of a Kohonen E←E run
/// beside the quasi-static ODE integrated with the same η, and the final
/// weight beside the stable fixed point j*₋(β) of §3.4. `runs` are the
/// tasks' outputs, one per β.
pub fn kohonen(p: &KohonenParams, runs: Vec<KohonenRun>, dir: &RunDir) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut traj = LinePanel::new(
        "Kohonen E←E: mean j_ee(t), simulation (solid) and the corrected mean-field ODE (dashed)",
        "time (s)",
        "mean j_ee",
    );
    let mut fixed = LinePanel::new(
        "Fixed point against β: theory j*₋(β) (line) and the simulations' final weight (points)",
        "β√N",
        "j_ee",
    );
    let (mut b_sim, mut j_sim) = (Vec::new(), Vec::new());
    let mut results = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let beta = r.beta;
        traj = traj.with_series(Series::line(format!("β = {beta}"), r.t_s.clone(), r.j.clone()).with_color(i));
        let j_end = *r.j.last().expect("weights are recorded");
        if let Some(t) = r.runaway_at_s {
            results.push(
                serde_json::json!({ "beta": beta, "runaway_at_s": t, "j_at_runaway": j_end, "j_star": r.j_star }),
            );
            continue;
        }
        traj = traj
            .with_series(Series::dashed(format!("ODE β = {beta}"), r.ode_t_s.clone(), r.ode_j.clone()).with_color(i));
        let j_ode = *r.ode_j.last().expect("the ODE has steps");
        b_sim.push(beta);
        j_sim.push(j_end);
        // Within 15 % of the saddle-node that the rate spread predicts, the
        // relaxation slows (its rate vanishes like √(β_c − β)) and the mean-rate
        // ODE, whose own saddle-node is the far larger leading-order one, no
        // longer describes the transient: reported, not checked.
        let near_saddle = r.spread.as_ref().is_some_and(|s| beta > 0.85 * s.beta_c);
        if !near_saddle {
            checks.push(Check::rel(
                &format!("β = {beta}: final mean j_ee vs the ODE at the same time"),
                j_end,
                j_ode,
                0.30,
                "§4.2: mean-field ODE checks agree with simulations within ~4–30 %; here the ODE keeps the measured net input and Δ (§3.1) fixed while they drift with j, and drops the O(1/N) covariance term",
            ));
        }
        let j_spread =
            r.rate_cv2_e.and_then(|cv2| kohonen_mean_fixed_points(0.315, 45.0, beta, 200.0, cv2)).map(|f| f.0);
        results.push(serde_json::json!({ "beta": beta, "j_final": j_end, "j_ode": j_ode, "j_star": r.j_star,
            "relaxation_s": r.relaxation_s, "rate_cv2_e": r.rate_cv2_e, "j_star_leading_order_with_rate_spread": j_spread,
            "spread": r.spread, "near_saddle_node": near_saddle }));
    }
    // Where the fixed point is lost. §4.1 C: the simulations run away for
    // β ≳ 3.3, far below the leading-order saddle-node β_c = B²/(4τA). With
    // every synapse at βτ r_pre the balance sees (1 + CV²)β (§3.5), which
    // moves the saddle-node down by that factor; the estimate is taken from
    // the bounded run with the largest β (its measured A′, B′ and CV²).
    let bounded_max = runs.iter().filter(|r| r.runaway_at_s.is_none()).max_by(|a, b| a.beta.total_cmp(&b.beta));
    let runaway_min = runs.iter().filter(|r| r.runaway_at_s.is_some()).map(|r| r.beta).reduce(f64::min);
    let beta_c_lo = kohonen_beta_c(0.315, 45.0, 200.0);
    if let (Some(lo), Some(hi)) = (bounded_max, runaway_min) {
        let predicted = lo.spread.as_ref().map_or(f64::NAN, |s| s.beta_c);
        checks.push(Check::at_most(
            &format!("smallest β that runs away ({hi}) over the leading-order saddle-node β_c = {beta_c_lo:.2}"),
            hi / beta_c_lo,
            0.6,
            "§4.1 C: the simulations lose the stable fixed point far below the theoretical β_c (the authors: at β ≈ 3.3)",
        ));
        let (lower, upper) = (lo.beta.min(hi), hi.max(lo.beta));
        checks.push(Check::abs(
            &format!(
                "saddle-node with the measured rate spread, B′²/(4τA′)/(1 + CV²) at β = {}, against the observed loss between β = {lower} and {upper}",
                lo.beta
            ),
            predicted,
            0.5 * (lower + upper),
            0.5 * (upper - lower) + 0.1 * predicted,
            "§3.5: per-synapse fixed points βτ r_pre make the input βτ⟨r²⟩; tolerance: the bracket of the sweep plus 10 % (CV² grows with β, by ~10 % between β = 3 and 3.5 at N = 5000)",
        ));
    }
    // A run that ran away would take over the time panel's scale: fit it
    // to the bounded runs and their ODEs (the runaway climbs off the top).
    if runs.iter().any(|r| r.runaway_at_s.is_some()) {
        let top = runs
            .iter()
            .filter(|r| r.runaway_at_s.is_none())
            .flat_map(|r| r.j.iter().chain(&r.ode_j))
            .fold(0.0f64, |m, &x| m.max(x));
        if top > 0.0 {
            traj.y_range = Some((0.0, 1.1 * top));
        }
    }
    // The closed form of §3.4 for j_ei = −100: r_e = 0.315/(45 − j) kHz.
    let betas: Vec<f64> = (0..=60).map(|i| 0.5 + 0.05 * i as f64).collect();
    let (bb, jj): (Vec<f64>, Vec<f64>) =
        betas.iter().filter_map(|&b| kohonen_fixed_points(0.315, 45.0, b, 200.0).map(|(lo, _)| (b, lo))).unzip();
    let (b_relaxed, j_relaxed): (Vec<f64>, Vec<f64>) =
        runs.iter().filter_map(|r| r.spread.as_ref().and_then(|s| s.j_relaxed).map(|j| (r.beta, j))).unzip();
    fixed = fixed
        .with_series(Series::line("theory j*₋(β)", bb, jj))
        .with_series(Series::points("simulation, final", b_sim, j_sim))
        .with_series(Series::points("all synapses at βτ r_pre (measured spread)", b_relaxed, j_relaxed));
    if let Some(s) = bounded_max.and_then(|r| r.spread.as_ref()) {
        fixed = fixed.with_series(Series::dashed(
            format!("saddle-node with the rate spread (β = {:.2})", s.beta_c),
            vec![s.beta_c; 2],
            vec![0.0, 5.0],
        ));
    }
    if let Some(r2) = runs.iter().find(|r| r.beta == 2.0) {
        checks.push(Check::abs(
            "β = 2: stable fixed point j*₋ (theory)",
            r2.j_star,
            3.0,
            0.01,
            "§3.4: j* = 3.000 at β = 2, j_ei = −100",
        ));
    }
    let figures = vec![crate::save_lines(
        dir,
        format!("Kohonen plasticity on E←E (experiments C and L), N = {}, η = {}", p.n, p.eta),
        vec![traj, fixed],
        "kohonen",
        "Solid: simulated mean j_ee; dashed: the mean-field ODE with the measured finite-N input correction. The simulations rise more slowly than the ODE (synapses onto slow neurons lag) and end below the leading-order branch j*₋(β): finite-N rates sit below the leading order and j* = βτr_e scales with them. Past the saddle-node (dashed vertical), which the rate spread moves far below the leading-order β_c, activity runs away.",
    )?];
    Ok(Outcome {
        title: "C/L: Kohonen E←E — transients against the ODE, fixed points against β".into(),
        checks,
        figures,
        results: serde_json::json!(results),
    })
}

// ------------------------------------------------------------------------
// E/H: iSTDP on E←I pins the E rate.

/// Parameters of experiment E.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IstdpParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time (ms).
    pub duration_ms: f64,
    /// η₀.
    pub eta0: f64,
    /// J_norm (j units).
    pub j_norm: f64,
    /// Target E rate (Hz).
    pub rho_e_hz: f64,
    /// Initial j_ei.
    pub j_ei0: f64,
    /// Input correlation c.
    pub c: f64,
    /// Seed.
    pub seed: u64,
}

impl Params for IstdpParams {
    fn preset(tier: Tier) -> Self {
        let base = Self {
            n: 2000,
            duration_ms: 40_000.0,
            eta0: 5e-3,
            j_norm: -200.0,
            rho_e_hz: 10.0,
            j_ei0: -150.0,
            c: 0.0,
            seed: 2,
        };
        match tier {
            Tier::Quick => base,
            Tier::Default => Self { n: 5000, duration_ms: 500_000.0, eta0: 1e-4, ..base },
            Tier::Paper => Self { n: 5000, duration_ms: 10_000_000.0, eta0: 1e-4, ..base },
        }
    }
}

/// Experiment E: iSTDP on E←I drives the E rate to ρ_e and mean j_ei to the
/// fixed point of §3.4 (−119.66 at leading order); the ODE tracks the way.
pub fn istdp(p: &IstdpParams, dir: &RunDir) -> Result<Outcome> {
    let mut cfg = base_config(p.n, p.duration_ms, p.seed, p.c);
    cfg.record.burn_in_fraction = 0.75;
    cfg.record.weight_interval_ms = 500.0;
    cfg.record.rate_bin_ms = 500.0;
    cfg.network.connections[1].j = p.j_ei0;
    cfg.plasticity = vec![RuleConfig::Homeostatic {
        synapse: "E<-I".parse().unwrap(),
        eta0: p.eta0,
        j_norm: p.j_norm,
        rho_hz: p.rho_e_hz,
        tau_stdp_ms: 200.0,
    }];
    let sim = run(cfg.clone())?;
    let res = sim.results();
    let (t, j) = weight_series(&sim, 0);
    let theory = weight_theory(&cfg, Some(&[res.external_rates_hz["X"]]), vec![]);
    let star = theory.fixed_point(&[p.j_ei0])?;
    let nominal = weight_theory(&cfg, None, vec![]).fixed_point(&[p.j_ei0])?;
    let ode = theory.integrate(&[p.j_ei0], p.duration_ms, 100.0, 5)?;
    let j_end = *j.last().unwrap();
    // The semi-empirical theory of §3.1/§3.5: the balance with the run's
    // measured net input and mismatch kept (the finite-N part the leading
    // order drops), solved again for the weight that pins r_e = ρ_e.
    let corrected = corrected_theory(&cfg, &sim, &[j_end])?.fixed_point(&[j_end])?;
    let checks = vec![
        Check::rel(
            "final mean j_ei vs the semi-empirical fixed point (measured net input, §3.1, §3.5)",
            j_end,
            corrected.state.j[0],
            0.05,
            "issue acceptance: j_ei to the corrected theory; §4.2 fixed-point weights within ~5 %",
        ),
        Check::abs(
            "E rate over the last quarter (Hz) vs ρ_e",
            res.rates_hz["E"],
            p.rho_e_hz,
            0.5,
            "issue acceptance and §4.2: iSTDP rates within 0.5 Hz of the target",
        ),
        Check::rel(
            "final mean j_ei vs the fixed point of §3.4",
            j_end,
            star.state.j[0],
            0.05,
            "§4.2: fixed-point weights within ~5 % (leading order; finite-N O(1/√N) and the residual transient)",
        ),
        Check::abs(
            "theory fixed point j_ei* (leading order, r_x = 10 Hz, c = 0)",
            nominal.state.j[0],
            -119.658,
            0.01,
            "§3.4: −119.658 (the authors' −119.6581)",
        ),
    ];
    let mut wp =
        LinePanel::new("iSTDP on E←I: mean j_ei(t), simulation and mean-field ODE (dashed)", "time (s)", "mean j_ei");
    wp = wp
        .with_series(Series::line("simulation", t, j).with_color(0))
        .with_series(
            Series::dashed("ODE", ode.iter().map(|s| s.0 * 1e-3).collect(), ode.iter().map(|s| s.1.j[0]).collect())
                .with_color(0),
        )
        .with_series(
            Series::dashed("fixed point", vec![0.0, p.duration_ms * 1e-3], vec![star.state.j[0]; 2]).with_color(3),
        )
        .with_series(
            Series::dashed(
                "semi-empirical fixed point",
                vec![0.0, p.duration_ms * 1e-3],
                vec![corrected.state.j[0]; 2],
            )
            .with_color(2),
        );
    let mut rp = LinePanel::new("Population rates", "time (s)", "rate (Hz)");
    for (k, name) in ["E", "I"].iter().enumerate() {
        rp = rp.with_series(
            Series::line(*name, res.bin_t_ms.iter().map(|t| t * 1e-3).collect(), res.bin_rates_hz[k].clone())
                .with_color(k),
        );
    }
    rp = rp.with_series(Series::dashed("ρ_e", vec![0.0, p.duration_ms * 1e-3], vec![p.rho_e_hz; 2]).with_color(0));
    let figures = vec![crate::save_lines(
        dir,
        "Inhibitory STDP on E←I (experiment E)".into(),
        vec![wp, rp],
        "istdp",
        "The E rate climbs to its target ρ_e as inhibition onto E weakens; the mean weight follows the dashed ODE to the fixed point.",
    )?];
    Ok(Outcome {
        title: "E: inhibitory STDP on E←I pins the excitatory rate".into(),
        checks,
        figures,
        results: serde_json::json!({ "rates_hz": res.rates_hz, "j_ei_final": j_end, "j_ei_star": star.state.j[0], "j_ei_semi_empirical": corrected.state.j[0], "relaxation_s": star.relaxation_ms * 1e-3 }),
    })
}

// ------------------------------------------------------------------------
// M: iSTDP on E←I and I←I together pins both rates.

/// Parameters of experiment M.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IstdpPairParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time (ms).
    pub duration_ms: f64,
    /// η₀ of the E←I rule.
    pub eta0_ei: f64,
    /// η₀ of the I←I rule.
    pub eta0_ii: f64,
    /// Target rates (ρ_e, ρ_i) in Hz.
    pub rho_hz: [f64; 2],
    /// Normalisers (E←I, I←I), j units.
    pub j_norm: [f64; 2],
    /// Seed.
    pub seed: u64,
}

impl Params for IstdpPairParams {
    fn preset(tier: Tier) -> Self {
        let base = Self {
            n: 2000,
            duration_ms: 80_000.0,
            eta0_ei: 5e-3,
            eta0_ii: 2e-3,
            rho_hz: [10.0, 23.0],
            j_norm: [-200.0, -200.0],
            seed: 4,
        };
        match tier {
            Tier::Quick => base,
            // The spec's equal rates (1e-4, 1e-4) need its 5000 s: at 500 s
            // the weights are still far from the fixed point and r_e ≈ 5.5 Hz
            // (default run of 2026-11-30). Ten times faster learning covers
            // the same path in the default tier's 500 s; §4.1 M: the rates
            // are pinned whatever the learning rates.
            Tier::Default => Self { n: 5000, duration_ms: 500_000.0, eta0_ei: 1e-3, eta0_ii: 1e-3, ..base },
            Tier::Paper => Self { n: 5000, duration_ms: 5_000_000.0, eta0_ei: 1e-4, eta0_ii: 1e-4, ..base },
        }
    }
}

/// Experiment M: with iSTDP on E←I and I←I the rates are pinned to
/// (ρ_e, ρ_i) and the weights go to the solution of the two balance
/// equations with r = ρ (§3.4), whatever the learning rates.
pub fn istdp_pair(p: &IstdpPairParams, dir: &RunDir) -> Result<Outcome> {
    let mut cfg = base_config(p.n, p.duration_ms, p.seed, 0.0);
    cfg.record.burn_in_fraction = 0.75;
    cfg.record.weight_interval_ms = 500.0;
    cfg.record.rate_bin_ms = 500.0;
    cfg.plasticity = vec![
        RuleConfig::Homeostatic {
            synapse: "E<-I".parse().unwrap(),
            eta0: p.eta0_ei,
            j_norm: p.j_norm[0],
            rho_hz: p.rho_hz[0],
            tau_stdp_ms: 200.0,
        },
        RuleConfig::Homeostatic {
            synapse: "I<-I".parse().unwrap(),
            eta0: p.eta0_ii,
            j_norm: p.j_norm[1],
            rho_hz: p.rho_hz[1],
            tau_stdp_ms: 200.0,
        },
    ];
    let sim = run(cfg.clone())?;
    let res = sim.results();
    let star = weight_theory(&cfg, None, vec![]).fixed_point(&[-150.0, -250.0])?;
    let (t, j_ei) = weight_series(&sim, 0);
    let (_, j_ii) = weight_series(&sim, 1);
    let mut checks = vec![
        Check::abs(
            "E rate over the last quarter (Hz) vs ρ_e",
            res.rates_hz["E"],
            p.rho_hz[0],
            0.5,
            "§4.2: iSTDP rates within 0.5 Hz of the target",
        ),
        Check::abs("I rate over the last quarter (Hz) vs ρ_i", res.rates_hz["I"], p.rho_hz[1], 0.5, "§4.2, as above"),
    ];
    // The weights that give the target rates solve the balance equations
    // (W r + W_x r_x)_a = R_a/√N. The leading order sets the net input R to
    // 0 (→ j* of §3.4); at N = 2000 the neurons need R ≈ 0.5 mV/ms, which
    // moves the weights by ~30 %. With R measured in this run, the same
    // equations predict the weights the rule should find.
    let net = hebb::theory::mean_field(&cfg, Some(&[res.external_rates_hz["X"]]));
    let m = net.matrices()?;
    let sqrt_n = net.n_total().sqrt();
    let (re, ri) = (res.rates_hz["E"] * 1e-3, res.rates_hz["I"] * 1e-3);
    let q_i = net.pops[1].size / net.n_total();
    let corrected = |a: usize, name: &str| -> f64 {
        let input = res.mean_input[name].total / sqrt_n;
        (input - m.w[a][0] * re - m.w_x[a][0] * m.r_x_khz[0]) / (0.1 * q_i * ri)
    };
    for (a, name, pop, series) in [(0, "j_ei", "E", &j_ei), (1, "j_ii", "I", &j_ii)] {
        checks.push(Check::rel(
            &format!("final mean {name} vs the balance equations with the measured net input"),
            *series.last().unwrap(),
            corrected(a, pop),
            0.10,
            "§3.1/§3.4 consistency with the finite-N net input R kept: holds when the mean-field input accounting is exact (Δ ≈ 0); weight–rate correlations or a recording error would break it. Not a prediction of R itself",
        ));
    }
    let mut wp =
        LinePanel::new("Mean inhibitory weights (solid) and the fixed point of §3.4 (dashed)", "time (s)", "mean j");
    let end = p.duration_ms * 1e-3;
    wp = wp
        .with_series(Series::line("j_ei", t.clone(), j_ei).with_color(0))
        .with_series(Series::line("j_ii", t, j_ii).with_color(1))
        .with_series(Series::dashed("j_ei*", vec![0.0, end], vec![star.state.j[0]; 2]).with_color(0))
        .with_series(Series::dashed("j_ii*", vec![0.0, end], vec![star.state.j[1]; 2]).with_color(1));
    let mut rp = LinePanel::new("Population rates and their targets (dashed)", "time (s)", "rate (Hz)");
    for (k, name) in ["E", "I"].iter().enumerate() {
        rp = rp
            .with_series(
                Series::line(*name, res.bin_t_ms.iter().map(|t| t * 1e-3).collect(), res.bin_rates_hz[k].clone())
                    .with_color(k),
            )
            .with_series(
                Series::dashed(format!("ρ_{}", name.to_lowercase()), vec![0.0, end], vec![p.rho_hz[k]; 2])
                    .with_color(k),
            );
    }
    let figures = vec![crate::save_lines(
        dir,
        "iSTDP on E←I and I←I (experiment M)".into(),
        vec![wp, rp],
        "istdp_pair",
        "Both rates settle on their targets (dashed); the weights settle where the finite-N network is balanced at those rates, away from the leading-order fixed point of §3.4 (dashed) at the quick tier's N = 2000.",
    )?];
    Ok(Outcome {
        title: "M: iSTDP on E←I and I←I pins both rates".into(),
        checks,
        figures,
        results: serde_json::json!({ "rates_hz": res.rates_hz, "j_star_leading_order": star.state.j, "note": "the leading-order weights are reached only as N grows (errors O(1/sqrt N), experiment B)" }),
    })
}

// ------------------------------------------------------------------------
// B (static part): rates and covariances as N grows.

/// Parameters of experiment B.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingParams {
    /// Network sizes N.
    pub ns: Vec<usize>,
    /// Input correlations c (0 and one c > 0).
    pub cs: Vec<f64>,
    /// Simulated time per run (ms).
    pub duration_ms: f64,
    /// Fraction of each run discarded.
    pub burn_in_fraction: f64,
    /// Sizes at which the networks at the soft Hebbian and Kohonen fixed
    /// points run (see `akil_fixed_point_networks`).
    #[serde(default)]
    pub fixed_point_ns: Vec<usize>,
    /// Simulated time of each fixed-point pass (ms).
    #[serde(default)]
    pub fixed_point_ms: f64,
    /// Kohonen passes: a uniform one, then J_jk = βτ r_k from the previous.
    #[serde(default)]
    pub fixed_point_passes: usize,
    /// Seed.
    pub seed: u64,
}

impl Params for ScalingParams {
    fn preset(tier: Tier) -> Self {
        match tier {
            Tier::Quick => Self {
                ns: vec![1000, 2000, 4000, 8000],
                cs: vec![0.0, 0.1],
                duration_ms: 12_000.0,
                burn_in_fraction: 0.2,
                fixed_point_ns: vec![2000, 20000],
                fixed_point_ms: 5_000.0,
                fixed_point_passes: 4,
                seed: 7,
            },
            Tier::Default => Self {
                ns: vec![1000, 1390, 1930, 2680, 3730, 5180, 7200, 10000],
                cs: vec![0.0, 0.1],
                duration_ms: 60_000.0,
                burn_in_fraction: 0.2,
                fixed_point_ns: vec![5000, 10000, 20000, 40000],
                fixed_point_ms: 10_000.0,
                fixed_point_passes: 6,
                seed: 7,
            },
            Tier::Paper => Self {
                ns: vec![1000, 1390, 1930, 2680, 3730, 5180, 7200, 10000],
                cs: vec![0.0, 0.75],
                duration_ms: 500_000.0,
                burn_in_fraction: 0.2,
                fixed_point_ns: vec![5000, 10000, 20000, 40000, 80000],
                fixed_point_ms: 20_000.0,
                fixed_point_passes: 8,
                seed: 7,
            },
        }
    }
}

/// Least-squares slope of y against x.
pub(crate) fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

/// One simulation of experiment B: the network at one (N, c).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScalingRun {
    /// Network size.
    pub n: usize,
    /// Input correlation.
    pub c: f64,
    /// Measured rates (Hz) of E and I.
    pub rates_hz: [f64; 2],
    /// Measured mean E–E spike-count covariance.
    pub cov_ee: f64,
    /// §3.2 leading-order E–E covariance at the delivered external rate.
    pub theory_cov_ee: f64,
    /// Everything measured, for `results`.
    pub record: serde_json::Value,
}

impl ScalingParams {
    fn config(&self, n: usize, c: f64) -> SimConfig {
        let mut cfg = base_config(n, self.duration_ms, self.seed, c);
        cfg.record.burn_in_fraction = self.burn_in_fraction;
        cfg.record.cov_diagonal = hebb::sim::config::DiagonalConfig::Exclude;
        cfg
    }
}

/// One task of experiment B (static): a network at one (N, c), or a
/// network at a Hebbian rule's fixed point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ScalingTask {
    /// The default network at one (N, c).
    Static(ScalingRun),
    /// A network at a rule's fixed point.
    FixedPoint(crate::akil_fixed_point_networks::FixedPointRun),
}

impl crate::Sweep for ScalingParams {
    type Task = ScalingTask;
    /// One task per (c, N), c-major; then the soft and the Kohonen
    /// fixed-point networks per N.
    fn task_count(&self) -> usize {
        self.cs.len() * self.ns.len() + 2 * self.fixed_point_ns.len()
    }
    fn run_task(&self, index: usize) -> Result<ScalingTask> {
        use crate::akil_fixed_point_networks::{kohonen_relaxed, soft_fixed_point};
        let statics = self.cs.len() * self.ns.len();
        if index >= statics {
            let k = index - statics;
            let n = self.fixed_point_ns[k % self.fixed_point_ns.len()];
            return Ok(ScalingTask::FixedPoint(if k < self.fixed_point_ns.len() {
                soft_fixed_point(n, self.fixed_point_ms, self.seed)?
            } else {
                kohonen_relaxed(n, self.fixed_point_ms, self.seed, self.fixed_point_passes)?
            }));
        }
        let (c, n) = (self.cs[index / self.ns.len()], self.ns[index % self.ns.len()]);
        let cfg = self.config(n, c);
        let res = run(cfg.clone())?.results();
        let delivered = [res.external_rates_hz["X"]];
        let th = hebb::theory::covariances(&cfg, Some(&delivered))?;
        let theory_cov_ee = *th.cov_by_pair().get("E-E").expect("E-E is a pair of the default network");
        Ok(ScalingTask::Static(ScalingRun {
            n,
            c,
            rates_hz: [res.rates_hz["E"], res.rates_hz["I"]],
            cov_ee: res.cov_mean["E-E"],
            theory_cov_ee,
            record: serde_json::json!({ "n": n, "c": c, "rates_hz": res.rates_hz, "cov_mean": res.cov_mean, "theory_cov_ee": theory_cov_ee, "windows": res.cov_windows }),
        }))
    }
    fn collect(&self, tasks: Vec<ScalingTask>, dir: &RunDir) -> Result<Outcome> {
        let (mut runs, mut fixed) = (Vec::new(), Vec::new());
        for t in tasks {
            match t {
                ScalingTask::Static(r) => runs.push(r),
                ScalingTask::FixedPoint(f) => fixed.push(f),
            }
        }
        scaling(self, runs, fixed, dir)
    }
}

/// Experiment B, static part: mean spike-count covariances fall like 1/N
/// with uncorrelated input and stay O(1) with correlated input (§3.2), and
/// rates approach the leading-order theory as N grows (§3.1). `runs` are
/// the tasks' outputs in order (c-major, then N).
pub fn scaling(
    p: &ScalingParams,
    runs: Vec<ScalingRun>,
    fixed: Vec<crate::akil_fixed_point_networks::FixedPointRun>,
    dir: &RunDir,
) -> Result<Outcome> {
    let mut checks = Vec::new();
    let mut cov_panel = LinePanel::new(
        "Mean E–E spike-count covariance (250 ms) against N: simulation (points), §3.2 (lines)",
        "N",
        "C̄_EE",
    );
    cov_panel.log_x = true;
    cov_panel.log_y = true;
    let mut rate_panel =
        LinePanel::new("Rates against N: simulation (points), leading-order theory (dashed)", "N", "rate (Hz)");
    rate_panel.log_x = true;
    let ns: Vec<f64> = p.ns.iter().map(|&n| n as f64).collect();
    let ln_n: Vec<f64> = ns.iter().map(|n| n.ln()).collect();
    for (ci, (&c, group)) in p.cs.iter().zip(runs.chunks(p.ns.len())).enumerate() {
        let ln_cov: Vec<f64> = group.iter().map(|r| r.cov_ee.ln()).collect();
        let s = slope(&ln_n, &ln_cov);
        if c == 0.0 {
            checks.push(Check::abs("c = 0: slope of ln C̄_EE against ln N", s, -1.0, 0.35, "§3.2: C̄ ∝ 1/N for uncorrelated input; each point has a relative sd ≈ √(2/W) ≈ 0.25 with W ≈ 38 windows, the slope over a factor 8 in N an sd ≈ 0.13"));
        } else {
            checks.push(Check::abs(&format!("c = {c}: slope of ln C̄_EE against ln N"), s, 0.0, 0.35, "§3.2: C̄ = O(1) for correlated input (the leading order does not depend on N); same sampling error as above"));
        }
        cov_panel = cov_panel
            .with_series(
                Series::points(format!("c = {c}"), ns.clone(), group.iter().map(|r| r.cov_ee).collect()).with_color(ci),
            )
            .with_series(
                Series::line(format!("theory c = {c}"), ns.clone(), group.iter().map(|r| r.theory_cov_ee).collect())
                    .with_color(ci),
            );
        if ci == 0 {
            let rates_e: Vec<f64> = group.iter().map(|r| r.rates_hz[0]).collect();
            let rates_i: Vec<f64> = group.iter().map(|r| r.rates_hz[1]).collect();
            // The leading-order rates do not depend on N.
            let th = hebb::theory::rates(&p.config(p.ns[0], c), None)?.rates_hz();
            let ends = vec![ns[0], *ns.last().unwrap()];
            rate_panel = rate_panel
                .with_series(Series::points("E", ns.clone(), rates_e).with_color(0))
                .with_series(Series::points("I", ns.clone(), rates_i.clone()).with_color(1))
                .with_series(Series::dashed("E theory", ends.clone(), vec![th[0]; 2]).with_color(0))
                .with_series(Series::dashed("I theory", ends, vec![th[1]; 2]).with_color(1));
            // Finite-N errors shrink: the exponent of the relative I-rate
            // error (the largest) against N.
            let ln_err: Vec<f64> = rates_i.iter().map(|r| (r / th[1] - 1.0).abs().ln()).collect();
            checks.push(Check::abs(
                "c = 0: exponent of the relative I-rate error against N",
                slope(&ln_n, &ln_err),
                -0.5,
                0.5,
                "§3.1/§4.2: the leading correction is O(1/√N) and the next O(1/N), so the effective exponent lies in [−1, 0) at these N",
            ));
        }
    }
    let mut figures = vec![crate::save_lines(
        dir,
        "Balanced network as N grows (experiment B, static)".into(),
        vec![cov_panel, rate_panel],
        "scaling",
        "Covariances fall like 1/N with uncorrelated input and stay flat with correlated input; rates approach the leading-order theory as N grows.",
    )?];
    if !fixed.is_empty() {
        checks.extend(crate::akil_fixed_point_networks::fixed_point_checks(&fixed));
        figures.push(crate::akil_fixed_point_networks::fixed_point_figure(dir, &fixed)?);
    }
    Ok(Outcome {
        title: "B (static): covariances and rates as N grows".into(),
        checks,
        figures,
        results: serde_json::json!({ "static": runs.iter().map(|r| &r.record).collect::<Vec<_>>(), "fixed_points": fixed }),
    })
}
