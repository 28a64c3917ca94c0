//! Helpers shared by the cross-crate integration tests in `tests/`.

use hebb::sim::{SimConfig, Simulation, SpikeSink};
use std::sync::{Arc, Mutex};

/// A spike sink whose contents the test can read after the run.
#[derive(Clone, Default)]
pub struct SharedSink(pub Arc<Mutex<Vec<(f64, u32)>>>);

impl SpikeSink for SharedSink {
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        self.0.lock().unwrap().extend(neurons.iter().map(|&j| (t_ms, j)));
        Ok(())
    }
    fn written(&self) -> u64 {
        self.0.lock().unwrap().len() as u64
    }
}

/// Run `cfg` to the end, returning the simulation and every spike.
pub fn run_collect(cfg: SimConfig) -> (Simulation, Vec<(f64, u32)>) {
    let sink = SharedSink::default();
    let mut sim = Simulation::new(cfg).expect("valid config").with_sink(Box::new(sink.clone()));
    sim.run(&mut |_| {}).expect("run completes");
    let spikes = sink.0.lock().unwrap().clone();
    (sim, spikes)
}
