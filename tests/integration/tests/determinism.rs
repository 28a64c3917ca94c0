//! Reproducibility: a run is a pure function of its config and seed, and
//! does not depend on the thread count.

use hebb::sim::SimConfig;
use hebb_integration_tests::run_collect;

fn small(threads: usize, seed: u64) -> SimConfig {
    // The demo: iSTDP on E<-I and I<-I (at a fast η₀ so weights move), so
    // plastic weights and traces are part of every comparison.
    let mut cfg = SimConfig::akil_demo();
    for r in &mut cfg.plasticity {
        if let hebb::sim::RuleConfig::Homeostatic { eta0, .. } = r {
            *eta0 = 1e-3;
        }
    }
    cfg.network.n = 2500; // three neuron chunks of 1024 for the thread pool, one partial
    cfg.run.duration_ms = 600.0;
    cfg.run.threads = threads;
    cfg.run.seed = seed;
    cfg.record.voltage_neurons = vec![2100];
    cfg
}

/// Spikes, final state and every recorder are bit-identical for 1, 2 and
/// 7 threads; another seed gives another run (so the test can fail).
#[test]
fn bit_identical_for_any_thread_count() {
    let (sim1, spikes1) = run_collect(small(1, 5));
    assert!(spikes1.len() > 1000, "{} spikes", spikes1.len());
    let w = &sim1.recorder.weights;
    let k = w.types.len();
    let last = (w.t_ms.len() - 1) * k;
    assert!(
        k == 2 && w.mean_j[last] != w.mean_j[0] && w.mean_j[last + 1] != w.mean_j[1],
        "plastic weights moved: {:?}",
        w.mean_j
    );
    for threads in [2, 7] {
        let (sim, spikes) = run_collect(small(threads, 5));
        assert_eq!(spikes, spikes1, "spikes differ with {threads} threads");
        assert_eq!(sim.checkpoint(), sim1.checkpoint(), "state, weights or traces differ with {threads} threads");
    }
    let (_, other) = run_collect(small(1, 6));
    assert_ne!(other, spikes1);
}

/// A run stopped and restored from its checkpoint continues bit for bit.
#[test]
fn checkpoint_restore_continues_bit_for_bit() {
    let cfg = small(1, 9);
    let (full, spikes_full) = run_collect(cfg.clone());
    let sink = hebb_integration_tests::SharedSink::default();
    let mut first = hebb::sim::Simulation::new(cfg.clone()).unwrap().with_sink(Box::new(sink.clone()));
    first.run_until(2345, &mut |_| {}).unwrap();
    let cp = first.checkpoint();
    // Through JSON, as the program stores it.
    let cp: hebb::sim::Checkpoint = serde_json::from_str(&serde_json::to_string(&cp).unwrap()).unwrap();
    let mut second = hebb::sim::Simulation::restore(cfg, cp).unwrap().with_sink(Box::new(sink.clone()));
    second.run(&mut |_| {}).unwrap();
    assert_eq!(*sink.0.lock().unwrap(), spikes_full);
    assert_eq!(second.checkpoint().recorder, full.checkpoint().recorder);
    assert_eq!(second.checkpoint().state, full.checkpoint().state);
}
