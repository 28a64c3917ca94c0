//! Histogram binning as pure functions (used by [`HistogramPanel`](crate::HistogramPanel)).

/// Number of bins chosen when [`HistogramPanel::bins`](crate::HistogramPanel::bins) is 0:
/// `ceil(sqrt(n))` clamped to `5..=50`, where `n` is the number of finite samples.
pub fn auto_bins(n: usize) -> usize {
    ((n as f64).sqrt().ceil() as usize).clamp(5, 50)
}

/// The common range `(lo, hi)` of the finite values of all `samples`, with `lo < hi`.
///
/// A zero-width range (all values equal, or a single value) is padded to
/// `value ± 0.5` when the value is 0, and to `value ± 10 %` otherwise. Returns `None`
/// when there is no finite value at all.
pub fn finite_range<'a>(samples: impl IntoIterator<Item = &'a [f64]>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in samples {
        for &v in s.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return None;
    }
    Some(crate::axis::pad_linear(lo, hi))
}

/// The `bins + 1` edges of `bins` equal-width bins spanning `[lo, hi]`.
pub fn bin_edges(lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let w = (hi - lo) / bins as f64;
    (0..=bins).map(|i| if i == bins { hi } else { lo + i as f64 * w }).collect()
}

/// Counts `values` in `bins` equal-width bins spanning `[lo, hi]`.
///
/// Bin `i` is the half-open interval `[lo + i·w, lo + (i+1)·w)` with `w = (hi − lo)/bins`,
/// except the last bin, which also contains `hi`. Non-finite values and values outside
/// `[lo, hi]` are not counted. Returns all zeros if `bins == 0` (an empty vector) or if
/// the range is empty or not finite.
pub fn bin_counts(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<u64> {
    let mut counts = vec![0u64; bins];
    if bins == 0 || !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return counts;
    }
    let span = hi - lo;
    for &v in values {
        if !v.is_finite() || v < lo || v > hi {
            continue;
        }
        let i = (((v - lo) / span) * bins as f64).floor();
        // `i` can reach `bins` for v == hi (and through rounding just below hi).
        let i = (i.max(0.0) as usize).min(bins - 1);
        counts[i] += 1;
    }
    counts
}

/// Converts counts to a probability density: `count / (total · width)`, so that the
/// bars integrate to 1. All zeros when `total` is 0.
pub fn density(counts: &[u64], bin_width: f64) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 || bin_width.is_nan() || bin_width <= 0.0 {
                0.0
            } else {
                c as f64 / (total as f64 * bin_width)
            }
        })
        .collect()
}
