//! Exploration of the frozen-weight protocol (kimchow.md §3.7, §10): how the
//! frozen-weight Pearson R on new initial conditions depends on λ, loops,
//! the stimulus and the initial-state protocol.
//!
//! ```text
//! cargo run --release -p hebb-training --example frozen_explore -- \
//!     n=400 k=80 lambda=0.5 mu=8 loops=20 every=5 init=new stim=1 tau_s=50 seed=7 tests=4
//! ```

use hebb_training::{NetworkConfig, Rowsum, Trainer, TrainerConfig, TrainingInitialState, TrialReport};

fn main() {
    let mut kv = std::collections::HashMap::new();
    for a in std::env::args().skip(1) {
        if let Some((k, v)) = a.split_once('=') {
            kv.insert(k.to_string(), v.to_string());
        }
    }
    let get = |k: &str, d: f64| kv.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(d);
    let n = get("n", 400.0) as usize;
    let net = NetworkConfig {
        n_exc: n / 2,
        n_inh: n / 2,
        k: get("k", 80.0) as usize,
        tau_s_ms: get("tau_s", 50.0),
        ..Default::default()
    };
    let mut cfg = TrainerConfig {
        stimulus_amplitude: get("stim", 1.0),
        stimulus_ms: get("stim_ms", 200.0),
        training_initial_state: if kv.get("init").map(String::as_str) == Some("same") {
            TrainingInitialState::SameEveryLoop
        } else {
            TrainingInitialState::NewEachLoop
        },
        ..Default::default()
    };
    cfg.rls.lambda = get("lambda", 0.5);
    let mu = get("mu", 8.0);
    cfg.rls.rowsum = if mu == 0.0 {
        Rowsum::Off
    } else if mu.is_infinite() {
        Rowsum::Hard
    } else {
        Rowsum::Soft { mu }
    };
    let loops = get("loops", 20.0) as usize;
    let every = get("every", 5.0) as usize;
    let tests = get("tests", 4.0) as u64;
    let mut tr = Trainer::new(net, cfg, get("seed", 7.0) as u64).unwrap();
    let frozen = |tr: &mut Trainer| {
        let reps: Vec<TrialReport> = (0..tests).map(|t| tr.test_trial(t).unwrap()).collect();
        let single = reps.iter().map(|r| r.mean_pearson).sum::<f64>() / tests as f64;
        let (avg, _) = tr.trial_averaged_pearson(&reps);
        (single, avg, reps[0].rate_exc_hz, reps[0].rate_inh_hz)
    };
    println!("args {kv:?}");
    println!("loop 0: frozen {:.3?}", frozen(&mut tr));
    for l in 1..=loops {
        let r = tr.train_loop().unwrap();
        if l % every == 0 {
            let f = frozen(&mut tr);
            let rep = tr.replay_trial().unwrap().mean_pearson;
            println!("loop {l}: R_train {:.3} replay {rep:.3} frozen (single, avg, rE, rI) {f:.3?}", r.mean_pearson);
        }
    }
}
