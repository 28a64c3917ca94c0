//! Learning times as integer step counts (kimchow.md §3.6).
//!
//! The group's code tests `mod(t, learn_every) == 0` on float time, which is
//! fragile; here an update happens at trial step `s` iff
//! `start ≤ s ≤ start + window` (or `< start + window` when the end is
//! exclusive) and `(s − start) mod every == 0`.

use crate::error::Result;
use hebb_core::ParamError;
use hebb_core::time::steps_in;
use serde::{Deserialize, Serialize};

/// When RLS updates happen inside one trial (one training loop).
///
/// Open choice of the spec: whether the window end is inclusive. Default:
/// **inclusive**, as the spec's prototype and the numpy peer count it
/// (101 updates for a 1-s window at 10 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearningSchedule {
    /// Trial step at which the training window opens (first update).
    pub start_step: u64,
    /// Window length in steps.
    pub window_steps: u64,
    /// Steps between updates (`Δt_L / dt`), ≥ 1.
    pub every_steps: u64,
    /// Whether an update also falls on the window's last step.
    pub inclusive_end: bool,
}

impl LearningSchedule {
    /// From times in ms on a grid of `dt_ms`; every time must be a whole
    /// number of steps.
    pub fn from_ms(dt_ms: f64, start_ms: f64, window_ms: f64, every_ms: f64, inclusive_end: bool) -> Result<Self> {
        hebb_core::check_positive("schedule.dt_ms", dt_ms)?;
        let s = Self {
            start_step: steps_in("schedule.start_ms", start_ms, dt_ms)?,
            window_steps: steps_in("schedule.window_ms", window_ms, dt_ms)?,
            every_steps: steps_in("schedule.every_ms", every_ms, dt_ms)?,
            inclusive_end,
        };
        s.validate()?;
        Ok(s)
    }

    /// Check `every_steps ≥ 1`.
    pub fn validate(&self) -> Result<()> {
        if self.every_steps == 0 {
            return Err(ParamError::new(
                "schedule.every_steps",
                0,
                "an integer >= 1 (a positive whole number of steps)",
            )
            .into());
        }
        Ok(())
    }

    /// Whether an update happens at trial step `step`.
    pub fn is_update(&self, step: u64) -> bool {
        if step < self.start_step || self.every_steps == 0 {
            return false;
        }
        let j = step - self.start_step;
        let inside = if self.inclusive_end { j <= self.window_steps } else { j < self.window_steps };
        inside && j.is_multiple_of(self.every_steps)
    }

    /// Number of updates per trial (kimchow.md §3.6, §9): `⌊W/e⌋ + 1` if
    /// inclusive, `⌈W/e⌉` if exclusive.
    pub fn updates_per_window(&self) -> u64 {
        crate::theory::updates_per_window(self.window_steps, self.every_steps, self.inclusive_end)
    }

    /// The update steps of one trial, in order.
    pub fn update_steps(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.updates_per_window()).map(move |m| self.start_step + m * self.every_steps)
    }
}
