//! Helpers shared by the integration tests.
#![allow(dead_code)]

use hebb_core::rng::{Purpose, stream};
use hebb_training::{Grouping, PlasticInputs, Rls, RlsConfig};
use rand::RngExt;
use rand_distr::StandardNormal;
use rand_pcg::Pcg64;

pub fn rng(id: u64) -> Pcg64 {
    stream(2026, Purpose::User, &[id])
}

pub fn normal(r: &mut Pcg64) -> f64 {
    r.sample(StandardNormal)
}

/// Random single-neuron problem of the numpy peer's `rls-unit` (a):
/// `R ~ U(0, 0.1)`, `h ~ 0.5 N`, `f ~ N`, `w0 = ±1 + 0.1 N` (E first).
pub struct Problem {
    pub samples: Vec<Vec<f64>>,
    pub h: Vec<f64>,
    pub f: Vec<f64>,
    pub w0: Vec<f64>,
}

pub fn problem(id: u64, kp: usize, n_exc: usize, n: usize) -> Problem {
    let mut r = rng(id);
    let samples = (0..n).map(|_| (0..kp).map(|_| 0.1 * r.random::<f64>()).collect()).collect();
    let h = (0..n).map(|_| 0.5 * normal(&mut r)).collect();
    let f = (0..n).map(|_| normal(&mut r)).collect();
    let w0 = (0..kp).map(|j| if j < n_exc { 1.0 } else { -1.0 } + 0.1 * normal(&mut r)).collect();
    Problem { samples, h, f, w0 }
}

/// One-row RLS on inputs `0..kp` with the given labels.
pub fn one_row(w0: &[f64], labels: Vec<u16>, cfg: RlsConfig) -> Rls<f64> {
    let kp = w0.len();
    let inputs = PlasticInputs::from_rows(
        kp,
        vec![0],
        &[(0..kp as u32).collect()],
        &[w0.to_vec()],
        &Grouping::Labels(labels).labels(kp).unwrap(),
    )
    .unwrap();
    Rls::new(inputs, cfg).unwrap()
}

/// Labels for contiguous group sizes.
pub fn labels_from_sizes(sizes: &[usize]) -> Vec<u16> {
    sizes.iter().enumerate().flat_map(|(b, &k)| std::iter::repeat_n(b as u16, k)).collect()
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}
