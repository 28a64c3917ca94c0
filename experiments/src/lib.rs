//! # hebb-experiments
//!
//! The experiments of the papers, one binary per catalogue entry (specs/akil.md
//! §4). Each is a pure function of its parameters (a tier preset, optionally
//! overridden by a TOML file) to a run directory: `manifest.json`,
//! `summary.json` with a list of checks `{name, value, expected, tolerance,
//! pass}`, data files and `figures/` (PNG + SVG). `cargo xtask reproduce`
//! runs them all and writes a report.
//!
//! Tiers: `quick` (reduced N and T; all experiments in a few minutes on 2
//! cores; CI runs it), `default` (faithful but shortened), `paper` (the
//! spec's full durations, for a cluster).

pub mod akil;
pub mod clark;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use hebb::io::{Manifest, RunDir, Stopwatch};
use serde::Serialize;
use std::path::PathBuf;

/// How faithful (and slow) a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Reduced N and T, minutes for everything (CI).
    Quick,
    /// Faithful but shortened (hours on 2 cores).
    Default,
    /// The spec's full durations (a cluster).
    Paper,
}

/// One simulation-versus-theory comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What is compared.
    pub name: String,
    /// Measured value.
    pub value: f64,
    /// Expected value (theory or the paper's number).
    pub expected: f64,
    /// Allowed |value − expected| (absolute), with its justification in `why`.
    pub tolerance: f64,
    /// Whether |value − expected| ≤ tolerance.
    pub pass: bool,
    /// Where the expectation and the tolerance come from.
    pub why: String,
}

impl Check {
    /// A check with an absolute tolerance.
    pub fn abs(name: &str, value: f64, expected: f64, tolerance: f64, why: &str) -> Self {
        let pass = value.is_finite() && (value - expected).abs() <= tolerance;
        Self { name: name.into(), value, expected, tolerance, pass, why: why.into() }
    }
    /// A check with a relative tolerance (fraction of |expected|).
    pub fn rel(name: &str, value: f64, expected: f64, rel: f64, why: &str) -> Self {
        Self::abs(name, value, expected, rel * expected.abs(), why)
    }
}

/// A figure of the experiment and the one-line caption saying what to look at.
#[derive(Debug, Clone, Serialize)]
pub struct FigureRef {
    /// PNG path relative to the run directory.
    pub png: String,
    /// What to look at.
    pub caption: String,
}

/// `summary.json` of an experiment.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentSummary {
    /// Experiment id (`akil_c_kohonen`).
    pub experiment: String,
    /// What it shows.
    pub title: String,
    /// Tier it ran at.
    pub tier: Tier,
    /// The checks.
    pub checks: Vec<Check>,
    /// Figures with captions.
    pub figures: Vec<FigureRef>,
    /// Named scalar results.
    pub results: serde_json::Value,
    /// Wall seconds of the whole experiment.
    pub wall_s: f64,
    /// CPU seconds of the whole experiment.
    pub cpu_s: Option<f64>,
}

/// Command line shared by every experiment binary.
#[derive(Parser, Debug)]
pub struct Args {
    /// Tier preset of the parameters.
    #[arg(long, value_enum, default_value = "quick")]
    pub tier: Tier,
    /// TOML file overriding parameters of the preset.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Run directory.
    #[arg(long)]
    pub out: PathBuf,
}

/// What an experiment function returns before the summary is written.
pub struct Outcome {
    /// Title.
    pub title: String,
    /// Checks.
    pub checks: Vec<Check>,
    /// Figures.
    pub figures: Vec<FigureRef>,
    /// Results.
    pub results: serde_json::Value,
}

/// Save a one-column figure of line panels as `figures/<stem>.png` (and
/// SVG) and return it with its caption.
pub fn save_lines(
    dir: &RunDir,
    title: String,
    panels: Vec<hebb::plot::LinePanel>,
    stem: &str,
    caption: &str,
) -> Result<FigureRef> {
    let fig = hebb::plot::Figure {
        title: Some(title),
        panels: panels.into_iter().map(hebb::plot::Panel::Line).collect(),
        columns: 1,
        panel_size: (900, 370),
    };
    fig.save(&dir.figures_dir(), stem)?;
    Ok(FigureRef { png: format!("figures/{stem}.png"), caption: caption.into() })
}

/// Parameters of an experiment: a preset per tier, overridable from TOML.
pub trait Params: Serialize + serde::de::DeserializeOwned + Clone {
    /// The preset of `tier`.
    fn preset(tier: Tier) -> Self;
}

/// Resolve the parameters: the tier preset with the file's keys on top.
pub fn resolve<P: Params>(args: &Args) -> Result<P> {
    let preset = P::preset(args.tier);
    let Some(path) = &args.config else { return Ok(preset) };
    let mut base = toml::Table::try_from(&preset)?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let over: toml::Table = toml::from_str(&text)?;
    for (k, v) in over {
        if !base.contains_key(&k) {
            anyhow::bail!(
                "{}: unknown parameter `{k}` (allowed: {})",
                path.display(),
                base.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        base.insert(k, v);
    }
    Ok(toml::Value::Table(base).try_into()?)
}

/// Run experiment `name` with `f` and write its run directory.
pub fn main_with<P: Params>(name: &str, f: impl FnOnce(&P, &RunDir) -> Result<Outcome>) -> Result<()> {
    let args = Args::parse();
    let clock = Stopwatch::start();
    let params: P = resolve(&args)?;
    let dir = RunDir::create_with(&args.out, true)?;
    let config = serde_json::to_value(&params)?;
    let mut manifest = Manifest::begin(
        env!("CARGO_PKG_VERSION"),
        config,
        0,
        1,
        hebb::io::git_revision(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))),
        &clock,
    );
    dir.write_manifest(&manifest)?;
    let out = f(&params, &dir)?;
    let summary = ExperimentSummary {
        experiment: name.into(),
        title: out.title,
        tier: args.tier,
        checks: out.checks,
        figures: out.figures,
        results: out.results,
        wall_s: clock.wall_s(),
        cpu_s: clock.cpu_s(),
    };
    dir.write_json("summary.json", &summary)?;
    manifest.complete(&clock, &dir)?;
    dir.write_manifest(&manifest)?;
    let failed = summary.checks.iter().filter(|c| !c.pass).count();
    for c in &summary.checks {
        eprintln!(
            "{} {}: {:.5} vs {:.5} ± {:.5}",
            if c.pass { "PASS" } else { "FAIL" },
            c.name,
            c.value,
            c.expected,
            c.tolerance
        );
    }
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}
