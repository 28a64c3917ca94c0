//! The plastic part of the input, A_n φ_n, and the synaptic update
//! A_{n+1} = α A_n + β φ_n φ_nᵀ (spec §2.5, §10.2–10.4).
//!
//! Three interchangeable [`SynapticKernel`]s compute the same thing:
//!
//! | kernel | storage | cost per step | use |
//! |---|---|---|---|
//! | [`DenseKernel`] | A, upper triangle packed | one fused read+write pass over N(N+1)/2 values | reference path; tangent dynamics |
//! | [`HistoryKernel`] | ring buffer of the last L rate vectors | 4 N L flops | large N, small τ_s/dt |
//! | [`NaiveKernel`] | full N × N A | two plain loops | test reference only |
//!
//! All three use the *pre-update* A_n in the product, as §2.5 requires.

use rayon::prelude::*;

use crate::error::{RateError, checked_len, try_zeroed};
use crate::math::{
    axpy, dot, dot4, lincomb, packed_chunk, packed_chunk_products, packed_len, packed_offset, split_packed_mut,
    tri_chunks,
};
use crate::math32::{round_to_f32, sdot, sdot4, slincomb, spacked_chunk, spacked_chunk_apply};
use crate::params::{PlasticPrecision, RateParams};

/// A representation of the plastic couplings A.
///
/// The network calls [`step`](Self::step) once per time step with the
/// current rates. Implementations must be deterministic functions of their
/// inputs, independent of the rayon thread count.
pub trait SynapticKernel: Send + Sync + Sized {
    /// Short name for reports (`"dense"`, `"history"`, `"naive"`).
    const NAME: &'static str;

    /// Build the kernel for validated `params`. `init` is `Some(φ₀)` for
    /// A(0) = (k/N) φ₀ φ₀ᵀ and `None` for A(0) = 0.
    fn build(params: &RateParams, init: Option<&[f64]>) -> Result<Self, RateError>;

    /// Add A_n φ to `out`; then, if `plastic`, advance A_n → A_{n+1} =
    /// α A_n + β φ φᵀ. With `plastic == false` (frozen synapses) A is left
    /// untouched. `phi` and `out` have length N (implementations may panic
    /// otherwise).
    fn step(&mut self, phi: &[f64], out: &mut [f64], plastic: bool);

    /// Add A_n v to `out` without changing A.
    fn apply(&self, v: &[f64], out: &mut [f64]);

    /// A_n as a full row-major N × N matrix (for tests and analysis).
    fn to_dense(&self) -> Vec<f64>;
}

/// True if the current rayon pool has more than one thread.
#[inline]
pub(crate) fn parallel() -> bool {
    rayon::current_num_threads() > 1
}

// ---------------------------------------------------------------------------
// Dense

/// A stored as the packed upper triangle, advanced by one fused pass per
/// step (spec §10.2, "packed symmetric variant"): each stored entry a = A_ij
/// (j ≥ i) is read once, contributes a φ_j to y_i and a φ_i to y_j, and is
/// written back as α a + β φ_i φ_j. That is N(N+1)/2 reads and writes per
/// step instead of a GEMV plus a separate rank-1 update over N² values.
///
/// On AVX2 and for N ≥ 1500 the rows go through the pass in blocks of four (per column: one
/// load of φ_j and of the partial sum y_j, four stored entries read and
/// written, one store of y_j), which cuts the loads and stores of y by
/// four, with exactly the additions of row-by-row passes (same bits).
///
/// A stays exactly symmetric (it is stored once). The rows are split into a
/// fixed number of chunks of equal area (depending on N only); each chunk
/// scatters into its own partial vector, and the partial vectors are added
/// in chunk order, so the result is bit-identical for any thread count.
///
/// With [`PlasticPrecision::F32`] the packed triangle is stored in f32 and
/// the same fused pass runs in single precision (f32 FMAs, rows one at a
/// time; α and β rounded to f32, φ rounded to f32 once per step): each
/// chunk keeps f32 column partial sums and f64 row sums, added to the input
/// in chunk order (see `math32`).
#[derive(Debug, Clone)]
pub struct DenseKernel {
    n: usize,
    alpha: f64,
    beta: f64,
    pub(crate) packed: Vec<f64>,
    pub(crate) bounds: Vec<usize>,
    partials: Vec<Vec<f64>>,
    /// The single-precision state (empty with f64 storage).
    sp: Option<DenseF32>,
}

/// Packed A in f32 and the scratch of its pass.
#[derive(Debug, Clone)]
struct DenseF32 {
    packed: Vec<f32>,
    alpha: f32,
    beta: f32,
    phi: Vec<f32>,
    /// Per chunk: column partial sums (f32, from the chunk's first row on).
    cols: Vec<Vec<f32>>,
    /// Per chunk: row sums (f64).
    rows: Vec<Vec<f64>>,
}

/// `out[r_c + j] += cols_c[j]` (widened), then `out[r_c + i] += rows_c[i]`,
/// chunk by chunk in order.
fn reduce_partials_f32(cols: &[Vec<f32>], rows: &[Vec<f64>], bounds: &[usize], out: &mut [f64]) {
    for (c, (col, row)) in cols.iter().zip(rows).enumerate() {
        let r0 = bounds[c];
        for (o, &p) in out[r0..].iter_mut().zip(col) {
            *o += f64::from(p);
        }
        for (o, &p) in out[r0..].iter_mut().zip(row) {
            *o += p;
        }
    }
}

impl DenseKernel {
    /// Order N of A.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The packed upper triangle of A (row i holds A_ii … A_i,N−1 at offset
    /// i N − i(i−1)/2) with f64 storage; empty with
    /// [`PlasticPrecision::F32`] (see [`packed_f32`](Self::packed_f32)).
    pub fn packed(&self) -> &[f64] {
        &self.packed
    }

    /// The packed upper triangle of A with [`PlasticPrecision::F32`]
    /// storage (empty with f64 storage).
    pub fn packed_f32(&self) -> &[f32] {
        self.sp.as_ref().map_or(&[], |s| &s.packed)
    }

    /// The storage precision of A.
    pub fn precision(&self) -> PlasticPrecision {
        if self.sp.is_some() { PlasticPrecision::F32 } else { PlasticPrecision::F64 }
    }

    /// A_ij (either order of the indices).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if i <= j { (i, j) } else { (j, i) };
        let o = packed_offset(self.n, i) + (j - i);
        match &self.sp {
            Some(s) => f64::from(s.packed[o]),
            None => self.packed[o],
        }
    }

    /// The decay and increment factors (α, β) of the update.
    pub fn coefficients(&self) -> (f64, f64) {
        (self.alpha, self.beta)
    }

    /// Run the chunked packed pass and add the chunk partials to `out` in
    /// chunk order.
    fn pass(&mut self, phi: &[f64], out: &mut [f64], update: bool) {
        if let Some(sp) = &mut self.sp {
            Self::pass_f32(sp, self.n, &self.bounds, phi, out, update);
            return;
        }
        let n = self.n;
        let (alpha, beta) = (self.alpha, self.beta);
        let bounds = &self.bounds;
        let chunks = split_packed_mut(&mut self.packed, n, bounds);
        let work = |(c, (a, part)): (usize, (&mut [f64], &mut Vec<f64>))| {
            part.fill(0.0);
            packed_chunk(a, bounds[c], bounds[c + 1], n, phi, part, alpha, beta, update);
        };
        if parallel() && chunks.len() > 1 {
            chunks.into_par_iter().zip(self.partials.par_iter_mut()).enumerate().for_each(work);
        } else {
            chunks.into_iter().zip(self.partials.iter_mut()).enumerate().for_each(work);
        }
        reduce_partials(&self.partials, &self.bounds, out);
    }
}

/// One chunk of the single-precision pass: (chunk index, (its rows of A,
/// (column partials, row sums))).
type ChunkF32<'a> = (usize, (&'a mut [f32], (&'a mut Vec<f32>, &'a mut Vec<f64>)));

impl DenseKernel {
    /// The single-precision chunked pass (see [`DenseKernel`]).
    fn pass_f32(sp: &mut DenseF32, n: usize, bounds: &[usize], phi: &[f64], out: &mut [f64], update: bool) {
        round_to_f32(phi, &mut sp.phi);
        let (alpha, beta) = (sp.alpha, sp.beta);
        let ph = &sp.phi;
        let chunks = split_packed_mut(&mut sp.packed, n, bounds);
        let work = |(c, (a, (col, row))): ChunkF32<'_>| {
            col.fill(0.0);
            spacked_chunk(a, bounds[c], bounds[c + 1], n, ph, col, row, alpha, beta, update);
        };
        if parallel() && chunks.len() > 1 {
            chunks.into_par_iter().zip(sp.cols.par_iter_mut().zip(sp.rows.par_iter_mut())).enumerate().for_each(work);
        } else {
            chunks.into_iter().zip(sp.cols.iter_mut().zip(sp.rows.iter_mut())).enumerate().for_each(work);
        }
        reduce_partials_f32(&sp.cols, &sp.rows, bounds, out);
    }
}

/// `out[j] += Σ_c part_c[j − r_c]` with the chunks added in order.
pub(crate) fn reduce_partials(partials: &[Vec<f64>], bounds: &[usize], out: &mut [f64]) {
    for (c, part) in partials.iter().enumerate() {
        let r0 = bounds[c];
        for (o, p) in out[r0..].iter_mut().zip(part) {
            *o += p;
        }
    }
}

impl SynapticKernel for DenseKernel {
    const NAME: &'static str = "dense";

    fn build(params: &RateParams, init: Option<&[f64]>) -> Result<Self, RateError> {
        params.validate()?;
        let n = params.n;
        let single = params.plastic_precision == PlasticPrecision::F32;
        let mut packed: Vec<f64> =
            if single { Vec::new() } else { try_zeroed(packed_len(n), "packed synaptic matrix A")? };
        let mut packed32: Vec<f32> =
            if single { try_zeroed(packed_len(n), "packed synaptic matrix A (f32)")? } else { Vec::new() };
        if let Some(v) = init {
            let s = params.k / n as f64;
            for i in 0..n {
                let o = packed_offset(n, i);
                for j in i..n {
                    let a = s * v[i] * v[j];
                    if single {
                        packed32[o + j - i] = a as f32;
                    } else {
                        packed[o + j - i] = a;
                    }
                }
            }
        }
        let bounds = tri_chunks(n);
        let (alpha, beta) = (params.alpha(), params.beta());
        let sp = single.then(|| DenseF32 {
            packed: packed32,
            alpha: alpha as f32,
            beta: beta as f32,
            phi: vec![0.0; n],
            cols: bounds.windows(2).map(|w| vec![0.0; n - w[0]]).collect(),
            rows: bounds.windows(2).map(|w| vec![0.0; w[1] - w[0]]).collect(),
        });
        let partials = if single { Vec::new() } else { bounds.windows(2).map(|w| vec![0.0; n - w[0]]).collect() };
        Ok(Self { n, alpha, beta, packed, bounds, partials, sp })
    }

    fn step(&mut self, phi: &[f64], out: &mut [f64], plastic: bool) {
        self.pass(phi, out, plastic);
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let n = self.n;
        if let Some(sp) = &self.sp {
            let mut v32 = vec![0.0f32; n];
            round_to_f32(v, &mut v32);
            let mut cols: Vec<Vec<f32>> = self.bounds.windows(2).map(|w| vec![0.0; n - w[0]]).collect();
            let mut rows: Vec<Vec<f64>> = self.bounds.windows(2).map(|w| vec![0.0; w[1] - w[0]]).collect();
            for (c, (col, row)) in cols.iter_mut().zip(rows.iter_mut()).enumerate() {
                let (r0, r1) = (self.bounds[c], self.bounds[c + 1]);
                let a = &sp.packed[packed_offset(n, r0)..packed_offset(n, r1)];
                spacked_chunk_apply(a, r0, r1, n, &v32, col, row);
            }
            reduce_partials_f32(&cols, &rows, &self.bounds, out);
            return;
        }
        let mut partials: Vec<Vec<f64>> = self.bounds.windows(2).map(|w| vec![0.0; n - w[0]]).collect();
        for (c, part) in partials.iter_mut().enumerate() {
            let (r0, r1) = (self.bounds[c], self.bounds[c + 1]);
            let a = &self.packed[packed_offset(n, r0)..packed_offset(n, r1)];
            packed_chunk_products(a, r0, r1, n, &[v], std::slice::from_mut(part));
        }
        reduce_partials(&partials, &self.bounds, out);
    }

    fn to_dense(&self) -> Vec<f64> {
        let n = self.n;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let v = self.get(i, j);
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        a
    }
}

// ---------------------------------------------------------------------------
// History

/// Number of consecutive stored vectors handled together in the history
/// product: their overlaps and their weighted sum are computed while the
/// block (32 × 8N bytes) sits in L2, so the buffer is streamed from memory
/// once per step. Fixed (not thread-dependent), which keeps the sums
/// reproducible.
const AGE_BLOCK: usize = 32;

/// Scratch space of one history product.
#[derive(Debug, Clone, Default)]
struct HistScratch {
    /// Overlaps by position (oldest stored vector first).
    gram_pos: Vec<f64>,
    /// One partial sum of length N per block.
    accs: Vec<f64>,
    /// f32 storage: the current vector rounded to f32.
    v32: Vec<f32>,
    /// f32 storage: one f32 partial sum of length N per block.
    accs32: Vec<f32>,
}

/// The low-rank history kernel (spec §2.4, §10.4).
///
/// Unrolling A_{n+1} = α A_n + β φ_n φ_nᵀ from A_0 gives
///
/// A_n φ_n = Σ_{j ≥ 1} β α^(j−1) φ_{n−j} (φ_{n−j} · φ_n) + α^n A_0 φ_n,
///
/// so the plastic input needs only past rate vectors. This kernel keeps the
/// last L of them in a ring buffer and computes, per step, the overlaps
/// G_j = φ_{n−j} · φ_n (O(N L)) and then Σ_j β α^(j−1) G_j φ_{n−j}
/// (O(N L)); A is never formed. A Hebbian A(0) = (k/N) φ₀ φ₀ᵀ is carried as
/// one extra, never-truncated term (k/N) α^n (φ₀ · φ_n) φ₀.
///
/// **Truncation.** Dropping the lags j > L changes the input by at most
/// Σ_{j>L} |β| α^(j−1) |φ_{n−j,i}| |φ_{n−j} · φ_n| ≤ |k| α^L in every
/// component, because |φ| ≤ 1 (so |φ_{n−j} · φ_n| ≤ N) and
/// Σ_{j>L} (1 − α) α^(j−1) = α^L. With the default tolerance
/// ([`RateParams::history_tol`] = 1e-14) this is below round-off for
/// |k| ≤ 1 (L = 306 at τ_s = 1, 3208 at τ_s = 10, dt = 0.1, Euler). As long
/// as fewer than L plastic steps have been taken, nothing has been dropped
/// and the kernel is exact up to round-off.
///
/// **Freezing.** A frozen step neither pushes a rate vector nor ages the
/// buffer: the weights depend on the number of *plastic* steps since a
/// vector was pushed, so A stays exactly A(t*) while frozen and resumes
/// decaying on unfreezing — the same semantics as the dense kernel.
///
/// **Single precision** ([`PlasticPrecision::F32`]): the ring holds the
/// past rates rounded to f32, the overlaps G_j are single-precision dot
/// products (f32 FMA lanes folded in f64, `math32`) of them with φ_n
/// rounded to f32, the weights β α^(j−1) G_j are rounded to f32 and each
/// block's Σ_j w_j φ_{n−j} is an f32 FMA chain per component (added to the
/// input in f64, block by block in order). The A(0) term stays f64.
///
/// By-product: [`overlaps`](Self::overlaps) returns the G_j of the last step,
/// i.e. N C_N(n, n−j), the population rate autocorrelation of the DMFT
/// (§2.4).
#[derive(Debug, Clone)]
pub struct HistoryKernel {
    n: usize,
    len: usize,
    alpha: f64,
    beta: f64,
    /// Ring buffer, slot s holds the rate vector of plastic step p with p mod L = s
    /// (empty with f32 storage).
    buf: Vec<f64>,
    /// The ring buffer with f32 storage (empty with f64 storage).
    buf32: Vec<f32>,
    /// Number of plastic steps taken (= vectors pushed).
    pushes: u64,
    /// wlag[j−1] = β α^(j−1).
    wlag: Vec<f64>,
    /// Hebbian A(0) = (k/N) v vᵀ, carried with coefficient (k/N) α^pushes.
    seed: Option<(Vec<f64>, f64)>,
    /// Overlaps of the last step, lag first.
    gram: Vec<f64>,
    scratch: HistScratch,
}

impl HistoryKernel {
    /// Ring-buffer length L.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false (L ≥ 1); present for API symmetry with [`len`](Self::len).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The decay and increment factors (α, β); the lag-j weight is β α^(j−1).
    pub fn coefficients(&self) -> (f64, f64) {
        (self.alpha, self.beta)
    }

    /// Number of rate vectors currently held, min(plastic steps, L).
    pub fn stored(&self) -> usize {
        (self.pushes.min(self.len as u64)) as usize
    }

    /// Overlaps G_j = φ_{n−j} · φ_n of the last step, for j = 1, 2, …,
    /// [`stored`](Self::stored) (lag 1 first). Divided by N they are the
    /// empirical rate correlations C_N(n, n − j).
    pub fn overlaps(&self) -> &[f64] {
        &self.gram[..self.stored()]
    }

    /// Slot of the vector pushed `age` plastic steps ago (age ≥ 1).
    fn slot(&self, age: usize) -> usize {
        ((self.pushes - age as u64) % self.len as u64) as usize
    }

    /// `out += Â φ` for the stored history (and the A(0) term), leaving
    /// the overlaps by position in `sc.gram_pos`.
    ///
    /// The stored vectors, oldest first, are cut into blocks of
    /// [`AGE_BLOCK`]; for each block, G = φ_m · v for its vectors (one dot
    /// each, streaming them into cache) and then
    /// acc_b = Σ_m β α^(age−1) G_m φ_m (in order, from the cached block). The
    /// block sums are added to `out` in block order, so the result does not
    /// depend on how blocks are spread over threads.
    fn product(&self, v: &[f64], out: &mut [f64], sc: &mut HistScratch) {
        if !self.buf32.is_empty() {
            self.product_f32(v, out, sc);
            return;
        }
        let m = self.stored();
        let n = self.n;
        let nb = m.div_ceil(AGE_BLOCK);
        if sc.gram_pos.len() < m {
            sc.gram_pos.resize(m, 0.0);
        }
        if sc.accs.len() < nb * n {
            sc.accs.resize(nb * n, 0.0);
        }
        let accs = &mut sc.accs[..nb * n];
        let gp = &mut sc.gram_pos[..m];
        let work = |(b, (acc, g)): (usize, (&mut [f64], &mut [f64]))| {
            let mut rows: [&[f64]; AGE_BLOCK] = [&[]; AGE_BLOCK];
            let mut coef = [0.0f64; AGE_BLOCK];
            let len = g.len();
            for (q, row) in rows[..len].iter_mut().enumerate() {
                let s = self.slot(m - (b * AGE_BLOCK + q));
                *row = &self.buf[s * n..(s + 1) * n];
            }
            // Overlaps four rows at a time (four memory streams), then the rest.
            let l4 = len - len % 4;
            for q in (0..l4).step_by(4) {
                let d = dot4([rows[q], rows[q + 1], rows[q + 2], rows[q + 3]], v);
                g[q..q + 4].copy_from_slice(&d);
            }
            for q in l4..len {
                g[q] = dot(rows[q], v);
            }
            for (q, (c, &gv)) in coef[..len].iter_mut().zip(g.iter()).enumerate() {
                let age = m - (b * AGE_BLOCK + q);
                *c = self.wlag[age - 1] * gv;
            }
            lincomb(&rows[..len], &coef[..len], acc);
        };
        if parallel() && nb > 1 {
            accs.par_chunks_mut(n).zip(gp.par_chunks_mut(AGE_BLOCK)).enumerate().for_each(work);
        } else {
            accs.chunks_mut(n).zip(gp.chunks_mut(AGE_BLOCK)).enumerate().for_each(work);
        }
        for acc in accs.chunks(n) {
            for (o, a) in out.iter_mut().zip(acc) {
                *o += a;
            }
        }
        if let Some((s, c)) = &self.seed {
            let g = *c * dot(s, v);
            axpy(g, s, out);
        }
    }
}

impl HistoryKernel {
    /// [`product`](Self::product) with the f32 ring (see the type docs):
    /// the same blocks and order, single-precision arithmetic.
    fn product_f32(&self, v: &[f64], out: &mut [f64], sc: &mut HistScratch) {
        let m = self.stored();
        let n = self.n;
        let nb = m.div_ceil(AGE_BLOCK);
        if sc.gram_pos.len() < m {
            sc.gram_pos.resize(m, 0.0);
        }
        if sc.accs32.len() < nb * n {
            sc.accs32.resize(nb * n, 0.0);
        }
        sc.v32.resize(n, 0.0);
        round_to_f32(v, &mut sc.v32);
        let v32 = &sc.v32;
        let accs = &mut sc.accs32[..nb * n];
        let gp = &mut sc.gram_pos[..m];
        let work = |(b, (acc, g)): (usize, (&mut [f32], &mut [f64]))| {
            let mut rows: [&[f32]; AGE_BLOCK] = [&[]; AGE_BLOCK];
            let mut coef = [0.0f32; AGE_BLOCK];
            let len = g.len();
            for (q, row) in rows[..len].iter_mut().enumerate() {
                let s = self.slot(m - (b * AGE_BLOCK + q));
                *row = &self.buf32[s * n..(s + 1) * n];
            }
            let l4 = len - len % 4;
            for q in (0..l4).step_by(4) {
                let d = sdot4([rows[q], rows[q + 1], rows[q + 2], rows[q + 3]], v32);
                g[q..q + 4].copy_from_slice(&d);
            }
            for q in l4..len {
                g[q] = sdot(rows[q], v32);
            }
            for (q, (c, &gv)) in coef[..len].iter_mut().zip(g.iter()).enumerate() {
                let age = m - (b * AGE_BLOCK + q);
                *c = (self.wlag[age - 1] * gv) as f32;
            }
            slincomb(&rows[..len], &coef[..len], acc);
        };
        if parallel() && nb > 1 {
            accs.par_chunks_mut(n).zip(gp.par_chunks_mut(AGE_BLOCK)).enumerate().for_each(work);
        } else {
            accs.chunks_mut(n).zip(gp.chunks_mut(AGE_BLOCK)).enumerate().for_each(work);
        }
        for acc in accs.chunks(n) {
            for (o, &a) in out.iter_mut().zip(acc) {
                *o += f64::from(a);
            }
        }
        if let Some((s, c)) = &self.seed {
            let g = *c * dot(s, v);
            axpy(g, s, out);
        }
    }
}

impl SynapticKernel for HistoryKernel {
    const NAME: &'static str = "history";

    fn build(params: &RateParams, init: Option<&[f64]>) -> Result<Self, RateError> {
        let len = params.history_length()?;
        let n = params.n;
        let single = params.plastic_precision == PlasticPrecision::F32;
        let size = checked_len(len, n, "history buffer")?;
        let buf: Vec<f64> = if single { Vec::new() } else { try_zeroed(size, "history buffer")? };
        let buf32: Vec<f32> = if single { try_zeroed(size, "history buffer (f32)")? } else { Vec::new() };
        let (alpha, beta) = (params.alpha(), params.beta());
        let mut wlag = Vec::with_capacity(len);
        let mut w = beta;
        for _ in 0..len {
            wlag.push(w);
            w *= alpha;
        }
        let seed = init.map(|v| (v.to_vec(), params.k / n as f64));
        Ok(Self {
            n,
            len,
            alpha,
            beta,
            buf,
            buf32,
            pushes: 0,
            wlag,
            seed,
            gram: vec![0.0; len],
            scratch: HistScratch::default(),
        })
    }

    fn step(&mut self, phi: &[f64], out: &mut [f64], plastic: bool) {
        let mut sc = std::mem::take(&mut self.scratch);
        self.product(phi, out, &mut sc);
        let m = self.stored();
        for (g, &v) in self.gram[..m].iter_mut().zip(sc.gram_pos[..m].iter().rev()) {
            *g = v;
        }
        self.scratch = sc;
        if plastic {
            let s = (self.pushes % self.len as u64) as usize;
            let n = self.n;
            if self.buf32.is_empty() {
                self.buf[s * n..(s + 1) * n].copy_from_slice(phi);
            } else {
                round_to_f32(phi, &mut self.buf32[s * n..(s + 1) * n]);
            }
            self.pushes += 1;
            if let Some((_, c)) = &mut self.seed {
                *c *= self.alpha;
            }
        }
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) {
        self.product(v, out, &mut HistScratch::default());
    }

    fn to_dense(&self) -> Vec<f64> {
        let n = self.n;
        let mut a = vec![0.0; n * n];
        for age in (1..=self.stored()).rev() {
            let s = self.slot(age);
            let w = self.wlag[age - 1];
            let v: Vec<f64> = if self.buf32.is_empty() {
                self.buf[s * n..(s + 1) * n].to_vec()
            } else {
                self.buf32[s * n..(s + 1) * n].iter().map(|&x| f64::from(x)).collect()
            };
            for i in 0..n {
                let wi = w * v[i];
                for j in 0..n {
                    a[i * n + j] += wi * v[j];
                }
            }
        }
        if let Some((v, c)) = &self.seed {
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] += c * v[i] * v[j];
                }
            }
        }
        a
    }
}

// ---------------------------------------------------------------------------
// Naive

/// The unfused textbook kernel on a full N × N matrix: y = A φ by plain row
/// loops, then A_ij ← α A_ij + β φ_i φ_j entry by entry. Slow (it moves
/// three times the bytes of [`DenseKernel`]); kept as the reference the fast
/// kernels are tested against. Always f64 (it ignores
/// [`RateParams::plastic_precision`]).
#[derive(Debug, Clone)]
pub struct NaiveKernel {
    n: usize,
    alpha: f64,
    beta: f64,
    a: Vec<f64>,
}

// Plain index loops on purpose: this is the textbook reference.
#[allow(clippy::needless_range_loop)]
impl SynapticKernel for NaiveKernel {
    const NAME: &'static str = "naive";

    fn build(params: &RateParams, init: Option<&[f64]>) -> Result<Self, RateError> {
        params.validate()?;
        let n = params.n;
        let mut a = try_zeroed(checked_len(n, n, "synaptic matrix A")?, "synaptic matrix A")?;
        if let Some(v) = init {
            let s = params.k / n as f64;
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] = s * v[i] * v[j];
                }
            }
        }
        Ok(Self { n, alpha: params.alpha(), beta: params.beta(), a })
    }

    fn step(&mut self, phi: &[f64], out: &mut [f64], plastic: bool) {
        self.apply(phi, out);
        if plastic {
            let n = self.n;
            for i in 0..n {
                for j in 0..n {
                    self.a[i * n + j] = self.alpha * self.a[i * n + j] + self.beta * phi[i] * phi[j];
                }
            }
        }
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            let mut s = 0.0;
            for j in 0..n {
                s += self.a[i * n + j] * v[j];
            }
            out[i] += s;
        }
    }

    fn to_dense(&self) -> Vec<f64> {
        self.a.clone()
    }
}
