//! Eigen-solver comparison on the actual joint Jacobian L of Clark & Abbott
//! (spec `clark.md` §5.1, §10.5; `ecosystem.md` §2.2): faer (`Par::Seq`),
//! nalgebra (Schur), LAPACK `dgeev` (feature `lapack`, the system
//! liblapack) and numpy.linalg.eigvals (if `python3 -c 'import numpy'`
//! works; one OpenBLAS thread), on the same matrix in the same run.
//!
//! ```text
//! cargo run --release -p hebb-theory --example eigen_compare [--features lapack] -- \
//!     [--sizes 1000,2000] [--reps 3] [--nalgebra-max 2000]
//! ```
//!
//! The matrix: L at the state of a g = 2, k = 1, τ_s = 1 network of N = 2N/2
//! units after t = 200 (2000 Euler steps, seed 1). Times are CPU seconds of
//! this process (user + system, /proc/self/stat) around each call, the
//! median of `reps` calls (one call for nalgebra above 1000). Prints a
//! Markdown table with the load average before and after each size.

use hebb_rate::{DenseNetwork, Nonlinearity, RateFunction, RateParams};
use hebb_theory::jacobian::{Eigenvalue, Plastic, eigenvalues, max_matching_distance, reduced_jacobian};
use std::io::Write;
use std::time::Instant;

fn cpu_seconds() -> f64 {
    // Fields 14 and 15 (utime, stime) of /proc/self/stat in clock ticks
    // (USER_HZ = 100 on Linux). The command name (field 2) may contain
    // spaces, so split after the closing parenthesis.
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (tick(11) + tick(12)) / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Time `f` `reps` times; (median CPU s, median wall s, last result).
fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    let mut out = None;
    for _ in 0..reps.max(1) {
        let (c0, w0) = (cpu_seconds(), Instant::now());
        out = Some(f());
        cpu.push(cpu_seconds() - c0);
        wall.push(w0.elapsed().as_secs_f64());
    }
    (median(cpu), median(wall), out.unwrap())
}

fn nalgebra_eigs(l: &[f64], m: usize) -> Vec<Eigenvalue> {
    let a = nalgebra::DMatrix::from_row_slice(m, m, l);
    a.complex_eigenvalues().iter().map(|c| Eigenvalue { re: c.re, im: c.im }).collect()
}

/// numpy.linalg.eigvals on the matrix written to `path` (row-major f64):
/// (median CPU s, median wall s, eigenvalues) or None if numpy is missing.
fn numpy_eigs(path: &std::path::Path, m: usize, reps: usize) -> Option<(f64, f64, Vec<Eigenvalue>)> {
    let script = format!(
        "import os, sys, time, numpy as np\n\
         a = np.fromfile(r'{}', dtype='<f8').reshape({m}, {m})\n\
         cs, ws = [], []\n\
         for _ in range({reps}):\n\
         \x20   c0, w0 = time.process_time(), time.perf_counter()\n\
         \x20   w = np.linalg.eigvals(a)\n\
         \x20   cs.append(time.process_time() - c0); ws.append(time.perf_counter() - w0)\n\
         print(sorted(cs)[len(cs)//2], sorted(ws)[len(ws)//2])\n\
         np.stack([w.real, w.imag], axis=1).astype('<f8').tofile(r'{}.eig')\n",
        path.display(),
        path.display()
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("numpy: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace().map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
    let (cpu, wall) = (it.next()?, it.next()?);
    let bytes = std::fs::read(format!("{}.eig", path.display())).ok()?;
    let vals: Vec<f64> = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    Some((cpu, wall, vals.chunks_exact(2).map(|c| Eigenvalue { re: c[0], im: c[1] }).collect()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> =
        get("--sizes").unwrap_or_else(|| "1000,2000".into()).split(',').filter_map(|v| v.parse().ok()).collect();
    let reps: usize = get("--reps").and_then(|v| v.parse().ok()).unwrap_or(3);
    let nalgebra_max: usize = get("--nalgebra-max").and_then(|v| v.parse().ok()).unwrap_or(2000);
    let tmp = std::env::temp_dir().join(format!("hebb_eigen_compare_{}", std::process::id()));

    println!("| 2N | solver | CPU s (median of reps) | wall s | reps | max|Δλ| vs faer | loadavg before → after |");
    println!("|---|---|---|---|---|---|---|");
    for &m in &sizes {
        let n = m / 2;
        let p = RateParams { n, g: 2.0, k: 1.0, tau_s: 1.0, ..Default::default() };
        let mut net = DenseNetwork::new(&p, 1).expect("network");
        net.run(2000);
        let (phi, dphi): (Vec<f64>, Vec<f64>) =
            net.x().iter().map(|&x| (Nonlinearity::Erf.phi(x), Nonlinearity::Erf.dphi(x))).unzip();
        let a = net.plastic_matrix();
        let gj = net.couplings().to_f64();
        let l = reduced_jacobian(&gj, Plastic::Dense(&a), &phi, &dphi, p.k, p.tau_s).expect("L");
        let row = |name: &str, r: usize, la: &str, res: (f64, f64, Vec<Eigenvalue>), reference: &[Eigenvalue]| {
            let d = max_matching_distance(&res.2, reference).unwrap_or(f64::NAN);
            println!("| {m} | {name} | {:.3} | {:.3} | {r} | {d:.1e} | {la} → {} |", res.0, res.1, loadavg());
            std::io::stdout().flush().ok();
        };
        let la = loadavg();
        let faer = time(reps, || eigenvalues(&l, m).expect("faer"));
        let reference = faer.2.clone();
        row("faer 0.24 evd_real (Par::Seq)", reps, &la, faer, &reference);

        #[cfg(feature = "lapack")]
        {
            let la = loadavg();
            let r = time(reps, || hebb_theory::jacobian::lapack::eigenvalues(&l, m).expect("dgeev"));
            row("LAPACK dgeev (system liblapack)", reps, &la, r, &reference);
        }

        let bytes: Vec<u8> = l.iter().flat_map(|v| v.to_le_bytes()).collect();
        if std::fs::write(&tmp, bytes).is_ok() {
            let la = loadavg();
            match numpy_eigs(&tmp, m, reps) {
                Some(r) => row("numpy.linalg.eigvals (OpenBLAS, 1 thread)", reps, &la, r, &reference),
                None => println!("| {m} | numpy | unavailable | | | | |"),
            }
        }

        if m <= nalgebra_max {
            let r_na = if m > 1000 { 1 } else { reps };
            let la = loadavg();
            let r = time(r_na, || nalgebra_eigs(&l, m));
            row("nalgebra 0.35 complex_eigenvalues", r_na, &la, r, &reference);
        }
    }
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_file(format!("{}.eig", tmp.display()));
}
