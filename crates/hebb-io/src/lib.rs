//! Run directories, manifests, JSON summaries, NPY and CSV writers.
