//! # hebb-sim
//!
//! The spiking engine. It composes neurons (hebb-neurons), synapses
//! (hebb-connectivity) and external drive (hebb-stimulus) into a
//! [`Network`], advances it with one documented step function
//! ([`Network::step`], the only place the step order lives), records what a
//! run needs in O(N) memory ([`Recorder`]), and checkpoints and resumes runs
//! bit for bit ([`Checkpoint`]).
//!
//! ```no_run
//! use hebb_sim::{SimConfig, Simulation};
//! let mut cfg = SimConfig::akil_default();
//! cfg.run.duration_ms = 1000.0;
//! let mut sim = Simulation::new(cfg).unwrap();
//! sim.run(&mut |_step| {}).unwrap();
//! let res = sim.results();
//! println!("E rate {:?} Hz", res.rates_hz.get("E"));
//! ```
//!
//! Reproducibility: every random draw comes from a stream keyed by
//! `(seed, purpose, ids)` (hebb-core), and only elementwise work is split
//! over threads, so results are bit-identical for any `run.threads`.

pub mod config;
mod network;
pub mod plastic;
mod record;
pub mod results;
pub mod testkit;

pub use config::SimConfig;
pub use hebb_plasticity::{PlasticityRule, RuleConfig, SynapseType};
pub use network::{ExternalInput, Network, NeuronState, StepObserver, StepView};
pub use plastic::PlasticProjection;
pub use record::{MemorySink, RecordPlan, Recorder, SpikeSink, WeightRecord};
pub use results::RunResults;

use hebb_core::{ParamError, TimeGrid, time::steps_in};
use serde::{Deserialize, Serialize};

/// Everything that can stop a simulation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A config value is invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Synapses could not be built.
    #[error("connectivity: {0}")]
    Connectivity(#[from] hebb_connectivity::ConnectivityError),
    /// The thread pool could not be created.
    #[error("could not start {0}")]
    Threads(String),
    /// Activity ran away: more spikes than the cap. What was recorded up to
    /// `step` is kept.
    #[error(
        "spike cap exceeded at t = {t_ms} ms: {spikes} spikes > cap {cap} (run.spike_cap_hz · N · T); the run stopped and kept what it recorded"
    )]
    SpikeCap {
        /// Step at which the cap was exceeded.
        step: u64,
        /// Time of that step (ms).
        t_ms: f64,
        /// Spikes so far.
        spikes: u64,
        /// The cap.
        cap: u64,
    },
    /// Writing spikes failed.
    #[error("writing spikes: {0}")]
    Io(#[from] std::io::Error),
    /// A checkpoint does not fit the config.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

/// The checkpoint format this build writes and reads: 2 since the neuron
/// state is single precision (1 held it in f64).
pub const CHECKPOINT_VERSION: u32 = 2;

/// The complete dynamic state of a run at a step boundary: restoring it into
/// a network built from the same config continues the run bit for bit.
/// External input needs no state: its chunks are pure functions of the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version ([`CHECKPOINT_VERSION`] when written by this build).
    pub version: u32,
    /// Steps done.
    pub step: u64,
    /// Neuron state.
    pub state: NeuronState,
    /// Recorder contents.
    pub recorder: Recorder,
    /// Spikes the sink had written.
    pub spikes_written: u64,
    /// All recurrent weights, when some are plastic.
    pub weights: Option<Vec<f32>>,
    /// Pre and post traces of each plastic type.
    pub traces: Vec<[Vec<f32>; 2]>,
}

/// Receives full weight snapshots of the plastic types (the `hebb` program
/// writes them as NPY files as they come).
pub trait WeightSink: Send {
    /// All weights of `synapse` (j units, presynaptic-major order) at `t_ms`.
    fn snapshot(&mut self, synapse: &str, t_ms: f64, weights_j: &[f32]) -> std::io::Result<()>;
}

/// A configured run: network, recorder, optional spike sink, and progress.
pub struct Simulation {
    /// The validated config.
    pub config: SimConfig,
    /// The network.
    pub network: Network,
    /// What has been recorded.
    pub recorder: Recorder,
    sink: Option<Box<dyn SpikeSink>>,
    weight_sink: Option<Box<dyn WeightSink>>,
    weight_interval_steps: u64,
    snapshot_steps: Vec<u64>,
    grid: TimeGrid,
    steps_done: u64,
    spike_cap: u64,
}

impl Simulation {
    /// Validate `config`, build the network and an empty recorder.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        let network = Network::build(&config)?;
        Self::with_network(config, network)
    }

    /// The part of the run of `config` that rank `comm.rank()` of
    /// `comm.size()` owns: the block [`hebb_core::comm::block_range`] of the
    /// neurons, exchanging spikes through `comm` every step (see
    /// [`Network::build_block`]). Run every rank's part in lockstep (e.g. one
    /// MPI process each); together they give bit for bit the spikes and
    /// weights of [`Simulation::new`]'s run, for any number of ranks.
    ///
    /// On every rank, whatever the recorder derives from spikes (rates,
    /// raster, covariances, the spike sink, the spike cap) is global;
    /// voltages and mean currents cover only the rank's own neurons, and
    /// weight records and snapshots only its own synapses (use
    /// [`Network::gather_recurrent`] for all of them). Checkpoints are not
    /// supported for parts.
    pub fn new_distributed(config: SimConfig, comm: Box<dyn hebb_core::comm::Communicator>) -> Result<Self, SimError> {
        config.validate()?;
        let block = hebb_core::comm::block_range(config.population_sizes().iter().sum(), comm.rank(), comm.size());
        let network = Network::build_block(&config, block, comm)?;
        Self::with_network(config, network)
    }

    fn with_network(config: SimConfig, network: Network) -> Result<Self, SimError> {
        let grid = TimeGrid::new(config.run.dt_ms, config.run.duration_ms)?;
        let rc = &config.record;
        let dt = grid.dt_ms;
        let n_steps = grid.n_steps;
        let burn_steps = (rc.burn_in_fraction * n_steps as f64).round() as u64;
        let mut raster_neurons = Vec::new();
        for p in 0..network.layout.n_pops() {
            let r = network.layout.range(p);
            raster_neurons.extend((r.start..r.end.min(r.start + rc.raster_per_pop)).map(|j| j as u32));
        }
        let plan = RecordPlan {
            n_steps,
            dt,
            burn_steps,
            bin_steps: steps_in("record.rate_bin_ms", rc.rate_bin_ms, dt)?,
            interval_steps: steps_in("record.interval_ms", rc.interval_ms, dt)?,
            cov_window_steps: steps_in("record.cov_window_ms", rc.cov_window_ms, dt)?,
            voltage_neurons: config.voltage_neurons(),
            raster_neurons,
            figure_window_steps: ((2000.0 / dt).round() as u64).min(n_steps),
        };
        let cov_cfg = hebb_analysis::CovarianceConfig {
            burn_in_ms: burn_steps as f64 * dt,
            t_end_ms: grid.duration_ms(),
            window_ms: rc.cov_window_ms,
            sample_per_pop: rc.cov_sample_per_pop,
            seed: config.run.seed,
        };
        // Fewer than two windows (a short run) means no covariances.
        let covariance = hebb_analysis::CountCovariance::new(&network.layout, &cov_cfg).ok();
        let recorder = Recorder::new(plan, &network.layout, network.external.len(), covariance);
        let spike_cap = (config.run.spike_cap_hz * 1e-3 * network.n() as f64 * grid.duration_ms()).ceil() as u64;
        let weight_interval_steps = steps_in("record.weight_interval_ms", rc.weight_interval_ms, dt)?;
        let mut snapshot_steps: Vec<u64> = rc
            .weight_snapshots_ms
            .iter()
            .map(|&t| steps_in("record.weight_snapshots_ms", t, dt))
            .collect::<Result<_, _>>()?;
        snapshot_steps.sort_unstable();
        let mut sim = Self {
            config,
            network,
            recorder,
            sink: None,
            weight_sink: None,
            weight_interval_steps,
            snapshot_steps,
            grid,
            steps_done: 0,
            spike_cap,
        };
        for rule in sim.config.plasticity.clone() {
            let kind =
                sim.network.layout.pops()[sim.network.layout.index_of(&rule.synapse().pre).expect("validated")].kind;
            let sign = if kind == hebb_core::Kind::Inhibitory { -1.0 } else { 1.0 };
            sim.add_rule(rule.synapse().clone(), rule.build(sim.config.network.n, sign))?;
        }
        Ok(sim)
    }

    /// Make `synapse` plastic under `rule` (any type implementing
    /// [`PlasticityRule`], e.g. one written in another crate). Only before
    /// the first step; at most one rule per synapse type.
    pub fn add_rule(&mut self, synapse: SynapseType, rule: Box<dyn PlasticityRule>) -> Result<(), SimError> {
        let field = || format!("plasticity[{}].synapse", self.network.plastic.len());
        if self.steps_done > 0 {
            return Err(ParamError::new(field(), &synapse, "rules added before the first step").into());
        }
        if self.network.plastic.iter().any(|p| p.synapse == synapse) {
            return Err(ParamError::new(
                field(),
                &synapse,
                "a type without another rule: two rules on the same synapse type are not allowed",
            )
            .into());
        }
        let names: Vec<String> = self.network.layout.pops().iter().map(|p| p.name.clone()).collect();
        let proj = plastic::PlasticProjection::new(
            &self.network.layout,
            &self.network.recurrent,
            synapse.clone(),
            rule,
            self.grid.dt_ms,
        )
        .ok_or_else(|| {
            ParamError::new(field(), &synapse, format!("POST<-PRE with population names among {}", names.join(", ")))
        })?;
        let mut rng = hebb_core::rng::stream(
            self.config.run.seed,
            hebb_core::rng::Purpose::Sampling,
            &[0x77, self.network.plastic.len() as u64],
        );
        let positions = proj.positions(&self.network.recurrent);
        let take = self.config.record.weight_sample.min(positions.len());
        let mut sample: Vec<u32> =
            rand::seq::index::sample(&mut rng, positions.len(), take).into_iter().map(|i| positions[i]).collect();
        sample.sort_unstable();
        let w = &mut self.recorder.weights;
        w.types.push(synapse.to_string());
        w.sample_positions.push(sample);
        self.network.plastic.push(proj);
        // Records restart at t = 0 with the new type included.
        w.t_ms.clear();
        w.mean_j.clear();
        w.sample_j.clear();
        self.record_weights(0);
        Ok(())
    }

    /// Send full weight snapshots (`record.weight_snapshots_ms`) to `sink`.
    pub fn with_weight_sink(mut self, sink: Box<dyn WeightSink>) -> Self {
        self.weight_sink = Some(sink);
        self
    }

    fn record_weights(&mut self, n: u64) {
        let scale = (self.config.network.n as f64).sqrt();
        let csr = &self.network.recurrent;
        let w = &mut self.recorder.weights;
        w.t_ms.push(n as f64 * self.grid.dt_ms);
        for (p, proj) in self.network.plastic.iter().enumerate() {
            w.mean_j.push(proj.mean_weight(csr) * scale);
            w.sample_j
                .extend(w.sample_positions[p].iter().map(|&pos| (csr.weights()[pos as usize] as f64 * scale) as f32));
        }
    }

    fn snapshot(&mut self, n: u64) -> std::io::Result<()> {
        let Some(sink) = self.weight_sink.as_deref_mut() else { return Ok(()) };
        let scale = (self.config.network.n as f64).sqrt();
        for proj in &self.network.plastic {
            let block: Vec<f32> =
                proj.block_weights(&self.network.recurrent).iter().map(|&x| (x as f64 * scale) as f32).collect();
            sink.snapshot(&proj.synapse.to_string(), n as f64 * self.grid.dt_ms, &block)?;
        }
        Ok(())
    }

    /// Send every spike to `sink` as well.
    ///
    /// (Also see [`Simulation::with_weight_sink`].)
    pub fn with_sink(mut self, sink: Box<dyn SpikeSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// The spike sink, if any (to checkpoint or finish it).
    pub fn sink_mut(&mut self) -> Option<&mut (dyn SpikeSink + 'static)> {
        self.sink.as_deref_mut()
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> u64 {
        self.steps_done
    }

    /// Steps in the whole run.
    pub fn n_steps(&self) -> u64 {
        self.grid.n_steps
    }

    /// The time grid.
    pub fn grid(&self) -> TimeGrid {
        self.grid
    }

    /// Run to the end; see [`Simulation::run_until`].
    pub fn run(&mut self, progress: &mut dyn FnMut(u64)) -> Result<(), SimError> {
        self.run_until(self.grid.n_steps, progress)
    }

    /// Take steps until `end_step` (clamped to the run length). `progress`
    /// is called every 1000 steps with the steps done. Stops with
    /// [`SimError::SpikeCap`] when activity runs away; the recorder keeps
    /// everything up to that step.
    pub fn run_until(&mut self, end_step: u64, progress: &mut dyn FnMut(u64)) -> Result<(), SimError> {
        let end = end_step.min(self.grid.n_steps);
        if self.steps_done == 0 && self.snapshot_steps.first() == Some(&0) {
            self.snapshot(0)?;
        }
        let plastic = !self.network.plastic.is_empty();
        while self.steps_done < end {
            let n = self.steps_done + 1;
            let mut obs =
                Observers { rec: &mut self.recorder, sink: self.sink.as_deref_mut(), dt: self.grid.dt_ms, error: None };
            self.network.step(n, &mut obs);
            let (error, spikes) = (obs.error.take(), obs.rec.total_spikes);
            self.steps_done = n;
            if let Some(e) = error {
                return Err(SimError::Io(e));
            }
            if plastic && n.is_multiple_of(self.weight_interval_steps) {
                self.record_weights(n);
            }
            if plastic && self.snapshot_steps.binary_search(&n).is_ok() {
                self.snapshot(n)?;
            }
            if spikes > self.spike_cap {
                return Err(SimError::SpikeCap { step: n, t_ms: self.grid.time_of(n), spikes, cap: self.spike_cap });
            }
            if n.is_multiple_of(1000) {
                progress(n);
            }
        }
        progress(self.steps_done);
        Ok(())
    }

    /// The state at the current step boundary.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            step: self.steps_done,
            state: self.network.state.clone(),
            recorder: self.recorder.clone(),
            spikes_written: self.sink.as_ref().map_or(0, |s| s.written()),
            weights: (!self.network.plastic.is_empty()).then(|| self.network.recurrent.weights().to_vec()),
            traces: self.network.plastic.iter().map(|p| [p.x_pre.clone(), p.x_post.clone()]).collect(),
        }
    }

    /// Rebuild the run of `config` and continue from `cp`.
    pub fn restore(config: SimConfig, cp: Checkpoint) -> Result<Self, SimError> {
        let mut sim = Self::new(config)?;
        if cp.version != CHECKPOINT_VERSION {
            return Err(SimError::Checkpoint(format!(
                "format version {} (this build reads {CHECKPOINT_VERSION})",
                cp.version
            )));
        }
        if cp.state.v.len() != sim.network.n() || cp.recorder.plan != sim.recorder.plan || cp.step > sim.grid.n_steps {
            return Err(SimError::Checkpoint("it was written by a run with a different config".into()));
        }
        if cp.traces.len() != sim.network.plastic.len()
            || cp.weights.as_ref().map(|w| w.len())
                != (!sim.network.plastic.is_empty()).then(|| sim.network.recurrent.n_synapses())
        {
            return Err(SimError::Checkpoint("its plastic weights do not fit the config".into()));
        }
        if let Some(w) = cp.weights {
            sim.network.recurrent.weights_mut().copy_from_slice(&w);
        }
        for (p, [x_pre, x_post]) in sim.network.plastic.iter_mut().zip(cp.traces) {
            p.x_pre = x_pre;
            p.x_post = x_post;
        }
        sim.network.state = cp.state;
        sim.recorder = cp.recorder;
        sim.steps_done = cp.step;
        Ok(sim)
    }

    /// Statistics of what has been recorded so far (complete or not).
    pub fn results(&self) -> RunResults {
        RunResults::compute(self)
    }
}

struct Observers<'a> {
    rec: &'a mut Recorder,
    sink: Option<&'a mut (dyn SpikeSink + 'static)>,
    dt: f64,
    error: Option<std::io::Error>,
}

impl StepObserver for Observers<'_> {
    fn observe(&mut self, view: &StepView<'_>) {
        self.rec.observe(view);
        if let Some(sink) = self.sink.as_deref_mut()
            && !view.spiked.is_empty()
            && let Err(e) = sink.spikes(view.n as f64 * self.dt, view.spiked)
        {
            self.error = Some(e);
        }
    }
}
