//! `hebb-mpi-run`: run one spiking network over the ranks of an MPI job.
//!
//! ```text
//! mpirun -n 2 hebb-mpi-run --out runs/mpi2 [CONFIG] [--n 5000] [--duration-ms 1000] [--set KEY=VALUE]...
//! ```
//!
//! Without a config file it runs the embedded demo of `hebb run` (the Akil
//! et al. network with iSTDP on E←I and I←I). Rank `r` of `p` owns the
//! neurons `block_range(N, r, p)`; every rank learns every spike, and rank 0
//! writes into `--out`:
//!
//! * `spikes_t_ms.npy`, `spikes_neuron.npy`: the raster, in the format of
//!   `hebb run` (byte-identical to its files for the same config);
//! * `weights.npy`: every recurrent weight (f32, simulation units J = j/√N)
//!   in the single-process CSR order (presynaptic-major, targets
//!   increasing);
//! * `weights_<POST>_from_<PRE>_t<T>ms.npy`: the final weights of each
//!   plastic type in j units, named and laid out as the snapshots `hebb run`
//!   writes for `record.weight_snapshots_ms = [T]`;
//! * `summary.json`: sizes, population rates, and per rank the block, wall
//!   and CPU seconds of stepping and the time spent in the spike exchange;
//!   `config.toml`: the resolved config.
//!
//! Any error on any rank aborts the whole job (`MPI_Abort`), so no rank
//! waits forever in a collective.

use anyhow::{Context, Result, bail};
use clap::Parser;
use hebb::config::{self, Preset};
use hebb::io::{RunDir, Stopwatch};
use hebb::output::SpikeFiles;
use hebb_core::comm::Communicator;
use hebb_mpi::MpiComm;
use hebb_sim::{Simulation, SpikeSink};
use mpi::environment::Universe;
use mpi::topology::Communicator as _;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hebb-mpi-run", version, about = "Run one hebb spiking network over the ranks of an MPI job")]
struct Args {
    /// Config file (TOML). Without it, the embedded preset runs.
    config: Option<PathBuf>,
    /// Run directory, written by rank 0.
    #[arg(long)]
    out: PathBuf,
    /// Replace the contents of an existing --out directory.
    #[arg(long)]
    overwrite: bool,
    /// Embedded config used when no file is given.
    #[arg(long, value_enum, default_value = "akil")]
    preset: Preset,
    /// Number of neurons N (shorthand for --set network.n=N).
    #[arg(long)]
    n: Option<usize>,
    /// Simulated time in ms (shorthand for --set run.duration_ms=T).
    #[arg(long, value_name = "MS")]
    duration_ms: Option<f64>,
    /// Override a config key, e.g. --set run.seed=7
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(universe) = hebb_mpi::initialize() else {
        eprintln!("error: MPI could not be initialised (already initialised?)");
        return ExitCode::from(2);
    };
    let world = universe.world();
    match run(&universe, args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rank {}: error: {e:#}", world.rank());
            if world.size() > 1 {
                // The other ranks may be inside a collective: end the job.
                world.abort(1);
            }
            ExitCode::FAILURE
        }
    }
}

/// The other ranks know the same spikes and only count them.
struct CountSink(u64);

impl SpikeSink for CountSink {
    fn spikes(&mut self, _t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        self.0 += neurons.len() as u64;
        Ok(())
    }
    fn written(&self) -> u64 {
        self.0
    }
}

fn run(universe: &Universe, args: Args) -> Result<()> {
    let clock = Stopwatch::start();
    // The program's own collectives; the network gets its own communicator.
    let mut aux = MpiComm::world(universe);
    let (rank, size) = (aux.rank(), aux.size());
    let mut sets = args.sets.clone();
    if let Some(n) = args.n {
        sets.push(format!("network.n={n}"));
    }
    if let Some(t) = args.duration_ms {
        sets.push(format!("run.duration_ms={t}"));
    }
    let cfg = config::load(args.config.as_deref(), args.preset, &sets)?;

    // Rank 0 prepares the run directory; every rank learns whether it could.
    let dir = if rank == 0 {
        let dir = RunDir::create_with(&args.out, args.overwrite)
            .with_context(|| format!("creating run directory {}", args.out.display()))?;
        std::fs::write(dir.path("config.toml"), config::to_toml(&cfg))?;
        Some(dir)
    } else {
        None
    };

    let build_clock = Stopwatch::start();
    let net_comm = MpiComm::world(universe);
    let stats = net_comm.stats();
    let sim = Simulation::new_distributed(cfg.clone(), Box::new(net_comm))?;
    let mut sim = match &dir {
        // Rank 0's spike files, in the layout of `hebb run`.
        Some(d) => sim.with_sink(Box::new(SpikeFiles::open(d, None)?)),
        None => sim.with_sink(Box::new(CountSink(0))),
    };
    let build_s = build_clock.wall_s();
    let block = sim.network.block();

    // Step, timed from a common start (a collective lines the ranks up).
    aux.all_gather_u32(&[], &mut Vec::new());
    let step_clock = Stopwatch::start();
    sim.run(&mut |_| {})?;
    let step_wall = step_clock.wall_s();
    let step_cpu = step_clock.cpu_s().unwrap_or(f64::NAN);
    let (exchange_s, exchanges, words) = (stats.seconds(), stats.calls(), stats.words());
    if let Some(sink) = sim.sink_mut() {
        sink.finish()?;
    }

    // Gather the synapses and the timings to rank 0.
    let global = sim.network.gather_recurrent();
    let mut per_rank = Vec::new();
    let mine = [block.start as f64, block.end as f64, step_wall, step_cpu, exchange_s, exchanges as f64, build_s];
    aux.gather_f64(&mine, &mut per_rank);
    let (Some(dir), Some(global)) = (dir, global) else { return Ok(()) };
    if per_rank.len() != size * mine.len() {
        bail!("gathered {} timing values from {size} ranks", per_rank.len());
    }

    let dt = cfg.run.dt_ms;
    let t_end = sim.steps_done() as f64 * dt;
    let sim_s = t_end * 1e-3;
    hebb::io::write_npy(dir.path("weights.npy"), global.weights(), &[global.n_synapses()])?;
    let scale = (cfg.network.n as f64).sqrt();
    let mut plastic = Vec::new();
    for proj in &sim.network.plastic {
        let j: Vec<f32> = proj.block_weights(&global).iter().map(|&w| (w as f64 * scale) as f32).collect();
        let name = format!("weights_{}_t{}ms.npy", proj.synapse.to_string().replace("<-", "_from_"), t_end);
        hebb::io::write_npy(dir.path(&name), &j, &[j.len()])?;
        let mean = j.iter().map(|&x| x as f64).sum::<f64>() / j.len().max(1) as f64;
        plastic.push(json!({ "synapse": proj.synapse.to_string(), "file": name, "synapses": j.len(), "mean_j": mean }));
    }
    let ranks: Vec<_> = per_rank
        .chunks_exact(mine.len())
        .enumerate()
        .map(|(r, v)| {
            json!({
                "rank": r,
                "block": [v[0] as u64, v[1] as u64],
                "step_wall_s": v[2],
                "step_cpu_s": v[3],
                "exchange_s": v[4],
                "exchanges": v[5] as u64,
                "build_s": v[6],
            })
        })
        .collect();
    let col = |i: usize| per_rank.chunks_exact(mine.len()).map(move |v| v[i]);
    let wall_per_s = col(2).fold(0.0, f64::max) / sim_s;
    let cpu_per_s = col(3).sum::<f64>() / sim_s;
    let exch_per_s = col(4).sum::<f64>() / size as f64 / sim_s;
    let exch_us_per_step = col(4).sum::<f64>() / size as f64 / exchanges.max(1) as f64 * 1e6;
    let res = sim.results();
    let summary = json!({
        "program": "hebb-mpi-run",
        "version": env!("CARGO_PKG_VERSION"),
        "ranks": size,
        "n": sim.network.n(),
        "steps": sim.steps_done(),
        "sim_s": sim_s,
        "spikes": res.spikes,
        "exchanged_spike_ids_per_rank": words,
        "synapses": global.n_synapses(),
        "rates_hz": res.rates_hz,
        "plastic": plastic,
        "timing": {
            "wall_s_per_sim_s": wall_per_s,
            "cpu_s_per_sim_s_all_ranks": cpu_per_s,
            "exchange_s_per_sim_s_mean_rank": exch_per_s,
            "exchange_us_per_step_mean_rank": exch_us_per_step,
            "total_wall_s": clock.wall_s(),
            "load_average": hebb::io::load_average(),
            "per_rank": ranks,
        },
    });
    dir.write_json("summary.json", &summary)?;
    eprintln!(
        "{size} rank(s), N = {}, {sim_s:.2} s simulated, {} spikes, {} synapses; stepping {wall_per_s:.3} wall-s and \
         {cpu_per_s:.3} CPU-s (all ranks) per simulated s; spike exchange {exch_per_s:.4} s per simulated s per rank \
         ({exch_us_per_step:.2} µs per step)",
        sim.network.n(),
        res.spikes,
        global.n_synapses(),
    );
    eprintln!("run directory: {}", dir.root().display());
    Ok(())
}
