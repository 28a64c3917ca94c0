//! `cargo xtask reproduce` and `cargo xtask collect`: run the experiment
//! binaries of a tier (or merge what a job array ran) and write the report.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Check a tier name.
pub fn check_tier(tier: &str) -> Result<()> {
    if !["quick", "default", "paper"].contains(&tier) {
        bail!("--tier {tier}: allowed values are quick, default, paper");
    }
    Ok(())
}

/// Build the experiment binaries (release).
pub fn build_experiments(root: &Path) -> Result<()> {
    let status =
        Command::new("cargo").current_dir(root).args(["build", "--release", "-p", "hebb-experiments"]).status()?;
    if !status.success() {
        bail!("building the experiments failed");
    }
    Ok(())
}

/// The experiments whose name contains one of the comma-separated parts
/// of `only` (all without it); an error if none does.
pub fn choose(experiments: &[&'static str], only: Option<&str>) -> Result<Vec<&'static str>> {
    let chosen: Vec<&str> = match only {
        None => experiments.to_vec(),
        Some(o) => experiments.iter().copied().filter(|e| o.split(',').any(|part| e.contains(part.trim()))).collect(),
    };
    if chosen.is_empty() {
        bail!("--only {}: no experiment matches (allowed: {})", only.unwrap_or(""), experiments.join(", "));
    }
    Ok(chosen)
}

/// The path of an experiment binary.
pub fn binary(root: &Path, name: &str) -> PathBuf {
    root.join("target/release").join(name)
}

/// Run `experiment args...` for each chosen experiment, `jobs` at a time,
/// logging to `<out_root>/<name>.log`; returns (name, process ok).
pub fn run_each(
    root: &Path,
    out_root: &Path,
    tier: &str,
    chosen: &[&str],
    jobs: usize,
    extra: &[&str],
) -> Result<Vec<(String, bool)>> {
    std::fs::create_dir_all(out_root)?;
    let mut outcomes = Vec::new();
    for wave in chosen.chunks(jobs.max(1)) {
        let mut children = Vec::new();
        for name in wave {
            let log = std::fs::File::create(out_root.join(format!("{name}.log")))?;
            let child = Command::new(binary(root, name))
                .args(["--tier", tier, "--out"])
                .arg(out_root.join(name))
                .args(extra)
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()?;
            children.push((name, child));
        }
        for (name, mut child) in children {
            let ok = child.wait()?.success();
            eprintln!("{name}: {}", if ok { "ok" } else { "FAILED (see its .log)" });
            outcomes.push((name.to_string(), ok));
        }
    }
    Ok(outcomes)
}

/// Write `REPORT.md` and `report.html` in `out_root` from the experiments'
/// summaries; an error if a check failed or an experiment did not finish.
pub fn write_report(tier: &str, out_root: &Path, outcomes: &[(String, bool)]) -> Result<()> {
    let mut md = format!(
        "# hebb reproduction report — tier `{tier}`\n\nEach experiment writes `<results>/{tier}/<experiment>/` (manifest, summary with checks, data, figures). Regenerate with `cargo xtask reproduce --tier {tier}`.\n\n"
    );
    let mut html = format!(
        "<!doctype html><meta charset=utf-8><title>hebb report {tier}</title><style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}.fail{{color:#b00}}.pass{{color:#070}}img{{max-width:100%}}</style><h1>hebb reproduction report — tier {tier}</h1>"
    );
    let (mut n_checks, mut n_failed) = (0, 0);
    for (name, ok) in outcomes {
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
            let (v, e, t) = (number(v), number(e), number(t));
            md.push_str(&format!("| {} | {v} | {e} | ±{t} | {verdict} |\n", c["name"].as_str().unwrap_or("")));
            html.push_str(&format!(
                "<tr><td>{}</td><td>{v}</td><td>{e}</td><td>±{t}</td><td class={}>{verdict}</td><td>{}</td></tr>",
                c["name"].as_str().unwrap_or(""),
                if pass { "pass" } else { "fail" },
                c["why"].as_str().unwrap_or("")
            ));
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

/// Run the chosen experiments of a tier locally and write the report.
pub fn reproduce(tier: &str, chosen: &[&str], jobs: usize, results: &Path) -> Result<()> {
    let root = workspace_root();
    build_experiments(&root)?;
    let out_root = results.join(tier);
    let outcomes = run_each(&root, &out_root, tier, chosen, jobs, &[])?;
    write_report(tier, &out_root, &outcomes)
}

/// Merge the task outputs of the chosen experiments (written by a job array)
/// into their summaries and figures, and write the report.
pub fn collect(tier: &str, chosen: &[&str], results: &Path, build: bool) -> Result<()> {
    let root = workspace_root();
    if build {
        build_experiments(&root)?;
    }
    let out_root = results.join(tier);
    let outcomes = run_each(&root, &out_root, tier, chosen, 1, &["--collect"])?;
    write_report(tier, &out_root, &outcomes)
}

/// A check's number for the report: five decimals, or scientific notation
/// for huge values (a run that ran away counts as an unbounded gap, stored
/// as f64::MAX).
fn number(x: f64) -> String {
    if x.abs() >= 1e7 { format!("{x:.3e}") } else { format!("{x:.5}") }
}
