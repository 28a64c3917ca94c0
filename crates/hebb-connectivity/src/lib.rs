//! Sparse synapse storage (CSR by presynaptic neuron, f32 weights, u32 targets) and builders.
