//! Count covariances against a brute-force N × N computation on synthetic
//! correlated counts, for both diagonal conventions; sampled pairs; online
//! versus offline; bad input.

#![allow(clippy::needless_range_loop, clippy::type_complexity)]

use hebb_analysis::*;
use hebb_core::rng::{Purpose, stream};
use hebb_core::{Kind, PopLayout, Population};
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Poisson};

const BURN_IN: f64 = 500.0;
const WIN: f64 = 250.0;
const W: usize = 40;
// Not a whole number of windows: a partial window follows the last full one.
const T_END: f64 = BURN_IN + W as f64 * WIN + 130.0;

fn layout(sizes: &[(&str, usize)]) -> PopLayout {
    PopLayout::new(
        sizes
            .iter()
            .enumerate()
            .map(|(i, &(n, s))| Population {
                name: n.into(),
                size: s,
                kind: if i == 0 { Kind::Excitatory } else { Kind::Inhibitory },
            })
            .collect(),
    )
    .unwrap()
}

/// counts[j][k]: a shared Poisson component (gain 1 in pop 0, 2 in others,
/// absent for every third neuron) plus private Poisson noise with rate
/// 1 + j % 5; neuron 5 is silent.
fn synth_counts(layout: &PopLayout, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = stream(seed, Purpose::User, &[1]);
    let shared: Vec<u32> = (0..W).map(|_| Poisson::new(3.0).unwrap().sample(&mut rng) as u32).collect();
    (0..layout.len())
        .map(|j| {
            let gain = if layout.pop_of(j) == 0 { 1 } else { 2 };
            let private = Poisson::new(1.0 + (j % 5) as f64).unwrap();
            (0..W)
                .map(|k| {
                    if j == 5 {
                        return 0;
                    }
                    let s = if j % 3 != 0 { shared[k] * gain } else { 0 };
                    s + private.sample(&mut rng) as u32
                })
                .collect()
        })
        .collect()
}

/// Spike arrays realising `counts` (times uniform inside each window), plus
/// spikes before the burn-in and in the trailing partial window, shuffled.
fn spikes(counts: &[Vec<u32>], seed: u64) -> (Vec<f64>, Vec<u32>) {
    let mut rng = stream(seed, Purpose::User, &[2]);
    let mut v: Vec<(f64, u32)> = Vec::new();
    for (j, c) in counts.iter().enumerate() {
        for (k, &n) in c.iter().enumerate() {
            for _ in 0..n {
                let t = BURN_IN + k as f64 * WIN + 1e-3 + rng.random::<f64>() * (WIN - 2e-3);
                v.push((t, j as u32));
            }
        }
        for _ in 0..3 {
            v.push((rng.random::<f64>() * BURN_IN * 0.999, j as u32));
            v.push((BURN_IN + W as f64 * WIN + rng.random::<f64>() * 129.0, j as u32));
        }
    }
    v.shuffle(&mut rng);
    v.into_iter().unzip()
}

/// numpy.cov of the counts (rows = neurons), two-pass in f64.
fn brute_cov(counts: &[Vec<u32>]) -> Vec<Vec<f64>> {
    let w = counts[0].len() as f64;
    let means: Vec<f64> = counts.iter().map(|c| c.iter().map(|&x| x as f64).sum::<f64>() / w).collect();
    let n = counts.len();
    let mut c = vec![vec![0.0; n]; n];
    for j in 0..n {
        for l in 0..n {
            c[j][l] = (0..counts[0].len())
                .map(|k| (counts[j][k] as f64 - means[j]) * (counts[l][k] as f64 - means[l]))
                .sum::<f64>()
                / (w - 1.0);
        }
    }
    c
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

fn cfg(sample: usize, seed: u64) -> CovarianceConfig {
    CovarianceConfig { window_ms: WIN, sample_per_pop: sample, seed, ..CovarianceConfig::new(BURN_IN, T_END) }
}

#[test]
fn population_means_match_brute_force() {
    let l = layout(&[("E", 36), ("I", 24)]);
    let counts = synth_counts(&l, 11);
    let (t, id) = spikes(&counts, 12);
    let c = brute_cov(&counts);
    let acc = CountCovariance::from_spikes(&t, &id, &l, &cfg(8, 3)).unwrap();
    assert_eq!(acc.n_windows_total(), W);
    assert_eq!(acc.n_windows_closed(), W);
    let v = acc.neuron_variances().unwrap();
    for j in 0..l.len() {
        assert!(close(v[j], c[j][j]), "V_{j}: {} vs {}", v[j], c[j][j]);
    }
    let mean_var = |a: usize| l.range(a).map(|j| c[j][j]).sum::<f64>() / l.range(a).len() as f64;
    for diag in [Diagonal::Exclude, Diagonal::Include] {
        let s = acc.stats(diag).unwrap();
        assert_eq!(s.n_windows, W);
        assert_eq!(s.diagonal, diag);
        for a in 0..2 {
            for b in a..2 {
                let mut sum = 0.0;
                let mut n = 0usize;
                for j in l.range(a) {
                    for m in l.range(b) {
                        if a == b && j == m && diag == Diagonal::Exclude {
                            continue;
                        }
                        sum += c[j][m];
                        n += 1;
                    }
                }
                let want = sum / n as f64;
                let key = format!("{}-{}", l.pops()[a].name, l.pops()[b].name);
                let got = s.cov.get(&key).unwrap().unwrap();
                assert!(close(got, want), "{diag:?} {key}: {got} vs {want}");
                let r = s.corr.get(&key).unwrap().unwrap();
                let want_r = want / (mean_var(a) * mean_var(b)).sqrt();
                assert!(close(r, want_r), "{diag:?} {key}: R {r} vs {want_r}");
            }
            let name = &l.pops()[a].name;
            assert!(close(s.mean_var.get(name).unwrap().unwrap(), mean_var(a)));
            let mc =
                l.range(a).map(|j| counts[j].iter().sum::<u32>() as f64).sum::<f64>() / (W * l.range(a).len()) as f64;
            assert!(close(s.mean_count.get(name).unwrap().unwrap(), mc));
            assert!(close(s.fano.get(name).unwrap().unwrap(), mean_var(a) / mc));
        }
        // The correlation is strong here by construction (shared input).
        assert!(s.corr.get("E-I").unwrap().unwrap() > 0.2);
    }
    // The conventions differ: Include − Exclude (N−1)/N = V̄/N.
    let (inc, exc) = (acc.stats(Diagonal::Include).unwrap(), acc.stats(Diagonal::Exclude).unwrap());
    let diff = inc.cov.get("I-I").unwrap().unwrap() - exc.cov.get("I-I").unwrap().unwrap() * 23.0 / 24.0;
    assert!(close(diff, mean_var(1) / 24.0));
    assert_eq!(inc.cov.get("E-I"), exc.cov.get("E-I"));
}

#[test]
fn sampled_pairs_match_brute_force() {
    let l = layout(&[("E", 36), ("I", 24)]);
    let counts = synth_counts(&l, 21);
    let (t, id) = spikes(&counts, 22);
    let c = brute_cov(&counts);
    let acc = CountCovariance::from_spikes(&t, &id, &l, &cfg(10, 7)).unwrap();
    let s = acc.stats(Diagonal::Exclude).unwrap();
    assert_eq!(s.sample_size.get("E"), Some(&10));
    assert_eq!(s.sample_size.get("I"), Some(&10));
    for (key, a, b, n_pairs) in [("E-E", 0, 0, 45), ("E-I", 0, 1, 100), ("I-I", 1, 1, 45)] {
        let p = s.sampled.get(key).unwrap();
        assert_eq!(p.n_pairs, n_pairs, "{key}");
        assert_eq!(p.pairs.len(), n_pairs);
        let mut sum = 0.0;
        let mut sum_r = 0.0;
        let mut n_r = 0;
        let mut seen = std::collections::HashSet::new();
        for (i, &(j, m)) in p.pairs.iter().enumerate() {
            let (j, m) = (j as usize, m as usize);
            assert_ne!(j, m, "self pair");
            assert!(seen.insert((j.min(m), j.max(m))), "duplicate pair");
            assert_eq!((l.pop_of(j), l.pop_of(m)), (a, b));
            assert!(acc.sampled_neurons(a).contains(&(j as u32)));
            assert!(acc.sampled_neurons(b).contains(&(m as u32)));
            assert!(close(p.cov[i], c[j][m]), "{key} ({j},{m}): {} vs {}", p.cov[i], c[j][m]);
            sum += c[j][m];
            if c[j][j] > 0.0 && c[m][m] > 0.0 {
                let r = c[j][m] / (c[j][j] * c[m][m]).sqrt();
                assert!(close(p.corr[i], r));
                sum_r += r;
                n_r += 1;
            } else {
                assert!(p.corr[i].is_nan());
            }
        }
        assert!(close(p.mean_cov.unwrap(), sum / n_pairs as f64));
        assert_eq!(p.n_corr_defined, n_r);
        assert!(close(p.mean_corr.unwrap(), sum_r / n_r as f64));
    }
    // Stored count vectors are the true counts.
    let sc = acc.sampled_counts(1);
    for (slot, &j) in acc.sampled_neurons(1).iter().enumerate() {
        assert_eq!(sc[slot], counts[j as usize]);
    }
}

#[test]
fn full_sample_reproduces_population_means() {
    let l = layout(&[("E", 36), ("I", 24)]);
    let counts = synth_counts(&l, 31);
    let (t, id) = spikes(&counts, 32);
    let s = count_covariance(&t, &id, &l, &cfg(1000, 0), Diagonal::Exclude).unwrap();
    assert_eq!(s.sample_size.get("E"), Some(&36));
    assert_eq!(s.sampled.get("E-E").unwrap().n_pairs, 36 * 35 / 2);
    for key in ["E-E", "E-I", "I-I"] {
        let pop = s.cov.get(key).unwrap().unwrap();
        let smp = s.sampled.get(key).unwrap().mean_cov.unwrap();
        assert!(close(pop, smp), "{key}: {pop} vs {smp}");
    }
}

#[test]
fn sample_is_seeded_and_within_populations() {
    let l = layout(&[("E", 300), ("I", 80)]);
    let a = CountCovariance::new(&l, &cfg(50, 1)).unwrap();
    let b = CountCovariance::new(&l, &cfg(50, 1)).unwrap();
    let c = CountCovariance::new(&l, &cfg(50, 2)).unwrap();
    assert_eq!(a.sampled_neurons(0), b.sampled_neurons(0));
    assert_ne!(a.sampled_neurons(0), c.sampled_neurons(0));
    for p in [0, 1] {
        let s = a.sampled_neurons(p);
        assert_eq!(s.len(), 50);
        assert!(s.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
        assert!(s.iter().all(|&j| l.range(p).contains(&(j as usize))));
    }
    assert!(a.sampled_neurons(7).is_empty());
    let none = CountCovariance::new(&l, &cfg(0, 1)).unwrap();
    assert!(none.sampled_neurons(0).is_empty());
}

fn stats_equal(x: &CountCovarianceStats, y: &CountCovarianceStats) {
    assert_eq!(serde_json::to_string(x).unwrap(), serde_json::to_string(y).unwrap());
    for ((_, p), (_, q)) in x.sampled.0.iter().zip(&y.sampled.0) {
        assert_eq!(p.pairs, q.pairs);
        assert_eq!(p.cov, q.cov);
        let bits = |v: &[f64]| v.iter().map(|r| r.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&p.corr), bits(&q.corr));
    }
}

#[test]
fn online_equals_offline() {
    let l = layout(&[("E", 36), ("I", 24)]);
    let counts = synth_counts(&l, 41);
    let (t, id) = spikes(&counts, 42);
    let config = cfg(12, 5);
    let offline_acc = CountCovariance::from_spikes(&t, &id, &l, &config).unwrap();
    // Online: a simulator with dt = 0.1 ms reporting spikes at step ends.
    let dt = 0.1;
    let mut order: Vec<usize> = (0..t.len()).collect();
    order.sort_by(|&a, &b| t[a].total_cmp(&t[b]));
    let mut online = CountCovariance::new(&l, &config).unwrap();
    let mut i = 0;
    let n_steps = (T_END / dt).round() as u64;
    for step in 1..=n_steps {
        let now = step as f64 * dt;
        while i < order.len() && t[order[i]] < now {
            online.on_spike_at(t[order[i]], id[order[i]] as usize);
            i += 1;
        }
        online.advance_to(now);
    }
    online.finish();
    assert_eq!(online.late_spikes(), 0);
    assert_eq!(online.rejected_spikes(), 0);
    for diag in [Diagonal::Exclude, Diagonal::Include] {
        let off = count_covariance(&t, &id, &l, &config, diag).unwrap();
        stats_equal(&online.stats(diag).unwrap(), &off);
        stats_equal(&offline_acc.stats(diag).unwrap(), &off);
    }
    // ids as i64 (NumPy) give the same result.
    let id64: Vec<i64> = id.iter().map(|&x| x as i64).collect();
    stats_equal(
        &count_covariance(&t, &id64, &l, &config, Diagonal::Exclude).unwrap(),
        &count_covariance(&t, &id, &l, &config, Diagonal::Exclude).unwrap(),
    );
}

#[test]
fn late_and_bad_spikes_are_tallied() {
    let l = layout(&[("E", 3), ("I", 2)]);
    let mut acc = CountCovariance::new(&l, &CovarianceConfig::new(0.0, 1000.0)).unwrap();
    acc.on_spike_at(300.0, 0); // window 1: closes window 0
    acc.on_spike_at(100.0, 1); // late
    acc.on_spike_at(400.0, 99); // bad id
    acc.on_spike_at(f64::NAN, 0); // bad time
    assert_eq!(acc.late_spikes(), 1);
    assert_eq!(acc.rejected_spikes(), 2);
    assert_eq!(acc.n_windows_closed(), 1);
    assert!(matches!(acc.stats(Diagonal::Exclude), Err(AnalysisError::NotEnoughClosedWindows { closed: 1 })));
    acc.finish();
    assert_eq!(acc.n_windows_closed(), 4);
    let s = acc.stats(Diagonal::Include).unwrap();
    // Neuron 0: counts (0, 1, 0, 0): variance 0.25; others 0.
    assert!(close(s.mean_var.get("E").unwrap().unwrap(), 0.25 / 3.0));
    assert_eq!(s.mean_var.get("I").unwrap().unwrap(), 0.0);
    assert_eq!(*s.corr.get("E-I").unwrap(), None); // zero variance in I
}

#[test]
fn too_few_windows_is_an_error_not_a_panic() {
    let l = layout(&[("E", 3), ("I", 2)]);
    let t = [10.0, 20.0];
    let id = [0u32, 3];
    // Window longer than the recording.
    let e = count_covariance(&t, &id, &l, &CovarianceConfig::new(0.0, 200.0), Diagonal::Exclude).unwrap_err();
    assert!(matches!(e, AnalysisError::TooFewWindows { fit: 0, .. }), "{e:?}");
    assert!(e.to_string().contains("at least 2"), "{e}");
    // Exactly one window.
    let e = CountCovariance::new(&l, &CovarianceConfig::new(0.0, 300.0)).unwrap_err();
    assert!(matches!(e, AnalysisError::TooFewWindows { fit: 1, .. }));
    // Burn-in after the end.
    assert!(CountCovariance::new(&l, &CovarianceConfig::new(500.0, 100.0)).is_err());
    // Bad window.
    let bad = CovarianceConfig { window_ms: 0.0, ..CovarianceConfig::new(0.0, 1000.0) };
    assert!(matches!(CountCovariance::new(&l, &bad), Err(AnalysisError::Param(p)) if p.field == "window_ms"));
    let bad = CovarianceConfig { window_ms: 1e-9, ..CovarianceConfig::new(0.0, 1e6) };
    assert!(matches!(CountCovariance::new(&l, &bad), Err(AnalysisError::Param(_))));
    let bad = CovarianceConfig::new(f64::NAN, 1000.0);
    assert!(matches!(CountCovariance::new(&l, &bad), Err(AnalysisError::Param(_))));
    // Bad arrays.
    let ok = CovarianceConfig::new(0.0, 1000.0);
    assert!(matches!(
        count_covariance(&t, &[0u32], &l, &ok, Diagonal::Exclude),
        Err(AnalysisError::LengthMismatch { times: 2, ids: 1 })
    ));
    assert!(matches!(
        count_covariance(&t, &[0u32, 5], &l, &ok, Diagonal::Exclude),
        Err(AnalysisError::BadSpike { index: 1, .. })
    ));
    assert!(matches!(
        count_covariance(&t, &[0i64, -1], &l, &ok, Diagonal::Exclude),
        Err(AnalysisError::BadSpike { index: 1, .. })
    ));
    assert!(matches!(
        count_covariance(&[f64::INFINITY, 1.0], &id, &l, &ok, Diagonal::Exclude),
        Err(AnalysisError::BadSpike { index: 0, .. })
    ));
    // No spikes at all: defined covariances (0), undefined correlations.
    let s = count_covariance::<u32>(&[], &[], &l, &ok, Diagonal::Exclude).unwrap();
    assert_eq!(*s.cov.get("E-E").unwrap(), Some(0.0));
    assert_eq!(*s.corr.get("E-E").unwrap(), None);
    assert_eq!(s.sampled.get("E-E").unwrap().mean_corr, None);
}

#[test]
fn tiny_and_empty_populations() {
    let l = layout(&[("E", 4), ("S", 1), ("Z", 0)]);
    // Neuron 4 (S) fires 1, 2, 3, 0 spikes in the four windows; E neuron 0 fires 1, 1, 2, 0.
    let mut t = vec![];
    let mut id = vec![];
    for (k, n) in [1, 2, 3, 0].into_iter().enumerate() {
        for s in 0..n {
            t.push(k as f64 * 250.0 + 10.0 + s as f64);
            id.push(4u32);
        }
    }
    for (k, n) in [1, 1, 2, 0].into_iter().enumerate() {
        for s in 0..n {
            t.push(k as f64 * 250.0 + 50.0 + s as f64);
            id.push(0u32);
        }
    }
    let cfg = CovarianceConfig::new(0.0, 1000.0);
    let exc = count_covariance(&t, &id, &l, &cfg, Diagonal::Exclude).unwrap();
    let inc = count_covariance(&t, &id, &l, &cfg, Diagonal::Include).unwrap();
    assert_eq!(*exc.cov.get("S-S").unwrap(), None);
    assert_eq!(*exc.corr.get("S-S").unwrap(), None);
    // Var(1, 2, 3, 0) = 5/3.
    assert!(close(inc.cov.get("S-S").unwrap().unwrap(), 5.0 / 3.0));
    assert!(close(inc.corr.get("S-S").unwrap().unwrap(), 1.0));
    // Cov((1,1,2,0),(1,2,3,0)) = (sum xy - 4 * 1 * 1.5) / 3 = (1 + 2 + 6 - 6) / 3 = 1.
    assert!(close(exc.cov.get("E-S").unwrap().unwrap(), 1.0 / 4.0));
    for key in ["E-Z", "S-Z", "Z-Z"] {
        assert_eq!(*exc.cov.get(key).unwrap(), None, "{key}");
        assert_eq!(*inc.cov.get(key).unwrap(), None, "{key}");
    }
    assert_eq!(*exc.mean_var.get("Z").unwrap(), None);
    assert_eq!(exc.sampled.get("S-S").unwrap().n_pairs, 0);
    assert_eq!(exc.sampled.get("S-S").unwrap().mean_cov, None);
    assert_eq!(exc.sampled.get("E-S").unwrap().n_pairs, 4);
    let json = serde_json::to_value(&exc).unwrap();
    assert!(json["cov"]["S-S"].is_null());
    assert!(json["cov"]["Z-Z"].is_null());
}

#[test]
fn json_summary_is_keyed_by_pair_in_layout_order() {
    let l = layout(&[("E", 36), ("I", 24)]);
    let counts = synth_counts(&l, 51);
    let (t, id) = spikes(&counts, 52);
    let s = count_covariance(&t, &id, &l, &cfg(5, 0), Diagonal::Exclude).unwrap();
    let j = serde_json::to_string(&s).unwrap();
    let cov = &j[j.find("\"cov\":").unwrap()..];
    let (ee, ei, ii) = (cov.find("\"E-E\"").unwrap(), cov.find("\"E-I\"").unwrap(), cov.find("\"I-I\"").unwrap());
    assert!(ee < ei && ei < ii);
    assert!(!j.contains("I-E"));
    let v: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(v["diagonal"], "exclude");
    assert_eq!(v["n_windows"], W);
    assert!(v["sampled"]["E-I"]["mean_cov"].is_number());
    assert!(v["sampled"]["E-I"].get("cov").is_none(), "distributions are not serialised");
    assert_eq!(pair_names(&l), vec!["E-E", "E-I", "I-I"]);
}
