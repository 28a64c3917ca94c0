//! The communicator seam between the engine and distributed execution.
//!
//! One network can be split over several processes ("ranks"), each owning a
//! contiguous block of neurons and the incoming synapses of its neurons,
//! the way NEST and Auryn distribute a network (specs/ecosystem.md §3.2,
//! "One network of 10^5–10^6 neurons"). Every step the ranks exchange the
//! ids of the neurons that spiked: an all-gather of variable-length lists,
//! concatenated in rank order. Because blocks are contiguous and ascending
//! in rank order, the concatenation is exactly the ascending spike list a
//! single process would have found.
//!
//! The engine depends only on the small [`Communicator`] trait below, so
//! default builds never touch MPI: [`Local`] is the single-process identity,
//! [`ThreadComm`] runs ranks as threads of one process (used to test the
//! block machinery without MPI), and the `hebb-mpi` crate (not a default
//! workspace member) implements the trait over MPI with rsmpi.
//!
//! Results do not depend on the rank count because every random stream is
//! keyed by global ids (see [`crate::rng`]), never by rank
//! (specs/performance.md §7.2 lists the simulators that fail this).

use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Collective operations over a fixed group of ranks.
///
/// Every rank must call each collective in the same order with the same
/// kind of arguments (as in MPI); the lengths of the local slices may
/// differ between ranks. Implementations report failure by panicking or
/// aborting (MPI's default error handler aborts the job), since a half-done
/// collective cannot be recovered from.
pub trait Communicator: Send {
    /// This process's rank, in `0..size()`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// All-gather of variable-length lists: `out` is replaced by the
    /// concatenation of every rank's `local`, in rank order, on every rank.
    fn all_gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>);
    /// Gather of variable-length lists to rank 0: on rank 0 `out` is replaced
    /// by the concatenation of every rank's `local`, in rank order; on the
    /// other ranks it is cleared.
    fn gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>);

    /// [`Communicator::gather_u32`] for `f64` values, bit for bit (each value
    /// travels as two `u32` words, low word first).
    fn gather_f64(&mut self, local: &[f64], out: &mut Vec<f64>) {
        let words: Vec<u32> = local.iter().flat_map(|x| split_f64(*x)).collect();
        let mut all = Vec::new();
        self.gather_u32(&words, &mut all);
        out.clear();
        out.extend(all.chunks_exact(2).map(|w| join_f64(w[0], w[1])));
    }
}

fn split_f64(x: f64) -> [u32; 2] {
    let b = x.to_bits();
    [b as u32, (b >> 32) as u32]
}

fn join_f64(lo: u32, hi: u32) -> f64 {
    f64::from_bits(lo as u64 | (hi as u64) << 32)
}

/// The block of neurons `rank` owns when `n` neurons are split over `size`
/// ranks: contiguous, ascending in rank order, sizes differing by at most
/// one (`[⌊n·r/size⌋, ⌊n·(r+1)/size⌋)`).
pub fn block_range(n: usize, rank: usize, size: usize) -> Range<usize> {
    assert!(size > 0 && rank < size, "rank {rank} of {size} ranks");
    let at = |r: usize| (n as u128 * r as u128 / size as u128) as usize;
    at(rank)..at(rank + 1)
}

/// The single-process communicator: one rank, every collective the identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Local;

impl Communicator for Local {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(local);
    }
    fn gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>) {
        self.all_gather_u32(local, out);
    }
}

/// Ranks as threads of one process: `ThreadComm::group(k)` returns `k`
/// communicators, one per thread, whose collectives meet at a shared
/// rendezvous (a mutex and a condition variable).
///
/// This is how the block machinery of the engine is tested without MPI: one
/// thread per block, each stepping its own part of the network, give the
/// same raster and weights as the whole network in one piece. If a thread
/// panics, the others fail at their next collective instead of waiting
/// forever.
#[derive(Debug)]
pub struct ThreadComm {
    rank: usize,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    size: usize,
    state: Mutex<Round>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct Round {
    /// Contributions of the round in progress, by rank.
    slots: Vec<Vec<u32>>,
    /// Ranks that have contributed to the round in progress.
    arrived: usize,
    /// Completed rounds.
    generation: u64,
    /// The concatenation of the last completed round.
    result: Vec<u32>,
    /// A rank panicked: no collective can complete any more.
    broken: bool,
}

impl ThreadComm {
    /// `size` communicators of one group, rank `r` at index `r`. Move each
    /// into its own thread.
    pub fn group(size: usize) -> Vec<ThreadComm> {
        assert!(size > 0, "a group needs at least one rank");
        let shared = Arc::new(Shared {
            size,
            state: Mutex::new(Round { slots: vec![Vec::new(); size], ..Round::default() }),
            turn: Condvar::new(),
        });
        (0..size).map(|rank| ThreadComm { rank, shared: Arc::clone(&shared) }).collect()
    }

    fn lock(&self) -> MutexGuard<'_, Round> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Communicator for ThreadComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.shared.size
    }
    fn all_gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>) {
        let mut round = self.lock();
        assert!(!round.broken, "another rank of the thread group panicked");
        round.slots[self.rank].clear();
        round.slots[self.rank].extend_from_slice(local);
        round.arrived += 1;
        if round.arrived == self.shared.size {
            // The last rank to arrive concatenates, in rank order. The next
            // round cannot complete (and overwrite `result`) before every
            // rank, including the ones still asleep, has read it.
            let Round { slots, result, .. } = &mut *round;
            result.clear();
            for s in slots.iter() {
                result.extend_from_slice(s);
            }
            round.arrived = 0;
            round.generation += 1;
            self.shared.turn.notify_all();
        } else {
            let generation = round.generation;
            while round.generation == generation && !round.broken {
                round = self.shared.turn.wait(round).unwrap_or_else(|e| e.into_inner());
            }
            assert!(!round.broken, "another rank of the thread group panicked");
        }
        out.clear();
        out.extend_from_slice(&round.result);
    }
    fn gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>) {
        self.all_gather_u32(local, out);
        if self.rank != 0 {
            out.clear();
        }
    }
}

impl Drop for ThreadComm {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.lock().broken = true;
            self.shared.turn.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks tile `0..n` in rank order with sizes differing by at most one.
    #[test]
    fn blocks_tile_the_range() {
        for n in [0, 1, 7, 5000] {
            for size in 1..6 {
                let blocks: Vec<_> = (0..size).map(|r| block_range(n, r, size)).collect();
                assert_eq!(blocks[0].start, 0);
                assert_eq!(blocks[size - 1].end, n);
                for w in blocks.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
                let lens: Vec<_> = blocks.iter().map(|b| b.len()).collect();
                assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
            }
        }
    }

    /// Local is the identity; ThreadComm concatenates in rank order on every
    /// rank, round after round, and gathers to rank 0 only.
    #[test]
    fn collectives_concatenate_in_rank_order() {
        let mut out = vec![9];
        Local.all_gather_u32(&[1, 2], &mut out);
        assert_eq!(out, [1, 2]);
        let mut f = Vec::new();
        Local.gather_f64(&[1.5, -0.0, f64::MAX], &mut f);
        assert_eq!(f.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), [1.5f64, -0.0, f64::MAX].map(f64::to_bits));

        let results: Vec<(Vec<Vec<u32>>, Vec<f64>)> = std::thread::scope(|s| {
            let handles: Vec<_> = ThreadComm::group(3)
                .into_iter()
                .map(|mut c| {
                    s.spawn(move || {
                        let r = c.rank() as u32;
                        let mut rounds = Vec::new();
                        for round in 0..50u32 {
                            // Rank r sends r + 1 values in even rounds, none in odd ones.
                            let local: Vec<u32> =
                                if round % 2 == 0 { (0..=r).map(|i| 100 * r + i + round).collect() } else { vec![] };
                            let mut out = Vec::new();
                            c.all_gather_u32(&local, &mut out);
                            rounds.push(out);
                        }
                        let mut g = Vec::new();
                        c.gather_f64(&[r as f64 + 0.25], &mut g);
                        (rounds, g)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (rank, (rounds, g)) in results.iter().enumerate() {
            for (round, out) in rounds.iter().enumerate() {
                let r = round as u32;
                let expected: Vec<u32> =
                    if round % 2 == 0 { vec![r, 100 + r, 101 + r, 200 + r, 201 + r, 202 + r] } else { vec![] };
                assert_eq!(out, &expected, "rank {rank} round {round}");
            }
            if rank == 0 {
                assert_eq!(g, &[0.25, 1.25, 2.25]);
            } else {
                assert!(g.is_empty());
            }
        }
    }

    /// A panicking rank makes the others fail instead of hanging.
    #[test]
    fn a_panicking_rank_breaks_the_group() {
        let mut group = ThreadComm::group(2);
        let mut survivor = group.pop().unwrap();
        let doomed = group.pop().unwrap();
        let t = std::thread::spawn(move || {
            let _c = doomed;
            panic!("rank 0 fails before its first collective");
        });
        assert!(t.join().is_err());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            survivor.all_gather_u32(&[1], &mut Vec::new());
        }));
        assert!(r.is_err());
    }
}
