//! The scalar type of the `P` arena: `f64` (default) or `f32`.

use std::fmt::Debug;
use std::ops::{Add, Div, Mul, Sub};

/// Which scalar type an RLS arena stores; the run-time face of [`Real`].
///
/// Open choice of the spec ("float precision", kimchow.md §8.1): f64 is the
/// default and the reference; f32 halves the arena's memory and traffic but
/// `P` may drift (the recursion reports a [`crate::TrainingError::Numerical`]
/// error if it loses definiteness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 64-bit `P` (default).
    #[default]
    F64,
    /// 32-bit `P`; weights, errors and the weight update stay in f64.
    F32,
}

/// A floating-point scalar usable as the element type of a `P` arena.
///
/// Implemented for `f64` and `f32` only. The `P`-side arithmetic (mat-vec,
/// the gain `c`, the rank-1 downdate) runs in this type; weights, errors and
/// the weight step are always f64.
pub trait Real:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The matching [`Precision`] value.
    const PRECISION: Precision;
    /// Round an f64 to this type.
    fn from_f64(x: f64) -> Self;
    /// Widen to f64.
    fn to_f64(self) -> f64;
    /// Whether the value is finite.
    fn finite(self) -> bool;
    /// Square root.
    fn sqrt(self) -> Self;
    /// The hand-vectorised AVX2 fused sweep for this type (`crate::simd`).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[doc(hidden)]
    #[cfg(target_arch = "x86_64")]
    unsafe fn fused_avx2(p: &mut [Self], k: usize, kp: &[Self], cp: Self, rho: &[Self], k_out: &mut [Self]);
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const PRECISION: Precision = Precision::F64;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn finite(self) -> bool {
        self.is_finite()
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn fused_avx2(p: &mut [Self], k: usize, kp: &[Self], cp: Self, rho: &[Self], k_out: &mut [Self]) {
        // SAFETY: forwarded; the caller checked AVX2.
        unsafe { crate::simd::fused_body_f64(p, k, kp, cp, rho, k_out) }
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const PRECISION: Precision = Precision::F32;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn finite(self) -> bool {
        self.is_finite()
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn fused_avx2(p: &mut [Self], k: usize, kp: &[Self], cp: Self, rho: &[Self], k_out: &mut [Self]) {
        // SAFETY: forwarded; the caller checked AVX2.
        unsafe { crate::simd::fused_body_f32(p, k, kp, cp, rho, k_out) }
    }
}
