//! Plastic synapse types: a rule, its traces and its post-side index.

use hebb_connectivity::{Csr, PostIndex};
use hebb_core::PopLayout;
use hebb_plasticity::{PlasticityRule, SynapseType};
use std::ops::Range;

/// One plastic synapse type (post ← pre) of the recurrent network.
///
/// Post-side updates use a [`PostIndex`] over this block only (8 bytes per
/// plastic synapse): when a postsynaptic neuron spikes, its incoming
/// synapses of the type are visited through their CSR positions. This is
/// the one random-access term of a plastic step (specs/performance.md §8.3,
/// strategy (b)); see the crate README for its measured cost.
#[derive(Debug)]
pub struct PlasticProjection {
    /// The synapse type, e.g. `E<-I`.
    pub synapse: SynapseType,
    /// The rule.
    pub rule: Box<dyn PlasticityRule>,
    /// Presynaptic neurons (global indices).
    pub pre: Range<usize>,
    /// Postsynaptic neurons (global indices).
    pub post: Range<usize>,
    /// Presynaptic traces, indexed by global neuron (only `pre` is used).
    pub x_pre: Vec<f32>,
    /// Postsynaptic traces, indexed by global neuron (only `post` is used).
    pub x_post: Vec<f32>,
    index: PostIndex,
    /// For each presynaptic neuron of `pre`, its synapses of the type as a
    /// range of CSR positions (saves a binary search per spike).
    rows: Vec<(u32, u32)>,
    decay_pre: f32,
    decay_post: f32,
    /// Synapses of the block.
    pub n_synapses: usize,
}

impl PlasticProjection {
    /// Attach `rule` to the synapses of `synapse` in `csr`.
    pub fn new(
        layout: &PopLayout,
        csr: &Csr,
        synapse: SynapseType,
        rule: Box<dyn PlasticityRule>,
        dt: f64,
    ) -> Option<Self> {
        let pre = layout.range(layout.index_of(&synapse.pre)?);
        let post = layout.range(layout.index_of(&synapse.post)?);
        let index = PostIndex::build_block(csr, pre.clone(), post.clone());
        let rows: Vec<(u32, u32)> = pre
            .clone()
            .map(|k| {
                let r = csr.row_range_to(k, &post);
                (r.start as u32, r.end as u32)
            })
            .collect();
        let n_synapses = rows.iter().map(|r| (r.1 - r.0) as usize).sum();
        let n = layout.len();
        Some(Self {
            decay_pre: (1.0 - dt / rule.tau_pre_ms()) as f32,
            decay_post: (1.0 - dt / rule.tau_post_ms()) as f32,
            synapse,
            rule,
            pre,
            post,
            x_pre: vec![0.0; n],
            x_post: vec![0.0; n],
            index,
            rows,
            n_synapses,
        })
    }

    /// Phase 5: the updates of this step's spikes, pre-triggered first (for
    /// every spiking presynaptic neuron, its synapses of the type), then
    /// post-triggered, all reading the traces before this step's increment.
    pub fn apply(&self, csr: &mut Csr, spiked: &[u32]) {
        for &k in spiked {
            let k = k as usize;
            if self.pre.contains(&k) {
                let (a, b) = self.rows[k - self.pre.start];
                let r = a as usize..b as usize;
                let (targets, weights) = csr.targets_weights_mut();
                self.rule.pre_batch(&mut weights[r.clone()], &targets[r], &self.x_post);
            }
        }
        for &j in spiked {
            let j = j as usize;
            if self.post.contains(&j) {
                self.rule.post_batch(
                    csr.weights_mut(),
                    self.index.incoming(j),
                    self.index.incoming_pre(j),
                    &self.x_pre,
                );
            }
        }
    }

    /// Phase 6: increment the traces of this step's spiking neurons.
    pub fn increment(&mut self, spiked: &[u32]) {
        for &k in spiked {
            let k = k as usize;
            if self.pre.contains(&k) {
                self.x_pre[k] += 1.0;
            }
            if self.post.contains(&k) {
                self.x_post[k] += 1.0;
            }
        }
    }

    /// Phase 7: Euler decay of the traces, x ← x·(1 − dt/τ).
    pub fn decay(&mut self) {
        let (pre, post) = (self.pre.clone(), self.post.clone());
        scale(&mut self.x_pre[pre], self.decay_pre);
        scale(&mut self.x_post[post], self.decay_post);
    }

    /// Mean weight of the block (simulation units), summed in a fixed order.
    pub fn mean_weight(&self, csr: &Csr) -> f64 {
        let mut sum = 0.0;
        for &(a, b) in &self.rows {
            sum += crate::record::sum_in_lanes(&csr.weights()[a as usize..b as usize]);
        }
        sum / self.n_synapses.max(1) as f64
    }

    /// The weights of the block, row by row (presynaptic order).
    pub fn block_weights(&self, csr: &Csr) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.n_synapses);
        for k in self.pre.clone() {
            out.extend_from_slice(&csr.weights()[csr.row_range_to(k, &self.post)]);
        }
        out
    }

    /// CSR positions of the block's synapses, row by row.
    pub fn positions(&self, csr: &Csr) -> Vec<u32> {
        self.pre.clone().flat_map(|k| csr.row_range_to(k, &self.post).map(|p| p as u32)).collect()
    }

    /// Bytes held by the traces and the post index.
    pub fn memory_bytes(&self) -> usize {
        self.index.memory_bytes() + (self.x_pre.len() + self.x_post.len()) * 4
    }
}

/// `x *= d` elementwise, eight lanes at a time where the CPU has AVX
/// (an elementwise product rounds the same at any vector width).
fn scale(x: &mut [f32], d: f32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX (checked at run time).
        unsafe { scale_avx(x, d) };
        return;
    }
    x.iter_mut().for_each(|v| *v *= d);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn scale_avx(x: &mut [f32], d: f32) {
    x.iter_mut().for_each(|v| *v *= d);
}
