//! The built network and its step: the one place the step order lives.

use crate::SimError;
use crate::config::SimConfig;
use hebb_connectivity::{Block, Csr, bernoulli};
use hebb_core::comm::Communicator;
use hebb_core::rng::{Purpose, key_hash, stream};
use hebb_core::{Kind, ParamError, PopLayout, Population};
use hebb_neurons::{NeuronKind, NeuronModel};
use hebb_stimulus::{ExtSpike, LayerTrain, PoissonDrive};
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Per-neuron dynamic state, struct-of-arrays, in single precision (see
/// [`hebb_neurons::NeuronModel`] for why f32 and what it costs in accuracy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuronState {
    /// Membrane potentials (mV).
    pub v: Vec<f32>,
    /// Excitatory synaptic current I^e (mV/ms).
    pub ie: Vec<f32>,
    /// Inhibitory synaptic current I^i (mV/ms).
    pub ii: Vec<f32>,
    /// External synaptic current I^x (mV/ms).
    pub ix: Vec<f32>,
    /// Remaining refractory steps (LIF only).
    pub refractory: Vec<u32>,
}

/// One external layer: its spike generator, its projection, and the spikes
/// of the chunk being delivered.
#[derive(Debug, Clone)]
pub struct ExternalInput {
    /// Generator of the layer's spikes.
    pub train: LayerTrain,
    /// Synapses from the layer's units onto the network.
    pub csr: Csr,
    pending: Vec<ExtSpike>,
    cursor: usize,
    chunk: Option<u64>,
}

impl ExternalInput {
    /// Spikes of this layer delivered at step `n` (generating a new chunk
    /// when `n` enters one).
    fn spikes_at(&mut self, n: u64) -> std::ops::Range<usize> {
        let k = (n - 1) / self.train.chunk_steps();
        if self.chunk != Some(k) {
            self.pending = self.train.chunk(k);
            self.cursor = self.pending.partition_point(|s| s.step < n);
            self.chunk = Some(k);
        }
        let start = self.cursor;
        while self.cursor < self.pending.len() && self.pending[self.cursor].step == n {
            self.cursor += 1;
        }
        start..self.cursor
    }
}

/// What the step reports to its observer in phase 8, before the reset.
pub struct StepView<'a> {
    /// The step just taken (1-based; it ends at time `n·dt`).
    pub n: u64,
    /// Neurons that spiked, increasing.
    pub spiked: &'a [u32],
    /// Spikes delivered from each external layer in this step.
    pub external: &'a [usize],
    /// The state before the reset. Its currents are stored undecayed (see
    /// [`Network::step`]): the value of phase 8 is `ie[j] * decay[0]`, etc.
    pub state: &'a NeuronState,
    /// Decay factors (1 − dt/τ) of I^e, I^i, I^x, rounded to f32 as the
    /// neuron pass applies them.
    pub decay: [f32; 3],
}

/// Something that looks at every step (recorders, progress, tests).
pub trait StepObserver {
    /// Called once per step in phase 8, before the spiking neurons reset.
    fn observe(&mut self, view: &StepView<'_>);
}

/// A built spiking network: layout, synapses, inputs and state.
///
/// A network is either whole ([`Network::build`]) or one *block* of a
/// network distributed over several ranks ([`Network::build_block`]): the
/// block owns the neurons `lo..hi` and the synapses onto them, integrates
/// only its own neurons, and learns every other rank's spikes through a
/// [`Communicator`] once per step. Blocks tiling `0..N` in rank order give
/// bit for bit the spikes and weights of the whole network (crate README,
/// "Distributed runs").
pub struct Network {
    /// Populations as index ranges.
    pub layout: PopLayout,
    /// Neuron model shared by all populations.
    pub neuron: NeuronKind,
    /// Step (ms).
    pub dt: f64,
    /// Recurrent synapses, CSR by presynaptic neuron, weights J = j/√N. In a
    /// block, only the synapses onto the block's neurons (targets keep their
    /// global ids).
    pub recurrent: Csr,
    /// External layers.
    pub external: Vec<ExternalInput>,
    /// Independent drive and its stream key.
    pub drive: Option<(PoissonDrive, u64)>,
    /// Dynamic state.
    pub state: NeuronState,
    /// Plastic synapse types, in the order their rules were added.
    pub plastic: Vec<crate::plastic::PlasticProjection>,
    /// Whether each neuron's spikes feed I^i (inhibitory) rather than I^e.
    inhibitory: Vec<bool>,
    inv_tau: [f32; 3],
    decay: [f32; 3],
    refractory_steps: u32,
    pool: Option<rayon::ThreadPool>,
    spiked: Vec<u32>,
    ext_counts: Vec<usize>,
    /// The neurons this network integrates (all of them unless a block).
    block: Range<usize>,
    /// Exchanges the spike lists of the blocks; `None` for a whole network.
    comm: Option<Box<dyn Communicator>>,
    /// This block's own spikes of the step, before the exchange.
    local_spiked: Vec<u32>,
}

impl Network {
    /// Build the network of a validated config: layout, Bernoulli synapses
    /// (projection 0 = recurrent, 1 + i = external layer i), external
    /// generators, and initial potentials uniform on the model's range
    /// (stream `(seed, InitialState, [neuron])`).
    pub fn build(cfg: &SimConfig) -> Result<Self, SimError> {
        Self::build_part(cfg, None, None)
    }

    /// Build the block `block` (global neuron ids `lo..hi`) of the network
    /// of `cfg`, exchanging spikes through `comm` (whose rank must own
    /// exactly this block; see [`hebb_core::comm::block_range`]).
    ///
    /// Synapses are drawn exactly as for the whole network (one stream per
    /// presynaptic neuron, global ids) and then filtered to those onto the
    /// block, so each rank pays the generation cost of all synapses once
    /// and keeps the memory of its own. External layers generate every
    /// unit's train on every rank (keyed by global unit id) and deliver only
    /// to the block. Neuron state arrays keep their global size (O(N) per
    /// rank); entries outside the block are not integrated, so voltages and
    /// currents recorded there are meaningless, while everything derived
    /// from spikes (rates, covariances, traces) is global on every rank.
    pub fn build_block(cfg: &SimConfig, block: Range<usize>, comm: Box<dyn Communicator>) -> Result<Self, SimError> {
        Self::build_part(cfg, Some(block), Some(comm))
    }

    fn build_part(
        cfg: &SimConfig,
        block: Option<Range<usize>>,
        comm: Option<Box<dyn Communicator>>,
    ) -> Result<Self, SimError> {
        cfg.validate()?;
        let sizes = cfg.population_sizes();
        let layout = PopLayout::new(
            cfg.network
                .populations
                .iter()
                .zip(&sizes)
                .map(|(p, &size)| Population { name: p.name.clone(), size, kind: p.kind })
                .collect(),
        )?;
        let n = layout.len();
        let block = block.unwrap_or(0..n);
        if block.start > block.end || block.end > n {
            return Err(ParamError::new(
                "block",
                format!("{}..{}", block.start, block.end),
                format!("a range lo..hi with lo <= hi <= N = {n}"),
            )
            .into());
        }
        let sqrt_n = (cfg.network.n as f64).sqrt();
        let seed = cfg.run.seed;
        let blocks: Vec<Block> = cfg
            .network
            .connections
            .iter()
            .map(|c| {
                let post = layout.range(layout.index_of(&c.post).expect("validated"));
                let pre = layout.range(layout.index_of(&c.pre).expect("validated"));
                Block { pre, post, p: c.p, weight: (c.j / sqrt_n) as f32, autapses: c.autapses }
            })
            .collect();
        let recurrent = onto_block(bernoulli(n, n, &blocks, seed, 0)?, &block)?;
        let mut external = Vec::new();
        for (i, x) in cfg.external.iter().enumerate() {
            let size = cfg.external_size(i);
            let blocks: Vec<Block> = x
                .targets
                .iter()
                .map(|t| Block {
                    pre: 0..size,
                    post: layout.range(layout.index_of(&t.post).expect("validated")),
                    p: t.p,
                    weight: (t.j / sqrt_n) as f32,
                    autapses: true,
                })
                .collect();
            let csr = onto_block(bernoulli(size, n, &blocks, seed, 1 + i as u64)?, &block)?;
            let train = LayerTrain::new(&cfg.layer(i), cfg.run.dt_ms, seed, i as u64)
                .map_err(|e| e.within(&format!("external[{i}]")))?;
            external.push(ExternalInput { train, csr, pending: Vec::new(), cursor: 0, chunk: None });
        }
        let syn = &cfg.synapses;
        let taus = [syn.tau_e_ms, syn.tau_i_ms, syn.tau_x_ms];
        let drive = match &cfg.drive {
            Some(d) => Some((
                PoissonDrive::new(d.sources, d.rate_hz, cfg.run.dt_ms, d.j / sqrt_n / syn.tau_e_ms)?,
                key_hash(seed, Purpose::Drive, &[]),
            )),
            None => None,
        };
        let model = cfg.neuron.model();
        let (lo, hi) = model.v_init_range();
        let v = (0..n)
            .map(|j| {
                let mut r = stream(seed, Purpose::InitialState, &[j as u64]);
                (lo + (hi - lo) * r.random::<f64>()) as f32
            })
            .collect();
        let threads = cfg.run.threads;
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| SimError::Threads(e.to_string()))?,
            )
        } else {
            None
        };
        let inhibitory = (0..n).map(|j| layout.pops()[layout.pop_of(j)].kind == Kind::Inhibitory).collect();
        let dt = cfg.run.dt_ms;
        Ok(Self {
            layout,
            neuron: cfg.neuron.clone(),
            dt,
            recurrent,
            ext_counts: vec![0; external.len()],
            external,
            drive,
            state: NeuronState { v, ie: vec![0.0; n], ii: vec![0.0; n], ix: vec![0.0; n], refractory: vec![0; n] },
            inhibitory,
            inv_tau: taus.map(|t| (1.0 / t) as f32),
            decay: taus.map(|t| (1.0 - dt / t) as f32),
            refractory_steps: model.refractory_steps(dt),
            pool,
            spiked: Vec::new(),
            plastic: Vec::new(),
            block,
            comm,
            local_spiked: Vec::new(),
        })
    }

    /// The neurons this network integrates: `0..N` unless it is a block.
    pub fn block(&self) -> Range<usize> {
        self.block.clone()
    }

    /// The communicator of a block (`None` for a whole network), e.g. to
    /// gather results after a run.
    pub fn communicator(&mut self) -> Option<&mut (dyn Communicator + 'static)> {
        self.comm.as_deref_mut()
    }

    /// The recurrent synapses of the whole global network, in the whole
    /// network's CSR order (presynaptic-major, targets increasing): on rank
    /// 0 of a distributed network, and always for a whole network; `None`
    /// on the other ranks. A collective: every rank must call it. Gathers
    /// O(synapses) words to rank 0.
    ///
    /// Row `k` of the global CSR is the concatenation, in rank order, of the
    /// blocks' rows `k`, because blocks are contiguous and targets increase.
    pub fn gather_recurrent(&mut self) -> Option<Csr> {
        let Some(comm) = self.comm.as_deref_mut() else { return Some(self.recurrent.clone()) };
        let (mut offsets, mut targets, mut bits) = (Vec::new(), Vec::new(), Vec::new());
        comm.gather_u32(self.recurrent.offsets(), &mut offsets);
        comm.gather_u32(self.recurrent.targets(), &mut targets);
        let local: Vec<u32> = self.recurrent.weights().iter().map(|w| w.to_bits()).collect();
        comm.gather_u32(&local, &mut bits);
        if comm.rank() != 0 {
            return None;
        }
        let rows = self.recurrent.offsets().len();
        let parts: Vec<&[u32]> = offsets.chunks_exact(rows).collect();
        let mut starts = Vec::with_capacity(parts.len());
        let mut at = 0;
        for o in &parts {
            starts.push(at);
            at += *o.last().expect("n_pre + 1 offsets") as usize;
        }
        let mut csr_offsets = Vec::with_capacity(rows);
        csr_offsets.push(0u32);
        let (mut t_out, mut w_out) = (Vec::with_capacity(targets.len()), Vec::with_capacity(bits.len()));
        for k in 0..rows - 1 {
            for (o, &s) in parts.iter().zip(&starts) {
                let r = s + o[k] as usize..s + o[k + 1] as usize;
                t_out.extend_from_slice(&targets[r.clone()]);
                w_out.extend(bits[r].iter().map(|&b| f32::from_bits(b)));
            }
            csr_offsets.push(t_out.len() as u32);
        }
        let csr = Csr::from_parts(self.recurrent.n_post(), csr_offsets, t_out, w_out);
        Some(csr.expect("blocks in rank order concatenate to a valid CSR"))
    }

    /// Number of recurrent neurons.
    pub fn n(&self) -> usize {
        self.layout.len()
    }

    /// Total synapses (recurrent plus external projections).
    pub fn n_synapses(&self) -> usize {
        self.recurrent.n_synapses() + self.external.iter().map(|x| x.csr.n_synapses()).sum::<usize>()
    }

    /// Bytes held by all synapse arrays.
    pub fn synapse_bytes(&self) -> usize {
        self.recurrent.memory_bytes() + self.external.iter().map(|x| x.csr.memory_bytes()).sum::<usize>()
    }

    /// Advance the network by step `n` (1-based; the step ends at t = n·dt).
    ///
    /// The order of operations follows the authors' code (specs/akil.md §1.5):
    ///
    /// 1. **External input.** Every shared external spike due at this step
    ///    (time ≤ t) adds J/τ_x to its targets' I^x; it enters V in this very
    ///    step, undecayed. Independent drive (if any) adds its counts to I^e
    ///    the same way.
    /// 2. **Membrane.** One forward-Euler step of V, with I^e and I^i as the
    ///    previous step left them (decayed) and I^x including phase 1.
    /// 3. **Threshold.** S = { j : V_j ≥ V_th }. A block finds the spikes of
    ///    its own neurons and all-gathers them with the other blocks (rank
    ///    order = ascending ids), so every block continues with the whole S.
    /// 4. **Recurrent delivery.** Each k ∈ S jumps I^e (k excitatory) or I^i
    ///    (k inhibitory) of its targets by J_jk/τ. There is no delay: the
    ///    jump is decayed once in phase 7, then enters V in the next step.
    /// 5. **Plasticity.** For each plastic synapse type, the rule updates the
    ///    synapses of every k ∈ S as presynaptic neuron (reading x_post),
    ///    then those of every j ∈ S as postsynaptic neuron (reading x_pre),
    ///    both with the traces as they were before this step's increment.
    ///    (The spec leaves the pre/post order open; we do pre first.)
    /// 6. **Traces.** x += 1 for neurons in S.
    /// 7. **Decay.** I ← I·(1 − dt/τ) for I^e, I^i, I^x and x ← x·(1 − dt/τ)
    ///    for the traces (Euler factors, as the authors), so a fresh trace
    ///    increment is decayed once before it is first read.
    /// 8. **Record, then reset.** The observer sees S and the state; then V
    ///    of S is set to V_re and refractory neurons start their dead time.
    ///
    /// For speed, phase 7 of a step is carried out at the start of the next
    /// step's neuron pass, fused with phases 2–3 in one sweep over the
    /// neurons (chunks of 1024 that stay in cache). The currents stored
    /// between steps are therefore the *undecayed* ones ([`StepView::decay`]
    /// gives the factors that turn them into the values phase 8 speaks of),
    /// and phase-1 jumps, which must not be decayed, are stored divided by
    /// the decay factor. Mathematically this is the order above; it differs
    /// from decaying in place only by rounding.
    ///
    /// Only the neuron pass is split over threads, in fixed chunks of
    /// elementwise work, so the result is bit-identical for any thread count.
    pub fn step(&mut self, n: u64, observer: &mut dyn StepObserver) {
        let dt = self.dt;
        let [inv_tau_e, inv_tau_i, inv_tau_x] = self.inv_tau;
        let st = &mut self.state;

        // 1. External input. The stored currents are undecayed (phase 7 of
        //    the previous step is still to come, in the neuron pass), so a
        //    jump J/τ that must land after that decay is stored as
        //    J/(τ·d): the pass multiplies by d = 1 − dt/τ.
        let [de, _, dx] = self.decay;
        for (x, count) in self.external.iter_mut().zip(self.ext_counts.iter_mut()) {
            let due = x.spikes_at(n);
            *count = due.len();
            for s in &x.pending[due] {
                x.csr.scatter_add_row(s.unit as usize, &mut st.ix, inv_tau_x / dx);
            }
        }
        let (lo, hi) = (self.block.start, self.block.end);
        if let Some((drive, key)) = &self.drive {
            drive.add(*key, n, lo as u64, &mut st.ie[lo..hi], 1.0 / de as f64);
        }

        // 7 (of the previous step), 2, 3: decay, integrate and threshold,
        // chunk by chunk, over this network's neurons (all, unless a block).
        let pass = NeuronPass { model: self.neuron.model(), dt, decay: self.decay };
        self.spiked.clear();
        match &self.pool {
            None => {
                for (c, chunk) in st.chunks_mut(lo..hi).enumerate() {
                    pass.run(chunk, lo + c * CHUNK, &mut self.spiked);
                }
            }
            Some(pool) => {
                let chunks: Vec<ChunkState<'_>> = st.chunks_mut(lo..hi).collect();
                let found: Vec<Vec<u32>> = pool.install(|| {
                    chunks
                        .into_par_iter()
                        .enumerate()
                        .map(|(c, chunk)| {
                            let mut s = Vec::new();
                            pass.run(chunk, lo + c * CHUNK, &mut s);
                            s
                        })
                        .collect()
                });
                // Chunks are concatenated in index order, as in the serial pass.
                for s in found {
                    self.spiked.extend_from_slice(&s);
                }
            }
        }
        // 3b. In a block, exchange: every rank learns every rank's spikes.
        //    Blocks are contiguous and concatenated in rank order, so the
        //    list is the ascending one a whole network finds, on all ranks.
        if let Some(comm) = self.comm.as_deref_mut() {
            std::mem::swap(&mut self.spiked, &mut self.local_spiked);
            comm.all_gather_u32(&self.local_spiked, &mut self.spiked);
        }

        // 4. Recurrent delivery.
        for &k in &self.spiked {
            if self.inhibitory[k as usize] {
                self.recurrent.scatter_add_row(k as usize, &mut st.ii, inv_tau_i);
            } else {
                self.recurrent.scatter_add_row(k as usize, &mut st.ie, inv_tau_e);
            }
        }

        // 5. Plasticity, from the traces before this step's increment: for
        //    each plastic type, pre-triggered updates, then post-triggered.
        // 6. Trace increments of the spiking neurons.
        // 7. Trace decay. (Current decay is deferred to the next step's
        //    neuron pass, see above.)
        for proj in &mut self.plastic {
            if !self.spiked.is_empty() {
                proj.apply(&mut self.recurrent, &self.spiked);
                proj.increment(&self.spiked);
            }
            proj.decay();
        }

        // 8. Record, then reset.
        observer.observe(&StepView {
            n,
            spiked: &self.spiked,
            external: &self.ext_counts,
            state: st,
            decay: self.decay,
        });
        let model = self.neuron.model();
        let v_re = model.v_reset() as f32;
        for &k in &self.spiked {
            st.v[k as usize] = v_re;
            st.refractory[k as usize] = self.refractory_steps;
        }
    }
}

/// Neurons per chunk of the fused neuron pass (fixed, so the split never
/// depends on the thread count).
const CHUNK: usize = 1024;

/// Mutable views of one chunk of the per-neuron arrays.
struct ChunkState<'a> {
    v: &'a mut [f32],
    refractory: &'a mut [u32],
    ie: &'a mut [f32],
    ii: &'a mut [f32],
    ix: &'a mut [f32],
}

impl NeuronState {
    fn chunks_mut(&mut self, r: Range<usize>) -> impl Iterator<Item = ChunkState<'_>> {
        self.v[r.clone()]
            .chunks_mut(CHUNK)
            .zip(self.refractory[r.clone()].chunks_mut(CHUNK))
            .zip(self.ie[r.clone()].chunks_mut(CHUNK))
            .zip(self.ii[r.clone()].chunks_mut(CHUNK))
            .zip(self.ix[r].chunks_mut(CHUNK))
            .map(|((((v, refractory), ie), ii), ix)| ChunkState { v, refractory, ie, ii, ix })
    }
}

/// Phases 7 (deferred), 1 (adding the step's input), 2 and 3 over a chunk.
struct NeuronPass<'a> {
    model: &'a dyn NeuronModel,
    dt: f64,
    decay: [f32; 3],
}

impl NeuronPass<'_> {
    fn run(&self, c: ChunkState<'_>, offset: usize, spiked: &mut Vec<u32>) {
        self.model.integrate_detect(self.dt, self.decay, c.v, c.refractory, c.ie, c.ii, c.ix, offset as u32, spiked);
    }
}

/// Keep the synapses of `csr` onto `block` (all of them when the block
/// covers every target), in the same order, with global target ids.
fn onto_block(csr: Csr, block: &Range<usize>) -> Result<Csr, SimError> {
    if block.start == 0 && block.end >= csr.n_post() {
        return Ok(csr);
    }
    let mut offsets = Vec::with_capacity(csr.n_pre() + 1);
    offsets.push(0u32);
    let (mut targets, mut weights) = (Vec::new(), Vec::new());
    for k in 0..csr.n_pre() {
        let r = csr.row_range_to(k, block);
        targets.extend_from_slice(&csr.targets()[r.clone()]);
        weights.extend_from_slice(&csr.weights()[r]);
        offsets.push(targets.len() as u32);
    }
    Ok(Csr::from_parts(csr.n_post(), offsets, targets, weights)?)
}
