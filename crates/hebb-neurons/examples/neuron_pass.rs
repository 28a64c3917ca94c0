//! Cost of the engine's EIF neuron pass per neuron-step: the fused pass
//! ([`NeuronModel::integrate_detect`], AVX2 where available) with the
//! single-precision exponential, against the two portable passes (decay +
//! Euler step, then a threshold scan), with the single- and the
//! double-precision exponential (the latter always runs portable), in one
//! process, on N = 5000 neurons in chunks of 1024 as the engine runs them.
//!
//! `cargo run --release -p hebb-neurons --example neuron_pass -- [STEPS] [ROUNDS]`
//!
//! Prints CPU nanoseconds per neuron-step for each (median over rounds) and
//! checks that the fused and the two-pass update give the same potentials
//! bit for bit at each precision.
use hebb_neurons::{Eif, ExpPrecision, NeuronModel, detect_spikes};
use std::time::Instant;

const N: usize = 5000;
const CHUNK: usize = 1024;

struct State {
    v: Vec<f32>,
    r: Vec<u32>,
    ie: Vec<f32>,
    ii: Vec<f32>,
    ix: Vec<f32>,
}

fn state() -> State {
    let v = (0..N).map(|j| -75.0 + 20.0 * ((j * 7919) % N) as f32 / N as f32).collect();
    State { v, r: vec![0; N], ie: vec![0.5; N], ii: vec![-0.5; N], ix: vec![0.0; N] }
}

/// `steps` steps of the pass; drive each neuron with a constant 1.2 mV/ms
/// through I^x (re-added each step, as external spikes would) so that some
/// fire, and reset the spiking ones. Returns (CPU seconds, spikes).
fn run(m: &Eif, s: &mut State, steps: usize, fused: bool) -> (f64, usize) {
    let decay = [0.98, 0.99, 0.99];
    let mut spiked = Vec::new();
    let mut count = 0;
    let t0 = cpu_time();
    for _ in 0..steps {
        for x in s.ix.iter_mut() {
            *x += 0.012;
        }
        spiked.clear();
        for (c, lo) in (0..N).step_by(CHUNK).enumerate() {
            let hi = (lo + CHUNK).min(N);
            let (v, r) = (&mut s.v[lo..hi], &mut s.r[lo..hi]);
            let (ie, ii, ix) = (&mut s.ie[lo..hi], &mut s.ii[lo..hi], &mut s.ix[lo..hi]);
            let offset = (c * CHUNK) as u32;
            if fused {
                m.integrate_detect(0.1, decay, v, r, ie, ii, ix, offset, &mut spiked);
            } else {
                m.integrate_decaying(0.1, decay, v, r, ie, ii, ix);
                detect_spikes(v, m.v_threshold() as f32, offset, &mut spiked);
            }
        }
        for &k in &spiked {
            s.v[k as usize] = m.v_reset() as f32;
        }
        count += spiked.len();
    }
    (cpu_time() - t0, count)
}

fn cpu_time() -> f64 {
    // Process CPU time via clock_gettime(CLOCK_PROCESS_CPUTIME_ID) is not in
    // std; /proc/self/stat's utime+stime has 10 ms resolution, enough for
    // rounds of a second.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    if ticks == 0.0 { Instant::now().elapsed().as_secs_f64() } else { ticks / 100.0 }
}

fn median(mut x: Vec<f64>) -> f64 {
    x.sort_by(f64::total_cmp);
    x[x.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (steps, rounds) = (args.first().copied().unwrap_or(20_000), args.get(1).copied().unwrap_or(5));
    let single = Eif::akil();
    let double = Eif { exp_precision: ExpPrecision::Double, ..Eif::akil() };
    let cases: [(&str, &Eif, bool); 4] = [
        ("fused, single exp", &single, true),
        ("fused, double exp", &double, true),
        ("two passes, single exp", &single, false),
        ("two passes, double exp", &double, false),
    ];
    let mut ns = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        let mut finals = Vec::new();
        for (c, &(_, m, fused)) in cases.iter().enumerate() {
            let mut s = state();
            let (t, spikes) = run(m, &mut s, steps, fused);
            ns[c].push(t * 1e9 / (steps * N) as f64);
            finals.push((s.v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), spikes));
        }
        assert_eq!(finals[0], finals[2], "single precision: fused and two passes differ");
        assert_eq!(finals[1], finals[3], "double precision: fused and two passes differ");
    }
    println!("CPU ns per neuron-step, median of {rounds} rounds of {steps} steps (N = {N}):");
    for ((name, ..), x) in cases.iter().zip(ns) {
        println!("  {name:<24} {:.3}", median(x));
    }
}
