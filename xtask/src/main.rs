//! Project automation: `cargo xtask reproduce | collect | slurm-test | bench`.
//!
//! - `reproduce` runs the paper experiments of a tier and writes
//!   `results/<tier>/` with a report; with `--slurm` it writes a job-array
//!   script and a collect job instead (see [`slurm`]).
//! - `collect` merges what a job array ran into summaries, figures and the
//!   report, exactly as a local run does.
//! - `slurm-test` brings up Slurm on 127.0.0.1, runs a reduced sweep both
//!   ways and compares the results.
//! - `bench` times whole runs of the `hebb` program on the networks the
//!   performance targets name (specs/performance.md §9): the simulation
//!   loop only, after a 0.2 s warm-up, every spike recorded; wall and CPU
//!   seconds per simulated second, threads, load and peak memory.

mod bench;
mod reproduce;
mod slurm;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the paper experiments at a tier and write <results>/<tier>/ with a
    /// report (REPORT.md and report.html); exits non-zero if a check fails.
    Reproduce {
        /// quick (CI, minutes), default (hours), paper (cluster).
        #[arg(long, default_value = "quick")]
        tier: String,
        /// Only experiments whose name contains one of these comma-separated parts.
        #[arg(long)]
        only: Option<String>,
        /// Experiments run at once.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Where the tier directories go.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Write a Slurm job array (one task per simulation) and a collect
        /// job under <results>/<tier>/slurm/ instead of running here.
        #[arg(long)]
        slurm: bool,
        /// With --slurm: submit them too (prints the job ids).
        #[arg(long, requires = "slurm")]
        submit: bool,
        /// With --slurm: the partition (the cluster's default without it).
        #[arg(long, requires = "slurm")]
        partition: Option<String>,
        /// With --slurm: time limit per task.
        #[arg(long, default_value = "04:00:00")]
        time: String,
        /// With --slurm: memory per task.
        #[arg(long, default_value = "4G")]
        mem: String,
    },
    /// Merge the task outputs of a job array into the experiments'
    /// summaries and figures, and write the report.
    Collect {
        /// The tier the array ran.
        #[arg(long, default_value = "quick")]
        tier: String,
        /// Only experiments whose name contains one of these comma-separated parts.
        #[arg(long)]
        only: Option<String>,
        /// Where the tier directories are.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Do not build the experiments first (on a node without cargo).
        #[arg(long)]
        no_build: bool,
    },
    /// Install and start Slurm on 127.0.0.1 (needs root), run a reduced sweep
    /// locally and as a job array, compare, and stop the daemons.
    SlurmTest {
        /// Experiments to run both ways (comma-separated name parts).
        #[arg(long, default_value = "clark_freeze,akil_a_demo")]
        only: String,
        /// Working directory (deleted and recreated).
        #[arg(long, default_value = "target/slurm-test")]
        work: PathBuf,
        /// Compare with the quick-tier results under this results directory
        /// instead of running them locally first.
        #[arg(long)]
        local: Option<PathBuf>,
    },
    /// Time the default network (static at c = 0.1 and c = 0; with the demo's
    /// iSTDP on E←I and I←I) and the benchmark network.
    Bench {
        /// Repeats per case (the minimum and median are reported).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Simulated time per run after the warm-up (ms).
        #[arg(long, default_value_t = 5000.0)]
        ms: f64,
        /// Worker threads.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Only cases whose name contains this.
        #[arg(long)]
        only: Option<String>,
    },
}

/// The experiment binaries, in report order.
const EXPERIMENTS: &[&str] = &[
    "akil_a_demo",
    "akil_b_scaling",
    "akil_b_plastic",
    "akil_c_kohonen",
    "akil_d_distributions",
    "akil_e_istdp",
    "akil_f_hebbian",
    "akil_g_optogenetic",
    "akil_h_initial",
    "akil_i_correlations",
    "akil_j_windows",
    "akil_k_timescales",
    "akil_m_istdp_pair",
    "akil_n_perturbation",
    "clark_freeze",
    "clark_lyapunov",
    "clark_dmft",
    "clark_spectra",
    "clark_phase",
    "kimchow_rowsum",
    "kimchow_force",
];

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Bench { repeats, ms, threads, only } => bench::bench(repeats, ms, threads, only),
        Cmd::Reproduce { tier, only, jobs, results, slurm, submit, partition, time, mem } => {
            reproduce::check_tier(&tier)?;
            let chosen = reproduce::choose(EXPERIMENTS, only.as_deref())?;
            if slurm {
                let opts = slurm::SlurmOptions { partition, time, mem };
                slurm::write_scripts(&tier, &chosen, &results, &opts, submit).map(|_| ())
            } else {
                reproduce::reproduce(&tier, &chosen, jobs, &results)
            }
        }
        Cmd::Collect { tier, only, results, no_build } => {
            reproduce::check_tier(&tier)?;
            let chosen = reproduce::choose(EXPERIMENTS, only.as_deref())?;
            reproduce::collect(&tier, &chosen, &results, !no_build)
        }
        Cmd::SlurmTest { only, work, local } => {
            let chosen = reproduce::choose(EXPERIMENTS, Some(&only))?;
            slurm::slurm_test(&chosen, &work, local.as_deref())
        }
    }
}
