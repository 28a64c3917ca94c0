//! An experiment's simulation interrupted after a checkpoint and run again
//! continues from the checkpoint and ends in exactly the state of an
//! uninterrupted run (specs/akil.md §4: long runs must survive interruption).

use hebb::sim::SimConfig;
use hebb_experiments::run_checkpointed;

#[test]
fn interrupted_and_rerun_equals_uninterrupted() {
    // The demo network with iSTDP on E←I and I←I, small and short: plastic
    // weights, traces, neuron state and recorders all cross the checkpoint.
    let mut cfg = SimConfig::akil_demo();
    cfg.network.n = 600;
    cfg.run.duration_ms = 1500.0;
    cfg.record.spikes = false;
    let dir = std::env::temp_dir().join(format!("hebb-exp-ckpt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let whole = run_checkpointed(cfg.clone(), &dir.join("whole"), 0.5, None).unwrap();
    // Every 0.5 s; "killed" after the checkpoint at 0.5 s (step 5000).
    let first = run_checkpointed(cfg.clone(), &dir.join("cut"), 0.5, Some(5000)).unwrap();
    assert_eq!(first.steps_done(), 5000);
    let files: Vec<_> = std::fs::read_dir(dir.join("cut")).unwrap().collect();
    assert_eq!(files.len(), 1, "one checkpoint file");
    let resumed = run_checkpointed(cfg, &dir.join("cut"), 0.5, None).unwrap();
    assert_eq!(resumed.steps_done(), whole.steps_done());
    assert!(resumed.checkpoint() == whole.checkpoint(), "state, weights, traces and recorders must be identical");
    assert!(resumed.results().rates_hz["E"] > 0.0);
    // A completed run leaves no checkpoint behind.
    assert_eq!(std::fs::read_dir(dir.join("cut")).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
