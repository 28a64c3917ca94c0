//! `cargo xtask bench`: whole runs of the `hebb` program on the networks the
//! performance targets name (specs/performance.md §9).

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

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

pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn stats(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[0], xs[xs.len() / 2])
}

pub fn bench(repeats: usize, ms: f64, threads: usize, only: Option<String>) -> Result<()> {
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
