//! Populations as contiguous ranges of global neuron indices.

use crate::ParamError;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Whether a population's spikes excite or inhibit their targets.
///
/// The kind decides which synaptic current a spike feeds (I^e or I^i in the
/// Akil model) and so which synaptic time constant applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Excitatory: feeds the excitatory current.
    Excitatory,
    /// Inhibitory: feeds the inhibitory current.
    Inhibitory,
}

/// One named population of a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Short name used in configs and reports (`"E"`, `"I"`, `"E1"`, ...).
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Excitatory or inhibitory.
    pub kind: Kind,
}

/// Populations laid out one after another: population `p` owns the global
/// indices `offsets[p] .. offsets[p + 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopLayout {
    pops: Vec<Population>,
    offsets: Vec<usize>,
    pop_of: Vec<u16>,
}

impl PopLayout {
    /// Lay out `pops` contiguously. Names must be unique and non-empty, and the
    /// total size must fit in `u32` (synapse targets are stored as `u32`).
    pub fn new(pops: Vec<Population>) -> Result<Self, ParamError> {
        if pops.is_empty() {
            return Err(ParamError::new("populations", "[]", "at least one population"));
        }
        if pops.len() > u16::MAX as usize {
            return Err(ParamError::new("populations", pops.len(), "at most 65535 populations"));
        }
        let mut offsets = vec![0usize];
        for (i, p) in pops.iter().enumerate() {
            if p.name.is_empty() {
                return Err(ParamError::new(format!("populations[{i}].name"), "\"\"", "a non-empty name"));
            }
            if pops[..i].iter().any(|q| q.name == p.name) {
                return Err(ParamError::new(
                    format!("populations[{i}].name"),
                    &p.name,
                    "a name not used by another population",
                ));
            }
            offsets.push(offsets[i] + p.size);
        }
        let total = *offsets.last().unwrap();
        if total == 0 || total > u32::MAX as usize / 2 {
            return Err(ParamError::new("populations", total, "a total size in [1, 2^31)"));
        }
        let mut pop_of = Vec::with_capacity(total);
        for (i, p) in pops.iter().enumerate() {
            pop_of.extend(std::iter::repeat_n(i as u16, p.size));
        }
        Ok(Self { pops, offsets, pop_of })
    }

    /// Total number of neurons.
    pub fn len(&self) -> usize {
        *self.offsets.last().unwrap()
    }

    /// True when the layout holds no neuron (never, after validation).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The populations in layout order.
    pub fn pops(&self) -> &[Population] {
        &self.pops
    }

    /// Number of populations.
    pub fn n_pops(&self) -> usize {
        self.pops.len()
    }

    /// Global index range of population `p`.
    pub fn range(&self, p: usize) -> Range<usize> {
        self.offsets[p]..self.offsets[p + 1]
    }

    /// Population index of global neuron `i`.
    #[inline]
    pub fn pop_of(&self, i: usize) -> usize {
        self.pop_of[i] as usize
    }

    /// Population index by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.pops.iter().position(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(name: &str, size: usize, kind: Kind) -> Population {
        Population { name: name.into(), size, kind }
    }

    #[test]
    fn ranges_are_contiguous() {
        let l = PopLayout::new(vec![pop("E", 8, Kind::Excitatory), pop("I", 2, Kind::Inhibitory)]).unwrap();
        assert_eq!(l.range(0), 0..8);
        assert_eq!(l.range(1), 8..10);
        assert_eq!(l.pop_of(7), 0);
        assert_eq!(l.pop_of(8), 1);
        assert_eq!(l.index_of("I"), Some(1));
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let e = PopLayout::new(vec![pop("E", 1, Kind::Excitatory), pop("E", 1, Kind::Inhibitory)]).unwrap_err();
        assert_eq!(e.field, "populations[1].name");
    }
}
