//! One contiguous arena holding every neuron's packed symmetric `P` block.

use crate::kernel::{packed_index, packed_len};
use crate::real::Real;
use nalgebra::DMatrix;

/// All per-neuron `P` matrices in **one** `Vec<T>`: the packed upper
/// triangles (row by row, see [`crate::kernel`]) back to back, with an
/// offset table (kimchow.md §8.3.1). Block `i` is `K_i × K_i` and occupies
/// `offsets[i] .. offsets[i + 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedArena<T: Real> {
    data: Vec<T>,
    offsets: Vec<usize>,
    dims: Vec<usize>,
}

impl<T: Real> PackedArena<T> {
    /// A zero-filled arena with blocks of the given dimensions.
    pub fn zeros(dims: Vec<usize>) -> Self {
        let mut offsets = Vec::with_capacity(dims.len() + 1);
        offsets.push(0);
        for &k in &dims {
            offsets.push(offsets.last().unwrap() + packed_len(k));
        }
        let data = vec![T::ZERO; *offsets.last().unwrap()];
        Self { data, offsets, dims }
    }
    /// Number of blocks.
    pub fn n_blocks(&self) -> usize {
        self.dims.len()
    }
    /// Dimension `K_i` of block `i`.
    pub fn dim(&self, i: usize) -> usize {
        self.dims[i]
    }
    /// Offsets of the blocks in the arena (length `n_blocks + 1`).
    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }
    /// Packed entries of block `i`.
    pub fn block(&self, i: usize) -> &[T] {
        &self.data[self.offsets[i]..self.offsets[i + 1]]
    }
    /// Packed entries of block `i`, mutable.
    pub fn block_mut(&mut self, i: usize) -> &mut [T] {
        &mut self.data[self.offsets[i]..self.offsets[i + 1]]
    }
    /// The whole arena.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }
    /// The whole arena, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }
    /// Every block as its own mutable slice (disjoint, in order), e.g. to
    /// update the blocks in parallel.
    pub fn blocks_mut(&mut self) -> Vec<&mut [T]> {
        let mut out = Vec::with_capacity(self.dims.len());
        let mut rest = &mut self.data[..];
        for w in self.offsets.windows(2) {
            let (b, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
            out.push(b);
            rest = tail;
        }
        out
    }
    /// Element `(a, b)` of block `i` (either order).
    pub fn get(&self, i: usize, a: usize, b: usize) -> T {
        self.block(i)[packed_index(self.dims[i], a, b)]
    }
    /// Block `i` as a full dense f64 matrix.
    pub fn to_dense(&self, i: usize) -> DMatrix<f64> {
        let k = self.dims[i];
        let p = self.block(i);
        DMatrix::from_fn(k, k, |a, b| p[packed_index(k, a, b)].to_f64())
    }
    /// Bytes held by the arena's data.
    pub fn memory_bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<T>()
    }
}
