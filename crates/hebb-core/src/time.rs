//! The integer time grid: every event happens at a whole step.

use crate::ParamError;

/// A uniform time grid of `n_steps` steps of `dt_ms`. Step `n` (1-based)
/// ends at time `n · dt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeGrid {
    /// Step size in ms.
    pub dt_ms: f64,
    /// Number of steps in the run.
    pub n_steps: u64,
}

impl TimeGrid {
    /// Grid covering `duration_ms` with steps of `dt_ms`; the duration must be a
    /// whole number of steps (within 1e-9 relative).
    pub fn new(dt_ms: f64, duration_ms: f64) -> Result<Self, ParamError> {
        crate::check_positive("run.dt_ms", dt_ms)?;
        crate::check_positive("run.duration_ms", duration_ms)?;
        let n = steps_in("run.duration_ms", duration_ms, dt_ms)?;
        Ok(Self { dt_ms, n_steps: n })
    }

    /// Total duration in ms.
    pub fn duration_ms(&self) -> f64 {
        self.n_steps as f64 * self.dt_ms
    }

    /// Time at the end of step `n` (1-based), in ms.
    pub fn time_of(&self, n: u64) -> f64 {
        n as f64 * self.dt_ms
    }
}

/// Number of whole steps of `dt_ms` in `ms`; an error if `ms` is not a whole
/// multiple of `dt_ms` (relative tolerance 1e-9) or is too long.
pub fn steps_in(field: &str, ms: f64, dt_ms: f64) -> Result<u64, ParamError> {
    let x = ms / dt_ms;
    let n = x.round();
    if !(x.is_finite() && (0.0..1e15).contains(&n)) || (x - n).abs() > 1e-9 * n.max(1.0) {
        return Err(ParamError::new(field, ms, format!("a non-negative whole multiple of dt = {dt_ms} ms")));
    }
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_steps() {
        let g = TimeGrid::new(0.1, 1000.0).unwrap();
        assert_eq!(g.n_steps, 10_000);
        assert!(TimeGrid::new(0.1, 1000.05).is_err());
        assert!(TimeGrid::new(0.0, 10.0).is_err());
    }
}
