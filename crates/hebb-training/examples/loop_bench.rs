//! CPU time of one 1-s training loop of the Kim & Chow network (kimchow.md
//! §8.2 acceptance: 10 000 steps and 100 updates in at most 3 s on one
//! thread), N = 1000, K = 100 (K_p = 200), soft ROWSUM μ = 8, λ = 0.5.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p hebb-training --example loop_bench -- [loops] [f32] [stim=MS]
//! ```
//!
//! Prints one JSON line: CPU seconds per loop (process user + system time
//! from `/proc/self/stat`), wall seconds, and the split between the network
//! steps and the RLS updates.

use hebb_training::{NetworkConfig, Real, Trainer, TrainerConfig, TrainingInitialState};
use std::time::Instant;

/// Process CPU time (user + system) in seconds, from `/proc/self/stat`.
fn cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the ')'
    let t = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let loops: usize = args.get(1).and_then(|x| x.parse().ok()).unwrap_or(3);
    let stim = args.iter().find_map(|a| a.strip_prefix("stim=")).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    if args.iter().any(|a| a == "f32") { run::<f32>(loops, stim) } else { run::<f64>(loops, stim) }
}

fn run<T: Real>(loops: usize, stimulus_ms: f64) {
    let net = NetworkConfig::default();
    let mut cfg = TrainerConfig {
        stimulus_ms,
        window_ms: 1000.0,
        training_initial_state: TrainingInitialState::NewEachLoop,
        ..Default::default()
    };
    cfg.rls.precision = T::PRECISION;
    let (c0, w0) = (cpu_s(), Instant::now());
    let mut tr = Trainer::<T>::with_precision(net, cfg, 1).expect("trainer");
    let (c1, w1) = (cpu_s(), Instant::now());
    let mut per = Vec::new();
    for _ in 0..loops {
        let (c, w) = (cpu_s(), Instant::now());
        let r = tr.train_loop().expect("loop");
        per.push((cpu_s() - c, w.elapsed().as_secs_f64(), r.n_updates, r.mean_pearson));
    }
    // network-only cost: a frozen-weight trial of the same length
    let (c, w) = (cpu_s(), Instant::now());
    tr.test_trial(0).expect("test");
    let (net_cpu, net_wall) = (cpu_s() - c, w.elapsed().as_secs_f64());
    let cpu: Vec<f64> = per.iter().map(|p| p.0).collect();
    let wall: Vec<f64> = per.iter().map(|p| p.1).collect();
    println!(
        "{}",
        serde_json::json!({
            "what": "hebb one training loop (stimulus + 1-s window, 101 updates), N = 1000, K_p = 200",
            "stimulus_ms": stimulus_ms,
            "threads": rayon::current_num_threads(),
            "arena": format!("{:?}", T::PRECISION),
            "setup_cpu_s": c1 - c0, "setup_wall_s": w1.duration_since(w0).as_secs_f64(),
            "loop_cpu_s": cpu, "loop_wall_s": wall,
            "frozen_trial_cpu_s": net_cpu, "frozen_trial_wall_s": net_wall,
            "updates_per_loop": per.first().map(|p| p.2),
        })
    );
}
