//! The `hebb` program end to end: outputs, exit codes, errors, resume.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hebb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hebb")).args(args).output().expect("hebb runs")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hebb-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const SMALL: [&str; 6] =
    ["--set", "network.n=1500", "--set", "run.duration_ms=1000", "--set", "record.voltage_neurons=[7]"];

#[test]
fn run_writes_the_run_directory_contract() {
    let out = tmp("contract");
    let o = hebb(&[&["run", "--out", out.to_str().unwrap()], &SMALL[..]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("theory (Hz)") && stdout.contains("E-I"), "{stdout}");
    let s = json(&out.join("summary.json"));
    for key in [
        "rates_hz",
        "theory_rates_hz",
        "cov_mean",
        "corr_mean",
        "sim_s",
        "wall_s",
        "cpu_s",
        "threads",
        "spikes",
        "synapses",
    ] {
        assert!(!s[key].is_null(), "summary lacks {key}: {s}");
    }
    assert!(s["rates_hz"]["E"].as_f64().unwrap() > 0.0);
    assert!((s["theory_rates_hz"]["E"].as_f64().unwrap() - 5.824).abs() < 1e-3);
    for pair in ["E-E", "E-I", "I-I"] {
        assert!(s["cov_mean"][pair].is_number(), "{pair}");
    }
    assert_eq!(s["sim_s"].as_f64().unwrap(), 1.0);
    // The default is the demo with iSTDP on E<-I and I<-I: both inhibitions
    // weaken while the rates sit below their targets (10 and 20 Hz).
    for t in ["E<-I", "I<-I"] {
        let w = &s["mean_weight_j"][t];
        assert!(w["final"].as_f64().unwrap() > w["initial"].as_f64().unwrap(), "{t}: {w}");
    }
    assert!(out.join("weights_mean_j.csv").is_file() && out.join("weights_sample_j.npy").is_file());
    let m = json(&out.join("manifest.json"));
    for key in ["hebb_version", "config", "seed", "threads", "wall_s", "cpu_s", "files"] {
        assert!(m.get(key).is_some(), "manifest lacks {key}");
    }
    for f in [
        "spikes_t_ms.npy",
        "spikes_neuron.npy",
        "pop_rates_hz.csv",
        "mean_currents.csv",
        "voltages.npy",
        "neuron_rates_hz.npy",
        "config.toml",
        "figures/overview.png",
        "figures/overview.svg",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    // The raster holds every spike the summary counts.
    let ids = hebb::io::read_npy_u32(out.join("spikes_neuron.npy")).unwrap();
    assert_eq!(ids.data.len() as u64, s["spikes"].as_u64().unwrap());
    let v = hebb::io::read_npy_f64(out.join("voltages.npy")).unwrap();
    assert_eq!(v.shape, vec![1000, 5]); // 2 per population and neuron 7
    // A second run into the same directory is refused unless --overwrite.
    let again = hebb(&[&["run", "--out", out.to_str().unwrap()], &SMALL[..]].concat());
    assert_eq!(again.status.code(), Some(1), "{}", String::from_utf8_lossy(&again.stderr));
}

#[test]
fn print_default_is_the_documented_embedded_config() {
    let o = hebb(&["config", "--print-default"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(hebb::config::parse(&text, &[]).unwrap(), hebb::sim::SimConfig::akil_demo());
    assert!(text.lines().filter(|l| l.contains('#')).count() > 30, "keys are documented");
    let b = hebb(&["config", "--print-default", "--preset", "benchmark"]);
    assert_eq!(
        hebb::config::parse(&String::from_utf8(b.stdout).unwrap(), &[]).unwrap(),
        hebb::sim::SimConfig::benchmark()
    );
}

/// Bad input: exit code 2 and a message naming the key and what is allowed.
#[test]
fn bad_configs_exit_2_naming_the_key() {
    let cases: [(&str, &[&str]); 6] = [
        ("run.durashun_ms=5", &["durashun_ms", "duration_ms"]),
        ("network.n=-5", &["n"]),
        ("network.connections[0].p=1.5", &["network.connections[0].p", "[0, 1]"]),
        ("run.dt_ms=0", &["run.dt_ms", "> 0"]),
        ("run.dt_ms=\"fast\"", &["dt_ms"]),
        ("external[0].c=2", &["external[0].c", "[0, 1]"]),
    ];
    for (set, words) in cases {
        let o = hebb(&["run", "--out", tmp("bad").to_str().unwrap(), "--set", set]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{set}: {err}");
        for w in words {
            assert!(err.contains(w), "{set}: `{w}` not in: {err}");
        }
    }
    let file = tmp("bad.toml");
    std::fs::write(&file, "[run]\nduration_ms = 10\n").unwrap();
    let o = hebb(&["config", "--check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing field"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Runaway activity (E→E far stronger than inhibition) hits the spike cap:
/// exit code 3, a clear message, and everything recorded so far written.
#[test]
fn spike_cap_stops_cleanly_and_keeps_the_record() {
    let out = tmp("cap");
    let o = hebb(&[
        "run",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "network.n=1000",
        "--set",
        "run.duration_ms=2000",
        "--set",
        "network.connections[0].j=400",
        "--set",
        "network.connections[1].j=-1",
        "--set",
        "run.spike_cap_hz=20",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("spike cap"), "{err}");
    let s = json(&out.join("summary.json"));
    assert_eq!(s["completed"], false);
    assert!(s["stopped"].as_str().unwrap().contains("spike cap"));
    assert!(s["sim_s"].as_f64().unwrap() < 2.0);
    let cap = 20.0 * 1e-3 * 1000.0 * 2000.0;
    let spikes = s["spikes"].as_f64().unwrap();
    assert!(spikes > cap && spikes < cap + 1000.0, "{spikes} spikes vs cap {cap}");
    let ids = hebb::io::read_npy_u32(out.join("spikes_neuron.npy")).unwrap();
    assert_eq!(ids.data.len() as f64, spikes);
    assert!(out.join("figures/overview.png").is_file());
}

/// A run stopped at 400 ms with a checkpoint and resumed writes the same
/// files as an uninterrupted run.
#[test]
fn resume_equals_uninterrupted_run() {
    let a = tmp("full");
    let b = tmp("split");
    let ext = ["--set", "external[0].c=0", "--no-figures"];
    let o = hebb(&[&["run", "--out", a.to_str().unwrap()], &SMALL[..], &ext[..]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = hebb(
        &[
            &["run", "--out", b.to_str().unwrap(), "--stop-at-ms", "400", "--checkpoint-every", "0.15"],
            &SMALL[..],
            &ext[..],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&b.join("summary.json"))["completed"], false);
    let o = hebb(&["run", "--resume", b.to_str().unwrap(), "--no-figures"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "spikes_t_ms.npy",
        "spikes_neuron.npy",
        "neuron_rates_hz.npy",
        "voltages.npy",
        "pop_rates_hz.csv",
        "mean_currents.csv",
        "cov_sampled_pairs.csv",
    ] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    let (sa, sb) = (json(&a.join("summary.json")), json(&b.join("summary.json")));
    for key in ["rates_hz", "cov_mean", "corr_mean", "spikes", "completed", "external_rates_hz"] {
        assert_eq!(sa[key], sb[key], "{key}");
    }
}

/// A run killed (SIGKILL) after a checkpoint resumes from it and ends with
/// the same files as an uninterrupted run.
#[test]
fn killed_run_resumes_from_its_last_checkpoint() {
    let a = tmp("kill-full");
    let b = tmp("kill-split");
    let args =
        ["--set", "network.n=1500", "--set", "run.duration_ms=12000", "--set", "external[0].c=0", "--no-figures"];
    let o = hebb(&[&["run", "--out", a.to_str().unwrap()], &args[..]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hebb"))
        .args([&["run", "--out", b.to_str().unwrap(), "--checkpoint-every", "0.25"], &args[..]].concat())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !b.join("checkpoint.json").exists() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(60));
    child.kill().unwrap();
    let finished_anyway = child.wait().unwrap().success();
    assert!(!finished_anyway, "the run ended before it could be killed; the test is void");
    let o = hebb(&["run", "--resume", b.to_str().unwrap(), "--no-figures"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["spikes_t_ms.npy", "spikes_neuron.npy", "neuron_rates_hz.npy", "weights_mean_j.csv", "pop_rates_hz.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs (run had finished before the kill: {finished_anyway})"
        );
    }
}
