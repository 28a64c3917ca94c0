//! Experiment `akil_f_hebbian` (see `hebb_experiments::akil_hebbian`): one
//! task per rule, so it runs as a Slurm job array too.
fn main() -> anyhow::Result<()> {
    hebb_experiments::main_sweep::<hebb_experiments::akil_hebbian::HebbianParams>("akil_f_hebbian")
}
