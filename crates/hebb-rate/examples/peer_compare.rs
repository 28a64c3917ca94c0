//! Side by side with the numpy peer (`../shared/peers/clark_ref.py`).
//!
//! ```text
//! cargo run --release -p hebb-rate --example rate_peer_compare -- bench [--N 1000] [--threads 1] [--reps 10] [--steps 200]
//! cargo run --release -p hebb-rate --example rate_peer_compare -- stats [--N 1000] [--g 2] [--k 1] [--tau_s 1] [--seed 11]
//!                                                         [--t_burn 100] [--t_end 800] [--kernel dense|history]
//! ```
//!
//! `bench` times one Euler step of the dense and history kernels at
//! (k, τ_s) = (2, 1) and (2, 10) — the peer's `bench` defaults — and runs the
//! peer's `bench` for `dense_syr` and `history` in the same invocation.
//! `stats` runs the same model (same N, g, k, τ_s, dt, T; *not* the same
//! random numbers: the peer draws from numpy's generator) on both sides and
//! prints the chaotic-state statistics next to each other.
//!
//! The peer is looked for at `$HEBB_PEER` (default
//! `<workspace>/../shared/peers/clark_ref.py`) and run with `$HEBB_PEER_PYTHON`
//! (default `<workspace>/.venv-peers/bin/python`). Without it, only the hebb
//! side runs and a note says so. One thread on both sides unless
//! `--threads` says otherwise (the peer pins BLAS with its own `--threads`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use hebb_rate::{ChaosStats, CouplingPrecision, DenseNetwork, HistoryNetwork, RateNetwork, RateParams, SynapticKernel};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn peer() -> Option<(PathBuf, PathBuf)> {
    let script = std::env::var_os("HEBB_PEER")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/peers/clark_ref.py"));
    let python = std::env::var_os("HEBB_PEER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv-peers/bin/python"));
    static NOTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if script.exists() && python.exists() {
        Some((python, script))
    } else {
        if NOTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        println!(
            "note: numpy peer not found ({} / {}); set up with\n  python3 -m venv .venv-peers && .venv-peers/bin/pip install numpy scipy\nrunning the hebb side only.",
            python.display(),
            script.display()
        );
        None
    }
}

/// Run the peer with `args`, return its JSON record (last stdout line).
fn run_peer(args: &[String]) -> Option<serde_json::Value> {
    let (python, script) = peer()?;
    let tmp = std::env::temp_dir().join(format!("hebb-rate-peer-{}.jsonl", std::process::id()));
    let out = Command::new(python).arg(script).args(args).arg("--json").arg(&tmp).output().ok()?;
    let _ = std::fs::remove_file(&tmp);
    if !out.status.success() {
        println!("peer failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.trim_start().starts_with('{'))?;
    serde_json::from_str(line).ok()
}

/// (user + system) CPU seconds of this process, from /proc/self/stat
/// (clock ticks of 1/100 s, the fixed USER_HZ of Linux's /proc).
fn process_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat are utime, stime; after ")" they are at 11, 12.
    (tick(11) + tick(12)) / 100.0
}

/// CPU seconds of the calling thread (ns resolution), from schedstat.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns * 1e-9)
        .unwrap_or(f64::NAN)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

struct Args(BTreeMap<String, String>);

impl Args {
    fn parse() -> (String, Self) {
        let mut it = std::env::args().skip(1);
        let cmd = it.next().unwrap_or_else(|| "bench".into());
        let mut m = BTreeMap::new();
        let rest: Vec<String> = it.collect();
        let mut i = 0;
        while i < rest.len() {
            let key = rest[i].trim_start_matches("--").to_string();
            let val = rest.get(i + 1).cloned().unwrap_or_default();
            m.insert(key, val);
            i += 2;
        }
        (cmd, Self(m))
    }
    fn get<T: std::str::FromStr>(&self, k: &str, default: T) -> T {
        self.0.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
    }
    fn str(&self, k: &str, default: &str) -> String {
        self.0.get(k).cloned().unwrap_or_else(|| default.into())
    }
}

/// (best wall ms/step, thread-CPU ms/step of that rep, process-CPU ms/step of that rep, all wall).
fn time_kernel<K: SynapticKernel>(
    p: &RateParams,
    seed: u64,
    warm: u64,
    steps: u64,
    reps: usize,
) -> (f64, f64, f64, Vec<f64>) {
    let mut net = RateNetwork::<K>::new(p, seed).expect("valid parameters");
    net.run(warm);
    let mut runs = Vec::new();
    for _ in 0..reps {
        let (c0, t0, w0) = (process_cpu(), thread_cpu(), Instant::now());
        net.run(steps);
        let w = w0.elapsed().as_secs_f64();
        let (c, t) = (process_cpu() - c0, thread_cpu() - t0);
        runs.push((1e3 * w / steps as f64, 1e3 * t / steps as f64, 1e3 * c / steps as f64));
    }
    let best = runs.iter().cloned().min_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
    (best.0, best.1, best.2, runs.iter().map(|r| r.0).collect())
}

fn bench(a: &Args) {
    let n: usize = a.get("N", 1000);
    let steps: u64 = a.get("steps", 200);
    let reps: usize = a.get("reps", 10);
    let threads: usize = a.get("threads", 1);
    let seed: u64 = a.get("seed", 11);
    println!(
        "# bench: N = {n}, {steps} steps x {reps} reps after 200 warm-up steps (200 + L for history), threads = {threads}, load {}",
        loadavg()
    );
    let mut ours = Vec::new();
    for (k, tau_s) in [(2.0, 1.0), (2.0, 10.0)] {
        for prec in [CouplingPrecision::F64, CouplingPrecision::F32] {
            let p = RateParams { n, g: 2.0, k, tau_s, coupling_precision: prec, ..Default::default() };
            let tag = if prec == CouplingPrecision::F64 { "" } else { " (J* f32)" };
            let l = p.history_length().unwrap();
            let d = time_kernel::<hebb_rate::DenseKernel>(&p, seed, 200, steps, reps);
            // Fill the ring buffer first: the cost per step grows with the
            // number of stored vectors up to L (the peer always uses all L).
            let h = time_kernel::<hebb_rate::HistoryKernel>(&p, seed, 200 + l as u64, steps, reps);
            ours.push((k, tau_s, format!("dense{tag}"), d, None));
            ours.push((k, tau_s, format!("history{tag}"), h, Some(l)));
        }
    }
    let mut peer_t: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let args: Vec<String> = [
        "--threads",
        &threads.to_string(),
        "bench",
        "--N",
        &n.to_string(),
        "--skip_check",
        "--kernels",
        "dense_syr",
        "history",
        "--time_params",
        "2,1",
        "2,10",
        "--reps",
        &reps.to_string(),
        "--time_steps",
        &steps.to_string(),
        "--warm_steps",
        "200",
        "--threads",
        &threads.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let peer_load = loadavg();
    if let Some(v) = run_peer(&args)
        && let Some(ts) = v["timings"].as_array()
    {
        for t in ts {
            let key =
                (t["kernel"].as_str().unwrap_or("").to_string(), format!("{}", t["tau_s"].as_f64().unwrap_or(0.0)));
            peer_t.insert(
                key,
                (
                    t["best_wall_ms_per_step"].as_f64().unwrap_or(f64::NAN),
                    t["cpu_ms_per_step_of_best"].as_f64().unwrap_or(f64::NAN),
                ),
            );
        }
    }
    // The peer's history kernel multiplies its whole L × N buffer every
    // step, but rows never written are untouched zero pages (cheap to read):
    // with 200 warm-up steps and 10 × 200 timed steps, its τ_s = 10 buffer
    // (L = 3209) is never full. Time it again with a full buffer.
    let full_warm = 3500;
    let args_full: Vec<String> = [
        "--threads",
        &threads.to_string(),
        "bench",
        "--N",
        &n.to_string(),
        "--skip_check",
        "--kernels",
        "history",
        "--time_params",
        "2,10",
        "--reps",
        "3",
        "--time_steps",
        &steps.to_string(),
        "--warm_steps",
        &full_warm.to_string(),
        "--threads",
        &threads.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut peer_full = (f64::NAN, f64::NAN);
    if let Some(v) = run_peer(&args_full)
        && let Some(t) = v["timings"].as_array().and_then(|a| a.first())
    {
        peer_full = (
            t["best_wall_ms_per_step"].as_f64().unwrap_or(f64::NAN),
            t["cpu_ms_per_step_of_best"].as_f64().unwrap_or(f64::NAN),
        );
    }
    println!("# peer ran with load {peer_load}; times are ms per Euler step (best of {reps})");
    println!(
        "| k | τ_s | hebb kernel | L | wall | thread CPU | process CPU | peer kernel | peer wall | peer CPU | peer/hebb (wall) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (k, tau_s, name, (w, tc, pc, _), l) in &ours {
        let pk = if name.starts_with("dense") { "dense_syr" } else { "history" };
        let (pw, pc2) = peer_t.get(&(pk.to_string(), format!("{tau_s}"))).cloned().unwrap_or((f64::NAN, f64::NAN));
        println!(
            "| {k} | {tau_s} | {name} | {} | {w:.3} | {tc:.3} | {pc:.3} | {pk} | {pw:.3} | {pc2:.3} | {:.2} |",
            l.map(|l| l.to_string()).unwrap_or("—".into()),
            pw / w
        );
    }
    println!(
        "# peer history at τ_s = 10 with a full buffer ({full_warm} warm-up steps, best of 3): wall {:.3} ms, CPU {:.3} ms per step",
        peer_full.0, peer_full.1
    );
}

fn stats(a: &Args) {
    let p = RateParams {
        n: a.get("N", 1000),
        g: a.get("g", 2.0),
        k: a.get("k", 1.0),
        tau_s: a.get("tau_s", 1.0),
        dt: a.get("dt", 0.1),
        ..Default::default()
    };
    let seed: u64 = a.get("seed", 11);
    let t_burn: f64 = a.get("t_burn", 100.0);
    let t_end: f64 = a.get("t_end", 800.0);
    let max_lag_t: f64 = a.get("max_lag", 40.0);
    let kernel = a.str("kernel", "dense");
    let nburn = (t_burn / p.dt).round() as u64;
    let nsteps = (t_end / p.dt).round() as u64;
    let max_lag = (max_lag_t / p.dt).round() as usize;
    println!(
        "# stats: N = {}, g = {}, k = {}, tau_s = {}, dt = {}, seed = {seed}, T = [{t_burn}, {t_end}], kernel = {kernel}, load {}",
        p.n,
        p.g,
        p.k,
        p.tau_s,
        p.dt,
        loadavg()
    );
    // Record x(t) for t ∈ [t_burn, t_end] (as the peer does), time the
    // simulation alone, then compute the statistics.
    let mut rec: Vec<f64> = Vec::with_capacity(((nsteps - nburn + 1) as usize) * p.n);
    let (c0, w0) = (process_cpu(), Instant::now());
    let sim_wall = match kernel.as_str() {
        "history" => {
            let mut net = HistoryNetwork::new(&p, seed).unwrap();
            net.run(nburn);
            rec.extend_from_slice(net.x());
            let t = Instant::now();
            net.run_with(nsteps - nburn, |n| rec.extend_from_slice(n.x()));
            t.elapsed().as_secs_f64()
        }
        _ => {
            let mut net = DenseNetwork::new(&p, seed).unwrap();
            net.run(nburn);
            rec.extend_from_slice(net.x());
            let t = Instant::now();
            net.run_with(nsteps - nburn, |n| rec.extend_from_slice(n.x()));
            t.elapsed().as_secs_f64()
        }
    };
    let (wall, cpu) = (w0.elapsed().as_secs_f64(), process_cpu() - c0);
    let t_stats = Instant::now();
    let mut st = ChaosStats::new(p.n, max_lag, p.nonlinearity);
    for x in rec.chunks_exact(p.n) {
        st.observe(x);
    }
    let s = st.summary(p.g, p.dt);
    let stats_wall = t_stats.elapsed().as_secs_f64();
    let args: Vec<String> = [
        "--threads".to_string(),
        a.get("threads", 1usize).to_string(),
        "stats".to_string(),
        "--N".into(),
        p.n.to_string(),
        "--g".into(),
        p.g.to_string(),
        "--k".into(),
        p.k.to_string(),
        "--tau_s".into(),
        p.tau_s.to_string(),
        "--dt".into(),
        p.dt.to_string(),
        "--seed".into(),
        seed.to_string(),
        "--t_burn".into(),
        t_burn.to_string(),
        "--t_end".into(),
        t_end.to_string(),
        "--max_lag".into(),
        max_lag_t.to_string(),
        "--kernel".into(),
        if kernel == "history" { "history".into() } else { "dense_syr".into() },
    ]
    .to_vec();
    let v = run_peer(&args);
    let pf = |key: &str| -> f64 { v.as_ref().and_then(|v| v[key].as_f64()).unwrap_or(f64::NAN) };
    let pc = |tau: &str| -> f64 { v.as_ref().and_then(|v| v["Cphi_over_q"][tau].as_f64()).unwrap_or(f64::NAN) };
    println!("| quantity | hebb | peer | hebb/peer − 1 |");
    println!("|---|---|---|---|");
    let row = |name: &str, h: f64, q: f64| {
        println!("| {name} | {h:.4} | {q:.4} | {:+.3} |", h / q - 1.0);
    };
    row("Δ0", s.delta0, pf("Delta0"));
    row("q", s.q, pf("q"));
    row("g²⟨φ'²⟩", s.g2_phi_prime_sq, pf("g2_phip2"));
    row("τ½", s.tau_half.unwrap_or(f64::NAN), pf("tau_half"));
    for tau in ["1", "2", "3", "5", "10", "20"] {
        let t: f64 = tau.parse().unwrap();
        row(&format!("C/q({tau})"), s.c_over_q(t).unwrap_or(f64::NAN), pc(tau));
    }
    println!(
        "| ms per step (wall, simulation only) | {:.3} | {:.3} | |",
        1e3 * sim_wall / (nsteps - nburn) as f64,
        pf("wall_per_step_ms")
    );
    println!(
        "| simulation wall / CPU s (all {nsteps} steps) | {wall:.2} / {cpu:.2} | {:.2} / {:.2} | |",
        pf("wall_s"),
        pf("cpu_s")
    );
    println!("| statistics wall s | {stats_wall:.2} | {:.2} | |", pf("stats_wall_s"));
}

fn main() {
    let (cmd, a) = Args::parse();
    // The global pool decides the code path: with one thread every kernel
    // runs its serial loops on this thread (so the thread CPU time is the
    // whole cost).
    rayon::ThreadPoolBuilder::new().num_threads(a.get("threads", 1)).build_global().unwrap();
    match cmd.as_str() {
        "bench" => bench(&a),
        "stats" => stats(&a),
        _ => {
            println!("usage: rate_peer_compare bench|stats [--key value ...] (see the file's docs)");
        }
    }
}
