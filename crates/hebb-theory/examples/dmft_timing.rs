//! Time one stationary DMFT solution (spec `clark.md` §3.6) and print its
//! statistics: `cargo run --release -p hebb-theory --example dmft_timing --
//! [g] [k] [tau_s] [paths] [iterations]` (defaults 2 1 1 800 40). Runs on
//! one rayon thread; reports wall time and the process CPU time.

use hebb_theory::dmft::{StationaryModel, StationaryOptions, solve_stationary};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (fields 14 and 15).
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (tick(11) + tick(12)) / 100.0
}

fn main() {
    let a: Vec<f64> = std::env::args().skip(1).filter_map(|v| v.parse().ok()).collect();
    let get = |i: usize, d: f64| a.get(i).copied().unwrap_or(d);
    let model = StationaryModel { g: get(0, 2.0), k: get(1, 1.0), tau_s: get(2, 1.0), ..Default::default() };
    let opts = StationaryOptions {
        paths: get(3, 800.0) as usize,
        iterations: get(4, 40.0) as usize,
        average_last: 10.min(get(4, 40.0) as usize),
        ..Default::default()
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let (c0, t0) = (cpu_seconds(), std::time::Instant::now());
    let s = pool.install(|| solve_stationary(&model, &opts, None)).expect("dmft");
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    println!(
        "g {} k {} tau_s {}: Δ0 {:.4} ± {:.4}, q {:.4}, g²⟨φ'²⟩ {:.4}, τ½ {:?}, τ_int {:.3}, C∞ {:.4}, first zero {:?}, min C/q {:?}",
        model.g,
        model.k,
        model.tau_s,
        s.delta0,
        s.noise,
        s.q,
        s.g2_phi_prime_sq,
        s.tau_half,
        s.tau_int,
        s.c_inf,
        s.first_zero,
        s.min_c_over_q
    );
    let r: Vec<String> = [1.0, 2.0, 3.0, 5.0, 6.5, 10.0, 20.0]
        .iter()
        .map(|&t| format!("{:.3}", s.c_over_q(t).unwrap_or(f64::NAN)))
        .collect();
    println!("C/q at τ = 1, 2, 3, 5, 6.5, 10, 20: {}", r.join(", "));
    let d: Vec<String> = s.delta0_history.iter().map(|v| format!("{v:.3}")).collect();
    println!("Δ0 per iteration: {}", d.join(" "));
    let d: Vec<String> = s.tau_half_history.iter().map(|v| format!("{v:.2}")).collect();
    println!("τ½ per iteration: {}", d.join(" "));
    println!(
        "last residual {:.2e}, clipped {:.1e}, kernel lags {}",
        s.residuals.last().unwrap(),
        s.clipped,
        s.kernel_lags
    );
    println!("wall {wall:.2} s, CPU {cpu:.2} s (1 rayon thread)");
}
