//! Neuron ids of recorded spike arrays, and validation of those arrays.

use crate::AnalysisError;

/// An integer type usable as a neuron id in recorded spike arrays (`u32` as
/// written by the simulator, `i64` as read from NumPy, `usize`, ...).
pub trait NeuronId: Copy + std::fmt::Debug {
    /// The id as an index, or `None` if it is negative or does not fit.
    fn to_index(self) -> Option<usize>;
}

macro_rules! neuron_id {
    ($($t:ty),*) => {$(
        impl NeuronId for $t {
            #[inline]
            fn to_index(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
        }
    )*};
}
neuron_id!(u16, u32, u64, usize, i32, i64);

/// Check equal lengths, finite times and ids below `n`; returns the ids as
/// indices only lazily (second pass by the caller), so memory stays O(1).
pub(crate) fn validate_spikes<I: NeuronId>(times_ms: &[f64], ids: &[I], n: usize) -> Result<(), AnalysisError> {
    if times_ms.len() != ids.len() {
        return Err(AnalysisError::LengthMismatch { times: times_ms.len(), ids: ids.len() });
    }
    for (index, (&t, &id)) in times_ms.iter().zip(ids).enumerate() {
        if !t.is_finite() {
            return Err(AnalysisError::BadSpike { index, reason: format!("time {t} is not finite") });
        }
        match id.to_index() {
            Some(i) if i < n => {}
            _ => {
                return Err(AnalysisError::BadSpike {
                    index,
                    reason: format!("neuron id {id:?} outside the layout's {n} neurons (0..{n})"),
                });
            }
        }
    }
    Ok(())
}
