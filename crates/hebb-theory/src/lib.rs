//! Theory beside the simulations: balanced mean-field rates and covariances.
