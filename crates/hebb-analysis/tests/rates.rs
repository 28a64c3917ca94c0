//! Rates over a window and binned population rates, with exact expected
//! values from hand-built spike trains.

use hebb_analysis::*;
use hebb_core::{Kind, PopLayout, Population};

fn layout(sizes: &[(&str, usize)]) -> PopLayout {
    PopLayout::new(sizes.iter().map(|&(n, s)| Population { name: n.into(), size: s, kind: Kind::Excitatory }).collect())
        .unwrap()
}

#[test]
fn window_rates_are_exact_and_half_open() {
    let l = layout(&[("E", 3), ("I", 2)]);
    // [100, 600): 100.0 counts, 600.0 does not, 599.9 does.
    let times = [50.0, 100.0, 250.0, 599.9, 600.0, 700.0, 300.0, 301.0, 302.0, 400.0];
    let ids: [u32; 10] = [0, 0, 1, 1, 1, 2, 3, 3, 3, 4];
    let r = rates_hz(&times, &ids, &l, 100.0, 600.0).unwrap();
    assert_eq!(r.counts, vec![1, 2, 0, 3, 1]);
    // E: 3 spikes / (3 neurons * 0.5 s) = 2 Hz; I: 4 / (2 * 0.5) = 4 Hz.
    assert_eq!(r.population_hz.get("E"), Some(&2.0));
    assert_eq!(r.population_hz.get("I"), Some(&4.0));
    assert_eq!(r.neuron_hz(), vec![2.0, 4.0, 0.0, 6.0, 2.0]);
    // Online counter fed the same spikes in another order agrees, and tallies bad input.
    let mut c = RateCounter::new(&l, 100.0, 600.0).unwrap();
    for i in (0..times.len()).rev() {
        c.on_spike_at(times[i], ids[i] as usize);
    }
    c.on_spike_at(200.0, 5);
    c.on_spike_at(f64::NAN, 0);
    assert_eq!(c.rejected_spikes(), 2);
    assert_eq!(c.rates(), r);
    let j = serde_json::to_value(&r).unwrap();
    assert_eq!(j["population_hz"]["I"], 4.0);
    assert!(j.get("counts").is_none());
}

#[test]
fn spike_a_rounding_error_before_a_boundary_counts_after_it() {
    let l = layout(&[("E", 1)]);
    // 3 steps of 0.1 ms: 0.1 * 3 = 0.30000000000000004 is "at" 0.3.
    let t = [0.1 * 3.0, 0.3 - 1e-13];
    let r = rates_hz(&t, &[0u32, 0], &l, 0.3, 1.0).unwrap();
    assert_eq!(r.counts, vec![2]);
    let r = rates_hz(&t, &[0u32, 0], &l, 0.0, 0.3).unwrap();
    assert_eq!(r.counts, vec![0]);
}

#[test]
fn binned_rates_include_the_partial_last_bin() {
    let l = layout(&[("E", 2), ("I", 1)]);
    // T = 1050, bins of 100: 10 full bins and one of 50 ms.
    let times = [0.0, 99.99, 100.0 - 1e-11, 150.0, 1000.0, 1049.0, 1050.0, 2000.0, -1.0, 500.0];
    let ids: [u32; 10] = [0, 1, 0, 2, 0, 1, 0, 0, 0, 2];
    let b = binned_population_rates(&times, &ids, &l, 1050.0, 100.0).unwrap();
    assert_eq!(b.bin_start_ms.len(), 11);
    assert_eq!(b.bin_start_ms[10], 1000.0);
    assert_eq!(b.bin_width_ms[10], 50.0);
    assert_eq!(b.bin_width_ms[3], 100.0);
    let e = b.rates_hz.get("E").unwrap();
    let i = b.rates_hz.get("I").unwrap();
    // E bin 0: 2 spikes (0.0, 99.99) / (2 neurons * 0.1 s) = 10 Hz; bin 1: the
    // 100 - 1e-11 spike = 5 Hz; last bin: 2 spikes / (2 * 0.05 s) = 20 Hz.
    assert_eq!(e[0], 10.0);
    assert_eq!(e[1], 5.0);
    assert_eq!(e[10], 20.0);
    assert_eq!(e.iter().filter(|&&x| x > 0.0).count(), 3);
    // I: 150 -> bin 1, 500 -> bin 5: 1 / (1 * 0.1 s) = 10 Hz.
    assert_eq!(i[1], 10.0);
    assert_eq!(i[5], 10.0);
    assert_eq!(i.iter().sum::<f64>(), 20.0);
    // Online with the same spikes.
    let mut on = BinnedRates::new(&l, 1050.0, 100.0).unwrap();
    for (t, id) in times.iter().zip(ids) {
        on.on_spike_at(*t, id as usize);
    }
    assert_eq!(on.rates(), b);
    assert_eq!(on.n_bins(), 11);
}

#[test]
fn whole_number_of_bins_has_no_partial_bin() {
    let l = layout(&[("E", 1)]);
    let b = binned_population_rates::<u32>(&[], &[], &l, 1000.0, 100.0).unwrap();
    assert_eq!(b.bin_width_ms, vec![100.0; 10]);
    // T computed with rounding (3 steps of 0.1): still 3 bins.
    let b = binned_population_rates::<u32>(&[], &[], &l, 0.1 * 3.0, 0.1).unwrap();
    assert_eq!(b.bin_start_ms.len(), 3);
    // Bin longer than the recording: one partial bin.
    let b = binned_population_rates(&[10.0], &[0u32], &l, 50.0, 100.0).unwrap();
    assert_eq!(b.bin_width_ms, vec![50.0]);
    assert_eq!(b.rates_hz.get("E").unwrap(), &vec![20.0]);
}

#[test]
fn bad_input_is_an_error() {
    let l = layout(&[("E", 2), ("Z", 0)]);
    let t = [1.0, 2.0];
    assert!(matches!(rates_hz(&t, &[0u32, 1], &l, 5.0, 5.0), Err(AnalysisError::Param(p)) if p.field == "t1_ms"));
    assert!(matches!(rates_hz(&t, &[0u32, 1], &l, f64::NAN, 5.0), Err(AnalysisError::Param(_))));
    assert!(matches!(rates_hz(&t, &[0u32], &l, 0.0, 5.0), Err(AnalysisError::LengthMismatch { .. })));
    assert!(matches!(rates_hz(&t, &[0u32, 2], &l, 0.0, 5.0), Err(AnalysisError::BadSpike { index: 1, .. })));
    assert!(matches!(rates_hz(&[f64::NAN], &[0u32], &l, 0.0, 5.0), Err(AnalysisError::BadSpike { index: 0, .. })));
    let e = rates_hz(&t, &[0i32, -3], &l, 0.0, 5.0).unwrap_err();
    assert!(e.to_string().contains("-3"), "{e}");
    for (t_end, bin) in [(0.0, 10.0), (100.0, 0.0), (100.0, -1.0), (f64::INFINITY, 1.0), (1e12, 1e-3)] {
        assert!(binned_population_rates::<u32>(&[], &[], &l, t_end, bin).is_err(), "{t_end} {bin}");
    }
    // An empty population has an undefined rate (NaN, JSON null).
    let r = rates_hz(&t, &[0u32, 1], &l, 0.0, 5.0).unwrap();
    assert!(r.population_hz.get("Z").unwrap().is_nan());
    assert_eq!(r.population_hz.get("E"), Some(&200.0));
    assert!(serde_json::to_value(&r).unwrap()["population_hz"]["Z"].is_null());
}
