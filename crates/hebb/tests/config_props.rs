//! Property tests: no config, however wrong, makes the program panic.

use hebb::config::{AKIL_DEMO_TOML, parse};
use hebb::sim::Simulation;
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "run.duration_ms",
    "run.dt_ms",
    "run.threads",
    "run.spike_cap_hz",
    "run.seed",
    "network.n",
    "network.populations[0].fraction",
    "network.populations[1].kind",
    "network.connections[0].p",
    "network.connections[1].j",
    "network.connections[2].pre",
    "neuron.g_l",
    "neuron.v_th",
    "neuron.v_re",
    "neuron.delta_t",
    "synapses.tau_e_ms",
    "external[0].c",
    "external[0].rate_hz",
    "external[0].fraction",
    "external[0].jitter_ms",
    "external[0].window_ms",
    "external[0].targets[0].p",
    "record.interval_ms",
    "record.rate_bin_ms",
    "record.cov_window_ms",
    "record.burn_in_fraction",
    "record.voltage_neurons",
    "neuron.model",
    "bogus.key",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-1e4f64..1e4).prop_map(|x| format!("{x}")),
        (-3i64..3000).prop_map(|x| x.to_string()),
        Just("0".to_string()),
        Just("-0.0".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("1e300".to_string()),
        Just("\"E\"".to_string()),
        Just("\"inhibitory\"".to_string()),
        Just("\"lif\"".to_string()),
        Just("[0, 1]".to_string()),
        Just("[5.0, 1.0]".to_string()),
        Just("true".to_string()),
        Just("{}".to_string()),
    ]
}

proptest! {
    // A fixed seed keeps CI reproducible (a random one once drew a layer
    // whose spike chunk did not fit in memory; that is now a config error,
    // see `ExternalLayer::validate`).
    #![proptest_config(ProptestConfig {
        cases: 96,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261130),
        .. ProptestConfig::default()
    })]

    /// Parsing and validating never panics; a config that validates builds
    /// and runs (kept tiny: n ≤ 600, ≤ 20 ms) without panicking.
    #[test]
    fn any_overrides_give_errors_not_panics(sets in proptest::collection::vec((0..KEYS.len(), value()), 1..4)) {
        let mut sets: Vec<String> = sets.into_iter().map(|(k, v)| format!("{}={}", KEYS[k], v)).collect();
        sets.insert(0, "network.n=600".into());
        sets.insert(1, "run.duration_ms=20".into());
        if let Ok(cfg) = parse(AKIL_DEMO_TOML, &sets)
            && cfg.network.n <= 600 && cfg.run.duration_ms <= 20.0 && cfg.run.threads <= 8
                && let Ok(mut sim) = Simulation::new(cfg) {
                    let _ = sim.run(&mut |_| {});
                    let _ = sim.results();
                }
    }
}
