//! The strongly coupled E–I LIF network of Kim & Chow (kimchow.md §2).
//!
//! * Dimensionless LIF neurons, `τ_m dv/dt = −v + X_i + s_i(t) + u_i(t)`,
//!   threshold `v_θ = 1`, reset `v_r = 0`, forward Euler with `dt = 0.1` ms
//!   and the threshold checked once per step (§2.1).
//! * `N_E` E neurons `0..N_E`, then `N_I` I neurons; every neuron receives
//!   exactly `K` E and `K` I inputs (fixed in-degree, no autapses;
//!   [`hebb_connectivity::fixed_in_degree_rows`]) (§2.3).
//! * All weights of a block start equal:
//!   `W_{BC} = 2τ_m g/√K × c_{BC}` with `c = (E←E 0.15, E←I −0.75, I←E 1,
//!   I←I −1)` (§2.3). Constant drive `X_B = x_B x √K` with
//!   `x_B = (1.5, 1)` (§2.5).
//! * Unit-area exponential traces `τ_s dr_j/dt = −r_j + Σ_k δ(t − t_j^k)`,
//!   one `τ_s` for every recurrent synapse (all synapses plastic, §2.2, tagged \[R\]),
//!   and the recurrent input `u_i = Σ_j W_ij r_j`.
//! * A one-step propagation delay: spikes found at step `t` enter the traces
//!   at step `t + 1` (§2.2).
//!
//! The order of one step is written out once, in [`Network::step`]. It
//! differs from the Akil engine of hebb-sim (membrane update, threshold,
//! then recurrent delivery, plasticity and trace updates, ARCHITECTURE.md):
//! here the traces first take the previous step's spikes, then the input is
//! recomputed from the current weights, then the membrane and threshold
//! (the group's order). The network is self-contained so the trainer can
//! read its traces and rewrite its weights between steps.
//!
//! Weights are stored **by postsynaptic neuron** (row `i` = the incoming
//! synapses of `i`, E inputs ascending, then I inputs ascending, as f64),
//! because the recomputed input (a) of §2.2 and the RLS rows both read them
//! that way. An outgoing index (`pre → positions`) serves the event-driven
//! input (b) and always reads the current weights, so no copy needs syncing.

use crate::error::{Result, check_len};
use hebb_connectivity::{FIXED_IN_DEGREE_PROJECTION, FixedInDegree, fixed_in_degree_rows};
use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How the exponential filters advance by one step (an open choice of
/// kimchow.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterStep {
    /// Exact decay, `r ← r e^{−dt/τ_s} + s/τ_s` (the default).
    Exact,
    /// The group's Euler form, `r ← r (1 − dt/τ_s) + s/τ_s`.
    Euler,
}

/// How the recurrent input is computed (kimchow.md §2.2, §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputMode {
    /// (a) Recomputed every step from the current weights and traces,
    /// `u_i = Σ_j W_ij r_j`. A weight update acts fully from the next step.
    /// The spec's recommended default (it reproduces the reference training
    /// curves).
    Recomputed,
    /// (b) Event-driven: a filtered current per neuron,
    /// `I_i ← I_i e^{−dt/τ_s} + Σ_{j spiked} W_ij/τ_s`, which keeps the
    /// old-weight contributions for about `τ_s` after an update.
    EventDriven,
}

/// Parameters of the network. Defaults: `N = 1000` (500/500), `K = 100`,
/// `τ_m = 10` ms, `dt = 0.1` ms, `τ_s = 50` ms (run set 2 of §10), `g = 1`,
/// `x = 0.12`, exact filters, recomputed input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Number of E neurons `N_E` (they come first).
    pub n_exc: usize,
    /// Number of I neurons `N_I`.
    pub n_inh: usize,
    /// In-degree `K` from each population (E and I), `1 ≤ K < N_E, N_I`.
    pub k: usize,
    /// Time step (ms).
    pub dt_ms: f64,
    /// Membrane time constant `τ_m` (ms), E and I.
    pub tau_m_ms: f64,
    /// Threshold `v_θ` (spike when `v > v_θ`).
    pub v_threshold: f64,
    /// Reset `v_r`.
    pub v_reset: f64,
    /// Synaptic filter time constant `τ_s` (ms), all recurrent synapses.
    /// Unknown for the paper; 50 ms (run set 2) by default, 20 ms in run set 1.
    pub tau_s_ms: f64,
    /// Coupling gain `g` in `J_0 = 2τ_m g/√K`.
    pub g: f64,
    /// Block factors `c[post][pre]` (0 = E, 1 = I): the initial weight of
    /// block *post←pre* is `J_0 c[post][pre]`. Default
    /// `[[0.15, −0.75], [1, −1]]`.
    pub block_factors: [[f64; 2]; 2],
    /// Drive scale `x`: `X_B = drive_factors[B] · x · √K`.
    pub x: f64,
    /// Drive factors `x_B`, default `(1.5, 1)` for (E, I).
    pub drive_factors: [f64; 2],
    /// Filter discretisation.
    pub filter: FilterStep,
    /// Recurrent input computation.
    pub input: InputMode,
    /// Initial voltages of a trial are uniform on `[v0_min, v0_max)`.
    pub v0_min: f64,
    /// Upper end of the initial voltages.
    pub v0_max: f64,
    /// Update the neurons of a step in parallel with rayon (bit-identical
    /// to serial: every neuron's sum is sequential).
    pub parallel: bool,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            n_exc: 500,
            n_inh: 500,
            k: 100,
            dt_ms: 0.1,
            tau_m_ms: 10.0,
            v_threshold: 1.0,
            v_reset: 0.0,
            tau_s_ms: 50.0,
            g: 1.0,
            block_factors: [[0.15, -0.75], [1.0, -1.0]],
            x: 0.12,
            drive_factors: [1.5, 1.0],
            filter: FilterStep::Exact,
            input: InputMode::Recomputed,
            v0_min: 0.0,
            v0_max: 1.0,
            parallel: true,
        }
    }
}

impl NetworkConfig {
    /// Check every field; errors name the field and its allowed range.
    pub fn validate(&self) -> Result<()> {
        if self.n_exc < 2 || self.n_inh < 2 {
            return Err(ParamError::new(
                "network.n_exc / n_inh",
                format!("{} / {}", self.n_exc, self.n_inh),
                "at least 2 neurons in each population",
            )
            .into());
        }
        let kmax = self.n_exc.min(self.n_inh) - 1;
        if self.k == 0 || self.k > kmax {
            return Err(ParamError::new("network.k", self.k, format!("an integer in [1, {kmax}]")).into());
        }
        hebb_core::check_positive("network.dt_ms", self.dt_ms)?;
        hebb_core::check_positive("network.tau_m_ms", self.tau_m_ms)?;
        hebb_core::check_positive("network.tau_s_ms", self.tau_s_ms)?;
        if self.dt_ms > self.tau_m_ms.min(self.tau_s_ms) {
            return Err(ParamError::new("network.dt_ms", self.dt_ms, "a step no longer than τ_m and τ_s").into());
        }
        hebb_core::check_finite("network.v_threshold", self.v_threshold)?;
        hebb_core::check_finite("network.v_reset", self.v_reset)?;
        if self.v_reset >= self.v_threshold {
            return Err(ParamError::new("network.v_reset", self.v_reset, "a value below v_threshold").into());
        }
        hebb_core::check_finite("network.g", self.g)?;
        hebb_core::check_finite("network.x", self.x)?;
        for (a, row) in self.block_factors.iter().enumerate() {
            for (b, c) in row.iter().enumerate() {
                hebb_core::check_finite(&format!("network.block_factors[{a}][{b}]"), *c)?;
            }
        }
        for (a, c) in self.drive_factors.iter().enumerate() {
            hebb_core::check_finite(&format!("network.drive_factors[{a}]"), *c)?;
        }
        hebb_core::check_finite("network.v0_min", self.v0_min)?;
        if !(self.v0_max.is_finite() && self.v0_max > self.v0_min) {
            return Err(ParamError::new("network.v0_max", self.v0_max, "a finite number > v0_min").into());
        }
        Ok(())
    }

    /// Total number of neurons.
    pub fn n(&self) -> usize {
        self.n_exc + self.n_inh
    }

    /// The coupling unit `J_0 = 2τ_m g/√K`.
    pub fn j0(&self) -> f64 {
        2.0 * self.tau_m_ms * self.g / (self.k as f64).sqrt()
    }

    /// Initial weight of block *post←pre* (0 = E, 1 = I).
    pub fn block_weight(&self, post: usize, pre: usize) -> f64 {
        self.j0() * self.block_factors[post][pre]
    }

    /// Constant drive `X_B` of population `B` (0 = E, 1 = I).
    pub fn drive(&self, pop: usize) -> f64 {
        self.drive_factors[pop] * self.x * (self.k as f64).sqrt()
    }

    /// The leading-order balanced rates (spikes/ms) of kimchow.md §2.4:
    /// the solution of `x_vec + J̃ν = 0` with `x_vec = x (x_E, x_I)` and
    /// `J̃ = 2τ_m g c` (ms). `x/16` and `x/16 + x/20` for the defaults.
    /// `None` if `J̃` is singular or a rate comes out negative (no balanced
    /// solution).
    pub fn balanced_rates(&self) -> Option<[f64; 2]> {
        let s = 2.0 * self.tau_m_ms * self.g;
        let c = &self.block_factors;
        let (a, b, cc, d) = (s * c[0][0], s * c[0][1], s * c[1][0], s * c[1][1]);
        let det = a * d - b * cc;
        if det.abs() < 1e-300 {
            return None;
        }
        let (x0, x1) = (self.x * self.drive_factors[0], self.x * self.drive_factors[1]);
        // ν = −J̃⁻¹ x
        let nu_e = -(d * x0 - b * x1) / det;
        let nu_i = -(-cc * x0 + a * x1) / det;
        (nu_e >= 0.0 && nu_i >= 0.0).then_some([nu_e, nu_i])
    }
}

/// Stream id (first key after the purpose) of the initial voltages:
/// `stream(seed, InitialState, [INITIAL_STATE_STREAM, trial_key])`.
pub const INITIAL_STATE_STREAM: u64 = 0x4B43_0001;

/// The network and its state. See the module docs for the model and
/// [`Network::step`] for the step order.
#[derive(Debug, Clone)]
pub struct Network {
    cfg: NetworkConfig,
    seed: u64,
    n_exc: usize,
    // incoming synapses by postsynaptic neuron (E inputs first)
    row_ptr: Vec<usize>,
    pre: Vec<u32>,
    w: Vec<f64>,
    n_exc_in: Vec<usize>,
    // outgoing index: for presynaptic j, (post, position in `w`)
    out_ptr: Vec<usize>,
    out_post: Vec<u32>,
    out_pos: Vec<u32>,
    bias: Vec<f64>,
    stim: Vec<f64>,
    v: Vec<f64>,
    r: Vec<f64>,
    u_exc: Vec<f64>,
    u_inh: Vec<f64>,
    fired: Vec<bool>,
    spikes: Vec<u32>,
    decay: f64,
    step: u64,
    // mode (a): whether `u` must be recomputed from `W r` at the next step
    // (weights changed or the state was reset), and steps since the last
    // full recomputation
    dirty: bool,
    since_full: u32,
}

/// Mode (a) recomputes `u = W r` in full at least this often (steps), and
/// at the first step after any weight change; in between it advances `u`
/// exactly like the traces (see [`Network::step`]). 100 steps = 10 ms at
/// `dt = 0.1` ms, so rounding drift never accumulates beyond ~100 products.
pub const FULL_RECOMPUTE_EVERY: u32 = 100;

impl Network {
    /// Build the network: wiring from `seed` (stream
    /// `(seed, Connectivity, [FIXED_IN_DEGREE_PROJECTION, neuron])`), block
    /// weights, drive. The state is reset with trial key 0.
    pub fn new(cfg: NetworkConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let n = cfg.n();
        let rule = FixedInDegree { n_exc: cfg.n_exc, n_inh: cfg.n_inh, k_exc: cfg.k, k_inh: cfg.k, autapses: false };
        let post: Vec<u32> = (0..n as u32).collect();
        let rows = fixed_in_degree_rows(&rule, &post, seed, FIXED_IN_DEGREE_PROJECTION)?;
        let mut row_ptr = Vec::with_capacity(n + 1);
        row_ptr.push(0);
        let mut pre = Vec::with_capacity(n * 2 * cfg.k);
        let mut w = Vec::with_capacity(n * 2 * cfg.k);
        let mut n_exc_in = Vec::with_capacity(n);
        for (i, row) in rows.iter().enumerate() {
            let post_pop = usize::from(i >= cfg.n_exc);
            let mut ne = 0;
            for &j in row {
                let pre_pop = usize::from(j as usize >= cfg.n_exc);
                ne += usize::from(pre_pop == 0);
                pre.push(j);
                w.push(cfg.block_weight(post_pop, pre_pop));
            }
            n_exc_in.push(ne);
            row_ptr.push(pre.len());
        }
        // outgoing index by counting sort; posts visited in increasing order
        let mut out_ptr = vec![0usize; n + 1];
        for &j in &pre {
            out_ptr[j as usize + 1] += 1;
        }
        for j in 0..n {
            out_ptr[j + 1] += out_ptr[j];
        }
        let mut fill = out_ptr[..n].to_vec();
        let mut out_post = vec![0u32; pre.len()];
        let mut out_pos = vec![0u32; pre.len()];
        for i in 0..n {
            for (off, &j) in pre[row_ptr[i]..row_ptr[i + 1]].iter().enumerate() {
                let (p, j) = (row_ptr[i] + off, j as usize);
                out_post[fill[j]] = i as u32;
                out_pos[fill[j]] = p as u32;
                fill[j] += 1;
            }
        }
        let bias = (0..n).map(|i| cfg.drive(usize::from(i >= cfg.n_exc))).collect();
        let decay = match cfg.filter {
            FilterStep::Exact => (-cfg.dt_ms / cfg.tau_s_ms).exp(),
            FilterStep::Euler => 1.0 - cfg.dt_ms / cfg.tau_s_ms,
        };
        let mut net = Self {
            cfg,
            seed,
            n_exc: cfg.n_exc,
            row_ptr,
            pre,
            w,
            n_exc_in,
            out_ptr,
            out_post,
            out_pos,
            bias,
            stim: vec![0.0; n],
            v: vec![0.0; n],
            r: vec![0.0; n],
            u_exc: vec![0.0; n],
            u_inh: vec![0.0; n],
            fired: vec![false; n],
            spikes: Vec::new(),
            decay,
            step: 0,
            dirty: true,
            since_full: 0,
        };
        net.reset(0);
        Ok(net)
    }

    /// Start a trial: voltages uniform on `[v0_min, v0_max)` from the stream
    /// `(seed, InitialState, [INITIAL_STATE_STREAM, trial_key])`; traces,
    /// currents and pending spikes zeroed; step counter 0. The stimulus and
    /// the weights are kept.
    pub fn reset(&mut self, trial_key: u64) {
        let mut rng = stream(self.seed, Purpose::InitialState, &[INITIAL_STATE_STREAM, trial_key]);
        let (lo, hi) = (self.cfg.v0_min, self.cfg.v0_max);
        for v in &mut self.v {
            *v = lo + (hi - lo) * rng.random::<f64>();
        }
        self.r.fill(0.0);
        self.u_exc.fill(0.0);
        self.u_inh.fill(0.0);
        self.fired.fill(false);
        self.spikes.clear();
        self.step = 0;
        self.dirty = true;
    }

    /// Advance one step of `dt` and return the neurons that spiked in it
    /// (ascending).
    ///
    /// **The step order of this model** (one place, read top to bottom):
    ///
    /// 1. *Traces.* `r_j ← d·r_j + s_j(t−1)/τ_s`, with `d = e^{−dt/τ_s}`
    ///    (or `1 − dt/τ_s`, [`FilterStep`]) and `s_j(t−1)` the spikes of the
    ///    **previous** step: the one-step propagation delay of §2.2. In the
    ///    event-driven mode the currents decay the same way and each
    ///    previous spike of `j` adds `W_ij/τ_s` to them, with the current
    ///    weights.
    /// 2. *Recurrent input.* `u_i = Σ_{j∈E} W_ij r_j + Σ_{j∈I} W_ij r_j`
    ///    from the current weights (mode (a)), or the filtered currents
    ///    (mode (b)). The E and I parts are kept ([`Network::exc_input`],
    ///    [`Network::inh_input`]). Mode (a) is computed in full only at the
    ///    first step after a weight change or reset and every
    ///    [`FULL_RECOMPUTE_EVERY`] steps; in between `u_i ← d·u_i +
    ///    Σ_{j spiked} W_ij/τ_s`, which equals `Σ_j W_ij r_j` exactly in real
    ///    arithmetic (same decay, same jumps) and costs `O(N + spikes × K)`
    ///    instead of `O(N K_p)` (tested against the full sum to 1e-12).
    /// 3. *Membrane.* Forward Euler,
    ///    `v_i ← v_i + (dt/τ_m)(X_i + s_i + u_i − v_i)`, `s_i` the stimulus.
    /// 4. *Threshold and reset.* If `v_i > v_θ`: spike, `v_i ← v_r`. No
    ///    refractory period beyond the step itself (the group's 0.1 ms).
    /// 5. *Hand-over.* This step's spikes are stored for step 1 of the next.
    ///
    /// After the call, [`Network::traces`] are the `r(t)` that produced this
    /// step's input, so an RLS update at this step sees `w·r + X` equal to
    /// the input the neuron just received (mode (a)); weights changed after
    /// the call act from the next step.
    pub fn step(&mut self) -> &[u32] {
        let inv_tau_s = 1.0 / self.cfg.tau_s_ms;
        let d = self.decay;
        // 1. traces (and event-driven currents), with last step's spikes
        for r in &mut self.r {
            *r *= d;
        }
        for &j in &self.spikes {
            self.r[j as usize] += inv_tau_s;
        }
        // Mode (b) always advances the filtered currents; mode (a) does the
        // same between weight changes (it is then exactly `W r`, since every
        // trace decays by the same factor and each spike adds 1/τ_s to its
        // own trace) and recomputes `W r` in full after a weight change and
        // every FULL_RECOMPUTE_EVERY steps.
        let event = self.cfg.input == InputMode::EventDriven;
        let full = !event && (self.dirty || self.since_full + 1 >= FULL_RECOMPUTE_EVERY);
        if full {
            self.dirty = false;
            self.since_full = 0;
        } else {
            self.since_full += 1;
            for u in self.u_exc.iter_mut().chain(self.u_inh.iter_mut()) {
                *u *= d;
            }
            for &j in &self.spikes {
                let j = j as usize;
                let target = if j < self.n_exc { &mut self.u_exc } else { &mut self.u_inh };
                for q in self.out_ptr[j]..self.out_ptr[j + 1] {
                    target[self.out_post[q] as usize] += self.w[self.out_pos[q] as usize] * inv_tau_s;
                }
            }
        }
        // 2.–4. per neuron: input, membrane, threshold (independent neurons)
        let a = self.cfg.dt_ms / self.cfg.tau_m_ms;
        let (vt, vr) = (self.cfg.v_threshold, self.cfg.v_reset);
        let parallel = self.cfg.parallel;
        let Self { row_ptr, pre, w, n_exc_in, bias, stim, v, r, u_exc, u_inh, fired, .. } = self;
        let (row_ptr, pre, w, n_exc_in, bias, stim, r) = (&*row_ptr, &*pre, &*w, &*n_exc_in, &*bias, &*stim, &*r);
        let neuron = |i: usize, v: &mut f64, ue: &mut f64, ui: &mut f64, f: &mut bool| {
            if full {
                let (s, m, e) = (row_ptr[i], row_ptr[i] + n_exc_in[i], row_ptr[i + 1]);
                *ue = dot_gather(&w[s..m], &pre[s..m], r);
                *ui = dot_gather(&w[m..e], &pre[m..e], r);
            }
            let u = *ue + *ui;
            *v += a * (bias[i] + stim[i] + u - *v);
            *f = *v > vt;
            if *f {
                *v = vr;
            }
        };
        const CHUNK: usize = 128;
        // only the full recomputation (O(N K_p)) is worth a rayon dispatch;
        // the O(N) membrane step alone is cheaper serial (a dispatch costs
        // futex wake-ups every step). Same arithmetic either way.
        if parallel && full && v.len() > CHUNK && rayon::current_num_threads() > 1 {
            v.par_chunks_mut(CHUNK)
                .zip(u_exc.par_chunks_mut(CHUNK))
                .zip(u_inh.par_chunks_mut(CHUNK))
                .zip(fired.par_chunks_mut(CHUNK))
                .enumerate()
                .for_each(|(c, (((v, ue), ui), f))| {
                    for q in 0..v.len() {
                        neuron(c * CHUNK + q, &mut v[q], &mut ue[q], &mut ui[q], &mut f[q]);
                    }
                });
        } else {
            for i in 0..v.len() {
                neuron(i, &mut v[i], &mut u_exc[i], &mut u_inh[i], &mut fired[i]);
            }
        }
        // 5. hand the spikes over to the next step
        self.spikes.clear();
        self.spikes.extend(self.fired.iter().enumerate().filter(|(_, f)| **f).map(|(i, _)| i as u32));
        self.step += 1;
        &self.spikes
    }

    /// The configuration.
    pub fn config(&self) -> &NetworkConfig {
        &self.cfg
    }
    /// The wiring seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Number of neurons.
    pub fn n(&self) -> usize {
        self.v.len()
    }
    /// Number of E neurons (they are `0..n_exc`).
    pub fn n_exc(&self) -> usize {
        self.n_exc
    }
    /// Steps done since the last [`Network::reset`].
    pub fn steps_done(&self) -> u64 {
        self.step
    }
    /// Membrane potentials.
    pub fn voltages(&self) -> &[f64] {
        &self.v
    }
    /// Filtered traces `r_j` (unit area; time average = rate in spikes/ms).
    pub fn traces(&self) -> &[f64] {
        &self.r
    }
    /// Neurons that spiked in the last step.
    pub fn last_spikes(&self) -> &[u32] {
        &self.spikes
    }
    /// Recurrent E input `Σ_{j∈E} W_ij r_j` of the last step (mode (a); the
    /// E current in mode (b)).
    pub fn exc_input(&self) -> &[f64] {
        &self.u_exc
    }
    /// Recurrent I input of the last step.
    pub fn inh_input(&self) -> &[f64] {
        &self.u_inh
    }
    /// Constant drive `X_i`.
    pub fn bias(&self) -> &[f64] {
        &self.bias
    }
    /// Current stimulus `s_i`.
    pub fn stimulus(&self) -> &[f64] {
        &self.stim
    }
    /// Total input of neuron `i` in the last step, `X_i + s_i + u_i`.
    pub fn total_input(&self, i: usize) -> f64 {
        self.bias[i] + self.stim[i] + self.u_exc[i] + self.u_inh[i]
    }
    /// Set the stimulus (one value per neuron), added to the input until
    /// changed.
    pub fn set_stimulus(&mut self, s: &[f64]) -> Result<()> {
        check_len("stimulus", s.len(), self.n(), "one value per neuron")?;
        crate::error::check_all_finite("stimulus", s)?;
        self.stim.copy_from_slice(s);
        Ok(())
    }
    /// Switch the stimulus off.
    pub fn clear_stimulus(&mut self) {
        self.stim.fill(0.0);
    }
    /// Presynaptic partners of neuron `i` (E ascending, then I ascending).
    pub fn pre(&self, i: usize) -> &[u32] {
        &self.pre[self.row_ptr[i]..self.row_ptr[i + 1]]
    }
    /// Incoming weights of neuron `i`, aligned with [`Network::pre`].
    pub fn weights(&self, i: usize) -> &[f64] {
        &self.w[self.row_ptr[i]..self.row_ptr[i + 1]]
    }
    /// Incoming weights of neuron `i`, mutable (the trainer writes here).
    pub fn weights_mut(&mut self, i: usize) -> &mut [f64] {
        self.dirty = true;
        &mut self.w[self.row_ptr[i]..self.row_ptr[i + 1]]
    }
    /// Number of E inputs of neuron `i` (= `K`; the row's first entries).
    pub fn n_exc_inputs(&self, i: usize) -> usize {
        self.n_exc_in[i]
    }
    /// Count the Dale-violating synapses of the current weights.
    pub fn dale_violations(&self) -> DaleViolations {
        let mut d = DaleViolations { exc: 0, inh: 0, n_exc_synapses: 0, n_inh_synapses: 0 };
        for (&j, &w) in self.pre.iter().zip(&self.w) {
            if (j as usize) < self.n_exc {
                d.n_exc_synapses += 1;
                d.exc += usize::from(w < 0.0);
            } else {
                d.n_inh_synapses += 1;
                d.inh += usize::from(w > 0.0);
            }
        }
        d
    }
    /// Mean weight of each block `[post][pre]` (0 = E, 1 = I) over its
    /// existing synapses.
    pub fn block_means(&self) -> [[f64; 2]; 2] {
        let mut s = [[0.0; 2]; 2];
        let mut c = [[0usize; 2]; 2];
        for i in 0..self.n() {
            let b = usize::from(i >= self.n_exc);
            for (&j, &w) in self.pre(i).iter().zip(self.weights(i)) {
                let a = usize::from(j as usize >= self.n_exc);
                s[b][a] += w;
                c[b][a] += 1;
            }
        }
        let mut m = [[0.0; 2]; 2];
        for b in 0..2 {
            for a in 0..2 {
                m[b][a] = if c[b][a] > 0 { s[b][a] / c[b][a] as f64 } else { 0.0 };
            }
        }
        m
    }
}

/// `Σ_p w[p] r[idx[p]]` with four interleaved accumulators (summed as
/// `(a₀ + a₁) + (a₂ + a₃)`, then the tail): a fixed order, so the result
/// does not depend on threads, and four independent add chains instead of
/// one latency-bound chain.
#[inline]
fn dot_gather(w: &[f64], idx: &[u32], r: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let n4 = w.len() / 4 * 4;
    for (wc, ic) in w[..n4].chunks_exact(4).zip(idx[..n4].chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += wc[l] * r[ic[l] as usize];
        }
    }
    let mut t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (wp, &j) in w[n4..].iter().zip(&idx[n4..]) {
        t += wp * r[j as usize];
    }
    t
}

/// Dale-violating synapses (kimchow.md §3.7, `calc_frac_switch`): E
/// synapses (from E neurons) with `W < 0` and I synapses with `W > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaleViolations {
    /// Violating E synapses.
    pub exc: usize,
    /// Violating I synapses.
    pub inh: usize,
    /// All E synapses.
    pub n_exc_synapses: usize,
    /// All I synapses.
    pub n_inh_synapses: usize,
}

impl DaleViolations {
    /// Fractions `(exc / E synapses, inh / I synapses)`.
    pub fn within_type(&self) -> (f64, f64) {
        (self.exc as f64 / self.n_exc_synapses.max(1) as f64, self.inh as f64 / self.n_inh_synapses.max(1) as f64)
    }
    /// Fractions of **all** synapses in the network (Fig. 5G's normalisation).
    pub fn of_all(&self) -> (f64, f64) {
        let n = (self.n_exc_synapses + self.n_inh_synapses).max(1) as f64;
        (self.exc as f64 / n, self.inh as f64 / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> NetworkConfig {
        NetworkConfig { n_exc: 60, n_inh: 40, k: 10, ..NetworkConfig::default() }
    }

    #[test]
    fn wiring_weights_and_drive_follow_the_spec() {
        let cfg = small();
        let net = Network::new(cfg, 3).unwrap();
        let j0 = 2.0 * 10.0 / 10f64.sqrt();
        for i in 0..100 {
            assert_eq!(net.pre(i).len(), 20);
            assert_eq!(net.n_exc_inputs(i), 10);
            assert!(!net.pre(i).contains(&(i as u32)));
            let post = usize::from(i >= 60);
            for (&j, &w) in net.pre(i).iter().zip(net.weights(i)) {
                let c = [[0.15, -0.75], [1.0, -1.0]][post][usize::from(j >= 60)];
                assert!((w - j0 * c).abs() < 1e-12);
            }
            let x = [1.5, 1.0][post] * 0.12 * 10f64.sqrt();
            assert!((net.bias()[i] - x).abs() < 1e-12);
        }
        // balance: x/16 and x/16 + x/20 (§2.4)
        let nu = cfg.balanced_rates().unwrap();
        assert!((nu[0] - 0.12 / 16.0).abs() < 1e-12 && (nu[1] - (0.12 / 16.0 + 0.12 / 20.0)).abs() < 1e-12);
    }

    /// A lone spike reaches its targets one step later, through a unit-area
    /// trace: after the spike of neuron j at step t, r_j = 1/τ_s at step t+1.
    #[test]
    fn one_step_delay_and_unit_area() {
        let cfg = NetworkConfig { x: 0.0, v0_min: 0.0, v0_max: 1e-9, ..small() };
        let mut net = Network::new(cfg, 1).unwrap();
        net.reset(5);
        let mut s = vec![0.0; 100];
        s[0] = 1e4; // neuron 0 crosses threshold in the first step
        net.set_stimulus(&s).unwrap();
        assert_eq!(net.step(), &[0]);
        assert!(net.traces().iter().all(|&r| r == 0.0), "no trace in the spike's own step");
        net.clear_stimulus();
        net.step();
        assert!((net.traces()[0] - 1.0 / 50.0).abs() < 1e-15);
        // the targets of 0 receive W/τ_s · ... in the step after the spike
        let tgt = (0..100).find(|&i| net.pre(i).contains(&0)).unwrap();
        let q = net.pre(tgt).iter().position(|&j| j == 0).unwrap();
        assert!((net.exc_input()[tgt] - net.weights(tgt)[q] / 50.0).abs() < 1e-12);
        // area: Σ_t r dt over a long time → 1
        let mut area = net.traces()[0] * 0.1;
        for _ in 0..20_000 {
            net.step();
            area += net.traces()[0] * 0.1;
        }
        assert!((area - 1.0).abs() < 2e-3, "area {area}");
    }

    /// Event-driven and recomputed inputs agree while weights are frozen
    /// (kimchow.md §2.2): same spikes for 3000 steps, inputs to 1e-9.
    #[test]
    fn input_modes_agree_with_frozen_weights() {
        // x = 0.5: at K = 10 the default drive (0.57 for E) is below threshold
        let a_cfg = NetworkConfig { x: 0.5, ..small() };
        let b_cfg = NetworkConfig { input: InputMode::EventDriven, ..a_cfg };
        let mut a = Network::new(a_cfg, 2).unwrap();
        let mut b = Network::new(b_cfg, 2).unwrap();
        let mut spikes = 0;
        for _ in 0..3000 {
            let sa = a.step().to_vec();
            let sb = b.step().to_vec();
            assert_eq!(sa, sb);
            spikes += sa.len();
            for i in 0..100 {
                assert!((a.total_input(i) - b.total_input(i)).abs() < 1e-9);
            }
        }
        assert!(spikes > 100, "the network is active ({spikes} spikes)");
    }

    /// Mode (a) advanced incrementally between full recomputations equals
    /// the full sum `Σ_j W_ij r_j` at every step, also right after the
    /// weights change (the next step recomputes in full). Tolerance 1e-12:
    /// inputs are O(1–10) and at most 100 steps of rounding (~1e-16 each)
    /// separate two full sums.
    #[test]
    fn incremental_input_equals_full_sum() {
        let mut net = Network::new(NetworkConfig { x: 0.5, ..small() }, 2).unwrap();
        let mut spikes = 0;
        let mut worst = 0.0f64;
        for s in 0..3000 {
            if s % 250 == 0 {
                for i in (0..100).step_by(7) {
                    for w in net.weights_mut(i) {
                        *w *= 1.01;
                    }
                }
            }
            spikes += net.step().len();
            for i in 0..100 {
                let full: f64 = net.pre(i).iter().zip(net.weights(i)).map(|(&j, w)| w * net.traces()[j as usize]).sum();
                let inc = net.exc_input()[i] + net.inh_input()[i];
                worst = worst.max((full - inc).abs());
            }
        }
        assert!(spikes > 100, "the network is active ({spikes} spikes)");
        assert!(worst < 1e-12, "incremental vs full input: {worst:e}");
    }

    #[test]
    fn dale_violations_count_sign_flips() {
        let mut net = Network::new(small(), 4).unwrap();
        let d = net.dale_violations();
        assert_eq!((d.exc, d.inh, d.n_exc_synapses, d.n_inh_synapses), (0, 0, 1000, 1000));
        net.weights_mut(3)[0] = -0.1; // an E input (E inputs come first)
        net.weights_mut(70)[19] = 0.2; // an I input
        net.weights_mut(71)[19] = 0.0; // zero is not a violation
        let d = net.dale_violations();
        assert_eq!((d.exc, d.inh), (1, 1));
        assert_eq!(d.within_type(), (1e-3, 1e-3));
        assert_eq!(d.of_all(), (5e-4, 5e-4));
    }

    #[test]
    fn bad_configs_name_their_field() {
        let field = |c: NetworkConfig| match Network::new(c, 0).unwrap_err() {
            crate::TrainingError::Param(e) => e.field,
            e => panic!("{e}"),
        };
        assert_eq!(field(NetworkConfig { k: 60, ..small() }), "network.k");
        assert_eq!(field(NetworkConfig { tau_s_ms: 0.0, ..small() }), "network.tau_s_ms");
        assert_eq!(field(NetworkConfig { v_reset: 2.0, ..small() }), "network.v_reset");
        assert_eq!(field(NetworkConfig { v0_max: -1.0, ..small() }), "network.v0_max");
    }
}
