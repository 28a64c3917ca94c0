//! CSR storage, the transposed post index, and the Bernoulli builder.

use hebb_core::ParamError;
use hebb_core::rng::{Purpose, stream};
use rand::RngExt;
use std::ops::Range;

/// Errors raised while building connectivity.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConnectivityError {
    /// A block parameter is out of range.
    Param(ParamError),
    /// The network has more synapses than a `u32` position can address.
    TooManySynapses(u64),
}

impl std::fmt::Display for ConnectivityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Param(e) => e.fmt(f),
            Self::TooManySynapses(n) => write!(f, "{n} synapses exceed the 2^32 - 1 that u32 positions address"),
        }
    }
}
impl std::error::Error for ConnectivityError {}
impl From<ParamError> for ConnectivityError {
    fn from(e: ParamError) -> Self {
        Self::Param(e)
    }
}

/// Synapses grouped by presynaptic neuron.
///
/// Row `k` holds the synapses of presynaptic neuron `k` at positions
/// `offsets[k] .. offsets[k + 1]` of `targets` and `weights`. Positions are
/// `u32` (at most 2^32 − 1 synapses per matrix).
///
/// Invariant: every target is `< n_post` (checked by [`Csr::from_parts`];
/// [`bernoulli`] draws them inside blocks it checked), and only the weights
/// can change after construction, so [`Csr::scatter_add_row`] needs no
/// per-synapse bounds check.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    n_post: usize,
    offsets: Vec<u32>,
    targets: Vec<u32>,
    weights: Vec<f32>,
}

impl Csr {
    /// Assemble from raw parts; checks that offsets are monotone, end at the
    /// number of synapses, and that targets are `< n_post` and increasing
    /// within each row.
    pub fn from_parts(
        n_post: usize,
        offsets: Vec<u32>,
        targets: Vec<u32>,
        weights: Vec<f32>,
    ) -> Result<Self, ParamError> {
        if offsets.is_empty()
            || offsets[0] != 0
            || *offsets.last().unwrap() as usize != targets.len()
            || targets.len() != weights.len()
        {
            return Err(ParamError::new(
                "csr.offsets",
                offsets.len(),
                "offsets starting at 0 and ending at the synapse count",
            ));
        }
        for k in 0..offsets.len() - 1 {
            let (a, b) = (offsets[k] as usize, offsets[k + 1] as usize);
            if b < a {
                return Err(ParamError::new("csr.offsets", k, "non-decreasing offsets"));
            }
            let row = &targets[a..b];
            if row.iter().any(|&t| t as usize >= n_post) || row.windows(2).any(|w| w[0] >= w[1]) {
                return Err(ParamError::new(
                    "csr.targets",
                    format!("row {k}"),
                    format!("strictly increasing targets < {n_post}"),
                ));
            }
        }
        Ok(Self { n_post, offsets, targets, weights })
    }

    /// Number of presynaptic neurons (rows).
    pub fn n_pre(&self) -> usize {
        self.offsets.len() - 1
    }
    /// Number of postsynaptic neurons.
    pub fn n_post(&self) -> usize {
        self.n_post
    }
    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.targets.len()
    }
    /// Positions of row `k` in the synapse arrays.
    #[inline]
    pub fn row_range(&self, k: usize) -> Range<usize> {
        self.offsets[k] as usize..self.offsets[k + 1] as usize
    }
    /// Targets of presynaptic neuron `k`, increasing.
    #[inline]
    pub fn row_targets(&self, k: usize) -> &[u32] {
        &self.targets[self.row_range(k)]
    }
    /// Weights of presynaptic neuron `k`, aligned with [`Csr::row_targets`].
    #[inline]
    pub fn row_weights(&self, k: usize) -> &[f32] {
        &self.weights[self.row_range(k)]
    }
    /// Targets and weights of row `k` together.
    #[inline]
    pub fn row(&self, k: usize) -> (&[u32], &[f32]) {
        let r = self.row_range(k);
        (&self.targets[r.clone()], &self.weights[r])
    }
    /// Add `scale · w` of every synapse of row `k` to `acc[target]`: the
    /// delivery of one presynaptic spike. Panics if `acc` is shorter than
    /// `n_post`.
    ///
    /// The bound is checked once against `n_post`, not per synapse and not
    /// by reading the row's last target (that read is a cache miss of its
    /// own on a row not yet in cache, which cost ~20 % of delivery).
    #[inline]
    pub fn scatter_add_row(&self, k: usize, acc: &mut [f32], scale: f32) {
        assert!(acc.len() >= self.n_post, "accumulator of {} for {} targets", acc.len(), self.n_post);
        let r = self.row_range(k);
        for (&t, &w) in self.targets[r.clone()].iter().zip(&self.weights[r]) {
            // SAFETY: t < n_post <= acc.len() (type invariant, assert above).
            unsafe { *acc.get_unchecked_mut(t as usize) += w * scale };
        }
    }

    /// Positions of the synapses of row `k` whose targets lie in `post`.
    pub fn row_range_to(&self, k: usize, post: &Range<usize>) -> Range<usize> {
        let r = self.row_range(k);
        let row = &self.targets[r.clone()];
        let a = row.partition_point(|&t| (t as usize) < post.start);
        let b = row.partition_point(|&t| (t as usize) < post.end);
        r.start + a..r.start + b
    }
    /// All targets (flat, row after row).
    pub fn targets(&self) -> &[u32] {
        &self.targets
    }
    /// All weights (flat, aligned with [`Csr::targets`]).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }
    /// All weights, mutable (plasticity writes here).
    pub fn weights_mut(&mut self) -> &mut [f32] {
        &mut self.weights
    }
    /// Targets (read-only) and weights (mutable) together, for updates that
    /// need both.
    pub fn targets_weights_mut(&mut self) -> (&[u32], &mut [f32]) {
        (&self.targets, &mut self.weights)
    }
    /// The row offsets (length `n_pre + 1`).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }
    /// Bytes held by the synapse arrays and offsets.
    pub fn memory_bytes(&self) -> usize {
        self.offsets.len() * 4 + self.targets.len() * 4 + self.weights.len() * 4
    }
    /// Number of synapses from presynaptic range `pre` onto postsynaptic range `post`.
    pub fn count_block(&self, pre: Range<usize>, post: &Range<usize>) -> usize {
        pre.map(|k| self.row_range_to(k, post).len()).sum()
    }
    /// Build the transposed index for post-side access.
    pub fn post_index(&self) -> PostIndex {
        PostIndex::build(self)
    }
}

/// For each postsynaptic neuron, the CSR positions of its incoming synapses,
/// ordered by presynaptic neuron. 4 bytes per synapse plus O(N).
#[derive(Debug, Clone, PartialEq)]
pub struct PostIndex {
    offsets: Vec<u32>,
    positions: Vec<u32>,
    pre_of: Vec<u32>,
}

impl PostIndex {
    /// Counting sort of the CSR positions by target.
    pub fn build(csr: &Csr) -> Self {
        Self::build_block(csr, 0..csr.n_pre(), 0..csr.n_post())
    }

    /// The index of one block only: synapses from `pre` onto `post` (e.g.
    /// the one synapse type a plasticity rule acts on), so a network pays
    /// the 8 bytes per synapse of the index only for its plastic synapses.
    pub fn build_block(csr: &Csr, pre: std::ops::Range<usize>, post: std::ops::Range<usize>) -> Self {
        let n_post = csr.n_post();
        let mut counts = vec![0u32; n_post + 1];
        for k in pre.clone() {
            for &t in &csr.targets()[csr.row_range_to(k, &post)] {
                counts[t as usize + 1] += 1;
            }
        }
        for i in 0..n_post {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let total = offsets[n_post] as usize;
        let mut positions = vec![0u32; total];
        let mut pre_of = vec![0u32; total];
        for k in pre {
            for pos in csr.row_range_to(k, &post) {
                let t = csr.targets()[pos] as usize;
                let slot = fill[t] as usize;
                positions[slot] = pos as u32;
                pre_of[slot] = k as u32;
                fill[t] += 1;
            }
        }
        Self { offsets, positions, pre_of }
    }
    /// CSR positions of the synapses onto postsynaptic neuron `j`.
    #[inline]
    pub fn incoming(&self, j: usize) -> &[u32] {
        &self.positions[self.offsets[j] as usize..self.offsets[j + 1] as usize]
    }
    /// Presynaptic neurons of the synapses onto `j`, aligned with [`PostIndex::incoming`].
    #[inline]
    pub fn incoming_pre(&self, j: usize) -> &[u32] {
        &self.pre_of[self.offsets[j] as usize..self.offsets[j + 1] as usize]
    }
    /// Bytes held by the index.
    pub fn memory_bytes(&self) -> usize {
        (self.offsets.len() + self.positions.len() + self.pre_of.len()) * 4
    }
}

/// One block of a Bernoulli graph: every ordered pair (k in `pre`, j in
/// `post`) is connected independently with probability `p`, with weight
/// `weight`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Presynaptic index range (in the source space).
    pub pre: Range<usize>,
    /// Postsynaptic index range (in the target space).
    pub post: Range<usize>,
    /// Connection probability in [0, 1].
    pub p: f64,
    /// Initial weight of every synapse of the block.
    pub weight: f32,
    /// Whether k → k is allowed when source and target spaces coincide.
    pub autapses: bool,
}

/// Draw a Bernoulli graph from `n_pre` sources onto `n_post` targets.
///
/// Row `k` uses the stream `(seed, Connectivity, [projection, k])`; within a
/// row, blocks are visited in order of their postsynaptic start, and the
/// gaps between successive synapses are geometric (Batagelj & Brandes 2005),
/// so a row costs O(its synapses). Blocks onto the same row must not
/// overlap in `post`.
pub fn bernoulli(
    n_pre: usize,
    n_post: usize,
    blocks: &[Block],
    seed: u64,
    projection: u64,
) -> Result<Csr, ConnectivityError> {
    for (b, blk) in blocks.iter().enumerate() {
        if !(blk.p.is_finite() && (0.0..=1.0).contains(&blk.p)) {
            return Err(ParamError::new(format!("block[{b}].p"), blk.p, "a probability in [0, 1]").into());
        }
        if blk.pre.end > n_pre || blk.post.end > n_post {
            return Err(ParamError::new(
                format!("block[{b}]"),
                format!("{:?} -> {:?}", blk.pre, blk.post),
                format!("ranges within {n_pre} sources and {n_post} targets"),
            )
            .into());
        }
        if !blk.weight.is_finite() {
            return Err(ParamError::new(format!("block[{b}].weight"), blk.weight, "a finite number").into());
        }
    }
    let mut order: Vec<&Block> = blocks.iter().collect();
    order.sort_by_key(|b| b.post.start);
    for w in order.windows(2) {
        let overlap_pre = w[0].pre.start < w[1].pre.end && w[1].pre.start < w[0].pre.end;
        if overlap_pre && w[0].post.end > w[1].post.start {
            return Err(ParamError::new(
                "blocks",
                format!("{:?} and {:?}", w[0].post, w[1].post),
                "non-overlapping postsynaptic ranges for the same presynaptic neurons",
            )
            .into());
        }
    }
    let expected: f64 = blocks.iter().map(|b| b.p * b.pre.len() as f64 * b.post.len() as f64).sum();
    if expected > (u32::MAX as f64) * 0.95 {
        return Err(ConnectivityError::TooManySynapses(expected as u64));
    }
    let mut offsets = Vec::with_capacity(n_pre + 1);
    let mut targets: Vec<u32> = Vec::with_capacity((expected * 1.01 + 64.0) as usize);
    let mut weights: Vec<f32> = Vec::with_capacity(targets.capacity());
    offsets.push(0u32);
    for k in 0..n_pre {
        let mut rng = stream(seed, Purpose::Connectivity, &[projection, k as u64]);
        for blk in order.iter().filter(|b| b.pre.contains(&k)) {
            if blk.p <= 0.0 || blk.post.is_empty() {
                continue;
            }
            let log_q = (1.0 - blk.p).ln();
            let mut j = blk.post.start;
            loop {
                if blk.p < 1.0 {
                    // Gap to the next connected target: floor(ln U / ln(1 - p)).
                    let u: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
                    let gap = (u.ln() / log_q).floor();
                    if gap >= (blk.post.end - j) as f64 {
                        break;
                    }
                    j += gap as usize;
                }
                if j >= blk.post.end {
                    break;
                }
                if blk.autapses || j != k {
                    targets.push(j as u32);
                    weights.push(blk.weight);
                }
                j += 1;
            }
        }
        if targets.len() > u32::MAX as usize {
            return Err(ConnectivityError::TooManySynapses(targets.len() as u64));
        }
        offsets.push(targets.len() as u32);
    }
    Ok(Csr { n_post, offsets, targets, weights })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_pop_blocks(n: usize, p: f64, autapses: bool) -> Vec<Block> {
        let ne = n * 4 / 5;
        vec![
            Block { pre: 0..ne, post: 0..ne, p, weight: 1.0, autapses },
            Block { pre: 0..ne, post: ne..n, p, weight: 2.0, autapses },
            Block { pre: ne..n, post: 0..ne, p, weight: -3.0, autapses },
            Block { pre: ne..n, post: ne..n, p, weight: -4.0, autapses },
        ]
    }

    /// Synapse counts per block are Binomial(n_pre·n_post, p): check each
    /// block's count within 5 standard deviations, and the in-degree variance
    /// of the EE block against its binomial value K(1−p) within 10 %
    /// (4000 samples of the in-degree give a relative sd of ~2 %).
    #[test]
    fn bernoulli_counts_match_the_binomial() {
        let n = 5000;
        let p = 0.1;
        let csr = bernoulli(n, n, &two_pop_blocks(n, p, true), 1, 0).unwrap();
        for b in two_pop_blocks(n, p, true) {
            let m = (b.pre.len() * b.post.len()) as f64;
            let count = csr.count_block(b.pre.clone(), &b.post) as f64;
            let sd = (m * p * (1.0 - p)).sqrt();
            assert!((count - m * p).abs() < 5.0 * sd, "{count} vs {}", m * p);
        }
        let idx = csr.post_index();
        let indeg: Vec<f64> =
            (0..4000).map(|j| idx.incoming_pre(j).iter().filter(|&&k| k < 4000).count() as f64).collect();
        let mean = indeg.iter().sum::<f64>() / 4000.0;
        let var = indeg.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3999.0;
        assert!((var / (4000.0 * p * (1.0 - p)) - 1.0).abs() < 0.1, "in-degree variance {var}");
    }

    #[test]
    fn same_seed_same_graph_other_seed_other_graph() {
        let a = bernoulli(300, 300, &two_pop_blocks(300, 0.2, true), 7, 0).unwrap();
        let b = bernoulli(300, 300, &two_pop_blocks(300, 0.2, true), 7, 0).unwrap();
        let c = bernoulli(300, 300, &two_pop_blocks(300, 0.2, true), 8, 0).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.targets(), c.targets());
    }

    #[test]
    fn no_autapses_when_excluded_and_weights_follow_blocks() {
        let csr = bernoulli(50, 50, &two_pop_blocks(50, 1.0, false), 3, 0).unwrap();
        for k in 0..50 {
            assert!(!csr.row_targets(k).contains(&(k as u32)));
            assert_eq!(csr.row_targets(k).len(), 49);
            for (&t, &w) in csr.row_targets(k).iter().zip(csr.row_weights(k)) {
                let expect = match (k < 40, t < 40) {
                    (true, true) => 1.0,
                    (true, false) => 2.0,
                    (false, true) => -3.0,
                    (false, false) => -4.0,
                };
                assert_eq!(w, expect);
            }
        }
    }

    #[test]
    fn post_index_is_the_exact_transpose() {
        let csr =
            bernoulli(200, 120, &[Block { pre: 0..200, post: 0..120, p: 0.3, weight: 0.5, autapses: true }], 11, 2)
                .unwrap();
        let idx = csr.post_index();
        let mut seen = 0;
        for j in 0..120 {
            for (&pos, &k) in idx.incoming(j).iter().zip(idx.incoming_pre(j)) {
                assert_eq!(csr.targets()[pos as usize] as usize, j);
                assert!(csr.row_range(k as usize).contains(&(pos as usize)));
                seen += 1;
            }
        }
        assert_eq!(seen, csr.n_synapses());
    }

    #[test]
    fn bad_blocks_are_errors_not_panics() {
        let mut b = two_pop_blocks(10, 0.5, true);
        b[0].p = 1.5;
        assert!(matches!(bernoulli(10, 10, &b, 0, 0), Err(ConnectivityError::Param(e)) if e.field == "block[0].p"));
        let b = vec![Block { pre: 0..20, post: 0..5, p: 0.5, weight: 1.0, autapses: true }];
        assert!(bernoulli(10, 10, &b, 0, 0).is_err());
        let b = vec![
            Block { pre: 0..10, post: 0..6, p: 0.5, weight: 1.0, autapses: true },
            Block { pre: 0..10, post: 5..10, p: 0.5, weight: 1.0, autapses: true },
        ];
        assert!(bernoulli(10, 10, &b, 0, 0).is_err());
    }
}
