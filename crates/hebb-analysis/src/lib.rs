//! Statistics on recorded spikes: rates, spike-count covariances and correlations in O(N) memory.
