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
pub mod akil_b_plastic;
pub mod akil_correlations;
pub mod akil_distributions;
pub mod akil_fixed_point_networks;
pub mod akil_hebbian;
pub mod akil_initial;
pub mod akil_optogenetic;
pub mod akil_perturbation;
pub mod akil_timescales;
pub mod akil_windows;
pub mod clark;
pub mod clark_dmft;
pub mod clark_lyapunov;
pub mod clark_phase;
pub mod clark_spectra;
pub mod kimchow;

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
    /// A one-sided check: passes when `value ≥ bound` (shown as the
    /// expected value with tolerance 0; say "≥" in the name).
    pub fn at_least(name: &str, value: f64, bound: f64, why: &str) -> Self {
        Self { name: name.into(), value, expected: bound, tolerance: 0.0, pass: value >= bound, why: why.into() }
    }
    /// A one-sided check: passes when `value ≤ bound` (say "≤" in the name).
    pub fn at_most(name: &str, value: f64, bound: f64, why: &str) -> Self {
        Self { name: name.into(), value, expected: bound, tolerance: 0.0, pass: value <= bound, why: why.into() }
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
    /// Run only task I of the experiment (one Slurm array element) and write
    /// `<out>/tasks/task-I.json`; `--collect` merges them later.
    #[arg(long, conflicts_with_all = ["collect", "count_tasks"])]
    pub task: Option<usize>,
    /// Merge the task outputs in `<out>/tasks/` into the summary and figures,
    /// exactly as a local run does after its last task.
    #[arg(long, conflicts_with = "count_tasks")]
    pub collect: bool,
    /// Print how many tasks the experiment has at these parameters and exit.
    #[arg(long)]
    pub count_tasks: bool,
    /// Checkpoint every spiking simulation this often (simulated seconds)
    /// under `<out>/checkpoints/`; a rerun of an interrupted experiment or
    /// task continues from there (0: never).
    #[arg(long, default_value_t = 600.0)]
    pub checkpoint_every: f64,
}

/// Where and how often spiking simulations checkpoint (set once per
/// process from the command line).
struct Checkpointing {
    dir: PathBuf,
    every_s: f64,
}

static CHECKPOINTING: std::sync::OnceLock<Checkpointing> = std::sync::OnceLock::new();

fn init_checkpointing(args: &Args) {
    let _ = CHECKPOINTING.set(Checkpointing { dir: args.out.join("checkpoints"), every_s: args.checkpoint_every });
}

/// FNV-1a of a string: names a simulation's checkpoint after its config.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Run a spiking simulation to its end, checkpointing as the command line
/// asks (`--checkpoint-every`, under `<out>/checkpoints/`). If a checkpoint
/// of the same config is there (the experiment was interrupted), the run
/// continues from it — bit-identical to an uninterrupted run (the engine's
/// resume is exact). The checkpoint is removed once the run is complete.
pub fn run_simulation(cfg: hebb::sim::SimConfig) -> Result<hebb::sim::Simulation> {
    let (sim, runaway) = run_simulation_keeping_runaway(cfg)?;
    match runaway {
        Some(e) => Err(e.into()),
        None => Ok(sim),
    }
}

/// [`run_simulation`] for experiments where runaway activity is an outcome
/// (e.g. fast plasticity): if the spike cap stops the run, the simulation
/// is returned with what it recorded up to then, beside the error.
pub fn run_simulation_keeping_runaway(
    cfg: hebb::sim::SimConfig,
) -> Result<(hebb::sim::Simulation, Option<hebb::sim::SimError>)> {
    match CHECKPOINTING.get() {
        Some(c) if c.every_s > 0.0 => run_checkpointed_keeping_runaway(cfg, &c.dir, c.every_s, None),
        _ => {
            let mut sim = hebb::sim::Simulation::new(cfg)?;
            let runaway = runaway_or_err(sim.run(&mut |_| {}))?;
            Ok((sim, runaway))
        }
    }
}

/// A spike-cap error becomes `Ok(Some(..))`; other errors stay errors.
fn runaway_or_err(r: std::result::Result<(), hebb::sim::SimError>) -> Result<Option<hebb::sim::SimError>> {
    match r {
        Ok(()) => Ok(None),
        Err(e @ hebb::sim::SimError::SpikeCap { .. }) => Ok(Some(e)),
        Err(e) => Err(e.into()),
    }
}

/// [`run_simulation`] with explicit checkpointing: every `every_s`
/// simulated seconds into `dir/<hash of the config>.json`; with
/// `stop_after_steps`, return after the first checkpoint at or past that
/// step (as if the process had been killed there; used by the tests).
pub fn run_checkpointed(
    cfg: hebb::sim::SimConfig,
    dir: &std::path::Path,
    every_s: f64,
    stop_after_steps: Option<u64>,
) -> Result<hebb::sim::Simulation> {
    let (sim, runaway) = run_checkpointed_keeping_runaway(cfg, dir, every_s, stop_after_steps)?;
    match runaway {
        Some(e) => Err(e.into()),
        None => Ok(sim),
    }
}

/// [`run_checkpointed`] returning a runaway's simulation beside its error.
fn run_checkpointed_keeping_runaway(
    cfg: hebb::sim::SimConfig,
    dir: &std::path::Path,
    every_s: f64,
    stop_after_steps: Option<u64>,
) -> Result<(hebb::sim::Simulation, Option<hebb::sim::SimError>)> {
    let path = dir.join(format!("sim-{:016x}.json", fnv1a(&serde_json::to_string(&cfg)?)));
    let mut sim = match std::fs::read_to_string(&path) {
        Ok(text) => {
            let cp: hebb::sim::Checkpoint =
                serde_json::from_str(&text).with_context(|| format!("reading the checkpoint {}", path.display()))?;
            eprintln!("resuming from {} (step {})", path.display(), cp.step);
            hebb::sim::Simulation::restore(cfg, cp)?
        }
        Err(_) => hebb::sim::Simulation::new(cfg)?,
    };
    let every = ((every_s * 1000.0 / sim.grid().dt_ms).round() as u64).max(1);
    let n = sim.n_steps();
    while sim.steps_done() < n {
        let next = ((sim.steps_done() / every + 1) * every).min(n);
        if let Some(e) = runaway_or_err(sim.run_until(next, &mut |_| {}))? {
            let _ = std::fs::remove_file(&path);
            return Ok((sim, Some(e)));
        }
        if sim.steps_done() < n {
            std::fs::create_dir_all(dir)?;
            hebb::io::write_json(&path, &sim.checkpoint())?;
            if stop_after_steps.is_some_and(|s| sim.steps_done() >= s) {
                return Ok((sim, None));
            }
        }
    }
    let _ = std::fs::remove_file(&path);
    Ok((sim, None))
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

/// An experiment made of independent tasks (one simulation each) and a
/// collect step that turns their outputs into checks and figures.
///
/// This is what lets a sweep run as a Slurm job array: task `i` is a pure
/// function of (parameters, i) — its seeds come from the experiment seed and
/// the task's own parameters — and writes `tasks/task-i.json`; `collect`
/// reads them all back. A local run goes through the same files, so a local
/// run and a job-array run of the same tier give identical summaries.
pub trait Sweep: Params {
    /// What one task returns (stored as JSON; floats round-trip exactly).
    type Task: Serialize + serde::de::DeserializeOwned;
    /// Number of tasks at these parameters.
    fn task_count(&self) -> usize;
    /// Run task `index` (< `task_count()`).
    fn run_task(&self, index: usize) -> Result<Self::Task>;
    /// Turn all task outputs, in index order, into the experiment's outcome.
    fn collect(&self, tasks: Vec<Self::Task>, dir: &RunDir) -> Result<Outcome>;
}

/// The file one task writes, with what is needed to check that all tasks
/// of a collect step ran with the same parameters.
#[derive(Serialize, serde::Deserialize)]
struct TaskFile<T> {
    experiment: String,
    index: usize,
    count: usize,
    config: serde_json::Value,
    wall_s: f64,
    cpu_s: Option<f64>,
    output: T,
}

fn task_path(out: &std::path::Path, index: usize) -> PathBuf {
    out.join("tasks").join(format!("task-{index:04}.json"))
}

/// Run a [`Sweep`] experiment: all tasks then the collect step, or one
/// task (`--task I`), or the collect step alone (`--collect`).
pub fn main_sweep<P: Sweep>(name: &str) -> Result<()> {
    let args = Args::parse();
    let clock = Stopwatch::start();
    let params: P = resolve(&args)?;
    init_checkpointing(&args);
    let count = params.task_count();
    if args.count_tasks {
        println!("{count}");
        return Ok(());
    }
    let config = serde_json::to_value(&params)?;
    let run_one = |index: usize| -> Result<()> {
        let task_clock = Stopwatch::start();
        eprintln!("{name}: task {} of {count}", index + 1);
        let output = params.run_task(index).with_context(|| format!("{name}: task {index}"))?;
        let file = TaskFile {
            experiment: name.into(),
            index,
            count,
            config: config.clone(),
            wall_s: task_clock.wall_s(),
            cpu_s: task_clock.cpu_s(),
            output,
        };
        let path = task_path(&args.out, index);
        std::fs::create_dir_all(path.parent().expect("tasks/ has a parent"))?;
        hebb::io::write_json(&path, &file)?;
        Ok(())
    };
    if let Some(index) = args.task {
        if index >= count {
            anyhow::bail!(
                "--task {index}: allowed values are 0..{count} ({name} has {count} tasks at these parameters)"
            );
        }
        return run_one(index);
    }
    if !args.collect {
        (0..count).try_for_each(run_one)?;
    }
    let mut outputs = Vec::with_capacity(count);
    let mut task_cpu = 0.0;
    for index in 0..count {
        let path = task_path(&args.out, index);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("{name}: task {index} has no output ({}); run it with --task {index}", path.display())
        })?;
        let file: TaskFile<P::Task> =
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        if file.experiment != name || file.count != count || file.config != config {
            anyhow::bail!(
                "{}: written by a run with other parameters (experiment {}, {} tasks); rerun the tasks",
                path.display(),
                file.experiment,
                file.count
            );
        }
        task_cpu += file.cpu_s.unwrap_or(0.0);
        outputs.push(file.output);
    }
    // CPU of the whole experiment: this process's, plus the tasks' own when
    // they ran elsewhere (`--collect` after a job array).
    let cpu = clock.cpu_s().map(|c| if args.collect { c + task_cpu } else { c });
    write_outcome(name, &args, &params, &clock, cpu, |dir| params.collect(outputs, dir))
}

/// Run experiment `name` with `f` and write its run directory. It is a
/// one-task experiment: `--task 0` runs it whole, `--collect` only
/// re-checks the summary a run wrote.
pub fn main_with<P: Params>(name: &str, f: impl FnOnce(&P, &RunDir) -> Result<Outcome>) -> Result<()> {
    let args = Args::parse();
    let clock = Stopwatch::start();
    let params: P = resolve(&args)?;
    init_checkpointing(&args);
    if args.count_tasks {
        println!("1");
        return Ok(());
    }
    if args.collect {
        let path = args.out.join("summary.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{name}: no summary at {}; run it with --task 0", path.display()))?;
        let summary: serde_json::Value = serde_json::from_str(&text)?;
        let failed = summary["checks"].as_array().map_or(0, |c| c.iter().filter(|c| c["pass"] != true).count());
        if failed > 0 {
            anyhow::bail!("{failed} check(s) failed");
        }
        return Ok(());
    }
    if let Some(index) = args.task
        && index != 0
    {
        anyhow::bail!("--task {index}: allowed values are 0..1 ({name} runs as one task)");
    }
    write_outcome(name, &args, &params, &clock, None, |dir| f(&params, dir))
}

/// Create the run directory, run `f` in it and write the summary, manifest
/// and check lines; fails when a check fails.
fn write_outcome<P: Params>(
    name: &str,
    args: &Args,
    params: &P,
    clock: &Stopwatch,
    cpu_s: Option<f64>,
    f: impl FnOnce(&RunDir) -> Result<Outcome>,
) -> Result<()> {
    let dir = RunDir::create_with(&args.out, true)?;
    let config = serde_json::to_value(params)?;
    let mut manifest = Manifest::begin(
        env!("CARGO_PKG_VERSION"),
        config,
        0,
        1,
        hebb::io::git_revision(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))),
        clock,
    );
    dir.write_manifest(&manifest)?;
    let out = f(&dir)?;
    let summary = ExperimentSummary {
        experiment: name.into(),
        title: out.title,
        tier: args.tier,
        checks: out.checks,
        figures: out.figures,
        results: out.results,
        wall_s: clock.wall_s(),
        cpu_s: cpu_s.or_else(|| clock.cpu_s()),
    };
    dir.write_json("summary.json", &summary)?;
    manifest.complete(clock, &dir)?;
    dir.write_manifest(&manifest)?;
    let failed = summary.checks.iter().filter(|c| !c.pass).count();
    for c in &summary.checks {
        // Five decimals, or scientific notation for huge values (a runaway
        // counts as an unbounded gap, stored as f64::MAX).
        let number = |x: f64| if x.abs() >= 1e7 { format!("{x:.3e}") } else { format!("{x:.5}") };
        eprintln!(
            "{} {}: {} vs {} ± {}",
            if c.pass { "PASS" } else { "FAIL" },
            c.name,
            number(c.value),
            number(c.expected),
            number(c.tolerance)
        );
    }
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}
