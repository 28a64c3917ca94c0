//! The `hebb` program: run a spiking network from a config and write a run
//! directory (manifest, summary, data, figures); print or check configs.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use hebb::config::{self, ConfigError, Preset};
use hebb::io::{Manifest, RunDir, Stopwatch};
use hebb::output::SpikeFiles;
use hebb::sim::{Checkpoint, SimError, Simulation};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hebb", version, about = "Simulate plastic recurrent networks, with the theory beside every run.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a simulation and write its run directory.
    Run(RunArgs),
    /// Print or check configs.
    Config(ConfigArgs),
}

#[derive(Args)]
struct RunArgs {
    /// Config file (TOML). Without it, the embedded preset runs.
    config: Option<PathBuf>,
    /// Run directory to create (default: runs/<UTC time>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a config key, e.g. --set run.duration_ms=2000 --set external[0].c=0
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Embedded config used when no file is given.
    #[arg(long, value_enum, default_value = "akil")]
    preset: Preset,
    /// Replace the contents of an existing --out directory.
    #[arg(long)]
    overwrite: bool,
    /// Write a checkpoint every this many simulated seconds.
    #[arg(long, value_name = "SECONDS")]
    checkpoint_every: Option<f64>,
    /// Continue the interrupted run in this directory from its checkpoint.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "out", "sets", "overwrite"])]
    resume: Option<PathBuf>,
    /// Stop (with a checkpoint) once this much simulated time has run, e.g.
    /// to split a long run into jobs; continue it later with --resume.
    #[arg(long, value_name = "MS")]
    stop_at_ms: Option<f64>,
    /// Skip the figures.
    #[arg(long)]
    no_figures: bool,
    /// Leave this much simulated time out of the speed figures (a warm-up,
    /// as in the benchmark protocol of specs/performance.md §9).
    #[arg(long, value_name = "MS", default_value_t = 0.0)]
    warmup_ms: f64,
}

#[derive(Args)]
struct ConfigArgs {
    /// Print the fully resolved embedded config, every key documented.
    #[arg(long)]
    print_default: bool,
    /// Which embedded config to print.
    #[arg(long, value_enum, default_value = "akil")]
    preset: Preset,
    /// Check a config file (with any --set) and print it resolved.
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
    /// Overrides applied before checking.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

/// Exit codes: 0 success, 1 failure, 2 bad config or arguments, 3 runaway
/// activity (spike cap; outputs up to that point are written).
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Config(args) => config_cmd(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let config_error = e.chain().any(|c| c.is::<ConfigError>() || c.is::<hebb::core::ParamError>());
            ExitCode::from(if config_error { 2 } else { 1 })
        }
    }
}

fn config_cmd(args: ConfigArgs) -> Result<ExitCode> {
    if let Some(path) = &args.check {
        let cfg = config::load(Some(path), args.preset, &args.sets)?;
        print!("{}", config::to_toml(&cfg));
        eprintln!("{}: ok", path.display());
    } else if args.print_default {
        if args.sets.is_empty() {
            print!("{}", args.preset.toml());
        } else {
            print!("{}", config::to_toml(&config::load(None, args.preset, &args.sets)?));
        }
    } else {
        bail!(ConfigError::Set("nothing to do: use --print-default or --check FILE".into()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Weight snapshots as NPY files: `weights_<post>_from_<pre>_t<ms>.npy`.
struct SnapshotFiles {
    dir: PathBuf,
}

impl hebb::sim::WeightSink for SnapshotFiles {
    fn snapshot(&mut self, synapse: &str, t_ms: f64, weights_j: &[f32]) -> std::io::Result<()> {
        let name = format!("weights_{}_t{}ms.npy", synapse.replace("<-", "_from_"), t_ms);
        hebb::io::write_npy(self.dir.join(name), weights_j, &[weights_j.len()]).map_err(std::io::Error::other)
    }
}

const CHECKPOINT: &str = "checkpoint.json";
const CONFIG: &str = "config.toml";

fn run(args: RunArgs) -> Result<ExitCode> {
    let clock = Stopwatch::start();
    // Resolve the config and the run directory, fresh or resumed.
    let (cfg, dir, checkpoint) = match &args.resume {
        Some(d) => {
            let dir = RunDir::open(d)?;
            let text = std::fs::read_to_string(dir.path(CONFIG))
                .with_context(|| format!("reading {}", dir.path(CONFIG).display()))?;
            let cfg = config::parse(&text, &[])?;
            let cp_text = std::fs::read_to_string(dir.path(CHECKPOINT)).with_context(|| {
                format!(
                    "no checkpoint in {} (was the run started with --checkpoint-every or --stop-at-ms?)",
                    d.display()
                )
            })?;
            let cp: Checkpoint = serde_json::from_str(&cp_text).context("reading the checkpoint")?;
            (cfg, dir, Some(cp))
        }
        None => {
            let cfg = config::load(args.config.as_deref(), args.preset, &args.sets)?;
            let out = args.out.clone().unwrap_or_else(|| {
                PathBuf::from("runs").join(hebb::io::utc_iso8601(std::time::SystemTime::now()).replace(':', "-"))
            });
            let dir = RunDir::create_with(&out, args.overwrite)?;
            hebb::io::write_atomic(dir.path(CONFIG), |w| {
                std::io::Write::write_all(w, config::to_toml(&cfg).as_bytes())
            })?;
            (cfg, dir, None)
        }
    };
    let config_json = serde_json::to_value(&cfg)?;
    let mut manifest = Manifest::begin(
        env!("CARGO_PKG_VERSION"),
        config_json,
        cfg.run.seed,
        cfg.run.threads,
        hebb::io::git_revision(Path::new(env!("CARGO_MANIFEST_DIR"))),
        &clock,
    );
    dir.write_manifest(&manifest)?;

    eprintln!("building the network (N = {}) ...", cfg.network.n);
    let build_clock = Stopwatch::start();
    let sim = match checkpoint {
        Some(cp) => {
            let keep = cp.spikes_written;
            let mut sim = Simulation::restore(cfg.clone(), cp)?;
            if cfg.record.spikes {
                sim = sim.with_sink(Box::new(SpikeFiles::open(&dir, Some(keep))?));
            }
            sim
        }
        None => {
            let sim = Simulation::new(cfg.clone())?;
            if cfg.record.spikes { sim.with_sink(Box::new(SpikeFiles::open(&dir, None)?)) } else { sim }
        }
    };
    let mut sim = sim.with_weight_sink(Box::new(SnapshotFiles { dir: dir.root().to_path_buf() }));
    let build_s = build_clock.wall_s();
    eprintln!(
        "{} neurons, {} synapses ({:.1} MB) built in {:.2} s",
        sim.network.n(),
        sim.network.n_synapses(),
        sim.network.synapse_bytes() as f64 / 1e6,
        build_s
    );

    // Step, with a progress bar once the run has lasted a few seconds.
    let n_steps = sim.n_steps();
    let dt = cfg.run.dt_ms;
    let bar = ProgressBar::with_draw_target(Some(n_steps), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {percent:>3}% {msg} ETA {eta}")
            .unwrap()
            .progress_chars("=> "),
    );
    let warmup_step = ((args.warmup_ms / dt).round() as u64).min(n_steps);
    if sim.steps_done() < warmup_step {
        sim.run_until(warmup_step, &mut |_| {})?;
    }
    let step_clock = Stopwatch::start();
    let cpu_before = hebb::io::cpu_time_s();
    let start_step = sim.steps_done();
    let mut shown = false;
    let mut progress = |n: u64| {
        if !shown && step_clock.wall_s() > 2.0 {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_position(n);
        bar.set_message(format!("t = {:.1} s", n as f64 * dt * 1e-3));
    };
    let checkpoint_steps = args.checkpoint_every.map(|s| ((s * 1000.0 / dt).round() as u64).max(1));
    let stop_step = args.stop_at_ms.map(|ms| ((ms / dt).round() as u64).min(n_steps)).unwrap_or(n_steps);
    let mut stopped: Option<SimError> = None;
    while sim.steps_done() < stop_step {
        let next = match checkpoint_steps {
            Some(c) => ((sim.steps_done() / c + 1) * c).min(stop_step),
            None => stop_step,
        };
        if let Err(e) = sim.run_until(next, &mut progress) {
            match e {
                SimError::SpikeCap { .. } => {
                    stopped = Some(e);
                    break;
                }
                other => return Err(other.into()),
            }
        }
        if checkpoint_steps.is_some() || sim.steps_done() == stop_step && stop_step < n_steps {
            write_checkpoint(&mut sim, &dir)?;
        }
    }
    bar.finish_and_clear();
    let step_wall = step_clock.wall_s();
    let step_cpu = hebb::io::cpu_time_s().zip(cpu_before).map(|(a, b)| a - b);
    if sim.steps_done() < n_steps && stopped.is_none() {
        eprintln!(
            "stopped at t = {:.1} ms with a checkpoint; continue with: hebb run --resume {}",
            sim.steps_done() as f64 * dt,
            dir.root().display()
        );
    }

    // Outputs.
    if let Some(sink) = sim.sink_mut() {
        sink.finish()?;
    }
    let res = sim.results();
    let summary = hebb::report::summary(
        &cfg,
        &sim,
        &res,
        hebb::report::Timing {
            wall_s: clock.wall_s(),
            build_s,
            step_wall_s: step_wall,
            step_cpu_s: step_cpu,
            steps: sim.steps_done() - start_step,
        },
        stopped.as_ref().map(|e| e.to_string()),
    );
    hebb::report::write_data(&dir, &sim, &res)?;
    dir.write_json("summary.json", &summary)?;
    if !args.no_figures {
        hebb::report::figures(&dir, &sim, &res)?;
    }
    manifest.complete(&clock, &dir)?;
    dir.write_manifest(&manifest)?;
    println!("{}", hebb::report::table(&summary));
    println!("run directory: {}", dir.root().display());
    if let Some(e) = stopped {
        eprintln!("error: {e}");
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_checkpoint(sim: &mut Simulation, dir: &RunDir) -> Result<()> {
    // Make the spike files complete up to this step, then record the state
    // (which names how many spikes the files hold).
    if let Some(sink) = sim.sink_mut() {
        sink.checkpoint()?;
    }
    let text = serde_json::to_vec(&sim.checkpoint())?;
    hebb::io::write_atomic(dir.path(CHECKPOINT), |w| std::io::Write::write_all(w, &text))?;
    Ok(())
}
