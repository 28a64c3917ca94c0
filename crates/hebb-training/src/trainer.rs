//! The trainer that drives the [`Network`] through trials (kimchow.md §3.1,
//! §3.6, §3.7).
//!
//! One **trial** (one training loop, or one test) is:
//!
//! 1. *reset*: new random initial voltages (keyed by the trial), traces and
//!    pending spikes zeroed ([`Network::reset`]);
//! 2. *stimulus*: a fixed random vector `s_i = a·ξ_i`, `ξ_i ~ U(−1, 1)`
//!    (one per task: the same every trial), on for `stimulus_ms`;
//! 3. *window*: `window_ms` with the stimulus off. In a training loop, RLS
//!    updates the incoming recurrent weights of every trained neuron at the
//!    steps of the [`LearningSchedule`] (every `learn_every_ms`, end
//!    inclusive by default), and the new weights are copied into the
//!    network so they act from the next step. A test trial runs the same
//!    protocol with frozen weights.
//!
//! Trial steps are `0 .. stim + window + 1`; the window opens at step
//! `stim` and its last step is `stim + window`. The total input
//! `X_i + s_i + u_i` of each trained neuron is recorded at window steps
//! `m · record_every` (`m = 0 ..= window/record_every`), and the
//! target is sampled on the same grid.
//!
//! **Targets** (§3.1): `f_i(t) = ū_i + ξ_i(t)`, with `ū_i` the time-averaged
//! total input of neuron `i` over the window of a *reference trial* of the
//! untrained network (run once by [`Trainer::new`]) and `ξ_i` a pattern of
//! hebb-stimulus ([`TargetPattern`]: OU or sine), keyed by `(seed, i)`.
//!
//! **Performance** (§3.7): the Pearson `R` between each trained neuron's
//! recorded input and its target over the window, and its mean over trained
//! neurons.
//!
//! ```
//! use hebb_training::{NetworkConfig, Trainer, TrainerConfig};
//! let net = NetworkConfig { n_exc: 40, n_inh: 40, k: 10, x: 0.4, ..Default::default() };
//! let cfg = TrainerConfig { stimulus_ms: 20.0, window_ms: 100.0, ..Default::default() };
//! let mut trainer = Trainer::new(net, cfg, 1).unwrap();
//! let report = trainer.train_loop().unwrap();
//! assert_eq!(report.n_updates, 11); // every 10 ms over 100 ms, both ends
//! let test = trainer.test_trial(0).unwrap(); // frozen weights, new voltages
//! assert_eq!((test.n_updates, test.pearson.len()), (0, 80));
//! ```

use crate::error::{Result, TrainingError};
use crate::inputs::{Grouping, PlasticInputs};
use crate::network::{Network, NetworkConfig};
use crate::real::Real;
use crate::rls::{Rls, RlsConfig};
use crate::schedule::LearningSchedule;
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use hebb_core::time::steps_in;
pub use hebb_stimulus::{OuTarget, SineTarget, TargetPattern};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// First key id of the stimulus stream, `stream(seed, User, [STIMULUS_STREAM])`.
pub const STIMULUS_STREAM: u64 = 0x5354_494D;

/// Trial key of the reference trial (initial voltages).
pub const REFERENCE_TRIAL_KEY: u64 = 1 << 62;
/// Trial keys of test trials are `TEST_TRIAL_KEY | trial`.
pub const TEST_TRIAL_KEY: u64 = 1 << 63;

/// Which neurons are trained (kimchow.md §3.1: most likely all of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainedSet {
    /// Every neuron, E and I.
    All,
    /// The listed neurons (distinct, ascending order not required).
    Subset(Vec<u32>),
}

/// Initial voltages of the training loops (an open choice of the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingInitialState {
    /// The same random voltages every loop (trial key 0; the spec's
    /// prototype, §10). The default.
    SameEveryLoop,
    /// New random voltages every loop (trial key = loop index).
    NewEachLoop,
}

/// ROWSUM grouping of the presynaptic neurons (kimchow.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainerGrouping {
    /// Two groups, E and I (the default).
    ExcInh,
    /// Rate-sorted subpopulations (Fig. 5: 5 E + 5 I), sorted by the rates
    /// of the reference trial of the untrained network.
    RateSorted {
        /// Groups per population.
        groups_per_population: usize,
    },
}

/// Protocol and training parameters. Defaults: 200 ms stimulus of amplitude
/// 1, a 1-s window, RLS every 10 ms (101 updates, end inclusive), record
/// every 1 ms, a unit-τ OU target with `τ = 200` ms and s.d. 0.3 (run set 2
/// of §10), all neurons trained, the same initial voltages every loop, {E, I}
/// groups, [`RlsConfig::default`] (λ = 0.5, soft μ = 8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainerConfig {
    /// Stimulus duration before the window (ms), ≥ 0.
    pub stimulus_ms: f64,
    /// Stimulus amplitude `a` (`s_i = a ξ_i`, `ξ_i ~ U(−1, 1)`).
    pub stimulus_amplitude: f64,
    /// Training/test window (ms), > 0.
    pub window_ms: f64,
    /// Learning interval `Δt_L` (ms); a multiple of `record_every_ms`.
    pub learn_every_ms: f64,
    /// Whether an update also falls on the window's last step.
    pub inclusive_end: bool,
    /// Spacing of the recorded inputs and target samples (ms); the window
    /// must be a whole number of them.
    pub record_every_ms: f64,
    /// The target pattern `ξ_i(t)` added to `ū_i`.
    pub target: TargetPattern,
    /// Trained neurons.
    pub trained: TrainedSet,
    /// Initial voltages of the training loops.
    pub training_initial_state: TrainingInitialState,
    /// ROWSUM groups.
    pub grouping: TrainerGrouping,
    /// RLS parameters; `precision` must match the trainer's arena type
    /// (`F64` for [`Trainer::new`], `F32` for `Trainer::<f32>::with_precision`).
    pub rls: RlsConfig,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            stimulus_ms: 200.0,
            stimulus_amplitude: 1.0,
            window_ms: 1000.0,
            learn_every_ms: 10.0,
            inclusive_end: true,
            record_every_ms: 1.0,
            target: TargetPattern::Ou(OuTarget { tau_ms: 200.0, sd: 0.3, mean: 0.0 }),
            trained: TrainedSet::All,
            training_initial_state: TrainingInitialState::SameEveryLoop,
            grouping: TrainerGrouping::ExcInh,
            rls: RlsConfig::default(),
        }
    }
}

/// What kind of trial a [`TrialReport`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialKind {
    /// The reference trial of the untrained network (defines `ū_i`).
    Reference,
    /// Training loop `n` (0-based), with RLS updates.
    Training(u64),
    /// Test trial `n`, frozen weights, new initial voltages.
    Test(u64),
    /// Frozen weights from the initial voltages of training loop 0.
    Replay,
}

/// Measurements of one trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialReport {
    /// Which trial.
    pub kind: TrialKind,
    /// Pearson `R` of each trained neuron's input with its target over the
    /// window (0 where either has zero variance; all 0 in the reference
    /// trial, whose targets do not exist yet).
    pub pearson: Vec<f64>,
    /// Mean of `pearson` over trained neurons.
    pub mean_pearson: f64,
    /// Mean E rate over the window (Hz).
    pub rate_exc_hz: f64,
    /// Mean I rate over the window (Hz).
    pub rate_inh_hz: f64,
    /// Spike count of every neuron over the window.
    pub window_counts: Vec<u32>,
    /// Spike count of every neuron over the whole trial.
    pub trial_counts: Vec<u32>,
    /// Recorded total input, row `q` (trained neuron `q`) at
    /// `q * n_samples ..`, `n_samples` per row.
    pub inputs: Vec<f64>,
    /// Samples per trained neuron in `inputs`.
    pub n_samples: usize,
    /// RLS updates done in this trial.
    pub n_updates: u64,
}

impl TrialReport {
    /// The recorded input of trained neuron `q`.
    pub fn input(&self, q: usize) -> &[f64] {
        &self.inputs[q * self.n_samples..(q + 1) * self.n_samples]
    }
}

/// Pearson correlation of two equally long series (0 if either is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[..n].iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a[..n].iter().zip(&b[..n]) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa <= 0.0 || sbb <= 0.0 { 0.0 } else { sab / (saa * sbb).sqrt() }
}

/// Fano factors across trials (kimchow.md §3.7): for each neuron, the
/// variance over `reports` of its spike count divided by the mean (0 when
/// the mean is 0), with counts over the window (`window_only`) or the whole
/// trial. The variance is the unbiased one (divisor `n − 1`); fewer than
/// two reports give all zeros.
pub fn fano_factors(reports: &[TrialReport], window_only: bool) -> Vec<f64> {
    let Some(first) = reports.first() else { return Vec::new() };
    let n = first.window_counts.len();
    let t = reports.len() as f64;
    (0..n)
        .map(|i| {
            if reports.len() < 2 {
                return 0.0;
            }
            let c = |r: &TrialReport| if window_only { r.window_counts[i] } else { r.trial_counts[i] } as f64;
            let mean = reports.iter().map(c).sum::<f64>() / t;
            if mean <= 0.0 {
                return 0.0;
            }
            reports.iter().map(|r| (c(r) - mean).powi(2)).sum::<f64>() / (t - 1.0) / mean
        })
        .collect()
}

/// A callback run after every RLS update of a training loop.
type Observer<'a, T> = &'a mut dyn FnMut(&Rls<T>, &Network);
/// A callback run after every window step of a trial (step within the window).
type Probe<'a> = &'a mut dyn FnMut(u64, &Network);

/// Drives a [`Network`] through training loops and test trials with a
/// per-neuron [`Rls`] on the recurrent weights of the trained neurons.
#[derive(Debug, Clone)]
pub struct Trainer<T: Real = f64> {
    cfg: TrainerConfig,
    seed: u64,
    net: Network,
    rls: Rls<T>,
    schedule: LearningSchedule,
    record_every: u64,
    n_samples: usize,
    stimulus: Vec<f64>,
    targets: Vec<f64>,
    mean_input: Vec<f64>,
    reference: TrialReport,
    loops_done: u64,
}

impl Trainer {
    /// Build the network from `(net_cfg, seed)`, run the reference trial of
    /// the untrained network, build the targets and the RLS state (f64
    /// arena).
    pub fn new(net_cfg: NetworkConfig, cfg: TrainerConfig, seed: u64) -> Result<Self> {
        Self::with_precision(net_cfg, cfg, seed)
    }
}

impl<T: Real> Trainer<T> {
    /// As [`Trainer::new`] with the RLS arena in `T` (`f32` halves the
    /// memory traffic of the update, kimchow.md §8.1; weights and errors stay
    /// f64). `cfg.rls.precision` must name `T`.
    pub fn with_precision(net_cfg: NetworkConfig, cfg: TrainerConfig, seed: u64) -> Result<Self> {
        let net = Network::new(net_cfg, seed)?;
        let dt = net_cfg.dt_ms;
        hebb_core::check_non_negative("trainer.stimulus_ms", cfg.stimulus_ms)?;
        hebb_core::check_finite("trainer.stimulus_amplitude", cfg.stimulus_amplitude)?;
        hebb_core::check_positive("trainer.window_ms", cfg.window_ms)?;
        hebb_core::check_positive("trainer.record_every_ms", cfg.record_every_ms)?;
        cfg.target.validate()?;
        let record_every = steps_in("trainer.record_every_ms", cfg.record_every_ms, dt)?.max(1);
        let schedule =
            LearningSchedule::from_ms(dt, cfg.stimulus_ms, cfg.window_ms, cfg.learn_every_ms, cfg.inclusive_end)?;
        if schedule.window_steps % record_every != 0 {
            return Err(ParamError::new(
                "trainer.window_ms",
                cfg.window_ms,
                format!("a whole multiple of record_every_ms = {}", cfg.record_every_ms),
            )
            .into());
        }
        if schedule.every_steps % record_every != 0 {
            return Err(ParamError::new(
                "trainer.learn_every_ms",
                cfg.learn_every_ms,
                format!("a whole multiple of record_every_ms = {}", cfg.record_every_ms),
            )
            .into());
        }
        let n = net.n();
        let trained: Vec<u32> = match &cfg.trained {
            TrainedSet::All => (0..n as u32).collect(),
            TrainedSet::Subset(s) => {
                let mut seen = vec![false; n];
                for (q, &t) in s.iter().enumerate() {
                    if t as usize >= n || seen[t as usize] {
                        return Err(ParamError::new(
                            format!("trainer.trained[{q}]"),
                            t,
                            format!("distinct neuron indices < {n}"),
                        )
                        .into());
                    }
                    seen[t as usize] = true;
                }
                s.clone()
            }
        };
        let mut rng = stream(seed, Purpose::User, &[STIMULUS_STREAM]);
        let stimulus: Vec<f64> = (0..n).map(|_| cfg.stimulus_amplitude * (2.0 * rng.random::<f64>() - 1.0)).collect();
        let n_samples = (schedule.window_steps / record_every) as usize + 1;
        // a placeholder RLS so the reference trial can run through the same code
        let placeholder = PlasticInputs::from_rows(n, vec![], &[], &[], &vec![0; n])?;
        let mut t = Self {
            rls: Rls::new(placeholder, cfg.rls)?,
            cfg,
            seed,
            net,
            schedule,
            record_every,
            n_samples,
            stimulus,
            targets: Vec::new(),
            mean_input: Vec::new(),
            reference: TrialReport {
                kind: TrialKind::Reference,
                pearson: vec![],
                mean_pearson: 0.0,
                rate_exc_hz: 0.0,
                rate_inh_hz: 0.0,
                window_counts: vec![],
                trial_counts: vec![],
                inputs: vec![],
                n_samples,
                n_updates: 0,
            },
            loops_done: 0,
        };
        let reference = t.run_trial(TrialKind::Reference, &trained, None)?;
        t.mean_input = (0..trained.len()).map(|q| reference.input(q).iter().sum::<f64>() / n_samples as f64).collect();
        for (q, &i) in trained.iter().enumerate() {
            let xi = t.cfg.target.trace(t.cfg.record_every_ms, n_samples, seed, i as u64)?;
            t.targets.extend(xi.iter().map(|x| t.mean_input[q] + x));
        }
        let labels = match t.cfg.grouping {
            TrainerGrouping::ExcInh => Grouping::ExcInh { n_exc: t.net.n_exc() },
            TrainerGrouping::RateSorted { groups_per_population } => Grouping::RateSorted {
                n_exc: t.net.n_exc(),
                groups_per_population,
                rates: reference.window_counts.iter().map(|&c| c as f64).collect(),
            },
        }
        .labels(n)?;
        let rows: Vec<Vec<u32>> = trained.iter().map(|&i| t.net.pre(i as usize).to_vec()).collect();
        let w0: Vec<Vec<f64>> = trained.iter().map(|&i| t.net.weights(i as usize).to_vec()).collect();
        let inputs = PlasticInputs::from_rows(n, trained, &rows, &w0, &labels)?;
        t.rls = Rls::new(inputs, t.cfg.rls)?;
        t.reference = reference;
        Ok(t)
    }

    /// One training loop (reset, stimulus, window with RLS updates).
    pub fn train_loop(&mut self) -> Result<TrialReport> {
        self.train_loop_observed(|_, _| {})
    }

    /// One training loop; `observe(rls, network)` runs after every RLS
    /// update, once the new weights are in the network.
    pub fn train_loop_observed(&mut self, mut observe: impl FnMut(&Rls<T>, &Network)) -> Result<TrialReport> {
        let l = self.loops_done;
        let trained = self.rls.inputs().trained().to_vec();
        let r = self.run_trial(TrialKind::Training(l), &trained, Some(&mut observe))?;
        self.loops_done += 1;
        Ok(r)
    }

    /// Test trial `trial` with frozen weights and new initial voltages
    /// (trial key `TEST_TRIAL_KEY | trial`).
    pub fn test_trial(&mut self, trial: u64) -> Result<TrialReport> {
        let trained = self.rls.inputs().trained().to_vec();
        self.run_trial(TrialKind::Test(trial), &trained, None)
    }

    /// Replay: a frozen-weight trial from the initial voltages of training
    /// loop 0 (kimchow.md §3.7, "replay"; with
    /// [`TrainingInitialState::SameEveryLoop`] these are the voltages of
    /// every loop).
    pub fn replay_trial(&mut self) -> Result<TrialReport> {
        let trained = self.rls.inputs().trained().to_vec();
        let mut r = self.run_trial(TrialKind::Training(0), &trained, None)?;
        r.kind = TrialKind::Replay;
        Ok(r)
    }

    /// Trial-averaged `R` (kimchow.md §3.7): for each trained neuron, the
    /// Pearson `R` of its input averaged across `reports` with its target;
    /// returns the mean over trained neurons and the per-neuron values.
    pub fn trial_averaged_pearson(&self, reports: &[TrialReport]) -> (f64, Vec<f64>) {
        let m = self.rls.inputs().n_rows();
        let ns = self.n_samples;
        if reports.is_empty() || m == 0 {
            return (0.0, vec![0.0; m]);
        }
        let per: Vec<f64> = (0..m)
            .map(|q| {
                let avg: Vec<f64> = (0..ns)
                    .map(|s| reports.iter().map(|r| r.inputs[q * ns + s]).sum::<f64>() / reports.len() as f64)
                    .collect();
                pearson(&avg, self.target(q))
            })
            .collect();
        (per.iter().sum::<f64>() / m as f64, per)
    }

    fn run_trial(&mut self, kind: TrialKind, trained: &[u32], learn: Option<Observer<'_, T>>) -> Result<TrialReport> {
        self.run_trial_with(kind, trained, learn, None, None)
    }

    /// One trial with optional extras: `window_drive` (one value per
    /// neuron) is added to the input during the window (the stimulus slot,
    /// which is otherwise 0 there), and `probe(step, network)` runs after
    /// every step of the window.
    pub(crate) fn run_trial_with(
        &mut self,
        kind: TrialKind,
        trained: &[u32],
        mut learn: Option<Observer<'_, T>>,
        window_drive: Option<&[f64]>,
        mut probe: Option<Probe<'_>>,
    ) -> Result<TrialReport> {
        let key = match kind {
            TrialKind::Reference => REFERENCE_TRIAL_KEY,
            TrialKind::Training(l) => match self.cfg.training_initial_state {
                TrainingInitialState::SameEveryLoop => 0,
                TrainingInitialState::NewEachLoop => l,
            },
            TrialKind::Test(t) => TEST_TRIAL_KEY | t,
            TrialKind::Replay => 0,
        };
        let n = self.net.n();
        let m = trained.len();
        let ns = self.n_samples;
        let start = self.schedule.start_step;
        let last = start + self.schedule.window_steps;
        self.net.reset(key);
        self.net.set_stimulus(&self.stimulus)?;
        let mut window_counts = vec![0u32; n];
        let mut trial_counts = vec![0u32; n];
        let mut inputs = vec![0.0; m * ns];
        let mut bias = vec![0.0; m];
        let mut target = vec![0.0; m];
        let mut n_updates = 0;
        for s in 0..=last {
            if s == start {
                match window_drive {
                    Some(d) => self.net.set_stimulus(d)?,
                    None => self.net.clear_stimulus(),
                }
            }
            let spikes = self.net.step();
            for &j in spikes {
                trial_counts[j as usize] += 1;
                if s >= start {
                    window_counts[j as usize] += 1;
                }
            }
            if s >= start
                && let Some(p) = probe.as_mut()
            {
                p(s - start, &self.net);
            }
            if s < start || !(s - start).is_multiple_of(self.record_every) {
                continue;
            }
            let sample = ((s - start) / self.record_every) as usize;
            for (q, &i) in trained.iter().enumerate() {
                inputs[q * ns + sample] = self.net.total_input(i as usize);
            }
            if let Some(obs) = learn.as_mut()
                && self.schedule.is_update(s)
            {
                for (q, &i) in trained.iter().enumerate() {
                    bias[q] = self.net.bias()[i as usize] + self.net.stimulus()[i as usize];
                    target[q] = self.targets[q * ns + sample];
                }
                self.rls.update(self.net.traces(), &bias, &target)?;
                self.sync_weights();
                n_updates += 1;
                obs(&self.rls, &self.net);
            }
        }
        let ne = self.net.n_exc();
        let secs = (self.schedule.window_steps + 1) as f64 * self.net.config().dt_ms * 1e-3;
        let rate = |r: std::ops::Range<usize>| {
            let len = r.len().max(1) as f64;
            window_counts[r].iter().map(|&c| c as f64).sum::<f64>() / len / secs
        };
        let (rate_exc_hz, rate_inh_hz) = (rate(0..ne), rate(ne..n));
        let pearson: Vec<f64> = if self.targets.is_empty() {
            vec![0.0; m]
        } else {
            (0..m).map(|q| pearson(&inputs[q * ns..(q + 1) * ns], &self.targets[q * ns..(q + 1) * ns])).collect()
        };
        let mean_pearson = if m > 0 { pearson.iter().sum::<f64>() / m as f64 } else { 0.0 };
        if !(rate_exc_hz.is_finite() && rate_inh_hz.is_finite()) {
            return Err(TrainingError::Numerical { what: "network", row: 0, detail: "non-finite rate".into() });
        }
        Ok(TrialReport {
            kind,
            pearson,
            mean_pearson,
            rate_exc_hz,
            rate_inh_hz,
            window_counts,
            trial_counts,
            inputs,
            n_samples: ns,
            n_updates,
        })
    }

    /// Copy the trained rows of the RLS into the network (the in→out
    /// conversion of kimchow.md §8.3.1, here into the network's incoming
    /// rows).
    fn sync_weights(&mut self) {
        let inputs = self.rls.inputs();
        for q in 0..inputs.n_rows() {
            let i = inputs.trained()[q] as usize;
            let row = self.net.weights_mut(i);
            for (&p, &w) in inputs.row_positions(q).iter().zip(self.rls.weights(q)) {
                row[p as usize] = w;
            }
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TrainerConfig {
        &self.cfg
    }
    /// The seed (wiring, stimulus, targets, initial voltages).
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The network (current weights).
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// Zero every Dale-violating weight of the network (Fig. 5J, see
    /// [`Network::prune_dale_violations`]) and return what was removed. For
    /// frozen-weight tests after training: a later training loop writes the
    /// RLS weights back into the trained rows.
    pub fn prune_network_dale_violations(&mut self) -> crate::network::DaleViolations {
        self.net.prune_dale_violations()
    }
    /// The RLS state.
    pub fn rls(&self) -> &Rls<T> {
        &self.rls
    }
    /// The learning schedule (trial steps).
    pub fn schedule(&self) -> &LearningSchedule {
        &self.schedule
    }
    /// Trained neuron ids (row `q` of the RLS and of the reports).
    pub fn trained(&self) -> &[u32] {
        self.rls.inputs().trained()
    }
    /// Target of trained neuron `q` on the record grid.
    pub fn target(&self, q: usize) -> &[f64] {
        &self.targets[q * self.n_samples..(q + 1) * self.n_samples]
    }
    /// `ū_q`: the reference trial's mean total input of trained neuron `q`.
    pub fn mean_input(&self) -> &[f64] {
        &self.mean_input
    }
    /// The reference trial of the untrained network.
    pub fn reference(&self) -> &TrialReport {
        &self.reference
    }
    /// The stimulus vector.
    pub fn stimulus(&self) -> &[f64] {
        &self.stimulus
    }
    /// Samples per trained neuron on the record grid.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }
    /// Training loops done.
    pub fn loops_done(&self) -> u64 {
        self.loops_done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<Trainer>) -> String {
        match r.unwrap_err() {
            TrainingError::Param(e) => e.field,
            e => panic!("{e}"),
        }
    }

    #[test]
    fn bad_configs_name_their_field() {
        let net = NetworkConfig { n_exc: 20, n_inh: 20, k: 5, ..Default::default() };
        let base = TrainerConfig { stimulus_ms: 10.0, window_ms: 50.0, ..Default::default() };
        let c = TrainerConfig { window_ms: 50.5, ..base.clone() };
        assert_eq!(field(Trainer::new(net, c, 0)), "trainer.window_ms");
        let c = TrainerConfig { learn_every_ms: 10.5, record_every_ms: 1.0, ..base.clone() };
        assert_eq!(field(Trainer::new(net, c, 0)), "trainer.learn_every_ms");
        let c = TrainerConfig { trained: TrainedSet::Subset(vec![1, 1]), ..base.clone() };
        assert_eq!(field(Trainer::new(net, c, 0)), "trainer.trained[1]");
        let c = TrainerConfig { stimulus_ms: -1.0, ..base.clone() };
        assert_eq!(field(Trainer::new(net, c, 0)), "trainer.stimulus_ms");
        let c = TrainerConfig { learn_every_ms: 0.0, ..base };
        assert!(Trainer::new(net, c, 0).is_err());
    }

    #[test]
    fn fano_factor_is_var_over_mean() {
        let rep = |w: Vec<u32>| TrialReport {
            kind: TrialKind::Test(0),
            pearson: vec![],
            mean_pearson: 0.0,
            rate_exc_hz: 0.0,
            rate_inh_hz: 0.0,
            trial_counts: w.iter().map(|c| c + 1).collect(),
            window_counts: w,
            inputs: vec![],
            n_samples: 0,
            n_updates: 0,
        };
        let reps = vec![rep(vec![2, 0, 5]), rep(vec![4, 0, 5]), rep(vec![6, 0, 5])];
        // neuron 0: counts 2, 4, 6: mean 4, variance 4 → FF 1; neuron 1 silent → 0; neuron 2 constant → 0
        assert_eq!(fano_factors(&reps, true), vec![1.0, 0.0, 0.0]);
        // whole-trial counts 3, 5, 7 → 4/5; 1, 1, 1 → 0
        assert_eq!(fano_factors(&reps, false), vec![0.8, 0.0, 0.0]);
        assert_eq!(fano_factors(&reps[..1], true), vec![0.0; 3]);
    }

    /// The input modes of §2.2 agree while the weights are frozen (a test
    /// trial before training gives the same spikes and inputs to 1e-9) and
    /// differ once RLS has changed the weights (mode (b) keeps the old-weight
    /// contributions for about τ_s).
    #[test]
    fn input_modes_agree_until_weights_change() {
        use crate::network::InputMode;
        let net = NetworkConfig { n_exc: 40, n_inh: 40, k: 10, x: 0.4, ..Default::default() };
        let cfg = TrainerConfig { stimulus_ms: 20.0, window_ms: 100.0, ..Default::default() };
        let mut a = Trainer::new(net, cfg.clone(), 3).unwrap();
        let mut b = Trainer::new(NetworkConfig { input: InputMode::EventDriven, ..net }, cfg, 3).unwrap();
        let (ta, tb) = (a.test_trial(0).unwrap(), b.test_trial(0).unwrap());
        assert_eq!(ta.trial_counts, tb.trial_counts);
        assert!(ta.inputs.iter().zip(&tb.inputs).all(|(x, y)| (x - y).abs() < 1e-9));
        let (la, lb) = (a.train_loop().unwrap(), b.train_loop().unwrap());
        let diff = la.inputs.iter().zip(&lb.inputs).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(diff > 1e-6, "modes should differ after updates: {diff}");
    }

    #[test]
    fn pearson_is_correlation() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]) - 4.5 / (2.0f64 * 61.0 / 6.0).sqrt()).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0], &[0.0, 1.0]), 0.0);
    }

    /// Targets are `ū_i` + pattern; updates happen on the schedule; a
    /// replay before training starts from loop 0's voltages, so it equals
    /// loop 0 up to the first update.
    #[test]
    fn targets_schedule_and_replay() {
        let net = NetworkConfig { n_exc: 40, n_inh: 40, k: 10, x: 0.4, ..Default::default() };
        let cfg = TrainerConfig { stimulus_ms: 20.0, window_ms: 100.0, ..Default::default() };
        let mut a = Trainer::new(net, cfg.clone(), 2).unwrap();
        assert_eq!(a.n_samples(), 101);
        for q in [0usize, 17, 79] {
            let i = a.trained()[q] as u64;
            let xi = a.config().target.trace(1.0, 101, 2, i).unwrap();
            for (f, x) in a.target(q).iter().zip(&xi) {
                assert!((f - a.mean_input()[q] - x).abs() < 1e-12);
            }
        }
        let replay = a.replay_trial().unwrap();
        let lp = a.train_loop().unwrap();
        // the first update happens at the window's first step, so the two
        // trials agree up to that step (the reference step itself included)
        assert_eq!(replay.input(3)[0], lp.input(3)[0]);
        assert_eq!(lp.n_updates, 11);
        assert_eq!(a.rls().n_updates(), 11);
    }
}
