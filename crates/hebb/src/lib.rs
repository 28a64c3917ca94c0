//! # hebb
//!
//! Simulate, train and analyse plastic recurrent neural networks, with the
//! theory beside every simulation. This facade re-exports the workspace's
//! crates and holds what the `hebb` program adds on top: config files with
//! `--set` overrides ([`config`]) and the bridge from a simulation config to
//! its mean-field theory ([`theory`]).
//!
//! ```no_run
//! use hebb::config::{load, Preset};
//! let cfg = load(None, Preset::Akil, &["run.duration_ms=1000".into()]).unwrap();
//! let mut sim = hebb::sim::Simulation::new(cfg.clone()).unwrap();
//! sim.run(&mut |_| {}).unwrap();
//! let theory = hebb::theory::rates(&cfg, None).unwrap();
//! println!("{:?} vs {:?}", sim.results().rates_hz, theory);
//! ```

pub use hebb_analysis as analysis;
pub use hebb_connectivity as connectivity;
pub use hebb_core as core;
pub use hebb_io as io;
pub use hebb_neurons as neurons;
pub use hebb_plot as plot;
pub use hebb_sim as sim;
pub use hebb_stimulus as stimulus;

pub mod config;
pub mod output;
pub mod report;
pub mod theory;
