//! The Nicola–Clopath LIF FORCE sine task (kimchow.md §6.1).
//!
//! ```text
//! cargo run --release -p hebb-training --example force_sine -- n=2000 total=15000 start=5000 end=10000 seed=1
//! ```

use hebb_training::{DecoderStep, LifForceConfig, run_sine_task};

fn main() {
    let mut kv = std::collections::HashMap::new();
    for a in std::env::args().skip(1) {
        if let Some((k, v)) = a.split_once('=') {
            kv.insert(k.to_string(), v.to_string());
        }
    }
    let get = |k: &str, d: f64| kv.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(d);
    let d = LifForceConfig::default();
    let cfg = LifForceConfig {
        n: get("n", 2000.0) as usize,
        t_total_ms: get("total", d.t_total_ms),
        t_learn_start_ms: get("start", d.t_learn_start_ms),
        t_learn_end_ms: get("end", d.t_learn_end_ms),
        g: get("g", d.g),
        q: get("q", d.q),
        alpha: get("alpha", d.alpha),
        step: if kv.get("step").map(String::as_str) == Some("ref") {
            DecoderStep::Reference
        } else {
            DecoderStep::Normalised
        },
        ..d
    };
    let t = std::time::Instant::now();
    let r = run_sine_task(&cfg, get("seed", 1.0) as u64).unwrap();
    println!(
        "test corr {:.4} rel rmse {:.3} pre corr {:.3} rate {:.1} Hz updates {} |phi| {:.3e} wall {:.1} s",
        r.test_correlation,
        r.test_relative_rmse,
        r.pre_correlation,
        r.mean_rate_hz,
        r.n_updates,
        r.decoder_norm,
        t.elapsed().as_secs_f64()
    );
}
