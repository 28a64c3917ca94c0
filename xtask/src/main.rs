//! Project automation: `cargo xtask bench`.
//!
//! `bench` times whole runs of the `hebb` program on the networks the
//! performance targets name (specs/performance.md §9): the simulation loop
//! only, after a 0.2 s warm-up, T = 5 s of model time, every spike recorded;
//! wall and CPU seconds per simulated second, thread count, load average and
//! peak memory; the minimum and median over repeats.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::Command;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the paper experiments at a tier and write results/<tier>/ with a
    /// report (REPORT.md and report.html); exits non-zero if a check fails.
    Reproduce {
        /// quick (CI, minutes), default (hours), paper (cluster).
        #[arg(long, default_value = "quick")]
        tier: String,
        /// Only experiments whose name contains this.
        #[arg(long)]
        only: Option<String>,
        /// Experiments run at once.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
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

struct Case {
    name: &'static str,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case { name: "akil-static-c0.1", args: &["--set", "external[0].c=0.1", "--set", "plasticity=[]"] },
    Case { name: "akil-static-c0", args: &["--set", "external[0].c=0", "--set", "plasticity=[]"] },
    Case { name: "akil-istdp-ei-ii", args: &["--set", "external[0].c=0.1"] },
    Case { name: "benchmark-lif", args: &["--preset", "benchmark"] },
];

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Bench { repeats, ms, threads, only } => bench(repeats, ms, threads, only),
        Cmd::Reproduce { tier, only, jobs } => reproduce(&tier, only, jobs),
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn stats(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[0], xs[xs.len() / 2])
}

fn bench(repeats: usize, ms: f64, threads: usize, only: Option<String>) -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new("cargo").current_dir(&root).args(["build", "--release", "-p", "hebb"]).status()?;
    if !status.success() {
        bail!("building hebb failed");
    }
    let exe = root.join("target/release/hebb");
    let out_root = root.join("target/bench");
    let warmup = 200.0;
    let mut report = Vec::new();
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9}  load (start → end)",
        "case", "wall min", "wall med", "cpu min", "cpu med", "threads", "RSS MB"
    );
    for case in CASES.iter().filter(|c| only.as_deref().is_none_or(|o| c.name.contains(o))) {
        let (mut wall, mut cpu, mut rss) = (Vec::new(), Vec::new(), 0u64);
        let load_start = load();
        let mut rates = serde_json::Value::Null;
        for r in 0..repeats {
            let dir = out_root.join(format!("{}-{r}", case.name));
            let mut cmd = Command::new(&exe);
            cmd.args(["run", "--overwrite", "--no-figures", "--out"]).arg(&dir);
            cmd.args(case.args);
            cmd.args([
                "--set",
                &format!("run.duration_ms={}", ms + warmup),
                "--set",
                &format!("run.threads={threads}"),
                "--warmup-ms",
                &warmup.to_string(),
            ]);
            let o = cmd.output().context("running hebb")?;
            if !o.status.success() {
                bail!("{} failed: {}", case.name, String::from_utf8_lossy(&o.stderr));
            }
            let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json"))?)?;
            wall.push(s["wall_s_per_sim_s"].as_f64().unwrap_or(f64::NAN));
            cpu.push(s["cpu_s_per_sim_s"].as_f64().unwrap_or(f64::NAN));
            rss = rss.max(s["peak_rss_bytes"].as_u64().unwrap_or(0));
            rates = s["rates_hz"].clone();
        }
        let load_end = load();
        let ((wmin, wmed), (cmin, cmed)) = (stats(wall.clone()), stats(cpu.clone()));
        println!(
            "{:<18} {wmin:>10.3} {wmed:>10.3} {cmin:>10.3} {cmed:>10.3} {threads:>8} {:>9.1}  {load_start} → {load_end}",
            case.name,
            rss as f64 / 1e6
        );
        report.push(serde_json::json!({
            "case": case.name, "repeats": repeats, "sim_ms": ms, "warmup_ms": warmup, "threads": threads,
            "wall_s_per_sim_s": wall, "cpu_s_per_sim_s": cpu, "wall_min": wmin, "wall_median": wmed, "cpu_min": cmin, "cpu_median": cmed,
            "peak_rss_bytes": rss, "load_start": load_start, "load_end": load_end, "rates_hz": rates,
        }));
    }
    let path = out_root.join("bench.json");
    std::fs::create_dir_all(&out_root)?;
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("(seconds of stepping per simulated second; whole records in {})", path.display());
    Ok(())
}

/// The experiment binaries, in report order.
const EXPERIMENTS: &[&str] =
    &["akil_a_demo", "akil_b_scaling", "akil_c_kohonen", "akil_e_istdp", "akil_m_istdp_pair", "clark_freeze"];

fn reproduce(tier: &str, only: Option<String>, jobs: usize) -> Result<()> {
    if !["quick", "default", "paper"].contains(&tier) {
        bail!("--tier {tier}: allowed values are quick, default, paper");
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status =
        Command::new("cargo").current_dir(&root).args(["build", "--release", "-p", "hebb-experiments"]).status()?;
    if !status.success() {
        bail!("building the experiments failed");
    }
    let out_root = root.join("results").join(tier);
    std::fs::create_dir_all(&out_root)?;
    let chosen: Vec<&str> =
        EXPERIMENTS.iter().copied().filter(|e| only.as_deref().is_none_or(|o| e.contains(o))).collect();
    // Run in waves of `jobs` processes; each writes its own directory.
    let mut outcomes = Vec::new();
    for wave in chosen.chunks(jobs.max(1)) {
        let children: Vec<_> = wave
            .iter()
            .map(|name| {
                let log = std::fs::File::create(out_root.join(format!("{name}.log"))).expect("log file");
                let child = Command::new(root.join("target/release").join(name))
                    .args(["--tier", tier, "--out"])
                    .arg(out_root.join(name))
                    .stdout(log.try_clone().expect("log"))
                    .stderr(log)
                    .spawn();
                (name, child)
            })
            .collect();
        for (name, child) in children {
            let ok = child?.wait()?.success();
            eprintln!("{name}: {}", if ok { "ok" } else { "FAILED (see its .log)" });
            outcomes.push((name.to_string(), ok));
        }
    }
    let mut md = format!(
        "# hebb reproduction report — tier `{tier}`\n\nEach experiment writes `results/{tier}/<experiment>/` (manifest, summary with checks, data, figures). Regenerate with `cargo xtask reproduce --tier {tier}`.\n\n"
    );
    let mut html = format!(
        "<!doctype html><meta charset=utf-8><title>hebb report {tier}</title><style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}.fail{{color:#b00}}.pass{{color:#070}}img{{max-width:100%}}</style><h1>hebb reproduction report — tier {tier}</h1>"
    );
    let (mut n_checks, mut n_failed) = (0, 0);
    for (name, ok) in &outcomes {
        let path = out_root.join(name).join("summary.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            md.push_str(&format!("## {name}\n\n**did not produce a summary** (see `{name}.log`)\n\n"));
            html.push_str(&format!("<h2>{name}</h2><p class=fail>did not produce a summary</p>"));
            n_failed += 1;
            continue;
        };
        let s: serde_json::Value = serde_json::from_str(&text)?;
        md.push_str(&format!("## {} — {}\n\n", name, s["title"].as_str().unwrap_or("")));
        html.push_str(&format!("<h2>{} — {}</h2>", name, s["title"].as_str().unwrap_or("")));
        for f in s["figures"].as_array().into_iter().flatten() {
            let png = format!("{name}/{}", f["png"].as_str().unwrap_or(""));
            let cap = f["caption"].as_str().unwrap_or("");
            md.push_str(&format!("![{cap}]({png})\n\n*{cap}*\n\n"));
            html.push_str(&format!("<figure><img src=\"{png}\"><figcaption>{cap}</figcaption></figure>"));
        }
        md.push_str("| check | value | expected | tolerance | result |\n|---|---|---|---|---|\n");
        html.push_str("<table><tr><th>check</th><th>value</th><th>expected</th><th>tolerance</th><th>result</th><th>why</th></tr>");
        for c in s["checks"].as_array().into_iter().flatten() {
            let pass = c["pass"].as_bool().unwrap_or(false);
            n_checks += 1;
            if !pass {
                n_failed += 1;
            }
            let (v, e, t) = (
                c["value"].as_f64().unwrap_or(f64::NAN),
                c["expected"].as_f64().unwrap_or(f64::NAN),
                c["tolerance"].as_f64().unwrap_or(f64::NAN),
            );
            let verdict = if pass { "pass" } else { "FAIL" };
            md.push_str(&format!("| {} | {v:.5} | {e:.5} | ±{t:.5} | {verdict} |\n", c["name"].as_str().unwrap_or("")));
            html.push_str(&format!("<tr><td>{}</td><td>{v:.5}</td><td>{e:.5}</td><td>±{t:.5}</td><td class={}>{verdict}</td><td>{}</td></tr>", c["name"].as_str().unwrap_or(""), if pass { "pass" } else { "fail" }, c["why"].as_str().unwrap_or("")));
        }
        md.push_str(&format!(
            "\nwall {:.1} s, CPU {:.1} s; process {}\n\n",
            s["wall_s"].as_f64().unwrap_or(0.0),
            s["cpu_s"].as_f64().unwrap_or(0.0),
            if *ok { "ok" } else { "failed" }
        ));
        html.push_str("</table>");
    }
    md.push_str(&format!("**{} checks, {} failed.**\n", n_checks, n_failed));
    html.push_str(&format!("<p><b>{n_checks} checks, {n_failed} failed.</b></p>"));
    std::fs::write(out_root.join("REPORT.md"), md)?;
    std::fs::write(out_root.join("report.html"), html)?;
    println!("{n_checks} checks, {n_failed} failed; report: {}", out_root.join("REPORT.md").display());
    if n_failed > 0 || outcomes.iter().any(|(_, ok)| !ok) {
        bail!("{n_failed} check(s) failed");
    }
    Ok(())
}
