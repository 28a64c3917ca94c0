//! Where Hebbian plasticity creates chaos at g ≤ 1: continuation of the
//! chaotic DMFT branch in k, and the tricritical plasticity strength k_t of
//! spec §3.8.
//!
//! For g < 1 the quiescent state is stable for every k (§3.5), but above a
//! plasticity strength k_sn(g) a chaotic branch coexists with it (§4.2,
//! phase 3). Its lower edge is a saddle node; as g → 1⁻ it ends at the
//! tricritical point k_t, where the onset of chaos at g = 1 changes from
//! supercritical (k < k_t) to subcritical (k > k_t).
//!
//! [`chaos_onset_k`] finds k_sn(g) by bisection: it solves the stationary
//! DMFT at the upper end of a bracket, then at each midpoint starting from
//! the nearest chaotic solution above it (continuation downward in k), and
//! classifies the outcome as chaotic or decaying. [`tricritical_k`] does this
//! at several g < 1 and extrapolates k_sn to g = 1 linearly in √(1 − g) (the
//! saddle-node line of a tricritical point opens quadratically,
//! 1 − g_sn ∝ (k − k_t)²), next to the closed forms of §3.8:
//! π/4 − π²/96 ≈ 0.683 as first stated and π/4 ≈ 0.785 from the consistent
//! expansion (erf; 5/6 and 1 for tanh).
//!
//! These are expensive (each bisection step is a full Picard solution with
//! long correlation times near the edge); budget minutes, not seconds.

use super::stationary::{StationaryModel, StationaryOptions, StationarySolution, solve_stationary};
use super::{DmftError, Phi};
use hebb_core::{ParamError, check_in_range, check_positive};
use serde::{Deserialize, Serialize};

/// k_t as first stated in §3.8: π/4 − π²/96 (erf), 5/6 (tanh).
pub fn kt_closed_form_stated(phi: Phi) -> f64 {
    match phi {
        Phi::Erf => std::f64::consts::FRAC_PI_4 - std::f64::consts::PI.powi(2) / 96.0,
        Phi::Tanh => 5.0 / 6.0,
    }
}

/// k_t from the consistent leading-order expansion (§3.8 consistency note):
/// the zero of c = (φ'''(0)-term) − 2k, i.e. π/4 (erf), 1 (tanh).
pub fn kt_closed_form_consistent(phi: Phi) -> f64 {
    match phi {
        Phi::Erf => std::f64::consts::FRAC_PI_4,
        Phi::Tanh => 1.0,
    }
}

/// Options of [`chaos_onset_k`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OnsetOptions {
    /// Options of every DMFT solution (`static_part` is honoured; a long
    /// window helps near the edge).
    pub dmft: StationaryOptions,
    /// Lower end of the k bracket (expected: no chaos), finite (0.5).
    pub k_lo: f64,
    /// Upper end of the k bracket (must be chaotic), > k_lo (2.5).
    pub k_hi: f64,
    /// Number of bisection steps, in [0, 30] (6).
    pub bisections: usize,
    /// A solution counts as chaotic if C_φ(0) − C_∞ exceeds this, in (0, 1) (1e-3).
    pub q_threshold: f64,
    /// ... and if Δ₀ over the second half of the iterations does not fall
    /// faster than this relative amount per iteration, in (0, 1) (0.005).
    pub decay_rate: f64,
}

impl Default for OnsetOptions {
    fn default() -> Self {
        Self {
            dmft: StationaryOptions { tau_max: 120.0, t_meas: 360.0, paths: 400, iterations: 30, ..Default::default() },
            k_lo: 0.5,
            k_hi: 2.5,
            bisections: 6,
            q_threshold: 1e-3,
            decay_rate: 0.005,
        }
    }
}

/// One DMFT solution visited by the bisection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnsetPoint {
    /// Plasticity strength.
    pub k: f64,
    /// Final Δ₀.
    pub delta0: f64,
    /// Final C_φ(0) − C_∞ (the fluctuating power).
    pub fluctuating_q: f64,
    /// Relative change of Δ₀ per iteration over the second half (log slope).
    pub delta0_trend: f64,
    /// Classified as chaotic.
    pub chaotic: bool,
}

/// Result of [`chaos_onset_k`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnsetResult {
    /// Gain g.
    pub g: f64,
    /// Synaptic time constant.
    pub tau_s: f64,
    /// Largest k found without chaos.
    pub k_below: f64,
    /// Smallest k found chaotic.
    pub k_above: f64,
    /// Estimate of the onset, (k_below + k_above)/2.
    pub k_onset: f64,
    /// Every solution computed, in order.
    pub points: Vec<OnsetPoint>,
}

fn classify(s: &StationarySolution, opts: &OnsetOptions) -> OnsetPoint {
    let h = &s.delta0_history;
    let half = &h[h.len() / 2..];
    // Least-squares slope of ln Δ₀ against iteration over the second half.
    let trend = if s.quiescent || half.len() < 3 || half.iter().any(|v| *v <= 0.0) {
        -1.0
    } else {
        let n = half.len() as f64;
        let mx = (n - 1.0) / 2.0;
        let ly: Vec<f64> = half.iter().map(|v| v.ln()).collect();
        let my = ly.iter().sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, y) in ly.iter().enumerate() {
            sxy += (i as f64 - mx) * (y - my);
            sxx += (i as f64 - mx).powi(2);
        }
        sxy / sxx
    };
    let fq = if s.quiescent { 0.0 } else { s.q - s.c_inf };
    OnsetPoint {
        k: s.model.k,
        delta0: s.delta0,
        fluctuating_q: fq,
        delta0_trend: trend,
        chaotic: !s.quiescent && fq > opts.q_threshold && trend > -opts.decay_rate,
    }
}

/// The smallest plasticity strength k at which a chaotic DMFT solution
/// exists at gain `g` (the saddle node k_sn(g) for g < 1, §4.2), by
/// bisection with continuation (see the module docs). Errors if the upper end
/// of the bracket is not chaotic or an option is invalid.
pub fn chaos_onset_k(phi: Phi, g: f64, tau_s: f64, opts: &OnsetOptions) -> Result<OnsetResult, DmftError> {
    check_positive("g", g)?;
    check_positive("tau_s", tau_s)?;
    if !(opts.k_lo.is_finite() && opts.k_hi.is_finite() && opts.k_hi > opts.k_lo) {
        return Err(ParamError::new("k_hi", opts.k_hi, "a finite number > k_lo").into());
    }
    if opts.bisections > 30 {
        return Err(ParamError::new("bisections", opts.bisections, "an integer in [0, 30]").into());
    }
    check_in_range("q_threshold", opts.q_threshold, 1e-12, 0.999)?;
    check_in_range("decay_rate", opts.decay_rate, 1e-9, 0.999)?;
    let model = |k: f64| StationaryModel { g, k, tau_s, phi };
    let top = solve_stationary(&model(opts.k_hi), &opts.dmft, None)?;
    let p = classify(&top, opts);
    let mut points = vec![p.clone()];
    if !p.chaotic {
        return Err(ParamError::new(
            "k_hi",
            opts.k_hi,
            "a plasticity strength at which the DMFT is chaotic at this g (raise it)",
        )
        .into());
    }
    let (mut lo, mut hi) = (opts.k_lo, opts.k_hi);
    let mut above = top;
    for _ in 0..opts.bisections {
        let mid = 0.5 * (lo + hi);
        let s = solve_stationary(&model(mid), &opts.dmft, Some((&above.c_phi, above.c_inf)))?;
        let p = classify(&s, opts);
        points.push(p.clone());
        if p.chaotic {
            hi = mid;
            above = s;
        } else {
            lo = mid;
        }
    }
    Ok(OnsetResult { g, tau_s, k_below: lo, k_above: hi, k_onset: 0.5 * (lo + hi), points })
}

/// k_t from the DMFT next to the closed forms (§3.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KtEstimate {
    /// The onsets k_sn(g) at each g < 1.
    pub onsets: Vec<OnsetResult>,
    /// k_sn extrapolated to g = 1 linearly in √(1 − g) (least squares; with
    /// one g the value at that g).
    pub k_t: f64,
    /// π/4 − π²/96 (erf) or 5/6 (tanh), as first stated in §3.8.
    pub stated: f64,
    /// π/4 (erf) or 1 (tanh), the consistent leading order of §3.8.
    pub consistent: f64,
}

/// Estimate k_t (§3.8) from [`chaos_onset_k`] at each g of `gs` (each in
/// (0, 1)), extrapolated to g = 1 linearly in √(1 − g).
pub fn tricritical_k(phi: Phi, tau_s: f64, gs: &[f64], opts: &OnsetOptions) -> Result<KtEstimate, DmftError> {
    if gs.is_empty() {
        return Err(ParamError::new("gs", "[]", "at least one gain in (0, 1)").into());
    }
    for (i, &g) in gs.iter().enumerate() {
        if !(g > 0.0 && g < 1.0) {
            return Err(ParamError::new(format!("gs[{i}]"), g, "a number in (0, 1)").into());
        }
    }
    let onsets: Vec<OnsetResult> = gs.iter().map(|&g| chaos_onset_k(phi, g, tau_s, opts)).collect::<Result<_, _>>()?;
    let xs: Vec<f64> = gs.iter().map(|g| (1.0 - g).sqrt()).collect();
    let ys: Vec<f64> = onsets.iter().map(|o| o.k_onset).collect();
    let k_t = if xs.len() == 1 {
        ys[0]
    } else {
        let n = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        my - sxy / sxx * mx
    };
    Ok(KtEstimate { onsets, k_t, stated: kt_closed_form_stated(phi), consistent: kt_closed_form_consistent(phi) })
}
