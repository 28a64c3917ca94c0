//! The downstream rule runs through hebb's engine and passes its testkit.

use custom_rule::PairStdp;
use hebb_plasticity::SynapseType;
use hebb_sim::testkit::{check_contract, check_drift, check_no_change_without_spikes, check_update_order};
use hebb_sim::{SimConfig, Simulation};

fn rule(n: usize) -> Box<dyn hebb_plasticity::PlasticityRule> {
    // j_max = 50 in the paper's units (J = j/√N), A₊ = 0.5 % of it.
    Box::new(PairStdp::bi_poo(50.0 / (n as f64).sqrt(), 0.005))
}

#[test]
fn passes_the_testkit() {
    let ee: SynapseType = "E<-E".parse().unwrap();
    check_contract(&*rule(5000)).unwrap();
    check_no_change_without_spikes(&rule, &ee).unwrap();
    check_update_order(&rule, &ee).unwrap();
}

/// On the default network (N = 5000, c = 0, 3 s) the mean E←E weight moves
/// as the declared drift predicts, within 20 % (as for the catalogue rules),
/// and, depression being dominant (A₋τ₋ > A₊τ₊), downwards.
#[test]
fn drifts_as_declared() {
    let mut cfg = SimConfig::akil_default();
    cfg.run.duration_ms = 3000.0;
    cfg.external[0].c = 0.0;
    cfg.record.spikes = false;
    let ee: SynapseType = "E<-E".parse().unwrap();
    let d = check_drift(cfg, &ee, Some(&rule), 0.2).unwrap();
    assert!(d.measured < 0.0 && d.predicted < 0.0, "{d:?}");
    // Running it by hand is the same engine: add the rule, run, read weights.
    let mut small = hebb_sim::testkit::small_network(1000, 200.0, 1);
    small.record.weight_interval_ms = 100.0;
    let mut sim = Simulation::new(small).unwrap();
    sim.add_rule(ee, rule(1000)).unwrap();
    sim.run(&mut |_| {}).unwrap();
    assert_eq!(sim.recorder.weights.t_ms, vec![0.0, 100.0, 200.0]);
}
