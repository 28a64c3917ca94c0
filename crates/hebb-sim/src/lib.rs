//! The spiking engine: network build, one documented step, recorders, checkpoints.
