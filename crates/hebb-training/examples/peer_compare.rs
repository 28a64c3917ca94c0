//! Side by side with the numpy peer `kimchow_ref.py` (see /work/shared/peers/README.md).
//!
//! ```text
//! cargo run --release -p hebb-training --example peer_compare -- \
//!     [--python .venv-peers/bin/python] [--peer ../shared/peers/kimchow_ref.py] \
//!     [--reps 10] [--skip-peer-bench] [--skip-surrogate] [--json target/peers.jsonl]
//! ```
//!
//! 1. **Same inputs.** Rust draws the data of the peer's `rls-unit` checks
//!    (five soft/off/subpopulation configurations, two hard-ROWSUM runs, and a
//!    network-sized K_p = 200 run), writes them as raw f64 files, and a small
//!    driver imports the peer module and runs *its* `p0_closed` and
//!    `rls_step_single` (and its projected hard-mode loop) on them. We compare
//!    the final weights, `P`, `P₀` and the row-sum drift element by element.
//! 2. **The peer's `rls-unit` subcommand**, unmodified, on its own random
//!    data: its statistics beside ours on ours (same distributions).
//! 3. **The peer's `surrogate` subcommand** (8 seeds): statistics beside ours.
//! 4. **Timing**: one RLS update of all neurons, N = 1000, K_p = 200
//!    (100 E + 100 I, soft ROWSUM μ = 8, λ = 0.5), one thread on both
//!    sides (the peer's `bench` pins BLAS to one thread); process CPU time.

use hebb_core::rng::{Purpose, stream};
use hebb_training::surrogate::{SurrogateConfig, surrogate_data};
use hebb_training::theory::{BlockMoments, p0_closed_form, q_matrix, ranges_from_sizes};
use hebb_training::wiring::{FixedInDegree, fixed_in_degree};
use hebb_training::{Grouping, PlasticInputs, Precision, Real, Rls, RlsConfig, Rowsum};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const DRIVER: &str = r#"
import json, os, sys
import numpy as np
peer_dir, d = sys.argv[1], sys.argv[2]
sys.path.insert(0, peer_dir)
import kimchow_ref as K
spec = json.load(open(os.path.join(d, "cases.json")))
def rd(name, shape):
    return np.fromfile(os.path.join(d, name), dtype="<f8").reshape(shape)
for c in spec["cases"]:
    i, kp, n, lam = c["id"], c["kp"], c["n"], c["lam"]
    mu = np.inf if c["mu"] == "inf" else float(c["mu"])
    groups = [tuple(g) for g in c["groups"]]
    R = rd(f"{i}_R.bin", (n, kp)); h = rd(f"{i}_h.bin", (n,)); f = rd(f"{i}_f.bin", (n,))
    w0 = rd(f"{i}_w0.bin", (kp,))
    P = K.p0_closed(kp, groups, lam, mu)
    P.astype("<f8").tofile(os.path.join(d, f"{i}_P0_np.bin"))
    w = w0.copy()
    sums0 = [w[s:e].sum() for (s, e) in groups]
    drift = 0.0
    for m in range(n):
        if np.isinf(mu):
            # the peer's hard-mode loop with the re-projection of k (rls-unit (c), project_k=True)
            r = R[m]
            k = P @ r
            cc = 1.0 / (1.0 + r @ k)
            P -= cc * np.outer(k, k)
            e = w @ r + h[m] - f[m]
            for (s, e2) in groups:
                k[s:e2] -= k[s:e2].mean()
            w -= cc * e * k
            drift = max(drift, max(abs(w[s:e2].sum() - s0) for (s, e2), s0 in zip(groups, sums0)))
        else:
            K.rls_step_single(P, w, R[m], h[m], f[m])
    w.astype("<f8").tofile(os.path.join(d, f"{i}_w_np.bin"))
    P.astype("<f8").tofile(os.path.join(d, f"{i}_P_np.bin"))
    c["drift_np"] = drift
json.dump(spec, open(os.path.join(d, "out.json"), "w"))
"#;

struct Args {
    python: PathBuf,
    peer: PathBuf,
    reps: usize,
    peer_bench: bool,
    surrogate: bool,
    json: PathBuf,
}

fn args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut a = Args {
        python: root.join(".venv-peers/bin/python"),
        peer: PathBuf::from("/work/shared/peers/kimchow_ref.py"),
        reps: 10,
        peer_bench: true,
        surrogate: true,
        json: root.join("target/peers.jsonl"),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        match v[i].as_str() {
            "--python" => {
                a.python = v[i + 1].clone().into();
                i += 1
            }
            "--peer" => {
                a.peer = v[i + 1].clone().into();
                i += 1
            }
            "--reps" => {
                a.reps = v[i + 1].parse().expect("--reps N");
                i += 1
            }
            "--json" => {
                a.json = v[i + 1].clone().into();
                i += 1
            }
            "--skip-peer-bench" => a.peer_bench = false,
            "--skip-surrogate" => a.surrogate = false,
            other => panic!("unknown argument {other}"),
        }
        i += 1;
    }
    a
}

/// Process CPU time (all threads), ns, from /proc/self/task/*/schedstat.
fn process_cpu_ns() -> u64 {
    let mut s = 0;
    if let Ok(rd) = std::fs::read_dir("/proc/self/task") {
        for t in rd.flatten() {
            if let Ok(x) = std::fs::read_to_string(t.path().join("schedstat")) {
                s += x.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            }
        }
    }
    s
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_f64(path: &Path, x: &[f64]) {
    let mut f = std::fs::File::create(path).unwrap();
    let mut buf = Vec::with_capacity(x.len() * 8);
    for v in x {
        buf.extend_from_slice(&v.to_le_bytes());
    }
    f.write_all(&buf).unwrap();
}

fn read_f64(path: &Path) -> Vec<f64> {
    std::fs::read(path).unwrap().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn max_abs(x: impl Iterator<Item = f64>) -> f64 {
    x.fold(0.0, |m, v| m.max(v.abs()))
}

struct Case {
    id: String,
    name: &'static str,
    sizes: Vec<usize>,
    lambda: f64,
    rowsum: Rowsum,
    n: usize,
    hard_data: bool,
}

fn cases() -> Vec<Case> {
    let c = |id: &str, name, sizes: Vec<usize>, lambda, rowsum, n, hard_data| Case {
        id: id.into(),
        name,
        sizes,
        lambda,
        rowsum,
        n,
        hard_data,
    };
    vec![
        c("a1", "EI soft", vec![50, 50], 0.5, Rowsum::Soft { mu: 2.0 }, 400, false),
        c("a2", "EI no rowsum", vec![50, 50], 0.5, Rowsum::Off, 400, false),
        c("a3", "EI small lam, mu=8", vec![50, 50], 0.05, Rowsum::Soft { mu: 8.0 }, 400, false),
        c("a4", "EI unequal 60/40", vec![60, 40], 0.3, Rowsum::Soft { mu: 1.0 }, 400, false),
        c("a5", "10 subpop groups", vec![13, 7, 11, 14, 5, 11, 9, 14, 9, 7], 0.2, Rowsum::Soft { mu: 3.0 }, 400, false),
        c("c1", "hard lam=0.5", vec![50, 50], 0.5, Rowsum::Hard, 5000, true),
        c("c2", "hard lam=0.05", vec![50, 50], 0.05, Rowsum::Hard, 5000, true),
        c("n1", "Kp=200 mu=8 n=2020", vec![100, 100], 0.5, Rowsum::Soft { mu: 8.0 }, 2020, false),
    ]
}

struct Data {
    r: Vec<f64>,
    h: Vec<f64>,
    f: Vec<f64>,
    w0: Vec<f64>,
}

/// The peer's distributions: (a) R ~ U(0, 0.1), h ~ 0.5 N, f ~ N,
/// w0 = ±1 + 0.1 N; (c) R ~ U(0, 0.1), h = 0, f ~ 2 N, w0 = ±1.
fn data(c: &Case, k: u64) -> Data {
    let kp: usize = c.sizes.iter().sum();
    let mut g = stream(77, Purpose::User, &[k]);
    let nrm = move |g: &mut rand_pcg::Pcg64| -> f64 { g.sample(StandardNormal) };
    let r: Vec<f64> = (0..c.n * kp).map(|_| 0.1 * g.random::<f64>()).collect();
    let (h, f, w0) = if c.hard_data {
        let f = (0..c.n).map(|_| 2.0 * nrm(&mut g)).collect();
        (vec![0.0; c.n], f, (0..kp).map(|j| if j < c.sizes[0] { 1.0 } else { -1.0 }).collect())
    } else {
        let h = (0..c.n).map(|_| 0.5 * nrm(&mut g)).collect();
        let f = (0..c.n).map(|_| nrm(&mut g)).collect();
        let w0 = (0..kp).map(|j| if j < c.sizes[0] { 1.0 } else { -1.0 } + 0.1 * nrm(&mut g)).collect();
        (h, f, w0)
    };
    Data { r, h, f, w0 }
}

fn labels(sizes: &[usize]) -> Vec<u16> {
    sizes.iter().enumerate().flat_map(|(b, &k)| std::iter::repeat_n(b as u16, k)).collect()
}

struct RustRun {
    w: Vec<f64>,
    p: Vec<f64>,
    drift: f64,
}

fn run_rust(c: &Case, d: &Data) -> RustRun {
    let kp = d.w0.len();
    let inputs = PlasticInputs::from_rows(
        kp,
        vec![0],
        &[(0..kp as u32).collect()],
        std::slice::from_ref(&d.w0),
        &labels(&c.sizes),
    )
    .unwrap();
    let mut rls = Rls::<f64>::new(
        inputs,
        RlsConfig { lambda: c.lambda, rowsum: c.rowsum, parallel: false, ..RlsConfig::default() },
    )
    .unwrap();
    let s0 = rls.group_sums(0);
    let mut drift: f64 = 0.0;
    for m in 0..c.n {
        rls.update(&d.r[m * kp..(m + 1) * kp], &[d.h[m]], &[d.f[m]]).unwrap();
        if c.rowsum == Rowsum::Hard {
            let s = rls.group_sums(0);
            drift = s.iter().zip(&s0).fold(drift, |a, (x, y)| a.max((x - y).abs()));
        }
    }
    let p = rls.p_dense(0);
    RustRun { w: rls.weights(0).to_vec(), p: p.iter().copied().collect(), drift }
}

fn same_inputs(a: &Args, dir: &Path) -> Vec<Value> {
    let cs = cases();
    let mut spec = Vec::new();
    let mut runs = Vec::new();
    for (k, c) in cs.iter().enumerate() {
        let d = data(c, k as u64);
        write_f64(&dir.join(format!("{}_R.bin", c.id)), &d.r);
        write_f64(&dir.join(format!("{}_h.bin", c.id)), &d.h);
        write_f64(&dir.join(format!("{}_f.bin", c.id)), &d.f);
        write_f64(&dir.join(format!("{}_w0.bin", c.id)), &d.w0);
        let groups: Vec<[usize; 2]> = ranges_from_sizes(&c.sizes).iter().map(|r| [r.start, r.end]).collect();
        spec.push(json!({"id": c.id, "kp": d.w0.len(), "n": c.n, "lam": c.lambda,
            "mu": if c.rowsum == Rowsum::Hard { json!("inf") } else { json!(c.rowsum.mu()) }, "groups": groups}));
        let t0 = Instant::now();
        let rr = run_rust(c, &d);
        runs.push((d, rr, t0.elapsed().as_secs_f64()));
    }
    std::fs::write(dir.join("cases.json"), json!({"cases": spec}).to_string()).unwrap();
    let driver = dir.join("driver.py");
    std::fs::write(&driver, DRIVER).unwrap();
    let peer_dir = a.peer.parent().unwrap();
    let t0 = Instant::now();
    let st = Command::new(&a.python)
        .arg(&driver)
        .arg(peer_dir)
        .arg(dir)
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .status()
        .expect("run python");
    assert!(st.success(), "python driver failed");
    let np_wall = t0.elapsed().as_secs_f64();
    let out: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    println!("\n== 1. same inputs: hebb Rls vs the peer's p0_closed + rls_step_single (numpy {np_wall:.1} s wall) ==");
    println!(
        "{:<22} {:>5} {:>5} | {:>10} {:>10} {:>10} {:>10} | {:>10} {:>10}",
        "case", "Kp", "n", "max|dw|", "rel", "rel dP", "rel dP0", "drift rs", "drift np"
    );
    let mut rows = Vec::new();
    for ((c, (d, rr, _)), o) in cs.iter().zip(&runs).zip(out["cases"].as_array().unwrap()) {
        let kp = d.w0.len();
        let w_np = read_f64(&dir.join(format!("{}_w_np.bin", c.id)));
        let p_np = read_f64(&dir.join(format!("{}_P_np.bin", c.id)));
        let p0_np = read_f64(&dir.join(format!("{}_P0_np.bin", c.id)));
        let p0 = p0_closed_form(kp, &ranges_from_sizes(&c.sizes), c.lambda, c.rowsum).unwrap();
        let dw = max_abs(rr.w.iter().zip(&w_np).map(|(a, b)| a - b));
        let moved = max_abs(w_np.iter().zip(&d.w0).map(|(a, b)| a - b));
        // p_dense is column-major, numpy row-major; P is symmetric.
        let dp = max_abs(rr.p.iter().zip(&p_np).map(|(a, b)| a - b)) / max_abs(p_np.iter().copied());
        let dp0 = max_abs(p0.iter().zip(&p0_np).map(|(a, b)| a - b)) / max_abs(p0_np.iter().copied());
        let drift_np = o["drift_np"].as_f64().unwrap_or(0.0);
        let hard = c.rowsum == Rowsum::Hard;
        println!(
            "{:<22} {:>5} {:>5} | {:>10.2e} {:>10.2e} {:>10.2e} {:>10.2e} | {:>10} {:>10}",
            c.name,
            kp,
            c.n,
            dw,
            dw / moved,
            dp,
            dp0,
            if hard { format!("{:.1e}", rr.drift) } else { "-".into() },
            if hard { format!("{:.1e}", drift_np) } else { "-".into() }
        );
        rows.push(json!({"case": c.name, "kp": kp, "n": c.n, "max_abs_dw": dw, "max_abs_w_minus_w0": moved,
            "rel_dP": dp, "rel_dP0": dp0, "rowsum_drift_rust": rr.drift, "rowsum_drift_numpy": drift_np}));
    }
    rows
}

fn run_peer(a: &Args, sub: &[&str], dir: &Path) -> Option<Value> {
    let jf = dir.join(format!("{}.jsonl", sub[0]));
    let _ = std::fs::remove_file(&jf);
    let t0 = Instant::now();
    let out = Command::new(&a.python)
        .arg(&a.peer)
        .arg("--threads")
        .arg("1")
        .arg("--json")
        .arg(&jf)
        .args(sub)
        .output()
        .ok()?;
    let log = dir.join(format!("peer_{}.log", sub[0]));
    let _ = std::fs::write(&log, [&out.stdout[..], &out.stderr[..]].concat());
    eprintln!(
        "[peer {}] exit {:?}, {:.1} s wall (output in {})",
        sub[0],
        out.status.code(),
        t0.elapsed().as_secs_f64(),
        log.display()
    );
    let txt = std::fs::read_to_string(&jf).ok()?;
    serde_json::from_str(txt.lines().last()?).ok()
}

/// Our side of the peer's rls-unit statistics on our own random data.
fn rls_unit_ours() -> Vec<Value> {
    let mut v = Vec::new();
    for (k, c) in cases().iter().enumerate().filter(|(_, c)| c.id.starts_with('a')) {
        let d = data(c, 1000 + k as u64);
        let kp = d.w0.len();
        let rr = run_rust(c, &d);
        let groups = ranges_from_sizes(&c.sizes);
        let q = q_matrix(kp, &groups, c.lambda, c.rowsum.mu()).unwrap();
        let r = nalgebra::DMatrix::from_fn(kp, c.n, |j, t| d.r[t * kp + j]);
        let g = nalgebra::DVector::from_fn(c.n, |t, _| d.f[t] - d.h[t]);
        let wb = hebb_training::theory::batch_penalised_ls(&r, &g, &nalgebra::DVector::from_column_slice(&d.w0), &q)
            .unwrap();
        let pb = hebb_training::theory::batch_inverse_correlation(&r, &q).unwrap();
        v.push(json!({"name": c.name,
            "max_abs_dw_final": max_abs(rr.w.iter().zip(wb.iter()).map(|(a, b)| a - b)),
            "max_abs_dP_final": max_abs(rr.p.iter().zip(pb.iter()).map(|(a, b)| a - b)),
            "mean_abs_w_minus_w0": wb.iter().zip(&d.w0).map(|(a, b)| (a - b).abs()).sum::<f64>() / kp as f64}));
    }
    v
}

fn surrogate_ours() -> Vec<Value> {
    let rows = [
        (1.0, Rowsum::Off),
        (0.01, Rowsum::Off),
        (0.01, Rowsum::Soft { mu: 0.01 }),
        (0.01, Rowsum::Soft { mu: 0.1 }),
        (0.01, Rowsum::Soft { mu: 1.0 }),
        (0.001, Rowsum::Off),
        (0.01, Rowsum::Hard),
    ];
    let cfg = SurrogateConfig::default();
    let mut acc = vec![[0.0f64; 6]; rows.len()];
    let seeds = 1..=8u64;
    for seed in seeds.clone() {
        let data = surrogate_data(&cfg, seed).unwrap();
        let mom = BlockMoments::from_samples(&data.samples, &data.target, &data.w0, &data.groups).unwrap();
        for (k, &(lambda, rowsum)) in rows.iter().enumerate() {
            let mut rls = Rls::<f64>::new(
                data.plastic_inputs().unwrap(),
                RlsConfig { lambda, rowsum, parallel: false, ..RlsConfig::default() },
            )
            .unwrap();
            for (s, &f) in data.samples.iter().zip(&data.target) {
                rls.update(s, &[0.0], &[f]).unwrap();
            }
            let w = rls.weights(0);
            let ke = cfg.k_exc;
            let de = w[..ke].iter().sum::<f64>() / ke as f64 - 1.0;
            let di = w[ke..].iter().sum::<f64>() / ke as f64 + 1.0;
            let p = mom.predicted_mean_change(lambda, rowsum.mu()).unwrap();
            let dale_e = 100.0 * w[..ke].iter().filter(|&&x| x < 0.0).count() as f64 / ke as f64;
            let dale_i = 100.0 * w[ke..].iter().filter(|&&x| x > 0.0).count() as f64 / ke as f64;
            for (a, x) in acc[k].iter_mut().zip([de, p[0], di, p[1], dale_e, dale_i]) {
                *a += x / 8.0;
            }
        }
    }
    rows.iter().zip(acc).map(|(&(l, r), a)| json!({"lam": l, "mu": if r == Rowsum::Hard { json!(null) } else { json!(r.mu()) },
        "hard": r == Rowsum::Hard, "dwE": a[0], "pred_dwE": a[1], "dwI": a[2], "pred_dwI": a[3], "daleE_pct": a[4], "daleI_pct": a[5]})).collect()
}

/// Median and min of `reps` timed updates (process CPU ms, wall ms).
fn bench<T: Real>(inputs: &PlasticInputs, cfg: RlsConfig, threads: usize, reps: usize) -> (f64, f64, f64, f64, usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut rls = Rls::<T>::new(inputs.clone(), cfg).unwrap();
        let n = inputs.n_pre();
        let m = inputs.n_rows();
        let mut g = stream(5, Purpose::User, &[1]);
        let traces: Vec<f64> = (0..n).map(|_| 0.01 * g.sample::<f64, _>(StandardNormal).abs()).collect();
        let bias = vec![0.0; m];
        let target: Vec<f64> = (0..m).map(|_| g.sample(StandardNormal)).collect();
        rls.update(&traces, &bias, &target).unwrap(); // warm (first touch)
        let (mut cpu, mut wall) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let c0 = process_cpu_ns();
            let t0 = Instant::now();
            rls.update(&traces, &bias, &target).unwrap();
            wall.push(t0.elapsed().as_secs_f64() * 1e3);
            cpu.push((process_cpu_ns() - c0) as f64 * 1e-6);
        }
        cpu.sort_by(f64::total_cmp);
        wall.sort_by(f64::total_cmp);
        (cpu[reps / 2], cpu[0], wall[reps / 2], wall[0], rls.arena().memory_bytes())
    })
}

fn main() {
    let a = args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peer_compare");
    std::fs::create_dir_all(&dir).unwrap();
    let have_py = a.python.exists() && a.peer.exists();
    if !have_py {
        eprintln!(
            "peer not found ({} / {}): set up with `python3 -m venv .venv-peers && .venv-peers/bin/pip install numpy scipy`",
            a.python.display(),
            a.peer.display()
        );
    }
    let mut record = json!({"cmd": "hebb-training peer_compare", "loadavg_start": loadavg(),
        "threads": std::thread::available_parallelism().map(|x| x.get()).unwrap_or(1)});

    // 1. same inputs
    if have_py {
        record["same_inputs"] = json!(same_inputs(&a, &dir));
    }

    // 2. the peer's rls-unit
    let ours = rls_unit_ours();
    println!("\n== 2. rls-unit: RLS vs batch penalised LS, each side on its own random data (same distributions) ==");
    let peer = if have_py { run_peer(&a, &["rls-unit"], &dir) } else { None };
    println!(
        "{:<22} | {:>10} {:>10} {:>8} | {:>10} {:>10} {:>8}",
        "case", "peer |dw|", "|dP|", "|w-w0|", "hebb |dw|", "|dP|", "|w-w0|"
    );
    for (k, o) in ours.iter().enumerate() {
        let p = peer.as_ref().map(|p| p["a_rls_vs_batch"][k].clone()).unwrap_or(Value::Null);
        let f = |v: &Value, key: &str, prec: usize| {
            v[key]
                .as_f64()
                .map(|x| if prec == 0 { format!("{x:.2e}") } else { format!("{x:.3}") })
                .unwrap_or("-".into())
        };
        println!(
            "{:<22} | {:>10} {:>10} {:>8} | {:>10} {:>10} {:>8}",
            o["name"].as_str().unwrap(),
            f(&p, "max_abs_dw_final", 0),
            f(&p, "max_abs_dP_final", 0),
            f(&p, "mean_abs_w_minus_w0", 1),
            f(o, "max_abs_dw_final", 0),
            f(o, "max_abs_dP_final", 0),
            f(o, "mean_abs_w_minus_w0", 1)
        );
    }
    if let Some(p) = &peer {
        println!(
            "peer (b) closed-form P0 vs inv(Q), rel diffs: {}",
            p["b_p0_closed_form"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| format!("{:.1e}", c["max_rel_diff"].as_f64().unwrap()))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for c in p["c_hard_rowsum"].as_array().unwrap() {
            println!(
                "peer (c) hard lam={} project_k={}: max |dSum| E {:.1e} I {:.1e}, max|P 1_B| {:.1e}",
                c["lam"],
                c["project_k"],
                c["max_abs_rowsum_change_E"].as_f64().unwrap(),
                c["max_abs_rowsum_change_I"].as_f64().unwrap(),
                c["max_abs_P_1B_final"].as_f64().unwrap()
            );
        }
        println!("peer rls-unit cpu {:.1} s, pass_all = {}", p["cpu_s"].as_f64().unwrap_or(f64::NAN), p["pass_all"]);
    }
    record["rls_unit"] = json!({"hebb": ours, "peer": peer.as_ref().map(|p| json!({"a": p["a_rls_vs_batch"], "b": p["b_p0_closed_form"], "c": p["c_hard_rowsum"]}))});

    // 3. surrogate
    if a.surrogate {
        let t0 = Instant::now();
        let ours = surrogate_ours();
        let our_s = t0.elapsed().as_secs_f64();
        let peer = if have_py { run_peer(&a, &["surrogate"], &dir) } else { None };
        println!("\n== 3. surrogate, means over seeds 1-8 (each side its own random numbers): dw (2x2 pred) ==");
        println!(
            "{:>6} {:>5} | {:>18} {:>18} {:>11} | {:>18} {:>18} {:>11}",
            "lam", "mu", "peer dwE", "dwI", "Dale E/I %", "hebb dwE", "dwI", "Dale E/I %"
        );
        for (k, o) in ours.iter().enumerate() {
            let p = peer.as_ref().map(|p| p["summary"][k].clone()).unwrap_or(Value::Null);
            let pm = |key: &str| p[key][0].as_f64().unwrap_or(f64::NAN);
            let om = |key: &str| o[key].as_f64().unwrap_or(f64::NAN);
            let mu =
                if o["hard"].as_bool().unwrap() { "inf".to_string() } else { format!("{}", o["mu"].as_f64().unwrap()) };
            let lam = format!("{}", o["lam"].as_f64().unwrap());
            println!(
                "{:>6} {:>5} | {:>+8.4} ({:>+7.4}) {:>+8.4} ({:>+7.4}) {:>5.1}/{:>4.1} | {:>+8.4} ({:>+7.4}) {:>+8.4} ({:>+7.4}) {:>5.1}/{:>4.1}",
                lam,
                mu,
                pm("dwE"),
                pm("pred_dwE"),
                pm("dwI"),
                pm("pred_dwI"),
                pm("daleE_pct"),
                pm("daleI_pct"),
                om("dwE"),
                om("pred_dwE"),
                om("dwI"),
                om("pred_dwI"),
                om("daleE_pct"),
                om("daleI_pct")
            );
        }
        println!(
            "hebb surrogate (8 seeds x 7 rows): {our_s:.1} s wall; peer cpu {:.1} s",
            peer.as_ref().and_then(|p| p["cpu_s"].as_f64()).unwrap_or(f64::NAN)
        );
        record["surrogate"] = json!({"hebb": ours, "hebb_wall_s": our_s, "peer": peer.map(|p| p["summary"].clone())});
    }

    // 4. timing
    println!(
        "\n== 4. one RLS update of all neurons, N = 1000, K_p = 200 (100 E + 100 I), soft ROWSUM mu = 8, lambda = 0.5 =="
    );
    let (n, k) = (1000usize, 100usize);
    let rule = FixedInDegree { n_exc: n / 2, n_inh: n / 2, k_exc: k, k_inh: k, autapses: false };
    let post: Vec<u32> = (0..n as u32).collect();
    let rows = fixed_in_degree(&rule, &post, 1).unwrap();
    let j0 = 2.0 * 10.0 / (k as f64).sqrt();
    let weights: Vec<Vec<f64>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.iter()
                .map(|&j| {
                    let (post_e, pre_e) = (i < n / 2, (j as usize) < n / 2);
                    j0 * match (post_e, pre_e) {
                        (true, true) => 0.15,
                        (false, true) => 1.0,
                        (true, false) => -0.75,
                        (false, false) => -1.0,
                    }
                })
                .collect()
        })
        .collect();
    let labels = Grouping::ExcInh { n_exc: n / 2 }.labels(n).unwrap();
    let inputs = PlasticInputs::from_rows(n, post.clone(), &rows, &weights, &labels).unwrap();
    let base = RlsConfig { lambda: 0.5, rowsum: Rowsum::Soft { mu: 8.0 }, ..RlsConfig::default() };
    let mut timing = serde_json::Map::new();
    let load0 = loadavg();
    let variants: Vec<(&str, RlsConfig, usize, bool)> = vec![
        ("hebb f64 fused, 1 thread", base, 1, false),
        ("hebb f64 unfused, 1 thread", RlsConfig { fused: false, ..base }, 1, false),
        ("hebb f32 fused, 1 thread", RlsConfig { precision: Precision::F32, ..base }, 1, true),
        ("hebb f64 fused, 2 threads", base, 2, false),
    ];
    for (name, cfg, th, f32_) in variants {
        let (cm, cmin, wm, wmin, bytes) =
            if f32_ { bench::<f32>(&inputs, cfg, th, a.reps) } else { bench::<f64>(&inputs, cfg, th, a.reps) };
        println!(
            "{name:<28}: cpu median {cm:6.1} ms (min {cmin:6.1}), wall median {wm:6.1} ms (min {wmin:6.1}); arena {:.0} MB",
            bytes as f64 / 1e6
        );
        timing.insert(
            name.into(),
            json!({"cpu_ms_median": cm, "cpu_ms_min": cmin, "wall_ms_median": wm, "wall_ms_min": wmin,
            "threads": th, "arena_bytes": bytes}),
        );
    }
    let mut ratio = None;
    if have_py
        && a.peer_bench
        && let Some(p) = run_peer(&a, &["bench", "--bench_loops", "0", "--reps", &a.reps.to_string()], &dir)
    {
        let pc = p["rls_update_cpu_s"]["median"].as_f64().unwrap() * 1e3;
        let pmin = p["rls_update_cpu_s"]["min"].as_f64().unwrap() * 1e3;
        let pw = p["rls_update_wall_s"]["median"].as_f64().unwrap() * 1e3;
        println!(
            "{:<28}: cpu median {pc:6.1} ms (min {pmin:6.1}), wall median {pw:6.1} ms; dense P {:.0} MB",
            "numpy peer, 1 thread",
            p["P_bytes"].as_f64().unwrap_or(0.0) / 1e6
        );
        let ours = timing["hebb f64 fused, 1 thread"]["cpu_ms_median"].as_f64().unwrap();
        ratio = Some(pc / ours);
        println!("ratio peer / hebb (1 thread, CPU medians): {:.1}x", pc / ours);
        timing.insert(
            "numpy peer, 1 thread".into(),
            json!({"cpu_ms_median": pc, "cpu_ms_min": pmin, "wall_ms_median": pw,
            "P_bytes": p["P_bytes"], "meta": p["meta"]}),
        );
    }
    println!("load average before / after timing: {load0} / {}", loadavg());
    record["timing"] = Value::Object(timing);
    record["ratio_peer_over_hebb_1thread"] = json!(ratio);
    record["loadavg_end"] = json!(loadavg());
    if let Some(parent) = a.json.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&a.json) {
        let _ = writeln!(f, "{record}");
        println!("appended to {}", a.json.display());
    }
}
