//! Experiment G (specs/akil.md §3.6, §4.1): optogenetic stimulation of an
//! excitatory subpopulation under iSTDP on E1←I and E2←I.

use crate::akil::{base_config, run, weight_series};
use crate::{Check, Outcome, Params, Tier};
use anyhow::Result;
use hebb::io::RunDir;
use hebb::plot::{LinePanel, Series};
use hebb::sim::RuleConfig;
use hebb::sim::SimConfig;
use hebb::sim::config::{ExternalConfig, TargetConfig};
use hebb_theory::manifold::RowExponential;
use hebb_theory::optogenetic::{Pinned, pinned_fixed_point};
use serde::{Deserialize, Serialize};

/// Parameters of experiment G.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptoParams {
    /// Recurrent neurons N.
    pub n: usize,
    /// Simulated time (ms).
    pub duration_ms: f64,
    /// Laser window [on, off) (ms): X2 (0.2 N units at 5 Hz) drives E1.
    pub window_ms: [f64; 2],
    /// η₀ of both iSTDP rules.
    pub eta0: f64,
    /// J_norm (j units).
    pub j_norm: f64,
    /// Target E rate ρ_e (Hz).
    pub rho_e_hz: f64,
    /// iSTDP trace time constant (ms).
    pub tau_stdp_ms: f64,
    /// Initial j_{E1←I} = j_{E2←I}.
    pub j_ei0: f64,
    /// Correlation of X1.
    pub c: f64,
    /// Relative tolerance of the E1–E2 weight split during the laser against
    /// the weight–rate-correlated (§3.5) prediction.
    pub split_rel_tolerance: f64,
    /// Seed.
    pub seed: u64,
}

impl Params for OptoParams {
    fn preset(tier: Tier) -> Self {
        let quick = Self {
            n: 2000,
            duration_ms: 60_000.0,
            window_ms: [20_000.0, 40_000.0],
            eta0: 1e-2,
            j_norm: -200.0,
            rho_e_hz: 10.0,
            tau_stdp_ms: 200.0,
            j_ei0: -120.0,
            c: 0.0,
            // The 100× faster rule of the quick tier and N = 2000 leave
            // more of what the §3.5 model omits: spike-timing correlations
            // (the Q term) and X2's extra input variance, O(1/√N) (the
            // simulated split comes out larger).
            split_rel_tolerance: 0.3,
            seed: 3,
        };
        match tier {
            // Reduced: N = 2000 and a 100× faster rule so that 20 s per
            // phase suffice; the weights start at the pre-stimulation fixed
            // point instead of −250 (the approach from −250 is experiment E).
            Tier::Quick => quick,
            Tier::Default => Self {
                n: 5000,
                duration_ms: 600_000.0,
                window_ms: [200_000.0, 400_000.0],
                eta0: 1e-3,
                j_ei0: -250.0,
                split_rel_tolerance: 0.1,
                ..quick
            },
            // §3.6 as specified: T = 4000 s, laser in [2000, 3000) s.
            Tier::Paper => Self {
                n: 5000,
                duration_ms: 4_000_000.0,
                window_ms: [2_000_000.0, 3_000_000.0],
                eta0: 1e-4,
                j_ei0: -250.0,
                split_rel_tolerance: 0.1,
                ..quick
            },
        }
    }
}

/// The §3.6 network: E split into E1 and E2 (0.4 N each, the default
/// weights), X1 onto everyone, X2 onto E1 inside the window, iSTDP on both
/// E←I types.
pub fn opto_config(p: &OptoParams) -> SimConfig {
    let mut cfg = base_config(p.n, p.duration_ms, p.seed, p.c);
    cfg.record.rate_bin_ms = (p.window_ms[1] - p.window_ms[0]) / 20.0;
    cfg.record.weight_interval_ms = cfg.record.rate_bin_ms / 2.0;
    cfg.split_population("E", &[("E1", 0.4), ("E2", 0.4)]).expect("the default network has E at 80 %");
    for c in &mut cfg.network.connections {
        if c.pre == "I" && c.post != "I" {
            c.j = p.j_ei0;
        }
    }
    cfg.external[0].name = "X1".into();
    cfg.external.push(ExternalConfig {
        name: "X2".into(),
        fraction: 0.2,
        rate_hz: 5.0,
        c: 0.0,
        jitter_ms: 5.0,
        window_ms: Some(p.window_ms),
        targets: vec![TargetConfig { post: "E1".into(), p: 0.1, j: 180.0 }],
    });
    cfg.plasticity = ["E1<-I", "E2<-I"]
        .iter()
        .map(|s| RuleConfig::Homeostatic {
            synapse: s.parse().expect("a valid synapse type"),
            eta0: p.eta0,
            j_norm: p.j_norm,
            rho_hz: p.rho_e_hz,
            tau_stdp_ms: p.tau_stdp_ms,
        })
        .collect();
    cfg
}

/// Mean of `xs` over the bins whose centre lies in [a, b) ms.
fn mean_in(centres: &[f64], xs: &[f64], a: f64, b: f64) -> f64 {
    let v: Vec<f64> = centres.iter().zip(xs).filter(|(t, _)| **t >= a && **t < b).map(|(_, x)| *x).collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Experiment G: E1's rate jumps at laser onset and returns to ρ_e as
/// j_{E1←I} strengthens towards the §3.6 fixed point; at offset E1 is
/// suppressed and recovers as j_{E1←I} relaxes back; E2 and I follow the
/// theory (unchanged at leading order).
pub fn optogenetic(p: &OptoParams, dir: &RunDir) -> Result<Outcome> {
    let cfg = opto_config(p);
    let sim = run(cfg.clone())?;
    let res = sim.results();
    let bin = cfg.record.rate_bin_ms;
    let centres: Vec<f64> = (0..res.bin_rates_hz[0].len()).map(|b| (b as f64 + 0.5) * bin).collect();
    let (on, off, end) = (p.window_ms[0], p.window_ms[1], p.duration_ms);
    let phase = (off - on) / 4.0;
    // Leading-order theory (§3.6) with the laser off and on.
    let pins = [Pinned { post: 0, pre: 2, rho_hz: p.rho_e_hz }, Pinned { post: 1, pre: 2, rho_hz: p.rho_e_hz }];
    let mut net = hebb::theory::mean_field(&cfg, None);
    let before = pinned_fixed_point(&net, &pins)?;
    let x2 = &cfg.external[1];
    let mut targets = vec![hebb_theory::Link::new(0.0, 0.0); 3];
    targets[0] = hebb_theory::Link::new(0.1, 180.0);
    net.external.push(hebb_theory::ExternalMf {
        name: "X2".into(),
        size: cfg.external_size(1) as f64,
        rate_khz: x2.rate_hz * 1e-3,
        c: 0.0,
        targets,
    });
    let during = pinned_fixed_point(&net, &pins)?;
    // Weights.
    let (t_w, j1) = weight_series(&sim, 0);
    let (_, j2) = weight_series(&sim, 1);
    let t_w_ms: Vec<f64> = t_w.iter().map(|t| t * 1e3).collect();
    let late = |xs: &[f64], b: f64| mean_in(&t_w_ms, xs, b - phase, b);
    let dj_sim = late(&j1, off) - late(&j2, off);
    let dj_end = late(&j1, end) - late(&j2, end);
    // Semi-empirical Δj (§3.1-style): the X2 drive taken up by the
    // measured I rate, p q_I Δj r_I = −p q_X j_X r_X2.
    let r_i_window = mean_in(&centres, &res.bin_rates_hz[2], off - phase, off) * 1e-3;
    let q_x = cfg.external_size(1) as f64 / p.n as f64;
    let dj_corrected = -(0.1 * q_x * 180.0 * x2.rate_hz * 1e-3) / (0.1 * 0.2 * r_i_window);
    let dj_leading = during.j[0] - during.j[1];
    // Weight–rate correlations (§3.5): each E1 row moves as
    // j0_k·e^{r_k Φ}, so the fast I neurons' synapses carry the extra
    // inhibition and the mean weight moves less than ΔI / r̄_I. The
    // starting weights j0_k are those reached from the uniform j_ei0 by the
    // same law at the measured pre-laser mean; the input change is the
    // leading-order one, ΔI = Δj_lo·r_I = −q_X j_X r_X2 / q_I (j·kHz).
    let sizes = cfg.population_sizes();
    let r_i_khz: Vec<f64> = res.neuron_rates_hz[sizes[0] + sizes[1]..].iter().map(|r| r * 1e-3).collect();
    let j_before = 0.5 * (late(&j1, on) + late(&j2, on));
    let uniform = RowExponential::uniform(r_i_khz, p.j_ei0)?;
    let row = uniform.at(uniform.phi_for_mean_weight(j_before)?);
    let d_input = dj_leading * during.rates_hz[2] * 1e-3;
    let dj_row = row.mean_weight(row.phi_for_mean_input(row.mean_input(0.0) + d_input)?) - row.mean_weight(0.0);
    let rate = |pop: usize, a: f64, b: f64| mean_in(&centres, &res.bin_rates_hz[pop], a, b);
    let mut checks = vec![
        Check::at_least(
            "E1/E2 rate ratio in the first bin of the laser window (≥ 1.3)",
            res.bin_rates_hz[0][(on / bin) as usize] / res.bin_rates_hz[1][(on / bin) as usize],
            1.3,
            "§3.6: X2 adds an O(√N) drive to E1 (≈ 0.8 mV/ms at N = 2000) before iSTDP compensates, so E1's rate jumps at onset",
        ),
        Check::at_most(
            "E1/E2 rate ratio in the first bin after the window (≤ 0.9)",
            res.bin_rates_hz[0][(off / bin) as usize] / res.bin_rates_hz[1][(off / bin) as usize],
            0.9,
            "§3.6: at offset E1 keeps its strengthened inhibition and is suppressed below ρ_e until j_{E1←I} relaxes",
        ),
        Check::abs(
            "E1 rate, last quarter of the window (Hz)",
            rate(0, off - phase, off),
            p.rho_e_hz,
            0.5,
            "§4.2: iSTDP rates within 0.5 Hz of the target",
        ),
        Check::abs(
            "E2 rate, last quarter of the window (Hz)",
            rate(1, off - phase, off),
            p.rho_e_hz,
            0.5,
            "§4.2: iSTDP rates within 0.5 Hz of the target",
        ),
        Check::abs(
            "E1 rate, last quarter after the window (Hz)",
            rate(0, end - phase, end),
            p.rho_e_hz,
            0.5,
            "§4.2: iSTDP rates within 0.5 Hz of the target",
        ),
        Check::rel(
            "j_{E1←I} − j_{E2←I}, last quarter of the window (vs the weight–rate-correlated rows of §3.5)",
            dj_sim,
            dj_row,
            p.split_rel_tolerance,
            "§3.6 sets the extra inhibitory input E1 needs, ΔI = −q_X j_X r_X2 / q_I; the leading order turns it into a mean weight change ΔI / r_I (−38.46). §3.5: iSTDP moves each synapse in proportion to its presynaptic rate, so the fast I neurons' synapses carry the change and the mean weight moves by less; the prediction uses the measured I-rate distribution and the measured pre-laser mean (the weights' rate correlation grows from the uniform start). Tolerance (per tier): the model's common Φ for all rows, and what it omits — spike-timing correlations and X2's extra input variance, O(1/√N); §4.2: mean-field weight checks agree within ~4–30 %",
        ),
        Check::abs(
            "j_{E1←I} − j_{E2←I}, last quarter after the window (relaxed back)",
            dj_end,
            0.0,
            0.25 * dj_leading.abs(),
            "§3.6: after the laser the fixed point is the pre-stimulation one, j_{E1←I} = j_{E2←I}; a quarter of the stimulated split is allowed for the remaining relaxation",
        ),
    ];
    checks.push(Check::abs(
        "leading-order j_{E1←I} before stimulation (theory)",
        before.j[0],
        -119.66,
        0.01,
        "§3.6: −119.66 with r_I = 23.40 Hz",
    ));
    // Figures.
    let shade = |panel: LinePanel, lo: f64, hi: f64| {
        panel
            .with_series(Series::dashed("laser on", vec![on * 1e-3, on * 1e-3], vec![lo, hi]).with_color(7))
            .with_series(Series::dashed("laser off", vec![off * 1e-3, off * 1e-3], vec![lo, hi]).with_color(7))
    };
    let t_s: Vec<f64> = centres.iter().map(|t| t * 1e-3).collect();
    let mut rates = LinePanel::new(
        "Rates of E1 (stimulated), E2 and I; the laser window between the grey lines",
        "time (s)",
        "rate (Hz)",
    );
    for (i, name) in ["E1", "E2", "I"].iter().enumerate() {
        rates = rates.with_series(Series::line(*name, t_s.clone(), res.bin_rates_hz[i].clone()).with_color(i));
    }
    let top = res.bin_rates_hz.iter().flatten().copied().fold(0.0, f64::max);
    rates = shade(rates, 0.0, top);
    let mut weights = LinePanel::new(
        "Mean j_{E1←I} and j_{E2←I}: simulation (solid); the split the laser should open (dashed)",
        "time (s)",
        "mean j",
    );
    let t_end = end * 1e-3;
    weights = weights
        .with_series(Series::line("j_{E1←I}", t_w.clone(), j1.clone()).with_color(0))
        .with_series(Series::line("j_{E2←I}", t_w.clone(), j2.clone()).with_color(1))
        .with_series(
            Series::dashed("leading order, laser off (§3.6)", vec![0.0, t_end], vec![before.j[0]; 2]).with_color(2),
        );
    // The weight the laser window should reach: the pre-laser mean plus each split.
    let window_level = |label: &str, split: f64, color: usize| {
        Series::dashed(label, vec![on * 1e-3, off * 1e-3], vec![j_before + split; 2]).with_color(color)
    };
    weights = weights
        .with_series(window_level("pre-laser j + leading-order split", dj_leading, 3))
        .with_series(window_level("pre-laser j + rate-weighted split (§3.5)", dj_row, 0));
    let lo = j1.iter().chain(&j2).copied().fold(f64::MAX, f64::min).min(j_before + dj_leading);
    let hi = j1.iter().chain(&j2).copied().fold(f64::MIN, f64::max);
    weights = shade(weights, lo, hi);
    let figures = vec![crate::save_lines(
        dir,
        format!("Optogenetic stimulation of E1 under iSTDP (experiment G), N = {}, η₀ = {}", p.n, p.eta0),
        vec![rates, weights],
        "optogenetic",
        "E1's rate jumps when the laser (X2) switches on and returns to ρ_e as its inhibition strengthens; at offset E1 is suppressed and recovers as j_{E1←I} relaxes back. E2 and I barely move. Before the laser the weights sit on the §3.5 manifold, not at the leading-order −119.66: where they settle depends on the start (j_ei0) because fast I neurons' synapses move most. For the same reason the laser opens a smaller E1–E2 split than the leading order (upper dashed line in the window, the checked quantity) predicts (lower).",
    )?];
    Ok(Outcome {
        title: "G: optogenetic stimulation of an E subpopulation with iSTDP (§3.6)".into(),
        checks,
        figures,
        results: serde_json::json!({
            "theory_before": before, "theory_during": during,
            "dj_window_sim": dj_sim, "dj_corrected": dj_corrected, "dj_leading": dj_leading, "dj_row_exponential": dj_row, "j_before": j_before, "dj_after": dj_end,
            "rates_hz": res.rates_hz, "bin_rates_hz": res.bin_rates_hz, "bin_ms": bin,
        }),
    })
}
