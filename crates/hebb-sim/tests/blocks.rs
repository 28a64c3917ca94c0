//! A network split into blocks of neurons, one thread per block exchanging
//! spikes through `hebb_core::comm::ThreadComm`, gives bit for bit the spike
//! raster, the plastic weights and the local membrane potentials of the
//! whole network in one piece. This is the correctness test of distributed
//! runs that needs no MPI: the MPI crate (hebb-mpi) only swaps the
//! communicator.
//!
//! The comparison is exact (no tolerance): the split changes neither any
//! random stream (all keyed by global ids) nor the order of any floating
//! point operation on a neuron or synapse.

use hebb_core::comm::{Local, ThreadComm};
use hebb_plasticity::RuleConfig;
use hebb_sim::{Network, SimConfig, Simulation, SpikeSink};
use std::sync::{Arc, Mutex};

/// Spikes as (step time, neuron), shared with the test after the run.
#[derive(Clone, Default)]
struct SharedSink(Arc<Mutex<Vec<(u64, u32)>>>);

impl SpikeSink for SharedSink {
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        self.0.lock().unwrap().extend(neurons.iter().map(|&j| (t_ms.to_bits(), j)));
        Ok(())
    }
    fn written(&self) -> u64 {
        self.0.lock().unwrap().len() as u64
    }
}

/// What one run (or one rank of a run) leaves behind.
struct Outcome {
    raster: Vec<(u64, u32)>,
    /// Global targets and weights as bits (rank 0 and whole runs only).
    weights: Option<(Vec<u32>, Vec<u32>)>,
    /// Final potentials of the neurons the run integrated, as bits.
    v: Vec<u32>,
    block: std::ops::Range<usize>,
}

fn finish(mut sim: Simulation, sink: SharedSink) -> Outcome {
    sim.run(&mut |_| {}).expect("the run completes");
    let block = sim.network.block();
    let weights = sim
        .network
        .gather_recurrent()
        .map(|c| (c.targets().to_vec(), c.weights().iter().map(|x| x.to_bits()).collect()));
    let v = sim.network.state.v[block.clone()].iter().map(|x| x.to_bits()).collect();
    let raster = std::mem::take(&mut *sink.0.lock().unwrap());
    Outcome { raster, weights, v, block }
}

fn whole(cfg: &SimConfig) -> Outcome {
    let sink = SharedSink::default();
    let sim = Simulation::new(cfg.clone()).unwrap().with_sink(Box::new(sink.clone()));
    finish(sim, sink)
}

/// Run `cfg` as `ranks` blocks, one thread each; rank `r` uses
/// `threads[r % threads.len()]` worker threads for its neuron pass.
fn split(cfg: &SimConfig, ranks: usize, threads: &[usize]) -> Vec<Outcome> {
    std::thread::scope(|s| {
        let handles: Vec<_> = ThreadComm::group(ranks)
            .into_iter()
            .enumerate()
            .map(|(r, comm)| {
                let mut cfg = cfg.clone();
                cfg.run.threads = threads[r % threads.len()];
                s.spawn(move || {
                    let sink = SharedSink::default();
                    let sim =
                        Simulation::new_distributed(cfg, Box::new(comm)).unwrap().with_sink(Box::new(sink.clone()));
                    finish(sim, sink)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn assert_same(whole: &Outcome, parts: &[Outcome], what: &str) {
    assert!(!whole.raster.is_empty(), "{what}: the network must spike for the test to mean anything");
    let mut covered = 0;
    for (r, p) in parts.iter().enumerate() {
        assert_eq!(p.block.start, covered, "{what}: blocks tile the network in rank order");
        covered = p.block.end;
        assert!(p.raster == whole.raster, "{what}: rank {r} of {} sees another raster", parts.len());
        assert!(p.v == whole.v[p.block.clone()], "{what}: rank {r} potentials differ");
        if r == 0 {
            assert!(p.weights == whole.weights, "{what}: gathered synapses differ");
        } else {
            assert!(p.weights.is_none());
        }
    }
    assert_eq!(covered, whole.block.end);
}

/// The authors' demo (iSTDP on E←I and I←I, correlated external layer) at
/// N = 1000, plus additive STDP on E←E so that excitatory presynaptic rows
/// crossing block boundaries are plastic too. 2 and 3 blocks, one of them
/// with a 2-thread neuron pass.
#[test]
fn plastic_akil_network_split_in_blocks_equals_whole() {
    let mut cfg = SimConfig::akil_demo();
    cfg.network.n = 1000;
    cfg.run.duration_ms = 1000.0;
    cfg.record.spikes = false;
    cfg.plasticity.push(RuleConfig::AdditiveHebbian {
        synapse: "E<-E".parse().unwrap(),
        eta: 1e-3,
        j_min: 0.0,
        j_max: 50.0,
        tau_stdp_ms: 200.0,
    });
    let reference = whole(&cfg);
    let initial = Network::build(&cfg).unwrap().recurrent.weights().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert!(reference.weights.as_ref().map(|w| &w.1) != Some(&initial), "plasticity must have changed weights");
    assert_same(&reference, &split(&cfg, 2, &[1]), "2 blocks");
    assert_same(&reference, &split(&cfg, 3, &[1, 2]), "3 blocks");
}

/// The benchmark network (LIF with refractoriness, independent per-neuron
/// drive drawn inside the step): 3 blocks.
#[test]
fn benchmark_network_split_in_blocks_equals_whole() {
    let mut cfg = SimConfig::benchmark();
    cfg.network.n = 1000;
    cfg.run.duration_ms = 500.0;
    cfg.record.spikes = false;
    assert_same(&whole(&cfg), &split(&cfg, 3, &[1]), "benchmark, 3 blocks");
}

/// A single block with the identity communicator is the whole network; a
/// block outside the network is an error naming the field.
#[test]
fn one_block_is_the_whole_network_and_bad_blocks_are_errors() {
    let mut cfg = SimConfig::akil_demo();
    cfg.network.n = 400;
    cfg.run.duration_ms = 300.0;
    cfg.record.spikes = false;
    let sink = SharedSink::default();
    let one = finish(
        Simulation::new_distributed(cfg.clone(), Box::new(Local)).unwrap().with_sink(Box::new(sink.clone())),
        sink,
    );
    assert_same(&whole(&cfg), &[one], "1 block");
    let err = Network::build_block(&cfg, 300..500, Box::new(Local)).err().expect("block beyond N");
    assert!(err.to_string().contains("`block`"), "{err}");
}
