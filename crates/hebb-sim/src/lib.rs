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
mod record;
pub mod results;

pub use config::SimConfig;
pub use network::{ExternalInput, Network, NeuronState, StepObserver, StepView};
pub use record::{MemorySink, RecordPlan, Recorder, SpikeSink};
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

/// The complete dynamic state of a run at a step boundary: restoring it into
/// a network built from the same config continues the run bit for bit.
/// External input needs no state: its chunks are pure functions of the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Format version.
    pub version: u32,
    /// Steps done.
    pub step: u64,
    /// Neuron state.
    pub state: NeuronState,
    /// Recorder contents.
    pub recorder: Recorder,
    /// Spikes the sink had written.
    pub spikes_written: u64,
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
    grid: TimeGrid,
    steps_done: u64,
    spike_cap: u64,
}

impl Simulation {
    /// Validate `config`, build the network and an empty recorder.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        let network = Network::build(&config)?;
        let grid = TimeGrid::new(config.run.dt_ms, config.run.duration_ms)?;
        let rc = &config.record;
        let dt = grid.dt_ms;
        let n_steps = grid.n_steps;
        let burn_steps = (rc.burn_in_fraction * n_steps as f64).round() as u64;
        let mut raster_neurons = Vec::new();
        for p in 0..network.layout.n_pops() {
            let r = network.layout.range(p);
            raster_neurons
                .extend((r.start..r.end.min(r.start + rc.raster_per_pop)).map(|j| j as u32));
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
        let spike_cap = (config.run.spike_cap_hz * 1e-3 * network.n() as f64 * grid.duration_ms())
            .ceil() as u64;
        Ok(Self {
            config,
            network,
            recorder,
            sink: None,
            grid,
            steps_done: 0,
            spike_cap,
        })
    }

    /// Send every spike to `sink` as well.
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
    pub fn run_until(
        &mut self,
        end_step: u64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), SimError> {
        let end = end_step.min(self.grid.n_steps);
        let mut obs = Observers {
            rec: &mut self.recorder,
            sink: self.sink.as_deref_mut(),
            dt: self.grid.dt_ms,
            error: None,
        };
        while self.steps_done < end {
            let n = self.steps_done + 1;
            self.network.step(n, &mut obs);
            self.steps_done = n;
            if let Some(e) = obs.error.take() {
                return Err(SimError::Io(e));
            }
            if obs.rec.total_spikes > self.spike_cap {
                return Err(SimError::SpikeCap {
                    step: n,
                    t_ms: self.grid.time_of(n),
                    spikes: obs.rec.total_spikes,
                    cap: self.spike_cap,
                });
            }
            if n % 1000 == 0 {
                progress(n);
            }
        }
        progress(self.steps_done);
        Ok(())
    }

    /// The state at the current step boundary.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            version: 1,
            step: self.steps_done,
            state: self.network.state.clone(),
            recorder: self.recorder.clone(),
            spikes_written: self.sink.as_ref().map_or(0, |s| s.written()),
        }
    }

    /// Rebuild the run of `config` and continue from `cp`.
    pub fn restore(config: SimConfig, cp: Checkpoint) -> Result<Self, SimError> {
        let mut sim = Self::new(config)?;
        if cp.version != 1 {
            return Err(SimError::Checkpoint(format!(
                "format version {} (this build reads 1)",
                cp.version
            )));
        }
        if cp.state.v.len() != sim.network.n()
            || cp.recorder.plan != sim.recorder.plan
            || cp.step > sim.grid.n_steps
        {
            return Err(SimError::Checkpoint(
                "it was written by a run with a different config".into(),
            ));
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
        if let Some(sink) = self.sink.as_deref_mut() {
            if !view.spiked.is_empty() {
                if let Err(e) = sink.spikes(view.n as f64 * self.dt, view.spiked) {
                    self.error = Some(e);
                }
            }
        }
    }
}
