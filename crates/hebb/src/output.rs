//! Output files that several programs write the same way.

use hebb_io::{NpyStreamWriter, RunDir};
use hebb_sim::SpikeSink;

/// Spikes streamed to two NPY files in a run directory, `spikes_t_ms.npy`
/// (ms, float64) and `spikes_neuron.npy` (uint32): the raster of `hebb run`
/// and of `hebb-mpi-run`, written as the simulation goes.
pub struct SpikeFiles {
    times: NpyStreamWriter<f64>,
    neurons: NpyStreamWriter<u32>,
}

impl SpikeFiles {
    /// Create the two files in `dir`, or with `keep = Some(k)` reopen them
    /// keeping their first `k` spikes (resuming from a checkpoint).
    pub fn open(dir: &RunDir, keep: Option<u64>) -> anyhow::Result<Self> {
        let paths = [dir.path("spikes_t_ms.npy"), dir.path("spikes_neuron.npy")];
        // A run killed after a checkpoint leaves its in-progress files under
        // hidden temporary names (hard links to the same data): drop them.
        if keep.is_some() {
            for entry in std::fs::read_dir(dir.root())?.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with(".spikes_") && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let (times, neurons) = match keep {
            None => (NpyStreamWriter::create_1d(&paths[0])?, NpyStreamWriter::create_1d(&paths[1])?),
            Some(k) => {
                (NpyStreamWriter::resume(&paths[0], k as usize)?, NpyStreamWriter::resume(&paths[1], k as usize)?)
            }
        };
        Ok(Self { times, neurons })
    }
}

impl SpikeSink for SpikeFiles {
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        for _ in neurons {
            self.times.push(t_ms).map_err(std::io::Error::other)?;
        }
        self.neurons.append(neurons).map_err(std::io::Error::other)
    }
    fn written(&self) -> u64 {
        self.neurons.rows() as u64
    }
    /// Make both files valid up to now under their final names (writing
    /// goes on), so a run killed after the checkpoint can be resumed.
    fn checkpoint(&mut self) -> std::io::Result<()> {
        self.times.checkpoint().map_err(std::io::Error::other)?;
        self.neurons.checkpoint().map_err(std::io::Error::other)?;
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.times.finish().map_err(std::io::Error::other)?;
        self.neurons.finish().map_err(std::io::Error::other)?;
        Ok(())
    }
}
