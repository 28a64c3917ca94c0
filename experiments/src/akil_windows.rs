//! Experiment J (specs/akil.md §4.1, §2.3): the spike-pair learning windows
//! of five rules, measured through the engine's plasticity path.
//!
//! One synapse (pre → post) sees one presynaptic and one postsynaptic spike
//! Δt = t_post − t_pre apart; the weight change is read off after both. The
//! spikes go through [`hebb::sim::PlasticProjection`] in the step order of
//! §1.5 (hooks read the traces before this step's increments, pre-triggered
//! updates before post-triggered, then increments, then decay), exactly as
//! in a network run. The measured windows are compared with the continuous
//! forms of §2.3:
//!
//! * classical Hebbian: +e^{−Δt/τ} (pre→post), −e^{−|Δt|/τ} (post→pre);
//! * weight-dependent (soft-bounded) Hebbian: +J_max e^{−Δt/τ}, −J e^{−|Δt|/τ};
//! * iSTDP: +e^{−|Δt|/τ} on both sides minus α = 2ρτ per presynaptic spike
//!   (in units of the weight's magnitude change per η);
//! * Kohonen: −J per postsynaptic spike, +β e^{−|Δt|/τ} for post→pre;
//! * Oja: −J e^{−Δt/τ} (pre→post), +β e^{−|Δt|/τ} (post→pre).

use crate::{Check, Outcome, Params, Tier};
use anyhow::{Result, ensure};
use hebb::connectivity::Csr;
use hebb::core::{Kind, PopLayout, Population};
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb::sim::{PlasticProjection, RuleConfig};
use serde::{Deserialize, Serialize};

/// Parameters of experiment J (the sketch values of §4.1 J).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowParams {
    /// Trace time constant τ (ms).
    pub tau_ms: f64,
    /// J_max of the weight-dependent rule.
    pub j_max: f64,
    /// The synapse's weight J (magnitude; j units at N = 1).
    pub j: f64,
    /// Target rate ρ of the iSTDP rule (Hz).
    pub rho_hz: f64,
    /// β of Kohonen and Oja.
    pub beta: f64,
    /// Largest |Δt| (ms).
    pub max_lag_ms: f64,
    /// Learning rate (small, so that the window is the first-order one).
    pub eta: f64,
    /// Time step (ms).
    pub dt_ms: f64,
}

impl Params for WindowParams {
    fn preset(_tier: Tier) -> Self {
        // One computation, cheap at every tier.
        Self { tau_ms: 20.0, j_max: 30.0, j: 25.0, rho_hz: 10.0, beta: 2.0, max_lag_ms: 100.0, eta: 1e-3, dt_ms: 0.1 }
    }
}

/// Weight change of one synapse after a pre spike at step `n_pre` and a post
/// spike at step `n_post`, through the engine's plasticity projection.
/// Neurons: 0 = E (pre of E←E), 1 = E (post), 2 = I (pre of E←I).
fn pair_change(rule: &RuleConfig, w0: f64, pre: u32, n_pre: u64, n_post: u64, dt_ms: f64) -> Result<f64> {
    let layout = PopLayout::new(vec![
        Population { name: "E".into(), size: 2, kind: Kind::Excitatory },
        Population { name: "I".into(), size: 1, kind: Kind::Inhibitory },
    ])?;
    // Rows: 0 → 1 and 2 → 1; row 1 empty.
    let mut csr = Csr::from_parts(3, vec![0, 1, 1, 2], vec![1, 1], vec![w0 as f32; 2])?;
    let sign = if pre == 2 { -1.0 } else { 1.0 };
    let mut proj = PlasticProjection::new(&layout, &csr, rule.synapse().clone(), rule.build(1, sign), dt_ms)
        .ok_or_else(|| anyhow::anyhow!("synapse type {} not in the two-population layout", rule.synapse()))?;
    let position = if pre == 0 { 0 } else { 1 };
    let before = csr.weights()[position] as f64;
    for n in 0..=n_pre.max(n_post) {
        let mut spiked = Vec::new();
        if n == n_pre {
            spiked.push(pre);
        }
        if n == n_post {
            spiked.push(1);
        }
        spiked.sort_unstable();
        // §1.5 steps 5–7, as in `Network::step`.
        if !spiked.is_empty() {
            proj.apply(&mut csr, &spiked);
            proj.increment(&spiked);
        }
        proj.decay();
    }
    Ok(csr.weights()[position] as f64 - before)
}

/// One rule of the figure: its config, the weight the pair sees, the
/// normalisation of Δw, the §2.3 form, and the coefficient of its
/// exponential (for the discretisation bound).
struct WindowRule {
    name: &'static str,
    config: RuleConfig,
    w0: f64,
    pre: u32,
    scale: f64,
    form: Box<dyn Fn(f64) -> f64>,
    amplitude: f64,
    /// Δw/scale for coincident spikes (Δt = 0): §1.5 has both hooks read
    /// the traces from before the step, i.e. 0, so only the terms without
    /// a trace remain.
    at_zero: f64,
}

fn rules(p: &WindowParams) -> Vec<WindowRule> {
    let (tau, jm, j, beta) = (p.tau_ms, p.j_max, p.j, p.beta);
    let e = move |dt: f64| (-dt.abs() / tau).exp();
    let alpha = 2.0 * p.rho_hz * 1e-3 * tau;
    let ee = || "E<-E".parse().expect("a valid synapse type");
    // iSTDP: w = −J, η_h = η₀/J_norm; first order Δw = η_h w (α − e), so the
    // magnitude window −Δw/(η_h w)… written as Δw/(−η_h w) = e − α.
    let j_norm = -1.0;
    let eta_h = p.eta / j_norm;
    vec![
        WindowRule {
            name: "classical Hebbian",
            config: RuleConfig::AdditiveHebbian {
                synapse: ee(),
                eta: p.eta,
                j_min: -1e9,
                j_max: 1e9,
                tau_stdp_ms: tau,
            },
            w0: j,
            pre: 0,
            scale: p.eta,
            form: Box::new(move |dt| if dt > 0.0 { e(dt) } else { -e(dt) }),
            amplitude: 1.0,
            at_zero: 0.0,
        },
        WindowRule {
            name: "weight-dependent Hebbian",
            config: RuleConfig::SoftHebbian {
                synapse: ee(),
                eta: p.eta,
                j_max: jm,
                depression: Default::default(),
                tau_stdp_ms: tau,
            },
            w0: j,
            pre: 0,
            scale: p.eta,
            form: Box::new(move |dt| if dt > 0.0 { jm * e(dt) } else { -j * e(dt) }),
            amplitude: jm,
            at_zero: 0.0,
        },
        WindowRule {
            name: "iSTDP (E←I)",
            config: RuleConfig::Homeostatic {
                synapse: "E<-I".parse().expect("a valid synapse type"),
                eta0: p.eta,
                j_norm,
                rho_hz: p.rho_hz,
                tau_stdp_ms: tau,
            },
            w0: -j,
            pre: 2,
            scale: -eta_h * -j,
            form: Box::new(move |dt| e(dt) - alpha),
            amplitude: 1.0,
            at_zero: -alpha,
        },
        WindowRule {
            name: "Kohonen",
            config: RuleConfig::Kohonen { synapse: ee(), eta: p.eta, beta, tau_stdp_ms: tau },
            w0: j,
            pre: 0,
            scale: p.eta,
            form: Box::new(move |dt| if dt > 0.0 { -j } else { -j + beta * e(dt) }),
            amplitude: beta,
            at_zero: -j,
        },
        WindowRule {
            name: "Oja",
            config: RuleConfig::Oja { synapse: ee(), eta: p.eta, beta, tau_stdp_ms: tau },
            w0: j,
            pre: 0,
            scale: p.eta,
            form: Box::new(move |dt| if dt > 0.0 { -j * e(dt) } else { beta * e(dt) }),
            amplitude: j.max(beta),
            at_zero: 0.0,
        },
    ]
}

/// Experiment J: measured windows against §2.3.
pub fn windows(p: &WindowParams, dir: &RunDir) -> Result<Outcome> {
    ensure!(p.tau_ms > 0.0 && p.dt_ms > 0.0 && p.max_lag_ms >= p.dt_ms, "tau_ms, dt_ms > 0 and max_lag_ms ≥ dt_ms");
    ensure!(p.eta > 0.0 && p.eta <= 1e-3, "eta = {}: must lie in (0, 1e-3] for the first-order window", p.eta);
    let max_m = (p.max_lag_ms / p.dt_ms).round() as i64;
    // Lags −max..max in steps of 1 ms (every 10th step at dt = 0.1), plus ±dt.
    let stride = ((1.0 / p.dt_ms).round() as i64).max(1);
    let mut lags: Vec<i64> = (-max_m..=max_m).filter(|m| m % stride == 0 && *m != 0).collect();
    // Δt = 0 too: there the engine's order (§1.5) decides the value.
    lags.extend([-1, 0, 1]);
    lags.sort_unstable();
    let mut checks = Vec::new();
    let mut panels = Vec::new();
    let mut results = Vec::new();
    for r in rules(p) {
        let offset = max_m as u64 + 1;
        let (mut x, mut measured, mut theory) = (Vec::new(), Vec::new(), Vec::new());
        let mut worst: f64 = 0.0;
        for &m in &lags {
            let (n_pre, n_post) = (offset, (offset as i64 + m) as u64);
            let dw = pair_change(&r.config, r.w0, r.pre, n_pre, n_post, p.dt_ms)?;
            let lag = m as f64 * p.dt_ms;
            let value = dw / r.scale;
            let want = if m == 0 { r.at_zero } else { (r.form)(lag) };
            // Allowed gap: (i) the Euler trace (1 − dt/τ)^m against
            // e^{−m dt/τ}, at most m (dt/τ)²/2 relative to the amplitude;
            // (ii) the f32 weight: w0 and w0 + Δw each rounded to half an
            // ulp, together at most 2⁻²³|w0|; (iii) the only second-order
            // term (iSTDP's two multiplicative updates), η·α·e ≤ η(1 + α)
            // per unit of amplitude. A step-order error that shifts the
            // trace by one step (dt/τ = 0.005 of the amplitude at Δt = ±dt)
            // exceeds this bound there.
            let alpha = 2.0 * p.rho_hz * 1e-3 * p.tau_ms;
            let bound = r.amplitude * (m.unsigned_abs() as f64 * (p.dt_ms / p.tau_ms).powi(2) / 2.0)
                + f32::EPSILON as f64 * r.w0.abs() / r.scale.abs()
                + p.eta * (1.0 + alpha) * r.amplitude;
            worst = worst.max((value - want).abs() / bound);
            x.push(lag);
            measured.push(value);
            theory.push(want);
        }
        checks.push(Check::at_most(
            &format!("{}: largest |measured − §2.3 window| over lags, in units of its bound", r.name),
            worst,
            1.0,
            "bound: Euler trace discretisation m(dt/τ)²/2 times the window's amplitude, plus the f32 rounding of the weight; at Δt = 0 both hooks must see the traces from before the step (§1.5) — reading them after the increments moves the value there by the window's amplitude",
        ));
        let panel = LinePanel::new(format!("{}: Δw/η against Δt = t_post − t_pre", r.name), "Δt (ms)", "Δw / η")
            .with_series(Series::points("measured (engine step order)", x.clone(), measured.clone()).with_color(0))
            .with_series(Series::line("§2.3", x.clone(), theory.clone()).with_color(1));
        panels.push(panel);
        results.push(serde_json::json!({ "rule": r.name, "lag_ms": x, "dw_over_eta": measured, "theory": theory, "worst_over_bound": worst }));
    }
    let figures = vec![crate::save_lines(
        dir,
        format!("Spike-pair learning windows (experiment J), τ = {} ms", p.tau_ms),
        panels,
        "windows",
        "Points: the weight change after one pre and one post spike Δt apart, through the engine's plasticity step; lines: the windows of §2.3.",
    )?];
    Ok(Outcome {
        title: "J: spike-pair learning windows of five rules".into(),
        checks,
        figures,
        results: serde_json::json!(results),
    })
}
