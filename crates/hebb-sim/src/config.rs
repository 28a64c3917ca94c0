//! The simulation config: what a TOML file says, checked before anything runs.
//!
//! Every struct denies unknown fields, so a misspelt key is an error that
//! names it and lists the allowed ones. [`SimConfig::validate`] checks ranges
//! and cross-references and returns a [`ParamError`] naming the dotted key.

use hebb_core::{Kind, ParamError, check_in_range, check_positive, time::steps_in};
use hebb_neurons::{Eif, NeuronKind};
use serde::{Deserialize, Serialize};

/// A whole simulation: run control, network, neuron model, synapses,
/// external layers, optional independent drive, and what to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Run control: duration, dt, seed, threads, spike cap.
    pub run: RunConfig,
    /// Populations and recurrent connectivity.
    pub network: NetworkConfig,
    /// The neuron model shared by all recurrent populations.
    pub neuron: NeuronKind,
    /// Synaptic time constants.
    pub synapses: SynapseConfig,
    /// External layers of shared Poisson units (may be empty).
    #[serde(default)]
    pub external: Vec<ExternalConfig>,
    /// Independent per-neuron Poisson drive (the benchmark network).
    #[serde(default)]
    pub drive: Option<DriveConfig>,
    /// Plasticity rules, at most one per synapse type (`[[plasticity]]`).
    #[serde(default)]
    pub plasticity: Vec<hebb_plasticity::RuleConfig>,
    /// What to record.
    #[serde(default)]
    pub record: RecordConfig,
}

/// Run control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Simulated time (ms); a whole number of steps.
    pub duration_ms: f64,
    /// Euler step (ms).
    pub dt_ms: f64,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// Worker threads for the neuron update; results do not depend on it.
    #[serde(default = "one")]
    pub threads: usize,
    /// Stop with an error when the average rate of the run so far would
    /// exceed this (Hz): the cap is `spike_cap_hz · N · T`, as in the
    /// authors' code (50 Hz).
    #[serde(default = "fifty")]
    pub spike_cap_hz: f64,
}

fn one() -> usize {
    1
}
fn fifty() -> f64 {
    50.0
}

/// Recurrent populations and their connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Total number of recurrent neurons N; weights are J = j/√N.
    pub n: usize,
    /// The populations, in index order.
    pub populations: Vec<PopulationConfig>,
    /// Connections `post <- pre`; pairs not listed are unconnected.
    #[serde(default)]
    pub connections: Vec<ConnectionConfig>,
}

/// One recurrent population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationConfig {
    /// Name (`"E"`, `"I"`, `"E1"`, ...).
    pub name: String,
    /// Excitatory or inhibitory.
    pub kind: Kind,
    /// Size as a fraction of `network.n` (rounded); the fractions of all
    /// populations must give sizes adding up to n.
    pub fraction: f64,
}

/// A Bernoulli connection from population `pre` onto population `post`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionConfig {
    /// Postsynaptic population.
    pub post: String,
    /// Presynaptic population.
    pub pre: String,
    /// Connection probability of each ordered pair.
    pub p: f64,
    /// Unscaled weight j; every synapse starts at J = j/√N (mV, C_m = 1).
    /// Must be ≥ 0 from excitatory and ≤ 0 from inhibitory populations.
    pub j: f64,
    /// Allow k → k when pre = post (the Akil model does).
    #[serde(default = "yes")]
    pub autapses: bool,
}

fn yes() -> bool {
    true
}

/// Synaptic time constants: an excitatory spike jumps I^e by J/τ_e, an
/// inhibitory one I^i by J/τ_i, an external one I^x by J/τ_x (unit-area
/// exponential kernels, specs/akil.md §1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynapseConfig {
    /// τ_e (ms).
    pub tau_e_ms: f64,
    /// τ_i (ms).
    pub tau_i_ms: f64,
    /// τ_x (ms).
    pub tau_x_ms: f64,
}

/// A layer of shared external Poisson units and its projections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalConfig {
    /// Name (`"X"`).
    pub name: String,
    /// Size as a fraction of `network.n` (rounded, at least 1).
    pub fraction: f64,
    /// Rate of each unit (Hz).
    pub rate_hz: f64,
    /// Pairwise correlation c ∈ [0, 1] (mother-process thinning).
    #[serde(default)]
    pub c: f64,
    /// Jitter of correlated spikes (ms).
    #[serde(default = "five")]
    pub jitter_ms: f64,
    /// Active only for t ∈ [start, end) ms, if given.
    #[serde(default)]
    pub window_ms: Option<[f64; 2]>,
    /// Projections onto recurrent populations.
    pub targets: Vec<TargetConfig>,
}

fn five() -> f64 {
    5.0
}

/// A Bernoulli projection from an external layer onto a population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Postsynaptic population.
    pub post: String,
    /// Connection probability.
    pub p: f64,
    /// Unscaled weight j (J = j/√N), ≥ 0.
    pub j: f64,
}

/// Independent Poisson drive to every recurrent neuron, onto I^e.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriveConfig {
    /// Independent sources per neuron.
    pub sources: f64,
    /// Rate of each source (Hz).
    pub rate_hz: f64,
    /// Unscaled weight j of each source (J = j/√N), added to I^e as J/τ_e.
    pub j: f64,
}

/// Which diagonal convention the mean same-population covariance uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DiagonalConfig {
    /// Pairs of distinct neurons only (the authors' package).
    #[default]
    Exclude,
    /// All N_a² entries, variances included (the authors' MATLAB).
    Include,
}

/// What a run records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordConfig {
    /// Write every spike (time, neuron) as NPY.
    pub spikes: bool,
    /// Bin width of the population rates over time (ms).
    pub rate_bin_ms: f64,
    /// Sampling interval of mean currents and voltages (ms).
    pub interval_ms: f64,
    /// Record the membrane potential of the first this-many neurons of
    /// every population.
    pub voltage_per_pop: usize,
    /// Further neurons (global indices) whose membrane potential is recorded.
    pub voltage_neurons: Vec<usize>,
    /// Fraction of the run discarded before rates and covariances.
    pub burn_in_fraction: f64,
    /// Spike-count window of the covariances (ms).
    pub cov_window_ms: f64,
    /// Neurons per population whose counts are kept for per-pair statistics.
    pub cov_sample_per_pop: usize,
    /// Diagonal convention of mean same-population covariances.
    pub cov_diagonal: DiagonalConfig,
    /// Neurons per population shown in the raster figure.
    pub raster_per_pop: usize,
    /// Interval of the plastic-weight records: block means and sampled
    /// synapses (ms).
    pub weight_interval_ms: f64,
    /// Synapses per plastic type whose weights are recorded over time.
    pub weight_sample: usize,
    /// Times (ms) at which every weight of each plastic type is written
    /// (NPY), e.g. [0.0, 10000.0].
    pub weight_snapshots_ms: Vec<f64>,
}

impl Default for RecordConfig {
    fn default() -> Self {
        Self {
            spikes: true,
            rate_bin_ms: 100.0,
            interval_ms: 1.0,
            voltage_per_pop: 2,
            voltage_neurons: Vec::new(),
            burn_in_fraction: 0.5,
            cov_window_ms: 250.0,
            cov_sample_per_pop: 200,
            cov_diagonal: DiagonalConfig::Exclude,
            raster_per_pop: 100,
            weight_interval_ms: 100.0,
            weight_sample: 100,
            weight_snapshots_ms: Vec::new(),
        }
    }
}

/// N = 5000 in 80 % E and 20 % I with p = 0.1 between all four pairs and
/// unscaled weights j = [j_ee, j_ei, j_ie, j_ii]; `self_autapses` allows
/// k → k within E and within I (the Akil model does, the benchmark does not).
fn e_i_network(j: [f64; 4], self_autapses: bool) -> NetworkConfig {
    let pairs = [("E", "E"), ("E", "I"), ("I", "E"), ("I", "I")];
    NetworkConfig {
        n: 5000,
        populations: vec![
            PopulationConfig { name: "E".into(), kind: Kind::Excitatory, fraction: 0.8 },
            PopulationConfig { name: "I".into(), kind: Kind::Inhibitory, fraction: 0.2 },
        ],
        connections: pairs
            .iter()
            .zip(j)
            .map(|(&(post, pre), j)| ConnectionConfig {
                post: post.into(),
                pre: pre.into(),
                p: 0.1,
                j,
                autapses: self_autapses || post != pre,
            })
            .collect(),
    }
}

impl SimConfig {
    /// Split recurrent population `name` into `parts` (name, fraction of
    /// `network.n`), all of its kind, in its place in the population list.
    /// Every connection from or onto it, and every external target onto it,
    /// is copied for each part (part-to-part pairs included) with the same p
    /// and j, in the order post part × pre part — so a network whose E is
    /// split into E1/E2 (the optogenetic protocol of specs/akil.md §3.6)
    /// has the same statistics as the unsplit one until something treats
    /// the parts differently.
    ///
    /// An error names `network.populations` if `name` is not a population,
    /// a part's name is taken, or the parts' fractions do not add up to the
    /// population's (within 1e-12).
    pub fn split_population(&mut self, name: &str, parts: &[(&str, f64)]) -> Result<(), ParamError> {
        let field = "network.populations";
        let Some(at) = self.network.populations.iter().position(|p| p.name == name) else {
            let names: Vec<&str> = self.network.populations.iter().map(|p| p.name.as_str()).collect();
            return Err(ParamError::new(field, name, format!("one of the populations {names:?}")));
        };
        let whole = self.network.populations[at].clone();
        let total: f64 = parts.iter().map(|p| p.1).sum();
        if parts.is_empty() || (total - whole.fraction).abs() > 1e-12 {
            return Err(ParamError::new(
                field,
                format!("parts of {name} with fractions summing to {total}"),
                format!("at least one part, fractions summing to {name}'s fraction {}", whole.fraction),
            ));
        }
        for (part, _) in parts {
            if self.network.populations.iter().any(|p| p.name == *part && p.name != name) {
                return Err(ParamError::new(field, *part, "a name not already used by another population"));
            }
        }
        let split = |n: &str| -> Vec<String> {
            if n == name { parts.iter().map(|p| p.0.to_string()).collect() } else { vec![n.to_string()] }
        };
        let pops: Vec<PopulationConfig> = parts
            .iter()
            .map(|(part, fraction)| PopulationConfig { name: part.to_string(), fraction: *fraction, ..whole.clone() })
            .collect();
        self.network.populations.splice(at..=at, pops);
        let mut connections = Vec::new();
        for c in &self.network.connections {
            for post in split(&c.post) {
                for pre in split(&c.pre) {
                    connections.push(ConnectionConfig { post: post.clone(), pre, ..c.clone() });
                }
            }
        }
        self.network.connections = connections;
        for layer in &mut self.external {
            layer.targets = layer
                .targets
                .iter()
                .flat_map(|t| split(&t.post).into_iter().map(move |post| TargetConfig { post, ..t.clone() }))
                .collect();
        }
        Ok(())
    }

    /// The authors' demo network (specs/akil.md §5.1, §1): N = 5000, 80 % E,
    /// 20 % I, one external layer of 0.2 N units at 10 Hz with c = 0.1,
    /// p = 0.1 everywhere, j = (25, −150, 112.5, −250, 180, 135), EIF neurons,
    /// τ = (8, 4, 10) ms, dt = 0.1 ms, seed 31415, 10 s.
    pub fn akil_default() -> Self {
        SimConfig {
            run: RunConfig { duration_ms: 10_000.0, dt_ms: 0.1, seed: 31415, threads: 1, spike_cap_hz: 50.0 },
            network: e_i_network([25.0, -150.0, 112.5, -250.0], true),
            neuron: NeuronKind::Eif(Eif::akil()),
            synapses: SynapseConfig { tau_e_ms: 8.0, tau_i_ms: 4.0, tau_x_ms: 10.0 },
            external: vec![ExternalConfig {
                name: "X".into(),
                fraction: 0.2,
                rate_hz: 10.0,
                c: 0.1,
                jitter_ms: 5.0,
                window_ms: None,
                targets: vec![
                    TargetConfig { post: "E".into(), p: 0.1, j: 180.0 },
                    TargetConfig { post: "I".into(), p: 0.1, j: 135.0 },
                ],
            }],
            drive: None,
            plasticity: Vec::new(),
            record: RecordConfig::default(),
        }
    }

    /// The authors' demo (specs/akil.md §5.1): the default network with
    /// iSTDP on E←I and I←I at the package's η₀ = 1.5e-5 and normalisers
    /// (−150, −250), targets 10 and 20 Hz, τ_STDP = 200 ms.
    pub fn akil_demo() -> Self {
        use hebb_plasticity::RuleConfig;
        let mut c = Self::akil_default();
        c.plasticity = vec![
            RuleConfig::Homeostatic {
                synapse: "E<-I".parse().unwrap(),
                eta0: 1.5e-5,
                j_norm: -150.0,
                rho_hz: 10.0,
                tau_stdp_ms: 200.0,
            },
            RuleConfig::Homeostatic {
                synapse: "I<-I".parse().unwrap(),
                eta0: 1.5e-5,
                j_norm: -250.0,
                rho_hz: 20.0,
                tau_stdp_ms: 200.0,
            },
        ];
        c
    }

    /// The benchmark network of specs/performance.md §2: current-based LIF,
    /// N = 5000 (4000 E, 1000 I), p = 0.1 without autapses in E→E and I→I,
    /// J_E = 14/√N (j = 14), g = 8, τ_E = 5 ms, τ_I = 10 ms, and 400
    /// independent Poisson sources at 15 Hz per neuron onto I^e.
    pub fn benchmark() -> Self {
        SimConfig {
            run: RunConfig { duration_ms: 5_000.0, dt_ms: 0.1, seed: 1, threads: 1, spike_cap_hz: 50.0 },
            network: e_i_network([14.0, -112.0, 14.0, -112.0], false),
            neuron: NeuronKind::Lif(hebb_neurons::Lif::benchmark()),
            synapses: SynapseConfig { tau_e_ms: 5.0, tau_i_ms: 10.0, tau_x_ms: 5.0 },
            external: vec![],
            drive: Some(DriveConfig { sources: 400.0, rate_hz: 15.0, j: 14.0 }),
            plasticity: Vec::new(),
            record: RecordConfig::default(),
        }
    }

    /// The neurons whose voltage is recorded: the first `voltage_per_pop` of
    /// each population and the listed ones, sorted, without repeats.
    pub fn voltage_neurons(&self) -> Vec<usize> {
        let mut v = self.record.voltage_neurons.clone();
        let mut start = 0;
        for size in self.population_sizes() {
            v.extend(start..start + size.min(self.record.voltage_per_pop));
            start += size;
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Population sizes implied by the fractions.
    pub fn population_sizes(&self) -> Vec<usize> {
        self.network.populations.iter().map(|p| (p.fraction * self.network.n as f64).round() as usize).collect()
    }

    /// Size of external layer `i`.
    pub fn external_size(&self, i: usize) -> usize {
        ((self.external[i].fraction * self.network.n as f64).round() as usize).max(1)
    }

    /// Check every value and cross-reference; the error names the dotted key.
    pub fn validate(&self) -> Result<(), ParamError> {
        let r = &self.run;
        check_positive("run.dt_ms", r.dt_ms)?;
        if r.dt_ms > 10.0 {
            return Err(ParamError::new("run.dt_ms", r.dt_ms, "a step in (0, 10] ms"));
        }
        check_positive("run.duration_ms", r.duration_ms)?;
        let n_steps = steps_in("run.duration_ms", r.duration_ms, r.dt_ms)?;
        if n_steps > u32::MAX as u64 {
            return Err(ParamError::new("run.duration_ms", r.duration_ms, "at most 2^32 - 1 steps"));
        }
        if r.threads == 0 || r.threads > 256 {
            return Err(ParamError::new("run.threads", r.threads, "an integer in [1, 256]"));
        }
        check_positive("run.spike_cap_hz", r.spike_cap_hz)?;
        let n = self.network.n;
        if n == 0 || n > 50_000_000 {
            return Err(ParamError::new("network.n", n, "an integer in [1, 5e7]"));
        }
        if self.network.populations.is_empty() {
            return Err(ParamError::new("network.populations", "[]", "at least one population"));
        }
        for (i, p) in self.network.populations.iter().enumerate() {
            check_in_range(&format!("network.populations[{i}].fraction"), p.fraction, 0.0, 1.0)?;
            if (p.fraction * n as f64).round() < 1.0 {
                return Err(ParamError::new(
                    format!("network.populations[{i}].fraction"),
                    p.fraction,
                    format!("a fraction giving at least one neuron of n = {n}"),
                ));
            }
        }
        let total: usize = self.population_sizes().iter().sum();
        if total != n {
            return Err(ParamError::new(
                "network.populations",
                format!("sizes adding up to {total}"),
                format!("fractions whose rounded sizes add up to network.n = {n}"),
            ));
        }
        let names: Vec<&str> = self.network.populations.iter().map(|p| p.name.as_str()).collect();
        let allowed = names.join(", ");
        let lookup = |field: String, name: &str| -> Result<usize, ParamError> {
            names.iter().position(|&x| x == name).ok_or_else(|| {
                ParamError::new(field, format!("\"{name}\""), format!("one of the population names: {allowed}"))
            })
        };
        for (i, p) in self.network.populations.iter().enumerate() {
            if p.name.is_empty() || names[..i].contains(&p.name.as_str()) {
                return Err(ParamError::new(
                    format!("network.populations[{i}].name"),
                    format!("\"{}\"", p.name),
                    "a unique, non-empty name",
                ));
            }
        }
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for (i, c) in self.network.connections.iter().enumerate() {
            let f = |k: &str| format!("network.connections[{i}].{k}");
            let post = lookup(f("post"), &c.post)?;
            let pre = lookup(f("pre"), &c.pre)?;
            if seen.contains(&(post, pre)) {
                return Err(ParamError::new(
                    f("pre"),
                    format!("{} <- {}", c.post, c.pre),
                    "each (post, pre) pair at most once",
                ));
            }
            seen.push((post, pre));
            check_in_range(&f("p"), c.p, 0.0, 1.0)?;
            match self.network.populations[pre].kind {
                Kind::Excitatory if !(c.j.is_finite() && c.j >= 0.0) => {
                    return Err(ParamError::new(
                        f("j"),
                        c.j,
                        format!("a finite j >= 0 (population {} is excitatory)", c.pre),
                    ));
                }
                Kind::Inhibitory if !(c.j.is_finite() && c.j <= 0.0) => {
                    return Err(ParamError::new(
                        f("j"),
                        c.j,
                        format!("a finite j <= 0 (population {} is inhibitory)", c.pre),
                    ));
                }
                _ => {}
            }
        }
        self.neuron.model().validate()?;
        check_positive("synapses.tau_e_ms", self.synapses.tau_e_ms)?;
        check_positive("synapses.tau_i_ms", self.synapses.tau_i_ms)?;
        check_positive("synapses.tau_x_ms", self.synapses.tau_x_ms)?;
        for (name, tau) in [
            ("tau_e_ms", self.synapses.tau_e_ms),
            ("tau_i_ms", self.synapses.tau_i_ms),
            ("tau_x_ms", self.synapses.tau_x_ms),
        ] {
            if tau <= r.dt_ms {
                return Err(ParamError::new(
                    format!("synapses.{name}"),
                    tau,
                    format!("a time constant > dt = {} ms (the Euler decay factor 1 - dt/tau must be > 0)", r.dt_ms),
                ));
            }
        }
        for (i, x) in self.external.iter().enumerate() {
            let f = |k: &str| format!("external[{i}].{k}");
            check_in_range(&f("fraction"), x.fraction, 0.0, 100.0)?;
            if x.fraction <= 0.0 {
                return Err(ParamError::new(f("fraction"), x.fraction, "a fraction in (0, 100]"));
            }
            if x.name.is_empty()
                || names.contains(&x.name.as_str())
                || self.external[..i].iter().any(|y| y.name == x.name)
            {
                return Err(ParamError::new(
                    f("name"),
                    format!("\"{}\"", x.name),
                    "a unique, non-empty name not used by a population",
                ));
            }
            self.layer(i).validate().map_err(|e| e.within(&format!("external[{i}]")))?;
            let mut seen_targets = Vec::new();
            for (t, tg) in x.targets.iter().enumerate() {
                let g = |k: &str| format!("external[{i}].targets[{t}].{k}");
                let post = lookup(g("post"), &tg.post)?;
                if seen_targets.contains(&post) {
                    return Err(ParamError::new(g("post"), &tg.post, "each target population at most once per layer"));
                }
                seen_targets.push(post);
                check_in_range(&g("p"), tg.p, 0.0, 1.0)?;
                if !(tg.j.is_finite() && tg.j >= 0.0) {
                    return Err(ParamError::new(g("j"), tg.j, "a finite j >= 0 (external layers are excitatory)"));
                }
            }
        }
        if let Some(d) = &self.drive {
            hebb_stimulus::PoissonDrive::new(d.sources, d.rate_hz, r.dt_ms, 0.0)?;
            if !(d.j.is_finite() && d.j >= 0.0) {
                return Err(ParamError::new("drive.j", d.j, "a finite j >= 0"));
            }
        }
        let mut plastic_types = Vec::new();
        for (i, p) in self.plasticity.iter().enumerate() {
            let f = |k: &str| format!("plasticity[{i}].{k}");
            p.validate().map_err(|e| e.within(&format!("plasticity[{i}]")))?;
            let syn = p.synapse();
            let post = lookup(f("synapse"), &syn.post)?;
            let pre = lookup(f("synapse"), &syn.pre)?;
            if !seen.contains(&(post, pre)) {
                return Err(ParamError::new(f("synapse"), syn, "a synapse type listed in network.connections"));
            }
            if plastic_types.contains(&(post, pre)) {
                return Err(ParamError::new(
                    f("synapse"),
                    syn,
                    "a type without another rule: two rules on the same synapse type are not allowed",
                ));
            }
            plastic_types.push((post, pre));
        }
        let rc = &self.record;
        check_positive("record.rate_bin_ms", rc.rate_bin_ms)?;
        check_positive("record.weight_interval_ms", rc.weight_interval_ms)?;
        if steps_in("record.weight_interval_ms", rc.weight_interval_ms, r.dt_ms)? == 0 {
            return Err(ParamError::new(
                "record.weight_interval_ms",
                rc.weight_interval_ms,
                format!("at least one step (dt = {} ms)", r.dt_ms),
            ));
        }
        for &t in &rc.weight_snapshots_ms {
            if !(t.is_finite() && t >= 0.0 && t <= r.duration_ms) {
                return Err(ParamError::new(
                    "record.weight_snapshots_ms",
                    t,
                    format!("times in [0, run.duration_ms = {}]", r.duration_ms),
                ));
            }
            steps_in("record.weight_snapshots_ms", t, r.dt_ms)?;
        }
        check_positive("record.interval_ms", rc.interval_ms)?;
        if steps_in("record.interval_ms", rc.interval_ms, r.dt_ms)? == 0 {
            return Err(ParamError::new(
                "record.interval_ms",
                rc.interval_ms,
                format!("at least one step (dt = {} ms)", r.dt_ms),
            ));
        }
        if steps_in("record.rate_bin_ms", rc.rate_bin_ms, r.dt_ms)? == 0 {
            return Err(ParamError::new(
                "record.rate_bin_ms",
                rc.rate_bin_ms,
                format!("at least one step (dt = {} ms)", r.dt_ms),
            ));
        }
        if steps_in("record.cov_window_ms", rc.cov_window_ms, r.dt_ms)? == 0 {
            return Err(ParamError::new(
                "record.cov_window_ms",
                rc.cov_window_ms,
                format!("a positive whole multiple of dt = {} ms", r.dt_ms),
            ));
        }
        check_in_range("record.burn_in_fraction", rc.burn_in_fraction, 0.0, 0.99)?;
        if let Some(&bad) = rc.voltage_neurons.iter().find(|&&j| j >= n) {
            return Err(ParamError::new("record.voltage_neurons", bad, format!("neuron indices < network.n = {n}")));
        }
        if rc.voltage_neurons.len() > 10_000 {
            return Err(ParamError::new("record.voltage_neurons", rc.voltage_neurons.len(), "at most 10000 neurons"));
        }
        Ok(())
    }

    /// The stimulus description of external layer `i`.
    pub fn layer(&self, i: usize) -> hebb_stimulus::ExternalLayer {
        let x = &self.external[i];
        hebb_stimulus::ExternalLayer {
            name: x.name.clone(),
            size: self.external_size(i),
            rate_hz: x.rate_hz,
            c: x.c,
            jitter_ms: x.jitter_ms,
            window_ms: x.window_ms.map(|w| (w[0], w[1])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_population_copies_every_projection_onto_and_from_the_parts() {
        let mut cfg = SimConfig::akil_default();
        let (n_conn, n_targets) = (cfg.network.connections.len(), cfg.external[0].targets.len());
        cfg.split_population("E", &[("E1", 0.4), ("E2", 0.4)]).unwrap();
        cfg.validate().unwrap();
        let names: Vec<&str> = cfg.network.populations.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["E1", "E2", "I"]);
        // E←E becomes 4 connections, E←I and I←E 2 each, I←I stays 1.
        assert_eq!(cfg.network.connections.len(), n_conn + 3 + 1 + 1);
        let ee: Vec<(&str, &str)> = cfg
            .network
            .connections
            .iter()
            .filter(|c| c.post.starts_with('E') && c.pre.starts_with('E'))
            .map(|c| (c.post.as_str(), c.pre.as_str()))
            .collect();
        assert_eq!(ee, [("E1", "E1"), ("E1", "E2"), ("E2", "E1"), ("E2", "E2")]);
        assert!(cfg.network.connections.iter().all(|c| {
            c.j == SimConfig::akil_default()
                .network
                .connections
                .iter()
                .find(|d| c.post.starts_with(d.post.as_str()) && c.pre.starts_with(d.pre.as_str()))
                .unwrap()
                .j
        }));
        assert_eq!(cfg.external[0].targets.len(), n_targets + 1);
        // Errors name the field.
        let mut bad = SimConfig::akil_default();
        let e = bad.split_population("X", &[("A", 0.8)]).unwrap_err();
        assert!(e.to_string().contains("network.populations"), "{e}");
        assert!(bad.split_population("E", &[("E1", 0.4), ("E2", 0.3)]).is_err());
        assert!(bad.split_population("E", &[("E1", 0.6), ("I", 0.2)]).is_err());
    }

    #[test]
    fn presets_are_valid() {
        SimConfig::akil_default().validate().unwrap();
        SimConfig::benchmark().validate().unwrap();
    }

    #[test]
    fn plasticity_is_checked() {
        SimConfig::akil_demo().validate().unwrap();
        let mut c = SimConfig::akil_demo();
        c.plasticity.push(c.plasticity[0].clone());
        let e = c.validate().unwrap_err();
        assert!(e.field == "plasticity[2].synapse" && e.allowed.contains("two rules"), "{e}");
        let mut c = SimConfig::akil_demo();
        c.network.connections.remove(1);
        assert_eq!(c.validate().unwrap_err().field, "plasticity[0].synapse");
    }

    #[test]
    fn errors_name_the_key() {
        let mut c = SimConfig::akil_default();
        c.network.connections[0].p = 1.5;
        assert_eq!(c.validate().unwrap_err().field, "network.connections[0].p");
        let mut c = SimConfig::akil_default();
        c.network.connections[1].pre = "Q".into();
        let e = c.validate().unwrap_err();
        assert_eq!(e.field, "network.connections[1].pre");
        assert!(e.allowed.contains("E, I"));
        let mut c = SimConfig::akil_default();
        c.run.dt_ms = 0.0;
        assert_eq!(c.validate().unwrap_err().field, "run.dt_ms");
        let mut c = SimConfig::akil_default();
        c.external[0].c = -0.1;
        assert_eq!(c.validate().unwrap_err().field, "external[0].c");
        let mut c = SimConfig::akil_default();
        c.network.connections[1].j = 150.0;
        assert_eq!(c.validate().unwrap_err().field, "network.connections[1].j");
        let mut c = SimConfig::akil_default();
        c.network.populations[0].fraction = 0.7;
        assert_eq!(c.validate().unwrap_err().field, "network.populations");
    }
}
