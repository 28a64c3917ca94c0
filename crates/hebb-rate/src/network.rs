//! The rate network with dynamic couplings (spec §2) and its Euler step.

use hebb_core::rng::{Purpose, stream};
use rand::RngExt;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::error::{RateError, checked_len, try_zeroed};
use crate::kernel::{DenseKernel, HistoryKernel, NaiveKernel, SynapticKernel, parallel};
use crate::math::{dot, f16_from_f64, f16_to_f64, gemv_multi, gemv_multi_f16, gemv_multi_f32, gemv_rows};
use crate::math32::{round_to_f32, sgemv_rows_f16, sgemv_rows_f32};
use crate::nonlin::RateFunction;
use crate::params::{CouplingDiagonal, CouplingPrecision, InitialSynapses, RateParams};

/// First id of every hebb-rate random stream (ASCII "rate"), so that the
/// streams never collide with those of other crates that use the same
/// [`Purpose`].
pub const STREAM_TAG: u64 = 0x7261_7465;

/// Rows of g J* per parallel task in the quenched GEMV.
const GEMV_ROWS: usize = 32;

/// The network of spec §2 with synapses represented by the kernel `K`:
///
/// ẋ = −x + (g J* + A) φ(x),  τ_s Ȧ = −A + (k/N) φ φᵀ,
///
/// advanced by the discrete kernel of §2.5. One [`step`](Self::step) takes
/// (x_n, A_n) to (x_{n+1}, A_{n+1}):
///
/// 1. φ_n = φ(x_n);
/// 2. h_n = g J* φ_n + A_n φ_n (pre-update A_n);
/// 3. x_{n+1} = x_n + dt (−x_n + h_n);
/// 4. A_{n+1} = α A_n + β φ_n φ_nᵀ (skipped while frozen).
///
/// **Randomness** (spec §2.1, §2.3). Row i of J* is drawn from the stream
/// `hebb_core::rng::stream(seed, Purpose::Connectivity, &[STREAM_TAG, i])`
/// (N standard normals, scaled by 1/√N), and x(0) from
/// `stream(seed, Purpose::InitialState, &[STREAM_TAG])` (N standard normals
/// times `x0_std`). The diagonal of J* is drawn unless
/// [`CouplingDiagonal::Zero`]. The same `(params, seed)` therefore gives the
/// same J* and x(0) with every kernel and every thread count.
///
/// **Threads.** The work is split into chunks that depend on N only and
/// every reduction runs in a fixed order, so trajectories are bit-identical
/// for any rayon thread count. Run inside `pool.install(..)` to choose the
/// pool; with one thread the same chunks run serially on the caller's thread.
///
/// **Boundedness.** |φ| ≤ 1 and |A_ij| ≤ |k|/N (A is a convex combination of
/// (k/N) φ φᵀ terms for A(0) ∈ {0, Hebbian}), and dt ≤ 1 makes each step a
/// convex combination of x and h, so |x_i| never exceeds
/// max(|x_i(0)|, g Σ_j |J*_ij| + |k|): runaway activity is impossible and no
/// step can produce a non-finite value from validated parameters.
#[derive(Debug, Clone)]
pub struct RateNetwork<K: SynapticKernel = DenseKernel> {
    pub(crate) params: RateParams,
    /// g J*, row-major (row i = postsynaptic unit i).
    pub(crate) gj: Couplings,
    pub(crate) x: Vec<f64>,
    pub(crate) rates: Vec<f64>,
    /// φ rounded to f32 (scratch of the single-precision quenched product).
    pub(crate) rates32: Vec<f32>,
    pub(crate) input: Vec<f64>,
    pub(crate) kernel: K,
    pub(crate) steps: u64,
    pub(crate) frozen: bool,
}

/// The network with the dense fused kernel (the reference path).
pub type DenseNetwork = RateNetwork<DenseKernel>;
/// The network with the low-rank history kernel.
pub type HistoryNetwork = RateNetwork<HistoryKernel>;
/// The network with the naive full-matrix kernel (testing only).
pub type NaiveNetwork = RateNetwork<NaiveKernel>;

/// Stored quenched couplings g J* (row-major N × N), in the precision of
/// [`RateParams::coupling_precision`].
#[derive(Debug, Clone, PartialEq)]
pub enum Couplings {
    /// f64 storage.
    F64(Vec<f64>),
    /// f32 storage (single-precision product, see [`CouplingPrecision`]).
    F32(Vec<f32>),
    /// IEEE binary16 bits (single-precision product; see
    /// [`CouplingPrecision::F16`]).
    F16(Vec<u16>),
}

impl Couplings {
    fn new(gj: Vec<f64>, precision: CouplingPrecision) -> Result<Self, RateError> {
        Ok(match precision {
            CouplingPrecision::F64 => Couplings::F64(gj),
            CouplingPrecision::F32 => {
                let mut v: Vec<f32> = Vec::new();
                v.try_reserve_exact(gj.len())
                    .map_err(|_| RateError::Allocation { what: "couplings g J* (f32)", elements: gj.len() })?;
                v.extend(gj.iter().map(|&x| x as f32));
                Couplings::F32(v)
            }
            CouplingPrecision::F16 => {
                if let Some(x) = gj.iter().find(|x| x.abs() >= 65520.0) {
                    return Err(hebb_core::ParamError::new(
                        "coupling_precision",
                        "f16",
                        format!("f64 or f32: g J* has an entry {x:e} beyond the binary16 range (|x| < 65520)"),
                    )
                    .into());
                }
                let mut v: Vec<u16> = Vec::new();
                v.try_reserve_exact(gj.len())
                    .map_err(|_| RateError::Allocation { what: "couplings g J* (f16)", elements: gj.len() })?;
                v.extend(gj.iter().map(|&x| f16_from_f64(x)));
                Couplings::F16(v)
            }
        })
    }

    /// The coupling g J*_ij of an N × N matrix.
    pub fn get(&self, n: usize, i: usize, j: usize) -> f64 {
        match self {
            Couplings::F64(v) => v[i * n + j],
            Couplings::F32(v) => f64::from(v[i * n + j]),
            Couplings::F16(v) => f16_to_f64(v[i * n + j]),
        }
    }

    /// All couplings as f64, row-major.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Couplings::F64(v) => v.clone(),
            Couplings::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Couplings::F16(v) => v.iter().map(|&x| f16_to_f64(x)).collect(),
        }
    }

    /// `out = g J* v`: the quenched product of the network step (rows in
    /// fixed blocks; each row's dot product is independent, so any thread
    /// split gives the same bits). With f32 or binary16 storage the product
    /// is single precision: `v` is rounded to f32 into `v32` (length N) and
    /// each row uses the f32 FMA lanes of `math32` (see
    /// [`CouplingPrecision`]); with f64 storage `v32` is not touched.
    pub(crate) fn gemv_with(&self, n: usize, v: &[f64], v32: &mut [f32], out: &mut [f64]) {
        let par = parallel() && n >= 4 * GEMV_ROWS;
        match self {
            Couplings::F64(m) => {
                if par {
                    out.par_chunks_mut(GEMV_ROWS)
                        .zip(m.par_chunks(GEMV_ROWS * n))
                        .for_each(|(o, mm)| gemv_rows(mm, n, v, o));
                } else {
                    gemv_rows(m, n, v, out);
                }
            }
            Couplings::F32(m) => {
                round_to_f32(v, v32);
                let v32 = &*v32;
                if par {
                    out.par_chunks_mut(GEMV_ROWS)
                        .zip(m.par_chunks(GEMV_ROWS * n))
                        .for_each(|(o, mm)| sgemv_rows_f32(mm, n, v32, o));
                } else {
                    sgemv_rows_f32(m, n, v32, out);
                }
            }
            Couplings::F16(m) => {
                round_to_f32(v, v32);
                let v32 = &*v32;
                if par {
                    out.par_chunks_mut(GEMV_ROWS)
                        .zip(m.par_chunks(GEMV_ROWS * n))
                        .for_each(|(o, mm)| sgemv_rows_f16(mm, n, v32, o));
                } else {
                    sgemv_rows_f16(m, n, v32, out);
                }
            }
        }
    }

    /// [`gemv_with`](Self::gemv_with) with its own f32 scratch.
    pub(crate) fn gemv(&self, n: usize, v: &[f64], out: &mut [f64]) {
        let mut v32 = match self {
            Couplings::F64(_) => Vec::new(),
            _ => vec![0.0f32; n],
        };
        self.gemv_with(n, v, &mut v32, out);
    }

    /// Whether the network's quenched product is the single-precision one
    /// (f32 or binary16 storage).
    pub(crate) fn single_precision(&self) -> bool {
        !matches!(self, Couplings::F64(_))
    }

    /// `out_t[r · nv + a] = (g J* vs[a])_r`, one read of the matrix for all
    /// vectors (tangent dynamics; f64 arithmetic with the stored couplings
    /// widened exactly, whatever the storage).
    pub(crate) fn gemv_multi(&self, n: usize, vs: &[&[f64]], out_t: &mut [f64]) {
        const ROWS: usize = 16;
        let nv = vs.len();
        let par = parallel() && n >= 4 * ROWS;
        match self {
            Couplings::F64(m) => {
                if par {
                    out_t
                        .par_chunks_mut(ROWS * nv)
                        .zip(m.par_chunks(ROWS * n))
                        .for_each(|(o, mm)| gemv_multi(mm, n, vs, o));
                } else {
                    gemv_multi(m, n, vs, out_t);
                }
            }
            Couplings::F32(m) => {
                if par {
                    out_t
                        .par_chunks_mut(ROWS * nv)
                        .zip(m.par_chunks(ROWS * n))
                        .for_each(|(o, mm)| gemv_multi_f32(mm, n, vs, o));
                } else {
                    gemv_multi_f32(m, n, vs, out_t);
                }
            }
            Couplings::F16(m) => {
                if par {
                    out_t
                        .par_chunks_mut(ROWS * nv)
                        .zip(m.par_chunks(ROWS * n))
                        .for_each(|(o, mm)| gemv_multi_f16(mm, n, vs, o));
                } else {
                    gemv_multi_f16(m, n, vs, out_t);
                }
            }
        }
    }
}

/// Draw g J* (row-major, N × N) for `params` and `seed` (see [`RateNetwork`]).
pub fn draw_couplings(params: &RateParams, seed: u64) -> Result<Vec<f64>, RateError> {
    params.validate()?;
    let n = params.n;
    let mut gj = try_zeroed(checked_len(n, n, "couplings g J*")?, "couplings g J*")?;
    let scale = params.g / (n as f64).sqrt();
    let zero_diag = params.diagonal == CouplingDiagonal::Zero;
    let fill = |(i, row): (usize, &mut [f64])| {
        let mut rng = stream(seed, Purpose::Connectivity, &[STREAM_TAG, i as u64]);
        for v in row.iter_mut() {
            let z: f64 = rng.sample(StandardNormal);
            *v = scale * z;
        }
        if zero_diag {
            row[i] = 0.0;
        }
    };
    if parallel() {
        gj.par_chunks_mut(n).enumerate().for_each(fill);
    } else {
        gj.chunks_mut(n).enumerate().for_each(fill);
    }
    Ok(gj)
}

/// Draw x(0) for `params` and `seed` (see [`RateNetwork`]).
pub fn draw_initial_state(params: &RateParams, seed: u64) -> Result<Vec<f64>, RateError> {
    params.validate()?;
    let mut rng = stream(seed, Purpose::InitialState, &[STREAM_TAG]);
    Ok((0..params.n)
        .map(|_| {
            let z: f64 = rng.sample(StandardNormal);
            params.x0_std * z
        })
        .collect())
}

impl<K: SynapticKernel> RateNetwork<K> {
    /// Build a network: validate `params`, draw J* and x(0) from `seed`, set
    /// A(0) as configured. Fails (never panics) on invalid parameters or if
    /// the buffers cannot be allocated.
    pub fn new(params: &RateParams, seed: u64) -> Result<Self, RateError> {
        let gj = draw_couplings(params, seed)?;
        let x0 = draw_initial_state(params, seed)?;
        Self::from_parts(params, gj, x0)
    }

    /// Build a network from given couplings g J* (row-major N × N, already
    /// multiplied by g) and initial state x(0). A(0) follows
    /// `params.initial_synapses`, computed from this x(0).
    pub fn from_parts(params: &RateParams, gj: Vec<f64>, x0: Vec<f64>) -> Result<Self, RateError> {
        params.validate()?;
        let n = params.n;
        check_vec("couplings g J*", &gj, n * n)?;
        check_vec("initial state x(0)", &x0, n)?;
        let mut rates = vec![0.0; n];
        params.nonlinearity.phi_slice(&x0, &mut rates);
        let init = match params.initial_synapses {
            InitialSynapses::Zero => None,
            InitialSynapses::Hebbian => Some(rates.as_slice()),
        };
        let kernel = K::build(params, init)?;
        Ok(Self {
            params: params.clone(),
            gj: Couplings::new(gj, params.coupling_precision)?,
            x: x0,
            rates,
            rates32: vec![0.0; n],
            input: vec![0.0; n],
            kernel,
            steps: 0,
            frozen: false,
        })
    }

    /// Advance one step of size dt (see the type docs for the four stages).
    pub fn step(&mut self) {
        self.params.nonlinearity.phi_slice(&self.x, &mut self.rates);
        self.gj.gemv_with(self.params.n, &self.rates, &mut self.rates32, &mut self.input);
        self.kernel.step(&self.rates, &mut self.input, !self.frozen);
        let dt = self.params.dt;
        for (x, h) in self.x.iter_mut().zip(&self.input) {
            *x += dt * (h - *x);
        }
        self.steps += 1;
    }

    /// Advance `steps` steps.
    pub fn run(&mut self, steps: u64) {
        for _ in 0..steps {
            self.step();
        }
    }

    /// Advance `steps` steps, calling `observe(self)` after each one.
    pub fn run_with(&mut self, steps: u64, mut observe: impl FnMut(&Self)) {
        for _ in 0..steps {
            self.step();
            observe(self);
        }
    }

    /// Halt the synaptic dynamics: A is held at its current value (α = 1,
    /// β = 0 in §2.5) until [`unfreeze`](Self::unfreeze). The neurons keep
    /// integrating with J = g J* + A(t*) (spec §6.1).
    pub fn freeze(&mut self) {
        self.frozen = true;
    }

    /// Resume the synaptic dynamics from the held A.
    pub fn unfreeze(&mut self) {
        self.frozen = false;
    }

    /// Whether the synapses are frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// The validated parameters.
    pub fn params(&self) -> &RateParams {
        &self.params
    }

    /// Number of units N.
    pub fn n(&self) -> usize {
        self.params.n
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Time t = steps · dt.
    pub fn time(&self) -> f64 {
        self.steps as f64 * self.params.dt
    }

    /// The pre-activations x.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Replace x (same length N, finite entries). A is not changed.
    pub fn set_x(&mut self, x: &[f64]) -> Result<(), RateError> {
        check_vec("state x", x, self.params.n)?;
        self.x.copy_from_slice(x);
        Ok(())
    }

    /// φ(x) of the current state.
    pub fn rates(&self) -> Vec<f64> {
        let mut r = vec![0.0; self.params.n];
        self.params.nonlinearity.phi_slice(&self.x, &mut r);
        r
    }

    /// The quenched couplings g J* (row-major N × N) as stored.
    pub fn couplings(&self) -> &Couplings {
        &self.gj
    }

    /// The synapse kernel (e.g. for [`DenseKernel::packed`] or
    /// [`HistoryKernel::overlaps`]).
    pub fn kernel(&self) -> &K {
        &self.kernel
    }

    /// The plastic couplings A as a full row-major N × N matrix.
    pub fn plastic_matrix(&self) -> Vec<f64> {
        self.kernel.to_dense()
    }

    /// The total input h = (g J* + A) φ(x) of the current state.
    pub fn total_input(&self) -> Vec<f64> {
        let r = self.rates();
        let mut h = vec![0.0; self.params.n];
        self.gj.gemv(self.params.n, &r, &mut h);
        self.kernel.apply(&r, &mut h);
        h
    }

    /// The velocity ẋ = −x + (g J* + A) φ(x) of the current state (with A
    /// held, i.e. the neuronal part of the vector field).
    pub fn velocity(&self) -> Vec<f64> {
        let mut h = self.total_input();
        for (hi, xi) in h.iter_mut().zip(&self.x) {
            *hi -= xi;
        }
        h
    }

    /// The residual speed ‖ẋ‖/√N (spec §6.1).
    pub fn speed(&self) -> f64 {
        let v = self.velocity();
        (dot(&v, &v) / self.params.n as f64).sqrt()
    }

    /// The root mean square of x, ‖x‖/√N.
    pub fn rms_x(&self) -> f64 {
        (dot(&self.x, &self.x) / self.params.n as f64).sqrt()
    }
}

fn check_vec(what: &'static str, v: &[f64], len: usize) -> Result<(), RateError> {
    if v.len() != len {
        return Err(RateError::State { what, reason: format!("length {} (expected {len})", v.len()) });
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(RateError::State { what, reason: format!("entry {i} is {} (must be finite)", v[i]) });
    }
    Ok(())
}
