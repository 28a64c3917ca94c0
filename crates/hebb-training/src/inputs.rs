//! Which weights are trained: per trained neuron, its existing presynaptic
//! partners, sorted into ROWSUM groups (kimchow.md §3.1, §3.3, §8.3.1).

use crate::error::{Result, check_len};
use hebb_connectivity::Csr;
use hebb_core::ParamError;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Label of a presynaptic neuron that belongs to no ROWSUM group: its
/// weights get the L2 penalty only, and the hard mode leaves them free.
pub const UNGROUPED: u16 = u16::MAX;

/// How presynaptic neurons are grouped for the ROWSUM penalty.
///
/// Groups are fixed by **presynaptic identity** (kimchow.md §3.3), not by the
/// sign of the current weight as in TrainSpikingNet.jl. A neuron's group `B`
/// is the intersection of its presynaptic set with a group of presynaptic
/// neurons; empty intersections are skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One group holding every input (the penalty then holds the total row sum).
    Single,
    /// Two groups: excitatory `0..n_exc` (label 0) and inhibitory
    /// `n_exc..n_pre` (label 1). The default of the spec (§3.2).
    ExcInh {
        /// Number of excitatory neurons; they come first.
        n_exc: usize,
    },
    /// Rate-sorted subpopulations (Fig. 5 of the paper: 5 E + 5 I groups of
    /// 100). E neurons (`0..n_exc`) are sorted by ascending rate (ties by
    /// index) and cut into `groups_per_population` contiguous slices of
    /// sizes `⌊(g+1)n/G⌋ − ⌊gn/G⌋`, labelled `0..G`; I neurons likewise,
    /// labelled `G..2G`. Which rates to sort by (presumably the untrained
    /// network's) is the caller's choice.
    RateSorted {
        /// Number of excitatory neurons; they come first.
        n_exc: usize,
        /// Groups per population, `G ≥ 1`.
        groups_per_population: usize,
        /// One rate per presynaptic neuron (any unit), finite and ≥ 0.
        rates: Vec<f64>,
    },
    /// Explicit labels, one per presynaptic neuron ([`UNGROUPED`] allowed).
    Labels(Vec<u16>),
}

impl Grouping {
    /// The group label of every presynaptic neuron `0..n_pre`.
    pub fn labels(&self, n_pre: usize) -> Result<Vec<u16>> {
        match self {
            Grouping::Single => Ok(vec![0; n_pre]),
            Grouping::ExcInh { n_exc } => {
                if *n_exc > n_pre {
                    return Err(ParamError::new(
                        "grouping.n_exc",
                        n_exc,
                        format!("an integer in [0, {n_pre}] (the number of presynaptic neurons)"),
                    )
                    .into());
                }
                Ok((0..n_pre).map(|j| u16::from(j >= *n_exc)).collect())
            }
            Grouping::RateSorted { n_exc, groups_per_population: g, rates } => {
                if *n_exc > n_pre {
                    return Err(ParamError::new(
                        "grouping.n_exc",
                        n_exc,
                        format!("an integer in [0, {n_pre}] (the number of presynaptic neurons)"),
                    )
                    .into());
                }
                let max_g = (u16::MAX as usize - 1) / 2;
                if *g == 0 || *g > max_g {
                    return Err(ParamError::new(
                        "grouping.groups_per_population",
                        g,
                        format!("an integer in [1, {max_g}]"),
                    )
                    .into());
                }
                check_len("grouping.rates", rates.len(), n_pre, "one rate per presynaptic neuron")?;
                if let Some(j) = rates.iter().position(|r| !(r.is_finite() && *r >= 0.0)) {
                    return Err(
                        ParamError::new(format!("grouping.rates[{j}]"), rates[j], "a finite number >= 0").into()
                    );
                }
                let mut labels = vec![0u16; n_pre];
                for (pop, range) in [(0usize, 0..*n_exc), (1, *n_exc..n_pre)] {
                    let mut idx: Vec<usize> = range.collect();
                    idx.sort_by(|&a, &b| rates[a].total_cmp(&rates[b]).then(a.cmp(&b)));
                    let n = idx.len();
                    for q in 0..*g {
                        for &j in &idx[q * n / g..(q + 1) * n / g] {
                            labels[j] = (pop * g + q) as u16;
                        }
                    }
                }
                Ok(labels)
            }
            Grouping::Labels(l) => {
                check_len("grouping.labels", l.len(), n_pre, "one label per presynaptic neuron")?;
                Ok(l.clone())
            }
        }
    }
}

/// One ROWSUM group of one trained neuron: positions `start..end` of its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRange {
    /// The presynaptic group label.
    pub label: u16,
    /// First position in the neuron's row.
    pub start: u32,
    /// One past the last position.
    pub end: u32,
}

impl GroupRange {
    /// Positions as a range.
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    /// Number of inputs `K_B`.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    /// Whether the group is empty (never true for stored groups).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// The plastic inputs of every trained neuron: presynaptic indices sorted by
/// (group label, index), the matching initial weights, and the groups as
/// contiguous ranges of each row (kimchow.md §8.3.1).
///
/// Row `i` belongs to trained neuron `trained()[i]`; rows are independent
/// and may have different lengths `K_p,i`. The sparsity never changes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlasticInputs {
    n_pre: usize,
    trained: Vec<u32>,
    row_ptr: Vec<usize>,
    pre: Vec<u32>,
    w0: Vec<f64>,
    group_ptr: Vec<usize>,
    groups: Vec<GroupRange>,
    row_pos: Vec<u32>,
    csr: Option<(Vec<u32>, usize)>,
}

impl PlasticInputs {
    /// Build from explicit rows.
    ///
    /// * `n_pre`: length of the presynaptic trace vector;
    /// * `trained[i]`: the id of the neuron whose inputs are `rows[i]`
    ///   (reporting only);
    /// * `rows[i]`: distinct presynaptic indices `< n_pre`, any order;
    /// * `weights[i]`: the initial weights, aligned with `rows[i]`;
    /// * `labels`: the group of every presynaptic neuron
    ///   ([`Grouping::labels`]).
    ///
    /// Each row is re-ordered by (label, index); [`PlasticInputs::row_positions`]
    /// maps back to the caller's order.
    pub fn from_rows(
        n_pre: usize,
        trained: Vec<u32>,
        rows: &[Vec<u32>],
        weights: &[Vec<f64>],
        labels: &[u16],
    ) -> Result<Self> {
        check_len("trained", trained.len(), rows.len(), "one id per row")?;
        check_len("weights", weights.len(), rows.len(), "one weight row per row")?;
        check_len("labels", labels.len(), n_pre, "one label per presynaptic neuron")?;
        if n_pre > u32::MAX as usize {
            return Err(ParamError::new("n_pre", n_pre, "at most 2^32 - 1").into());
        }
        let mut b = Builder::new(n_pre, trained);
        let mut seen = vec![u32::MAX; n_pre];
        for (i, (row, w)) in rows.iter().zip(weights).enumerate() {
            check_len(&format!("weights[{i}]"), w.len(), row.len(), "one weight per input of rows[i]")?;
            let mut entries = Vec::with_capacity(row.len());
            for (q, (&j, &wj)) in row.iter().zip(w).enumerate() {
                if j as usize >= n_pre {
                    return Err(ParamError::new(
                        format!("rows[{i}][{q}]"),
                        j,
                        format!("a presynaptic index < {n_pre}"),
                    )
                    .into());
                }
                if seen[j as usize] == i as u32 {
                    return Err(ParamError::new(
                        format!("rows[{i}][{q}]"),
                        j,
                        "an index not already listed in this row (no duplicate synapses)",
                    )
                    .into());
                }
                seen[j as usize] = i as u32;
                if !wj.is_finite() {
                    return Err(ParamError::new(format!("weights[{i}][{q}]"), wj, "a finite number").into());
                }
                entries.push((labels[j as usize], j, wj, q as u32));
            }
            b.push_row(entries);
        }
        Ok(b.finish(None))
    }

    /// Build from a [`Csr`] (synapses grouped by presynaptic neuron): the
    /// plastic inputs of neuron `t ∈ trained` are all its incoming synapses,
    /// with their current weights as `w0`. The CSR positions are kept, so
    /// trained weights can be written back with [`PlasticInputs::write_to_csr`]
    /// (the in→out conversion of kimchow.md §8.3.1).
    pub fn from_csr(csr: &Csr, trained: &[u32], labels: &[u16]) -> Result<Self> {
        let n_pre = csr.n_pre();
        check_len("labels", labels.len(), n_pre, "one label per presynaptic neuron of the CSR")?;
        let index = csr.post_index();
        let mut b = Builder::new(n_pre, trained.to_vec());
        let mut csr_pos = Vec::new();
        for (i, &t) in trained.iter().enumerate() {
            if t as usize >= csr.n_post() {
                return Err(ParamError::new(
                    format!("trained[{i}]"),
                    t,
                    format!("a postsynaptic index < {}", csr.n_post()),
                )
                .into());
            }
            let pos = index.incoming(t as usize);
            let pre = index.incoming_pre(t as usize);
            let entries: Vec<_> = pre
                .iter()
                .zip(pos)
                .enumerate()
                .map(|(q, (&j, &p))| (labels[j as usize], j, csr.weights()[p as usize] as f64, q as u32))
                .collect();
            let order = b.push_row(entries);
            csr_pos.extend(order.iter().map(|&q| pos[q as usize]));
        }
        Ok(b.finish(Some((csr_pos, csr.n_synapses()))))
    }

    /// Length of the presynaptic trace vector.
    pub fn n_pre(&self) -> usize {
        self.n_pre
    }
    /// Number of trained rows (neurons).
    pub fn n_rows(&self) -> usize {
        self.trained.len()
    }
    /// Neuron id of every row.
    pub fn trained(&self) -> &[u32] {
        &self.trained
    }
    /// Total number of plastic synapses `Σ_i K_p,i`.
    pub fn n_plastic(&self) -> usize {
        self.pre.len()
    }
    /// Positions of row `i` in the flat arrays.
    pub fn row_range(&self, i: usize) -> Range<usize> {
        self.row_ptr[i]..self.row_ptr[i + 1]
    }
    /// Row offsets (length `n_rows + 1`) into the flat per-synapse arrays.
    pub fn row_ptr(&self) -> &[usize] {
        &self.row_ptr
    }
    /// Number of plastic inputs `K_p,i` of row `i`.
    pub fn k_p(&self, i: usize) -> usize {
        self.row_ptr[i + 1] - self.row_ptr[i]
    }
    /// Presynaptic indices of row `i`, sorted by (label, index).
    pub fn pre(&self, i: usize) -> &[u32] {
        &self.pre[self.row_range(i)]
    }
    /// All presynaptic indices, row after row.
    pub fn pre_flat(&self) -> &[u32] {
        &self.pre
    }
    /// Initial weights `w⁰` of row `i`, aligned with [`PlasticInputs::pre`].
    pub fn initial_weights(&self, i: usize) -> &[f64] {
        &self.w0[self.row_range(i)]
    }
    /// All initial weights, row after row.
    pub fn initial_weights_flat(&self) -> &[f64] {
        &self.w0
    }
    /// ROWSUM groups of row `i` (non-empty, in label order; [`UNGROUPED`]
    /// inputs sit after the last group and are not listed).
    pub fn groups(&self, i: usize) -> &[GroupRange] {
        &self.groups[self.group_ptr[i]..self.group_ptr[i + 1]]
    }
    /// For row `i`, the position each stored input had in the caller's row
    /// (`rows[i]` of [`PlasticInputs::from_rows`], or the neuron's incoming
    /// synapses in presynaptic order for [`PlasticInputs::from_csr`]).
    pub fn row_positions(&self, i: usize) -> &[u32] {
        &self.row_pos[self.row_range(i)]
    }
    /// Group sizes `K_B` of row `i`, in order.
    pub fn group_sizes(&self, i: usize) -> Vec<usize> {
        self.groups(i).iter().map(|g| g.len()).collect()
    }

    /// Copy `weights` (flat, aligned with these inputs, e.g.
    /// [`crate::Rls::weights_flat`]) into the CSR this was built from.
    pub fn write_to_csr(&self, weights: &[f64], csr: &mut Csr) -> Result<()> {
        let Some((pos, n_syn)) = &self.csr else {
            return Err(
                ParamError::new("csr", "inputs built by from_rows", "inputs built by PlasticInputs::from_csr").into()
            );
        };
        check_len("csr.n_synapses()", csr.n_synapses(), *n_syn, "the CSR the inputs were built from")?;
        check_len("weights", weights.len(), self.pre.len(), "one weight per plastic synapse")?;
        let w = csr.weights_mut();
        for (&p, &x) in pos.iter().zip(weights) {
            w[p as usize] = x as f32;
        }
        Ok(())
    }
}

struct Builder {
    n_pre: usize,
    trained: Vec<u32>,
    row_ptr: Vec<usize>,
    pre: Vec<u32>,
    w0: Vec<f64>,
    group_ptr: Vec<usize>,
    groups: Vec<GroupRange>,
    row_pos: Vec<u32>,
}

impl Builder {
    fn new(n_pre: usize, trained: Vec<u32>) -> Self {
        Self {
            n_pre,
            trained,
            row_ptr: vec![0],
            pre: Vec::new(),
            w0: Vec::new(),
            group_ptr: vec![0],
            groups: Vec::new(),
            row_pos: Vec::new(),
        }
    }

    /// Push one row of (label, pre, w0, original position); returns the
    /// original positions in stored order.
    fn push_row(&mut self, mut entries: Vec<(u16, u32, f64, u32)>) -> Vec<u32> {
        entries.sort_by_key(|e| (e.0, e.1));
        let mut start = 0usize;
        while start < entries.len() {
            let label = entries[start].0;
            let mut end = start;
            while end < entries.len() && entries[end].0 == label {
                end += 1;
            }
            if label != UNGROUPED {
                self.groups.push(GroupRange { label, start: start as u32, end: end as u32 });
            }
            start = end;
        }
        self.group_ptr.push(self.groups.len());
        let order: Vec<u32> = entries.iter().map(|e| e.3).collect();
        for e in entries {
            self.pre.push(e.1);
            self.w0.push(e.2);
            self.row_pos.push(e.3);
        }
        self.row_ptr.push(self.pre.len());
        order
    }

    fn finish(self, csr: Option<(Vec<u32>, usize)>) -> PlasticInputs {
        PlasticInputs {
            n_pre: self.n_pre,
            trained: self.trained,
            row_ptr: self.row_ptr,
            pre: self.pre,
            w0: self.w0,
            group_ptr: self.group_ptr,
            groups: self.groups,
            row_pos: self.row_pos,
            csr,
        }
    }
}
