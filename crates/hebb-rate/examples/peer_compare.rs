//! Side by side with the numpy peer (`../shared/peers/clark_ref.py`).
//!
//! ```text
//! cargo run --release -p hebb-rate --example rate_peer_compare -- bench [--Ns 1000,4000] [--rounds 2] [--tau_s 1] [--threads 1]
//! cargo run --release -p hebb-rate --example rate_peer_compare -- split [--N 1000] [--steps 200] [--reps 5]
//! cargo run --release -p hebb-rate --example rate_peer_compare -- stats [--N 1000] [--g 2] [--k 1] [--tau_s 1] [--seed 11]
//!                                                         [--t_burn 100] [--t_end 800] [--kernel dense|history]
//! ```
//!
//! `bench` times one Euler step of our dense and history kernels (every
//! storage combination of g J* (f64, f32, binary16) and the plastic state
//! (f64, f32) in `COMBOS`) and the peer's `dense_syr` and `history`
//! kernels at k = 2, τ_s = 1 for N = 1000 and 4000, in rounds (ours, then
//! the peer's, per N) in one invocation, and prints per-step wall and CPU
//! times, the bytes each side moves per step, and the ratios.
//! `split` times the pieces of our step (φ, the synaptic kernel alone, the
//! rest = the quenched GEMV and the x update).
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

use hebb_rate::{
    ChaosStats, CouplingPrecision, DenseNetwork, HistoryNetwork, PlasticPrecision, RateFunction, RateNetwork,
    RateParams, SynapticKernel,
};

/// The storage combinations of `bench` and `split`: (J*, plastic state).
const COMBOS: [(CouplingPrecision, PlasticPrecision); 5] = [
    (CouplingPrecision::F64, PlasticPrecision::F64),
    (CouplingPrecision::F32, PlasticPrecision::F64),
    (CouplingPrecision::F16, PlasticPrecision::F64),
    (CouplingPrecision::F32, PlasticPrecision::F32),
    (CouplingPrecision::F16, PlasticPrecision::F32),
];

fn prec_name(c: CouplingPrecision) -> &'static str {
    match c {
        CouplingPrecision::F64 => "f64",
        CouplingPrecision::F32 => "f32",
        CouplingPrecision::F16 => "f16",
    }
}

fn plastic_name(p: PlasticPrecision) -> &'static str {
    match p {
        PlasticPrecision::F64 => "f64",
        PlasticPrecision::F32 => "f32",
    }
}

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

/// CPU seconds of the calling thread (`CLOCK_THREAD_CPUTIME_ID`, ns
/// resolution; /proc's schedstat only advances at scheduler ticks).
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + 1e-9 * ts.tv_nsec as f64
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

/// Per-step times of one configuration: best wall ms and best thread-CPU
/// ms over the repetitions (each minimum separately).
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

impl Timing {
    const NONE: Timing = Timing { wall: f64::INFINITY, cpu: f64::INFINITY };
    fn min(self, o: Timing) -> Timing {
        Timing { wall: self.wall.min(o.wall), cpu: self.cpu.min(o.cpu) }
    }
}

fn time_kernel<K: SynapticKernel>(p: &RateParams, seed: u64, warm: u64, steps: u64, reps: usize) -> Timing {
    let mut net = RateNetwork::<K>::new(p, seed).expect("valid parameters");
    net.run(warm);
    let mut best = Timing::NONE;
    for _ in 0..reps {
        let (t0, w0) = (thread_cpu(), Instant::now());
        net.run(steps);
        let w = w0.elapsed().as_secs_f64();
        let t = thread_cpu() - t0;
        best = best.min(Timing { wall: 1e3 * w / steps as f64, cpu: 1e3 * t / steps as f64 });
    }
    best
}

/// Run the peer's `bench` for one kernel; best wall and best CPU ms/step.
#[allow(clippy::too_many_arguments)]
fn time_peer(kernel: &str, n: usize, k: f64, tau_s: f64, warm: u64, steps: u64, reps: usize, threads: usize) -> Timing {
    let args: Vec<String> = [
        "--threads".to_string(),
        threads.to_string(),
        "bench".into(),
        "--N".into(),
        n.to_string(),
        "--skip_check".into(),
        "--kernels".into(),
        kernel.into(),
        "--time_params".into(),
        format!("{k},{tau_s}"),
        "--reps".into(),
        reps.to_string(),
        "--time_steps".into(),
        steps.to_string(),
        "--warm_steps".into(),
        warm.to_string(),
        "--threads".into(),
        threads.to_string(),
    ]
    .to_vec();
    let min = |v: &serde_json::Value| -> f64 {
        v.as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).fold(f64::INFINITY, f64::min)).unwrap_or(f64::INFINITY)
    };
    match run_peer(&args).as_ref().and_then(|v| v["timings"].as_array().and_then(|a| a.first().cloned())) {
        Some(t) => Timing { wall: min(&t["all_wall_ms"]), cpu: min(&t["all_cpu_ms"]) },
        None => Timing { wall: f64::NAN, cpu: f64::NAN },
    }
}

/// Bytes a step must move through the memory hierarchy, in MB (each stored
/// value read or written once per step; the vectors of length N are
/// negligible). `jb` = bytes per stored coupling.
fn bytes_ours(n: usize, kernel: &str, jb: f64, ab: f64, l: usize) -> f64 {
    let (n, l) = (n as f64, l as f64);
    let a = if kernel == "dense" { 2.0 * ab * n * (n + 1.0) / 2.0 } else { ab * l * n };
    (jb * n * n + a) / 1e6
}

/// The peer's bytes per step: `dense_syr` = g J* GEMV (8 N²) + `dsymv` on
/// the upper triangle (4 N²) + `dsyr` read and write (8 N²); `history` =
/// GEMV + two passes over the L × N ring buffer.
fn bytes_peer(n: usize, kernel: &str, l: usize) -> f64 {
    let (n, l) = (n as f64, l as f64);
    if kernel == "dense" { 20.0 * n * n / 1e6 } else { (8.0 * n * n + 16.0 * l * n) / 1e6 }
}

/// Ours against the peer at every N of `--Ns` (default 1000,4000): both
/// kernels, every storage combination of `COMBOS` on our side, k = 2, τ_s =
/// `--tau_s` (default 1), one thread each. `--rounds` (default 2) repeats
/// the whole comparison (ours, then the peer) and keeps the best time of
/// each cell over all rounds, which suppresses the neighbours' load on the
/// shared machine without favouring either side.
fn bench(a: &Args) {
    let ns: Vec<usize> = a.str("Ns", "1000,4000").split(',').filter_map(|x| x.trim().parse().ok()).collect();
    let threads: usize = a.get("threads", 1);
    let rounds: usize = a.get("rounds", 2);
    let seed: u64 = a.get("seed", 11);
    let (k, tau_s) = (2.0, a.get("tau_s", 1.0));
    let (l0, c0, w0) = (loadavg(), process_cpu(), Instant::now());
    println!("# bench: N = {ns:?}, k = {k}, tau_s = {tau_s}, threads = {threads}, rounds = {rounds}, load {l0}");
    // [n][0 = dense, 1 = history][precision] and the peer's [n][kernel].
    let mut ours = vec![[[Timing::NONE; COMBOS.len()]; 2]; ns.len()];
    let mut peer = vec![[Timing::NONE; 2]; ns.len()];
    let mut ls = vec![0usize; ns.len()];
    for round in 0..rounds {
        for (ni, &n) in ns.iter().enumerate() {
            // About 0.1–0.3 s per repetition on either side.
            let (steps, reps) =
                if n <= 1500 { (400u64, 5usize) } else { ((2e8 / (n * n) as f64).ceil() as u64 * 2, 3) };
            for (pi, &(prec, plastic)) in COMBOS.iter().enumerate() {
                let p = RateParams {
                    n,
                    g: 2.0,
                    k,
                    tau_s,
                    coupling_precision: prec,
                    plastic_precision: plastic,
                    ..Default::default()
                };
                let d = time_kernel::<hebb_rate::DenseKernel>(&p, seed, 20, steps, reps);
                ours[ni][0][pi] = ours[ni][0][pi].min(d);
                // History only where its buffer is allowed (L × N bounded).
                match p.history_length() {
                    Ok(l) => {
                        ls[ni] = l;
                        // Fill the ring buffer first (the cost grows with the number
                        // of stored vectors up to L; the peer always multiplies all L).
                        let h = time_kernel::<hebb_rate::HistoryKernel>(&p, seed, l as u64 + 20, steps, reps);
                        ours[ni][1][pi] = ours[ni][1][pi].min(h);
                    }
                    Err(e) => println!("# history kernel skipped at N = {n}: {e}"),
                }
            }
            let pd = time_peer("dense_syr", n, k, tau_s, 20, steps, reps, threads);
            peer[ni][0] = peer[ni][0].min(pd);
            if ls[ni] > 0 {
                let ph = time_peer("history", n, k, tau_s, ls[ni] as u64 + 20, steps, reps, threads);
                peer[ni][1] = peer[ni][1].min(ph);
            }
            println!("# round {} N = {n} done, load {}", round + 1, loadavg());
        }
    }
    println!(
        "# all rounds: {:.0} s wall, {:.1} s CPU of this process (the peer runs as a child process), load {}",
        w0.elapsed().as_secs_f64(),
        process_cpu() - c0,
        loadavg()
    );
    println!("# ms per Euler step, best over reps and rounds; CPU = this thread's CPU time (ours), process CPU (peer)");
    println!(
        "| N | kernel | J* | A/ring | L | ours wall | ours CPU | MB/step | GB/s (CPU) | peer kernel | peer wall | peer CPU | peer MB/step | peer/ours (CPU) | peer/ours (wall) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (ni, &n) in ns.iter().enumerate() {
        for (ki, kname) in ["dense", "history"].iter().enumerate() {
            let pk = if ki == 0 { "dense_syr" } else { "history" };
            let pt = peer[ni][ki];
            let l = if ki == 0 { "—".to_string() } else { ls[ni].to_string() };
            for (pi, &(prec, plastic)) in COMBOS.iter().enumerate() {
                let o = ours[ni][ki][pi];
                let jb = match prec {
                    CouplingPrecision::F64 => 8.0,
                    CouplingPrecision::F32 => 4.0,
                    CouplingPrecision::F16 => 2.0,
                };
                let ab = if plastic == PlasticPrecision::F32 { 4.0 } else { 8.0 };
                let mb = bytes_ours(n, kname, jb, ab, ls[ni]);
                println!(
                    "| {n} | {kname} | {} | {} | {l} | {:.3} | {:.3} | {:.1} | {:.1} | {pk} | {:.3} | {:.3} | {:.1} | {:.2} | {:.2} |",
                    prec_name(prec),
                    plastic_name(plastic),
                    o.wall,
                    o.cpu,
                    mb,
                    mb / o.cpu,
                    pt.wall,
                    pt.cpu,
                    bytes_peer(n, kname, ls[ni]),
                    pt.cpu / o.cpu,
                    pt.wall / o.wall
                );
            }
        }
    }
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

/// Per-step time of the pieces of one Euler step (hebb side only): φ, the
/// synaptic kernel alone, and the whole step (the difference is the
/// quenched GEMV g J* φ plus the x update). Best of `reps` × `steps`.
fn split(a: &Args) {
    let n: usize = a.get("N", 1000);
    let steps: u64 = a.get("steps", 200);
    let reps: usize = a.get("reps", 5);
    println!("# split: N = {n}, best of {reps} x {steps} steps, load {}", loadavg());
    let best = |f: &mut dyn FnMut()| -> f64 {
        let mut b = f64::INFINITY;
        for _ in 0..reps {
            let t0 = thread_cpu();
            for _ in 0..steps {
                f();
            }
            b = b.min(1e3 * (thread_cpu() - t0) / steps as f64);
        }
        b
    };
    for (prec, plastic) in COMBOS {
        let p = RateParams {
            n,
            g: 2.0,
            k: 2.0,
            tau_s: 1.0,
            coupling_precision: prec,
            plastic_precision: plastic,
            ..Default::default()
        };
        let l = p.history_length().unwrap();
        let mut net = DenseNetwork::new(&p, 11).unwrap();
        net.run(200);
        let phi = net.rates();
        let mut out = vec![0.0; n];
        let x = net.x().to_vec();
        let t_phi = best(&mut || p.nonlinearity.phi_slice(&x, &mut out));
        let mut dk = hebb_rate::DenseKernel::build(&p, None).unwrap();
        let t_dense = best(&mut || dk.step(&phi, &mut out, true));
        let mut hk = hebb_rate::HistoryKernel::build(&p, None).unwrap();
        for _ in 0..l {
            hk.step(&phi, &mut out, true);
        }
        let t_hist = best(&mut || hk.step(&phi, &mut out, true));
        let t_net_d = best(&mut || net.step());
        let mut hn = HistoryNetwork::new(&p, 11).unwrap();
        hn.run(200 + l as u64);
        let t_net_h = best(&mut || hn.step());
        println!(
            "J* {} / A {}: phi {t_phi:.4} | dense kernel {t_dense:.4} | dense step {t_net_d:.4} (rest {:.4}) | history kernel {t_hist:.4} | history step {t_net_h:.4} (rest {:.4}) ms",
            prec_name(prec),
            plastic_name(plastic),
            t_net_d - t_dense - t_phi,
            t_net_h - t_hist - t_phi
        );
    }
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
        "split" => split(&a),
        _ => {
            println!("usage: rate_peer_compare bench|stats [--key value ...] (see the file's docs)");
        }
    }
}
