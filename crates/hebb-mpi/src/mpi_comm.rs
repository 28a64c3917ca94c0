//! [`Communicator`] over MPI (rsmpi), and MPI start-up.

use hebb_core::comm::Communicator;
use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::{Communicator as _, SimpleCommunicator};
use mpi::traits::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Start MPI for a program whose worker threads never call MPI (only the
/// thread that steps the network does): `MPI_THREAD_FUNNELED`. `None` if
/// MPI was already initialised. Dropping the returned universe finalises
/// MPI, so keep it alive for the whole run.
pub fn initialize() -> Option<Universe> {
    mpi::initialize_with_threading(mpi::Threading::Funneled).map(|(u, _)| u)
}

/// Time and volume of the spike exchanges of one rank, shared between the
/// communicator (which the network owns) and the program that reports it.
#[derive(Debug, Default)]
pub struct ExchangeStats {
    nanos: AtomicU64,
    calls: AtomicU64,
    words: AtomicU64,
}

impl ExchangeStats {
    /// Wall seconds spent inside [`Communicator::all_gather_u32`], including
    /// waiting for the slowest rank to arrive.
    pub fn seconds(&self) -> f64 {
        self.nanos.load(Ordering::Relaxed) as f64 * 1e-9
    }
    /// Number of all-gathers (one per step).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
    /// Spike ids received in all exchanges together.
    pub fn words(&self) -> u64 {
        self.words.load(Ordering::Relaxed)
    }
}

/// [`Communicator`] over `MPI_COMM_WORLD`.
///
/// ```no_run
/// use hebb_mpi::MpiComm;
/// let universe = hebb_mpi::initialize().expect("MPI starts once");
/// let comm = MpiComm::world(&universe);
/// let mut cfg = hebb_sim::SimConfig::akil_demo();
/// cfg.run.duration_ms = 1000.0;
/// let mut sim = hebb_sim::Simulation::new_distributed(cfg, Box::new(comm)).unwrap();
/// sim.run(&mut |_| {}).unwrap();
/// let global = sim.network.gather_recurrent(); // Some(all synapses) on rank 0
/// ```
///
/// The all-gather is two MPI collectives: an `MPI_Allgather` of one count
/// per rank, then an `MPI_Allgatherv` of the lists into one buffer laid out
/// in rank order. The gather to rank 0 is the same with `MPI_Gather` and
/// `MPI_Gatherv`. Buffers for counts and displacements are reused, so a step
/// allocates nothing once the receive buffer has grown.
///
/// It holds no MPI handle (the world communicator is named afresh in each
/// call), so it is `Send`; it must still only be used from the thread that
/// initialised MPI, while the [`Universe`] is alive.
#[derive(Debug)]
pub struct MpiComm {
    rank: usize,
    size: usize,
    counts: Vec<Count>,
    displs: Vec<Count>,
    stats: Arc<ExchangeStats>,
}

impl MpiComm {
    /// The communicator of all processes. Borrowing the universe proves MPI
    /// is initialised.
    pub fn world(universe: &Universe) -> Self {
        let world = universe.world();
        let size = world.size() as usize;
        Self {
            rank: world.rank() as usize,
            size,
            counts: vec![0; size],
            displs: vec![0; size],
            stats: Arc::new(ExchangeStats::default()),
        }
    }

    /// The exchange statistics of this rank (a handle that stays valid after
    /// the communicator moved into a network).
    pub fn stats(&self) -> Arc<ExchangeStats> {
        Arc::clone(&self.stats)
    }

    /// Fill `displs` from `counts` (prefix sums) and return the total.
    fn layout(&mut self) -> usize {
        let mut at: Count = 0;
        for (d, &c) in self.displs.iter_mut().zip(&self.counts) {
            *d = at;
            at = at.checked_add(c).expect("an exchange of fewer than 2^31 values");
        }
        at as usize
    }
}

fn count_of(local: &[u32]) -> Count {
    Count::try_from(local.len()).expect("a rank sends fewer than 2^31 values")
}

impl Communicator for MpiComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>) {
        let start = Instant::now();
        let world = SimpleCommunicator::world();
        world.all_gather_into(&count_of(local), &mut self.counts[..]);
        let total = self.layout();
        out.clear();
        out.resize(total, 0);
        let mut part = PartitionMut::new(&mut out[..], &self.counts[..], &self.displs[..]);
        world.all_gather_varcount_into(local, &mut part);
        let s = &self.stats;
        s.nanos.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        s.calls.fetch_add(1, Ordering::Relaxed);
        s.words.fetch_add(total as u64, Ordering::Relaxed);
    }
    fn gather_u32(&mut self, local: &[u32], out: &mut Vec<u32>) {
        let world = SimpleCommunicator::world();
        let root = world.process_at_rank(0);
        out.clear();
        if self.rank == 0 {
            root.gather_into_root(&count_of(local), &mut self.counts[..]);
            let total = self.layout();
            out.resize(total, 0);
            let mut part = PartitionMut::new(&mut out[..], &self.counts[..], &self.displs[..]);
            root.gather_varcount_into_root(local, &mut part);
        } else {
            root.gather_into(&count_of(local));
            root.gather_varcount_into(local);
        }
    }
}
