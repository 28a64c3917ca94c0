//! How close the fused RLS sweep comes to the memory floor (kimchow.md §8.1).
//!
//! Over one arena of N = 1000 packed f64 blocks with K_p = 200 (161 MB, the
//! Figure-5 scale), one thread, it times in the same process:
//!
//! * `floor`: a plain in-place read-modify-write pass over the arena (the
//!   least any one-sweep update can cost: every byte read and written once);
//! * `fused avx2`: [`fused_downdate_symv`] (the hand-vectorised build);
//! * `fused portable`: the same sweep through the portable loop (what the
//!   compiler's auto-vectoriser makes of it); bit-identical results.
//!
//! ```text
//! cargo run --release -p hebb-training --example kernel_floor -- [reps] [k_p] [n]
//! ```
//!
//! Prints the minimum and median wall time of each over `reps` sweeps and
//! the ratios to the floor; timings on a shared machine are noisy, so read
//! the ratios (measured interleaved, rep by rep).

use hebb_training::kernel::{fused_dispatch, fused_downdate_symv, packed_len};
use std::time::Instant;

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let reps = args.first().copied().unwrap_or(15).max(1);
    let k = args.get(1).copied().unwrap_or(200).max(1);
    let n = args.get(2).copied().unwrap_or(1000).max(1);
    let len = packed_len(k);
    let mut arena: Vec<f64> = (0..n * len).map(|i| 1.0 + (i % 7) as f64 * 1e-3).collect();
    let kp: Vec<f64> = (0..k).map(|i| 1e-3 * (i as f64).sin()).collect();
    let rho: Vec<f64> = (0..k).map(|i| 0.5 + 1e-3 * (i as f64).cos()).collect();
    let mut k_out = vec![0.0f64; k];
    let mut sink = 0.0;
    let (mut floor, mut avx, mut portable) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        for x in arena.iter_mut() {
            *x *= 1.000_000_1;
        }
        floor.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for b in arena.chunks_exact_mut(len) {
            fused_downdate_symv(b, k, &kp, 1e-9, &rho, &mut k_out);
            sink += k_out[0];
        }
        avx.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for b in arena.chunks_exact_mut(len) {
            fused_dispatch(true, b, k, &kp, 1e-9, &rho, &mut k_out);
            sink += k_out[0];
        }
        portable.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (f, a, p) = (stats(&mut floor), stats(&mut avx), stats(&mut portable));
    let mb = (n * len * 8) as f64 / 1e6;
    println!("arena {mb:.0} MB (N = {n}, K_p = {k}, f64), {reps} interleaved reps, 1 thread; ms min / median:");
    println!("  floor (in-place read-modify-write) {:7.1} {:7.1}", f.0, f.1);
    println!("  fused avx2                         {:7.1} {:7.1}   x{:.2} of floor", a.0, a.1, a.1 / f.1);
    println!("  fused portable                     {:7.1} {:7.1}   x{:.2} of floor", p.0, p.1, p.1 / f.1);
    println!("  portable / avx2 (medians)          x{:.2}   (checksum {sink:.3e})", p.1 / a.1);
}
