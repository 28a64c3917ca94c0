//! Experiment `clark_spectra`: Jacobian spectra of the joint neuronal–synaptic
//! system with their predicted bulk support, the two-band split at strong
//! Hebbian plasticity, and the exponential growth of the number of joint
//! fixed points (spec `clark.md` §5, §7, §8.4, figures 4, 5 and 7 of §9).
//!
//! 1. **Spectra (§5.4).** N units, g = 2, τ_s = 1, one network per k, state
//!    at t = `t_state`; all 2N eigenvalues of the reduced Jacobian L (§5.1,
//!    faer) against the support F(λ) = 1 of §5.2 evaluated with the
//!    state's own φ'(x_i) and q. Checks: support max Re and max |Im| against
//!    the spectrum's, the fraction of eigenvalues with F ≥ 0.9 at k = −2 and
//!    k = 1 (§5.4 tests 1–2).
//! 2. **Two bands (§8.4).** τ_s = 10, k ∈ {0, 2}, state at t = `t_bands`:
//!    eigenvalues counted in Re < −0.6, −0.6 ≤ Re < −0.3 (gap), Re ≥ −0.3.
//! 3. **Fixed-point counts (§7).** g = 2, k = 4, τ_s = 1: all 2^N sign-pattern
//!    starts for each N and J* seed (`hebb_theory::fixed_points::search`),
//!    ln(mean #stable) against N with the fitted line (slope = complexity
//!    Σ(2, 4)).
//! 4. **Reduction oracle (§5.1).** At N = 10, the spectrum of the full
//!    (N + N²) Jacobian against spec(L) ∪ {−1/τ_s}^(N²−N).

use crate::{Check, FigureRef, Outcome, Params, Tier};
use anyhow::{Context, Result};
use hebb::io::RunDir;
use hebb::plot::{Figure, LinePanel, Panel, Series};
use hebb_rate::{DenseNetwork, Nonlinearity, RateFunction, RateParams, draw_couplings};
use hebb_theory::fixed_points::{SearchOptions, Starts, fit_line, search};
use hebb_theory::jacobian::{
    Eigenvalue, Plastic, Support, band_counts, eigenvalues, fraction_inside, full_jacobian, joint_spectrum,
    max_matching_distance,
};
use serde::{Deserialize, Serialize};

/// Parameters of `clark_spectra`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpectraParams {
    /// Network size for the spectra and the band split (L is 2N × 2N).
    pub n: usize,
    /// Gain g.
    pub g: f64,
    /// Plasticity strengths of the spectrum panels (τ_s = 1).
    pub ks: Vec<f64>,
    /// Time of the state whose Jacobian is taken (τ_s = 1 panels).
    pub t_state: f64,
    /// Time of the state for the band split (τ_s = 10).
    pub t_bands: f64,
    /// Network seed (the §8.4 reference used seed 5).
    pub seed: u64,
    /// Sizes for the fixed-point count.
    pub fp_ns: Vec<usize>,
    /// Number of J* seeds per size (1..=`fp_seeds`).
    pub fp_seeds: u64,
    /// k of the fixed-point count (§7.2: 4).
    pub fp_k: f64,
}

impl Params for SpectraParams {
    fn preset(tier: Tier) -> Self {
        let (n, fp_ns) = match tier {
            Tier::Quick => (400, vec![4, 6, 8, 10, 12]),
            Tier::Default => (1000, vec![4, 6, 8, 10, 12, 14]),
            Tier::Paper => (2000, vec![4, 6, 8, 10, 12, 14, 16]),
        };
        Self {
            n,
            g: 2.0,
            ks: vec![-2.0, 0.0, 1.0, 2.0],
            t_state: 200.0,
            t_bands: 300.0,
            seed: 5,
            fp_ns,
            fp_seeds: 3,
            fp_k: 4.0,
        }
    }
}

/// One Jacobian spectrum with its support.
#[derive(Debug, Clone, Serialize)]
struct SpectrumResult {
    k: f64,
    tau_s: f64,
    q: f64,
    g2_dphi2: f64,
    top: Vec<Eigenvalue>,
    support_max_re: f64,
    support_rightmost_real: Option<f64>,
    support_max_abs_im: f64,
    spectrum_max_re: f64,
    spectrum_max_abs_im: f64,
    fraction_inside: f64,
    bands: [usize; 3],
    #[serde(skip)]
    eig: Vec<Eigenvalue>,
    #[serde(skip)]
    boundary: (Vec<f64>, Vec<f64>),
}

fn transfer(x: f64) -> (f64, f64) {
    (Nonlinearity::Erf.phi(x), Nonlinearity::Erf.dphi(x))
}

/// Points on the curve F(λ) = 1: sign changes of F − 1 between horizontal
/// and vertical grid neighbours, located by linear interpolation.
fn support_boundary(sup: &Support, re: (f64, f64), im: (f64, f64), nre: usize, nim: usize) -> (Vec<f64>, Vec<f64>) {
    let f = sup.grid(re, im, nre, nim);
    let x = |i: usize| re.0 + (re.1 - re.0) * i as f64 / (nre - 1) as f64;
    let y = |j: usize| im.0 + (im.1 - im.0) * j as f64 / (nim - 1) as f64;
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    let v = |i: usize, j: usize| (f[j * nre + i].min(1e6)).ln();
    for j in 0..nim {
        for i in 0..nre {
            if i + 1 < nre && (v(i, j) >= 0.0) != (v(i + 1, j) >= 0.0) {
                let t = v(i, j) / (v(i, j) - v(i + 1, j));
                bx.push(x(i) + t * (x(i + 1) - x(i)));
                by.push(y(j));
            }
            if j + 1 < nim && (v(i, j) >= 0.0) != (v(i, j + 1) >= 0.0) {
                let t = v(i, j) / (v(i, j) - v(i, j + 1));
                bx.push(x(i));
                by.push(y(j) + t * (y(j + 1) - y(j)));
            }
        }
    }
    (bx, by)
}

fn spectrum_at(p: &SpectraParams, k: f64, tau_s: f64, t: f64) -> Result<SpectrumResult> {
    let rp = RateParams { n: p.n, g: p.g, k, tau_s, ..Default::default() };
    let mut net = DenseNetwork::new(&rp, p.seed)?;
    net.run((t / rp.dt).round() as u64);
    let (phi, dphi): (Vec<f64>, Vec<f64>) = net.x().iter().map(|&x| transfer(x)).unzip();
    let a = net.plastic_matrix();
    let gj = net.couplings().to_f64();
    let ev = joint_spectrum(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s)?;
    let sup = Support::from_state(p.g, k, tau_s, &phi, &dphi)?;
    let edges = sup.edges(-3.0, 2.0, 3.0, 251, 151);
    let (frac, _) = fraction_inside(&sup, &ev, 0.9, 0.05);
    let boundary = support_boundary(&sup, (-3.0, 1.0), (-2.5, 2.5), 241, 241);
    let g2_dphi2 = p.g * p.g * dphi.iter().map(|d| d * d).sum::<f64>() / p.n as f64;
    Ok(SpectrumResult {
        k,
        tau_s,
        q: sup.q,
        g2_dphi2,
        top: ev.iter().take(4).copied().collect(),
        support_max_re: edges.max_re,
        support_rightmost_real: edges.rightmost_real,
        support_max_abs_im: edges.max_abs_im,
        spectrum_max_re: ev[0].re,
        spectrum_max_abs_im: ev.iter().fold(0.0, |m, e| m.max(e.im.abs())),
        fraction_inside: frac,
        bands: band_counts(&ev, -0.6, -0.3),
        eig: ev,
        boundary,
    })
}

/// Fixed-point counts at one N over the seeds.
#[derive(Debug, Clone, Serialize)]
struct CountResult {
    n: usize,
    distinct: Vec<usize>,
    stable: Vec<usize>,
    converged: Vec<usize>,
    starts: usize,
    mean_stable: f64,
    mean_ln_stable_over_n: f64,
}

fn spectrum_panel(s: &SpectrumResult) -> LinePanel {
    let mut panel = LinePanel::new(
        format!("k = {}: q = {:.2}, g²⟨φ'²⟩ = {:.2}, top Re λ = {:.3}", s.k, s.q, s.g2_dphi2, s.spectrum_max_re),
        "Re λ",
        "Im λ",
    )
    .with_series(Series::points("support F(λ) = 1", s.boundary.0.clone(), s.boundary.1.clone()).with_color(1))
    .with_series(
        Series::points("eigenvalues of L", s.eig.iter().map(|e| e.re).collect(), s.eig.iter().map(|e| e.im).collect())
            .with_color(0),
    )
    .with_series(Series::dashed("Re λ = 0", vec![0.0, 0.0], vec![-2.5, 2.5]).with_color(3));
    panel.x_range = Some((-3.0, 1.0));
    panel.y_range = Some((-2.5, 2.5));
    panel
}

/// Run `clark_spectra`.
pub fn spectra(p: &SpectraParams, dir: &RunDir) -> Result<Outcome> {
    if p.n < 10 {
        anyhow::bail!("n = {}: allowed values are n >= 10", p.n);
    }
    if p.fp_ns.iter().any(|&n| !(2..=20).contains(&n)) || p.fp_ns.len() < 2 {
        anyhow::bail!("fp_ns = {:?}: allowed values are at least two sizes in 2..=20", p.fp_ns);
    }
    if p.fp_seeds == 0 {
        anyhow::bail!("fp_seeds = 0: allowed values are >= 1");
    }
    let mut checks = Vec::new();
    let big_n = p.n >= 400;
    let edge_tol = if big_n { 0.1 } else { 0.15 };
    let edge_why = |what: &str| {
        format!(
            "{what} of the predicted support (F(λ) = 1, §5.2, empirical φ') vs the computed spectrum of L; §5.4 test \
             1: within 0.05–0.1 at N >= 400 (finite-N edge fluctuations and outliers of the finite-rank pieces){}",
            if big_n { "" } else { "; widened to 0.15 below N = 400" }
        )
    };

    // 1. Spectra at τ_s = 1.
    let mut spectra = Vec::new();
    for &k in &p.ks {
        let s = spectrum_at(p, k, 1.0, p.t_state).with_context(|| format!("spectrum at k = {k}"))?;
        checks.push(Check::abs(
            &format!("k={k}: support max Re vs spectrum max Re"),
            s.support_max_re,
            s.spectrum_max_re,
            edge_tol,
            &edge_why("rightmost point"),
        ));
        checks.push(Check::abs(
            &format!("k={k}: support max |Im| vs spectrum max |Im|"),
            s.support_max_abs_im,
            s.spectrum_max_abs_im,
            edge_tol,
            &edge_why("largest |Im|"),
        ));
        if k == -2.0 {
            checks.push(Check::abs(
                "k=-2: fraction of eigenvalues with F >= 0.9",
                s.fraction_inside,
                0.998,
                0.05,
                "§5.4 test 2 [N]: 0.998 at k = −2 (disks of 0.05 around −1 and −1/τ_s excluded); one realisation",
            ));
        }
        if k == 1.0 {
            checks.push(Check::abs(
                "k=1: fraction of eigenvalues with F >= 0.9",
                s.fraction_inside,
                0.86,
                0.14,
                "§5.4 test 2 [N]: 0.84 in one realisation at k = 1; the fraction is realisation-dependent at Hebbian \
                 k (0.45 at k = 2), so any value in [0.72, 1] passes",
            ));
        }
        spectra.push(s);
    }
    let fig1 = Figure {
        title: Some(format!("Joint Jacobian spectra: N = {}, g = {}, τ_s = 1, t = {}", p.n, p.g, p.t_state)),
        panels: spectra.iter().map(|s| Panel::Line(spectrum_panel(s))).collect(),
        columns: 2,
        panel_size: (620, 560),
    };
    fig1.save(&dir.figures_dir(), "spectra")?;

    // 2. Two bands at τ_s = 10.
    let mut bands = Vec::new();
    for k in [0.0, 2.0] {
        bands.push(spectrum_at(p, k, 10.0, p.t_bands).with_context(|| format!("band split at k = {k}"))?);
    }
    let m = 2 * p.n;
    checks.push(Check::abs(
        "tau_s=10, k=0: fraction of eigenvalues in the gap -0.6 <= Re < -0.3",
        bands[0].bands[1] as f64 / m as f64,
        37.0 / 800.0,
        0.03,
        "§8.4 [N]: 37 of 800 at k = 0 (no gap: the neuronal disk overlaps −1/τ_s); ±0.03 for another realisation",
    ));
    let b2 = &bands[1];
    checks.push(Check::abs(
        "tau_s=10, k=2: fraction of eigenvalues in the gap -0.6 <= Re < -0.3",
        b2.bands[1] as f64 / m as f64,
        0.0,
        0.01,
        "§8.4 [N]: 0 of 800 at N = 400 (seed 5, t = 300): a fast neuronal band near −1 and a slow band near −1/τ_s; \
         at most 1 % of 2N allowed for another realisation",
    ));
    checks.push(Check::abs(
        "tau_s=10, k=2: fraction of eigenvalues in the slow band Re >= -0.3",
        b2.bands[2] as f64 / m as f64,
        0.5,
        0.05,
        "§8.4 [N]: 400 of 800 (one per unit: the synaptic partner of each saturated neuron); ±5 %",
    ));
    checks.push(Check::abs(
        "tau_s=10, k=2: max Re of the fast band (Re < -0.6) stays below the gap",
        b2.eig.iter().filter(|e| e.re < -0.3).fold(f64::NEG_INFINITY, |a, e| a.max(e.re)),
        -0.8,
        0.2,
        "§8.4: the fast band is tight around −1 (saturated units, φ' ≈ 0); its edge must stay below −0.6",
    ));
    let mut band_panels = Vec::new();
    for s in &bands {
        let mut panel = spectrum_panel(s);
        panel.title = format!("k = {}: fast / gap / slow = {} / {} / {}", s.k, s.bands[0], s.bands[1], s.bands[2]);
        panel.shaded_x = vec![(-0.6, -0.3)];
        panel.x_range = Some((-1.6, 0.4));
        panel.y_range = Some((-1.2, 1.2));
        band_panels.push(Panel::Line(panel));
    }
    Figure {
        title: Some(format!("Two bands (§8.4): N = {}, g = {}, τ_s = 10, t = {}", p.n, p.g, p.t_bands)),
        panels: band_panels,
        columns: 2,
        panel_size: (620, 520),
    }
    .save(&dir.figures_dir(), "bands")?;

    // 3. Fixed-point counts.
    let mut counts = Vec::new();
    for &n in &p.fp_ns {
        let (mut distinct, mut stable, mut converged) = (Vec::new(), Vec::new(), Vec::new());
        let mut starts = 0;
        for seed in 1..=p.fp_seeds {
            let gj = draw_couplings(&RateParams { n, g: p.g, ..Default::default() }, seed)?;
            let opts = SearchOptions { starts: Starts::SignPatterns { scale: p.fp_k }, ..Default::default() };
            let c = search(&gj, p.fp_k, 1.0, &transfer, &opts)?;
            distinct.push(c.distinct());
            stable.push(c.stable());
            converged.push(c.converged);
            starts = c.starts;
        }
        let ns = p.fp_seeds as f64;
        let mean_stable = stable.iter().sum::<usize>() as f64 / ns;
        let mean_ln = stable.iter().map(|&s| (s.max(1) as f64).ln() / n as f64).sum::<f64>() / ns;
        counts.push(CountResult {
            n,
            distinct,
            stable,
            converged,
            starts,
            mean_stable,
            mean_ln_stable_over_n: mean_ln,
        });
    }
    let xs: Vec<f64> = counts.iter().map(|c| c.n as f64).collect();
    let ys: Vec<f64> = counts.iter().map(|c| c.mean_stable.max(1.0).ln()).collect();
    let (icpt, slope, r2) = fit_line(&xs, &ys).context("fixed-point fit")?;
    checks.push(Check::abs(
        "fixed points: r^2 of ln(mean #stable) vs N",
        r2,
        1.0,
        0.05,
        "§7.1 step 4 / [A]: the number of stable joint fixed points grows exponentially with N, so ln(count) is a \
         straight line in N",
    ));
    checks.push(Check::abs(
        "fixed points: slope of ln(mean #stable) vs N (complexity Sigma(2,4))",
        slope,
        0.55,
        0.14,
        "§7.2 [N]: mean ln(#stable)/N = 0.60, 0.57, 0.55 at N = 4, 6, 8 (three seeds); the slope is 'to be \
         measured'; ±0.14 keeps it below the ln 2 = 0.69 ceiling of 2^N sign-pattern starts",
    ));
    if let Some(c8) = counts.iter().find(|c| c.n == 8) {
        checks.push(Check::abs(
            "fixed points: mean ln(#stable)/N at N = 8",
            c8.mean_ln_stable_over_n,
            0.55,
            0.08,
            "§7.2 [N]: 0.55 over three seeds (their seeds spread 0.53–0.58); different J* realisations, ±0.08",
        ));
    }
    let tot_d: usize = counts.iter().flat_map(|c| c.distinct.iter()).sum();
    let tot_s: usize = counts.iter().flat_map(|c| c.stable.iter()).sum();
    checks.push(Check::abs(
        "fixed points: stable fraction over all sizes and seeds",
        tot_s as f64 / tot_d.max(1) as f64,
        1.0,
        0.15,
        "§7.2 [N]: almost all of these fixed points are jointly stable (e.g. 76 of 84, 106 of 108 at N = 8)",
    ));
    let fit_x: Vec<f64> = vec![xs[0], *xs.last().unwrap()];
    let mut count_panel = LinePanel::new(
        format!(
            "g = {}, k = {}, {} seeds: ln #stable = {icpt:.2} + {slope:.3} N (r² = {r2:.4})",
            p.g, p.fp_k, p.fp_seeds
        ),
        "N",
        "count",
    )
    .with_series(
        Series::points("mean #stable", xs.clone(), counts.iter().map(|c| c.mean_stable).collect()).with_color(0),
    )
    .with_series(Series::dashed(
        "mean #distinct",
        xs.clone(),
        counts.iter().map(|c| c.distinct.iter().sum::<usize>() as f64 / p.fp_seeds as f64).collect(),
    ))
    .with_series(Series::line(
        format!("fit e^({icpt:.2} + {slope:.3} N)"),
        fit_x.clone(),
        fit_x.iter().map(|n| (icpt + slope * n).exp()).collect(),
    ))
    .with_series(Series::dashed("2^N starts", fit_x.clone(), fit_x.iter().map(|n| 2f64.powf(*n)).collect()));
    count_panel.log_y = true;
    let fig3 = crate::save_lines(
        dir,
        "Fixed points grow exponentially with N (§7)".into(),
        vec![count_panel],
        "fixed_points",
        "ln(#stable joint fixed points) against N is a straight line (slope = complexity Σ); the dashed 2^N is \
         the number of starts.",
    )?;

    // 4. Reduction oracle at N = 10.
    let (n, k, tau_s) = (10usize, 2.0, 2.0);
    let rp = RateParams { n, g: p.g, k, tau_s, ..Default::default() };
    let mut net = DenseNetwork::new(&rp, p.seed)?;
    net.run(2000);
    let (phi, dphi): (Vec<f64>, Vec<f64>) = net.x().iter().map(|&x| transfer(x)).unzip();
    let a = net.plastic_matrix();
    let gj = net.couplings().to_f64();
    let full = full_jacobian(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s)?;
    let ev_full = eigenvalues(&full, n + n * n)?;
    let mut ev_red = joint_spectrum(&gj, Plastic::Dense(&a), &phi, &dphi, k, tau_s)?;
    ev_red.extend(std::iter::repeat_n(Eigenvalue { re: -1.0 / tau_s, im: 0.0 }, n * n - n));
    let red_dist = max_matching_distance(&ev_red, &ev_full).unwrap_or(f64::NAN);
    checks.push(Check::abs(
        "N=10: max |spec(full) - spec(L) u {-1/tau_s}^(N^2-N)|",
        red_dist,
        0.0,
        1e-9,
        "§5.1 exact reduction; −1/τ_s is semisimple in the full Jacobian, so QR resolves all eigenvalues to ~1e-13",
    ));

    let figures = vec![
        FigureRef {
            png: "figures/spectra.png".into(),
            caption: "Eigenvalues of the 2N reduced Jacobian (blue) inside the predicted support F(λ) = 1 (§5.2): \
                      the disk is squeezed onto the real axis for Hebbian k and split into two lobes off the axis for \
                      anti-Hebbian k."
                .into(),
        },
        FigureRef {
            png: "figures/bands.png".into(),
            caption: "At τ_s = 10 and k = 2 the spectrum splits into a fast neuronal band near −1 and a slow band \
                      near −1/τ_s holding all unstable modes; the gap (shaded) is empty. At k = 0 it is not."
                .into(),
        },
        fig3,
    ];
    let results = serde_json::json!({
        "spectra": spectra,
        "bands": bands,
        "fixed_points": counts,
        "fixed_point_fit": { "intercept": icpt, "slope": slope, "r2": r2 },
        "reduction_max_distance": red_dist,
    });
    Ok(Outcome {
        title: "Clark & Abbott: joint Jacobian spectra, two bands, fixed points".into(),
        checks,
        figures,
        results,
    })
}
