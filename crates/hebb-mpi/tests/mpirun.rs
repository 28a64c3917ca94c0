//! The demo network of `hebb run` (N = 5000, iSTDP on E←I and I←I), run by
//! `hebb-mpi-run` under `mpirun` on 1, 2 and 3 ranks (3 gives uneven blocks
//! of 1666 and 1667 neurons), writes byte-identical
//! rasters and weights, and both equal the plain single-process hebb-sim
//! run of the same config. Exact equality, no tolerance: the split changes
//! no random stream (all keyed by global ids) and no floating-point
//! operation (crate README, "Design").
//!
//! Needs `mpirun` (Debian `openmpi-bin`) on PATH, like the build of this
//! crate needs `libopenmpi-dev`. Set `HEBB_MPIRUN` to use another launcher
//! command (e.g. `mpiexec`).

use hebb::config::{self, Preset};
use hebb_sim::{SimConfig, Simulation, SpikeSink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// 1 s of the demo keeps the test at a few seconds per run while giving
/// ≈36 000 spikes and weight changes on both plastic types.
const SETS: [&str; 2] = ["network.n=5000", "run.duration_ms=1000"];
const FILES: [&str; 5] = [
    "spikes_t_ms.npy",
    "spikes_neuron.npy",
    "weights.npy",
    "weights_E_from_I_t1000ms.npy",
    "weights_I_from_I_t1000ms.npy",
];

fn mpirun(ranks: usize, out: &Path) {
    let launcher = std::env::var("HEBB_MPIRUN").unwrap_or_else(|_| "mpirun".into());
    let mut cmd = Command::new(&launcher);
    cmd.args(["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader", "-n"])
        .arg(ranks.to_string())
        .arg(env!("CARGO_BIN_EXE_hebb-mpi-run"))
        .arg("--out")
        .arg(out)
        .arg("--overwrite");
    for s in SETS {
        cmd.args(["--set", s]);
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot start {launcher} (install openmpi-bin): {e}"));
    assert!(
        output.status.success(),
        "{launcher} -n {ranks} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[derive(Clone, Default)]
struct Raster(Arc<Mutex<(Vec<f64>, Vec<u32>)>>);

impl SpikeSink for Raster {
    fn spikes(&mut self, t_ms: f64, neurons: &[u32]) -> std::io::Result<()> {
        let mut r = self.0.lock().unwrap();
        r.0.extend(std::iter::repeat_n(t_ms, neurons.len()));
        r.1.extend_from_slice(neurons);
        Ok(())
    }
    fn written(&self) -> u64 {
        self.0.lock().unwrap().1.len() as u64
    }
}

fn bits32(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn one_two_and_three_ranks_equal_one_process() {
    let dirs = [out_dir("mpi-1"), out_dir("mpi-2"), out_dir("mpi-3")];
    for (i, d) in dirs.iter().enumerate() {
        mpirun(i + 1, d);
    }
    for f in FILES {
        let a = std::fs::read(dirs[0].join(f)).unwrap();
        for (i, d) in dirs.iter().enumerate().skip(1) {
            let b = std::fs::read(d.join(f)).unwrap();
            assert!(a == b, "{f} differs between 1 and {} ranks", i + 1);
        }
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dirs[1].join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["ranks"], 2);
    assert_eq!(summary["timing"]["per_rank"][1]["block"], serde_json::json!([2500, 5000]));

    // The plain single-process run of the same config.
    let sets: Vec<String> = SETS.iter().map(|s| s.to_string()).collect();
    let cfg: SimConfig = config::load(None, Preset::Akil, &sets).unwrap();
    let raster = Raster::default();
    let mut sim = Simulation::new(cfg.clone()).unwrap().with_sink(Box::new(raster.clone()));
    sim.run(&mut |_| {}).unwrap();
    let (times, neurons) = std::mem::take(&mut *raster.0.lock().unwrap());
    assert!(neurons.len() > 10_000, "the demo spikes: {} spikes", neurons.len());
    let t_mpi = hebb::io::read_npy_f64(dirs[1].join("spikes_t_ms.npy")).unwrap().data;
    let n_mpi = hebb::io::read_npy_u32(dirs[1].join("spikes_neuron.npy")).unwrap().data;
    assert!(n_mpi == neurons, "spike neurons differ from the single-process run");
    assert!(t_mpi.iter().map(|t| t.to_bits()).eq(times.iter().map(|t| t.to_bits())), "spike times differ");
    let w_mpi = hebb::io::read_npy_f32(dirs[1].join("weights.npy")).unwrap().data;
    let w_one = sim.network.recurrent.weights();
    assert!(bits32(&w_mpi) == bits32(w_one), "weights differ from the single-process run");
    let initial = hebb_sim::Network::build(&cfg).unwrap();
    assert!(bits32(initial.recurrent.weights()) != bits32(w_one), "plasticity must have changed weights");
}
