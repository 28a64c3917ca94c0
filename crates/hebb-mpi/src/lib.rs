//! # hebb-mpi
//!
//! One hebb spiking network over several MPI processes ("ranks"), with
//! output bit-identical to a single process for any rank count.
//!
//! The engine (hebb-sim) knows only the small
//! [`Communicator`](hebb_core::comm::Communicator) trait of hebb-core; this
//! crate implements it over MPI with rsmpi (`MpiComm`) and ships the
//! program `hebb-mpi-run`. It is a separate crate and not a default
//! workspace member because rsmpi needs a system MPI library and libclang
//! (specs/ecosystem.md §3.2–3.3): default builds never touch MPI.
//!
//! Each rank owns a contiguous block of neurons
//! ([`hebb_core::comm::block_range`]) and the incoming synapses of its
//! neurons; every step the ranks all-gather the ids of the neurons that
//! spiked (counts first, then the variable-length lists, as Auryn's
//! `SyncBuffer` does with `MPI_Allgather`/`MPI_Allgatherv`). See the crate
//! README for building, running (also under Slurm), the design and the
//! measured cost of the exchange.
//!
//! Measured cost of the spike exchange (README, "Measured cost"): the demo
//! network at N = 5000, 10 s simulated, one exchange per 0.1 ms step, on a
//! 2-core machine shared with other jobs (load average 3.4–3.6): 1 rank
//! 0.39–0.54 wall-s and 0.36–0.46 CPU-s per simulated s, of which
//! 0.002–0.004 s in the exchange; 2 ranks 1.10–1.24 wall-s and 1.13–1.24
//! CPU-s (both ranks) per simulated s, of which 0.62–0.75 s per rank in the
//! exchange (62–75 µs per step, almost all waiting for the other rank).
//!
//! Everything that needs MPI is behind the crate's `mpi` feature (off by
//! default, so that `cargo test --workspace` builds without OpenMPI):
//! `cargo build --release -p hebb-mpi --features mpi`.

#[cfg(feature = "mpi")]
mod mpi_comm;
#[cfg(feature = "mpi")]
pub use mpi_comm::{ExchangeStats, MpiComm, initialize};
