//! Axis ranges, tick labels and clipping (private helpers).

/// Pads a linear range so that `lo < hi` (zero width, inverted or degenerate input).
pub(crate) fn pad_linear(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if hi > lo && (hi - lo).is_finite() {
        return (lo, hi);
    }
    let d = if lo == 0.0 { 0.5 } else { lo.abs() * 0.1 };
    (lo - d, hi + d)
}

/// Pads a positive range so that `0 < lo < hi`.
pub(crate) fn pad_log(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if hi > lo { (lo, hi) } else { (lo / 2.0, hi * 2.0) }
}

/// One axis of a line panel: its visible range and whether it is logarithmic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
}

impl Axis {
    /// Whether `v` can be placed on this axis at all.
    pub fn valid(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }
    /// The coordinate in which the axis is linear.
    pub fn t(&self, v: f64) -> f64 {
        if self.log { v.log10() } else { v }
    }
    /// Inverse of [`Axis::t`].
    pub fn inv(&self, t: f64) -> f64 {
        if self.log { 10f64.powf(t) } else { t }
    }
    pub fn contains(&self, v: f64) -> bool {
        self.valid(v) && v >= self.lo && v <= self.hi
    }

    /// Builds an axis from data values, an optional user range and a relative margin
    /// (in the axis' linear coordinate) added on both sides of a data-derived range.
    pub fn from_data(values: impl Iterator<Item = f64>, user: Option<(f64, f64)>, log: bool, margin: f64) -> Axis {
        let probe = Axis { lo: 0.0, hi: 1.0, log };
        if let Some((a, b)) = user
            && probe.valid(a)
            && probe.valid(b)
        {
            let (lo, hi) = if log { pad_log(a, b) } else { pad_linear(a, b) };
            return Axis { lo, hi, log };
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|&v| probe.valid(v)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            return if log { Axis { lo: 1.0, hi: 10.0, log } } else { Axis { lo: 0.0, hi: 1.0, log } };
        }
        let (lo, hi) = if log { pad_log(lo, hi) } else { pad_linear(lo, hi) };
        let a = Axis { lo, hi, log };
        let (tlo, thi) = (a.t(lo), a.t(hi));
        let m = (thi - tlo) * margin;
        let (nlo, nhi) = (a.inv(tlo - m), a.inv(thi + m));
        if nlo.is_finite() && nhi.is_finite() && nhi > nlo { Axis { lo: nlo, hi: nhi, log } } else { a }
    }
}

/// Formats a tick value compactly: at most 4 significant digits, scientific notation
/// for very large or very small magnitudes, no trailing zeros, never "-0".
pub(crate) fn fmt_tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    if a < 1e-12 {
        return "0".to_string();
    }
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.2e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{}", trim_zeros(mant), exp);
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = trim_zeros(&format!("{v:.decimals$}")).to_string();
    if s == "-0" { "0".to_string() } else { s }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

/// Splits a series into drawable polylines: a point that cannot be placed on the
/// axes (non-finite, non-positive on a log axis) breaks the line, and every segment is
/// clipped to the visible rectangle. Returns polylines in data coordinates; a polyline
/// may consist of a single point (an isolated valid point inside the view).
pub(crate) fn clip_polylines(x: &[f64], y: &[f64], ax: Axis, ay: Axis) -> Vec<Vec<(f64, f64)>> {
    let n = x.len().min(y.len());
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let (xmin, xmax, ymin, ymax) = (ax.t(ax.lo), ax.t(ax.hi), ay.t(ay.lo), ay.t(ay.hi));
    let mut prev: Option<(f64, f64)> = None; // previous valid point, in t-space
    let flush = |cur: &mut Vec<(f64, f64)>, out: &mut Vec<Vec<(f64, f64)>>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    let to_data = |p: (f64, f64)| (ax.inv(p.0), ay.inv(p.1));
    for i in 0..n {
        if !(ax.valid(x[i]) && ay.valid(y[i])) {
            flush(&mut cur, &mut out);
            prev = None;
            continue;
        }
        let p = (ax.t(x[i]), ay.t(y[i]));
        let inside = |q: (f64, f64)| q.0 >= xmin && q.0 <= xmax && q.1 >= ymin && q.1 <= ymax;
        match prev {
            None => {
                if inside(p) {
                    cur.push(to_data(p));
                }
            }
            Some(q) => match clip_segment(q, p, (xmin, xmax, ymin, ymax)) {
                Some((a, b, a_clipped, b_clipped)) => {
                    if a_clipped || cur.is_empty() {
                        flush(&mut cur, &mut out);
                        cur.push(to_data(a));
                    }
                    cur.push(to_data(b));
                    if b_clipped {
                        flush(&mut cur, &mut out);
                    }
                }
                None => flush(&mut cur, &mut out),
            },
        }
        prev = Some(p);
    }
    flush(&mut cur, &mut out);
    out
}

/// Liang–Barsky clipping of segment `a → b` to the box `(xmin, xmax, ymin, ymax)`.
/// Returns the clipped endpoints and whether each one was moved.
#[allow(clippy::type_complexity)]
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (xmin, xmax, ymin, ymax): (f64, f64, f64, f64),
) -> Option<((f64, f64), (f64, f64), bool, bool)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [(-dx, a.0 - xmin), (dx, xmax - a.0), (-dy, a.1 - ymin), (dy, ymax - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    let pa = if t0 > 0.0 { (a.0 + t0 * dx, a.1 + t0 * dy) } else { a };
    let pb = if t1 < 1.0 { (a.0 + t1 * dx, a.1 + t1 * dy) } else { b };
    Some((pa, pb, t0 > 0.0, t1 < 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_format() {
        assert_eq!(fmt_tick(0.0), "0");
        assert_eq!(fmt_tick(-0.0), "0");
        assert_eq!(fmt_tick(1.0), "1");
        assert_eq!(fmt_tick(2.5), "2.5");
        assert_eq!(fmt_tick(0.1 + 0.2), "0.3");
        assert_eq!(fmt_tick(1500.0), "1500");
        assert_eq!(fmt_tick(12345.6), "12346");
        assert_eq!(fmt_tick(1e5), "1e5");
        assert_eq!(fmt_tick(2.5e-4), "2.5e-4");
        assert_eq!(fmt_tick(-0.002), "-0.002");
    }

    #[test]
    fn padding() {
        assert_eq!(pad_linear(3.0, 3.0), (2.7, 3.3));
        assert_eq!(pad_linear(0.0, 0.0), (-0.5, 0.5));
        assert_eq!(pad_linear(2.0, 1.0), (1.0, 2.0));
        assert_eq!(pad_log(4.0, 4.0), (2.0, 8.0));
    }

    #[test]
    fn clipping_splits_at_invalid_points_and_box() {
        let ax = Axis { lo: 0.0, hi: 10.0, log: false };
        let ay = Axis { lo: 0.0, hi: 1.0, log: false };
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.5, 0.5, f64::NAN, 0.5, 2.0, 0.5];
        let lines = clip_polylines(&x, &y, ax, ay);
        // [0,1] ; then 3 -> leaves at y = 1 (x = 3 + 1/3) ; re-enters at x = 4 + 2/3 -> 5.
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], vec![(0.0, 0.5), (1.0, 0.5)]);
        assert_eq!(lines[1].len(), 2);
        assert!((lines[1][1].0 - (3.0 + 1.0 / 3.0)).abs() < 1e-12);
        assert!((lines[1][1].1 - 1.0).abs() < 1e-12);
        assert!((lines[2][0].0 - (4.0 + 2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(lines[2][1], (5.0, 0.5));
    }

    #[test]
    fn log_axis_drops_non_positive() {
        let ax = Axis { lo: 1.0, hi: 100.0, log: true };
        let ay = Axis { lo: 0.0, hi: 10.0, log: false };
        let lines = clip_polylines(&[-1.0, 0.0, 1.0, 10.0], &[1.0, 1.0, 1.0, 1.0], ax, ay);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 2);
        assert!((lines[0][1].0 - 10.0).abs() < 1e-9);
    }
}
