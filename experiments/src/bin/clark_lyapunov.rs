//! Experiment `clark_lyapunov` (see `hebb_experiments::clark_lyapunov`): one
//! task per simulation, so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::clark_lyapunov::LyapunovParams>("clark_lyapunov")
}
