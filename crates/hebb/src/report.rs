//! What `hebb run` writes and prints at the end of a run: `summary.json`,
//! data files, the overview figure and the rate table.

use crate::theory;
use hebb_io::RunDir;
use hebb_plot::{Figure, LinePanel, Panel, RasterPanel, Series};
use hebb_sim::{RunResults, SimConfig, Simulation};
use serde::Serialize;
use std::collections::BTreeMap;

/// Timing of a run, as measured by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Whole-process wall seconds so far.
    pub wall_s: f64,
    /// Seconds to build the network.
    pub build_s: f64,
    /// Wall seconds spent stepping.
    pub step_wall_s: f64,
    /// CPU seconds (all threads) spent stepping, if measurable.
    pub step_cpu_s: Option<f64>,
    /// Steps taken in this process (a resumed run counts only its own).
    pub steps: u64,
}

/// A quantity at the start and at the end of a run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct InitialFinal {
    /// At t = 0.
    pub initial: f64,
    /// At the last record.
    pub r#final: f64,
}

/// `summary.json` of `hebb run`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Whether every step ran.
    pub completed: bool,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// Simulated seconds.
    pub sim_s: f64,
    /// Interval of the rate and covariance measurements (ms).
    pub rate_interval_ms: [f64; 2],
    /// Measured population rates (Hz).
    pub rates_hz: BTreeMap<String, f64>,
    /// Leading-order balanced rates at the nominal external rates (Hz).
    pub theory_rates_hz: Option<BTreeMap<String, f64>>,
    /// Balanced rates at the external rates actually delivered (Hz).
    pub theory_rates_at_delivered_input_hz: Option<BTreeMap<String, f64>>,
    /// Why the theory is missing, if it is.
    pub theory_note: Option<String>,
    /// Delivered rate per external unit (Hz).
    pub external_rates_hz: BTreeMap<String, f64>,
    /// Mean spike-count covariance per population pair.
    pub cov_mean: BTreeMap<String, f64>,
    /// Mean correlation per population pair (C̄_ab/√(V̄_a V̄_b)).
    pub corr_mean: BTreeMap<String, f64>,
    /// Leading-order covariances (specs/akil.md §3.2) at the delivered input.
    pub theory_cov_mean: Option<BTreeMap<String, f64>>,
    /// Leading-order correlations with Poisson variances.
    pub theory_corr_mean: Option<BTreeMap<String, Option<f64>>>,
    /// Number of count windows behind the covariances, and their length (ms).
    pub cov_windows: usize,
    /// Count window (ms).
    pub cov_window_ms: f64,
    /// Mean input currents per population after burn-in (mV/ms).
    pub mean_input_mv_per_ms: BTreeMap<String, hebb_sim::results::MeanInput>,
    /// Mean weight of each plastic type (j units, √N·J) at the start and the
    /// end, keyed `"E<-I"`.
    pub mean_weight_j: BTreeMap<String, InitialFinal>,
    /// Neurons whose voltage is in `voltages.npy`, in column order.
    pub voltage_neurons: Vec<usize>,
    /// Total spikes.
    pub spikes: u64,
    /// Total synapses.
    pub synapses: usize,
    /// Bytes of synapse storage.
    pub synapse_bytes: usize,
    /// Whole-process wall seconds.
    pub wall_s: f64,
    /// Process CPU seconds while stepping (all threads).
    pub cpu_s: Option<f64>,
    /// Worker threads.
    pub threads: usize,
    /// Network build time (s).
    pub build_s: f64,
    /// Stepping wall seconds per simulated second.
    pub wall_s_per_sim_s: f64,
    /// Stepping CPU seconds per simulated second.
    pub cpu_s_per_sim_s: Option<f64>,
    /// 1-minute load average at the end.
    pub load_average_1m: Option<f64>,
    /// Peak resident memory (bytes).
    pub peak_rss_bytes: Option<u64>,
}

fn keyed<T: Clone>(names: &[String], values: &[T]) -> BTreeMap<String, T> {
    names.iter().cloned().zip(values.iter().cloned()).collect()
}

/// Assemble the summary of a run.
pub fn summary(cfg: &SimConfig, sim: &Simulation, res: &RunResults, t: Timing, stopped: Option<String>) -> Summary {
    let mut theory_note = None;
    let theory_rates_hz = match theory::rates(cfg, None) {
        Ok(r) => Some(keyed(&r.pops, &r.rates_hz())),
        Err(e) => {
            theory_note = Some(e.to_string());
            None
        }
    };
    let delivered: Vec<f64> = cfg
        .external
        .iter()
        .map(|x| res.external_rates_hz.get(&x.name).copied().filter(|r| r.is_finite()).unwrap_or(x.rate_hz))
        .collect();
    let theory_rates_at_delivered_input_hz =
        theory::rates(cfg, Some(&delivered)).ok().map(|r| keyed(&r.pops, &r.rates_hz()));
    let cov = theory::covariances(cfg, Some(&delivered)).ok();
    let theory_cov_mean = cov.as_ref().map(|c| c.cov_by_pair().0.into_iter().collect());
    let theory_corr_mean = cov.as_ref().map(|c| c.corr_by_pair().0.into_iter().collect());
    let sim_steps_s = t.steps as f64 * cfg.run.dt_ms * 1e-3;
    Summary {
        completed: res.completed,
        stopped,
        sim_s: res.sim_s,
        rate_interval_ms: res.rate_interval_ms,
        rates_hz: res.rates_hz.clone(),
        theory_rates_hz,
        theory_rates_at_delivered_input_hz,
        theory_note,
        external_rates_hz: res.external_rates_hz.clone(),
        cov_mean: res.cov_mean.clone(),
        corr_mean: res.corr_mean.clone(),
        theory_cov_mean,
        theory_corr_mean,
        cov_windows: res.cov_windows,
        cov_window_ms: cfg.record.cov_window_ms,
        mean_input_mv_per_ms: res.mean_input.clone(),
        mean_weight_j: {
            let w = &sim.recorder.weights;
            let k = w.types.len();
            let records = w.mean_j.len().checked_div(k).unwrap_or(0);
            w.types
                .iter()
                .enumerate()
                .filter(|_| records > 0)
                .map(|(p, name)| {
                    (name.clone(), InitialFinal { initial: w.mean_j[p], r#final: w.mean_j[(records - 1) * k + p] })
                })
                .collect()
        },
        voltage_neurons: cfg.voltage_neurons(),
        spikes: res.spikes,
        synapses: res.synapses,
        synapse_bytes: sim.network.synapse_bytes(),
        wall_s: t.wall_s,
        cpu_s: t.step_cpu_s,
        threads: cfg.run.threads,
        build_s: t.build_s,
        wall_s_per_sim_s: t.step_wall_s / sim_steps_s,
        cpu_s_per_sim_s: t.step_cpu_s.map(|c| c / sim_steps_s),
        load_average_1m: hebb_io::load_average().map(|l| l[0]),
        peak_rss_bytes: hebb_io::peak_rss_bytes(),
    }
}

/// Write the data files of a run: population rates (CSV), mean currents
/// (CSV), sampled voltages and per-neuron rates (NPY), sampled pair
/// covariances (CSV).
pub fn write_data(dir: &RunDir, sim: &Simulation, res: &RunResults) -> Result<(), hebb_io::IoError> {
    let layout = &sim.network.layout;
    let names: Vec<String> = layout.pops().iter().map(|p| p.name.clone()).collect();
    let mut cols: Vec<&str> = vec!["t_start_ms"];
    cols.extend(names.iter().map(|s| s.as_str()));
    let rows: Vec<Vec<f64>> = res
        .bin_t_ms
        .iter()
        .enumerate()
        .map(|(b, &t)| std::iter::once(t).chain(res.bin_rates_hz.iter().map(|r| r[b])).collect())
        .collect();
    dir.write_csv("pop_rates_hz.csv", &cols, &rows)?;
    let rec = &sim.recorder;
    let np = layout.n_pops();
    let cur_names: Vec<String> = names.iter().flat_map(|p| ["e", "i", "x"].map(|c| format!("{p}.{c}"))).collect();
    let mut cols: Vec<&str> = vec!["t_ms"];
    cols.extend(cur_names.iter().map(|s| s.as_str()));
    let rows: Vec<Vec<f64>> = rec
        .sample_t_ms
        .iter()
        .enumerate()
        .map(|(s, &t)| {
            std::iter::once(t).chain(rec.mean_currents[s * np * 3..(s + 1) * np * 3].iter().copied()).collect()
        })
        .collect();
    dir.write_csv("mean_currents.csv", &cols, &rows)?;
    let k = rec.plan.voltage_neurons.len();
    if let Some(rows) = rec.voltages.len().checked_div(k) {
        dir.write_npy("voltages.npy", &rec.voltages, &[rows, k])?;
        dir.write_npy("voltage_t_ms.npy", &rec.sample_t_ms, &[rec.sample_t_ms.len()])?;
    }
    dir.write_npy("neuron_rates_hz.npy", &res.neuron_rates_hz, &[res.neuron_rates_hz.len()])?;
    let w = &rec.weights;
    if !w.types.is_empty() {
        let k = w.types.len();
        let mut cols: Vec<&str> = vec!["t_ms"];
        cols.extend(w.types.iter().map(|s| s.as_str()));
        let rows: Vec<Vec<f64>> = w
            .t_ms
            .iter()
            .enumerate()
            .map(|(r, &t)| std::iter::once(t).chain(w.mean_j[r * k..(r + 1) * k].iter().copied()).collect())
            .collect();
        dir.write_csv("weights_mean_j.csv", &cols, &rows)?;
        let per_record = w.sample_j.len() / w.t_ms.len().max(1);
        dir.write_npy("weights_sample_j.npy", &w.sample_j, &[w.t_ms.len(), per_record])?;
    }
    if let Some(stats) = &res.covariance {
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for (_, s) in &stats.sampled.0 {
            rows.extend(
                s.pairs.iter().zip(&s.cov).zip(&s.corr).map(|((p, &c), &r)| vec![p.0 as f64, p.1 as f64, c, r]),
            );
        }
        dir.write_csv("cov_sampled_pairs.csv", &["neuron_a", "neuron_b", "cov", "corr"], &rows)?;
    }
    Ok(())
}

/// The overview figure: raster of a sample of neurons over the last 2 s,
/// population rates over time beside the theory, and mean inputs.
pub fn figures(dir: &RunDir, sim: &Simulation, res: &RunResults) -> Result<(), hebb_plot::PlotError> {
    let layout = &sim.network.layout;
    let rec = &sim.recorder;
    let plan = &rec.plan;
    // Rows: the sampled neurons of each population stacked in order.
    let sample = &plan.raster_neurons;
    let row_of = |j: u32| sample.binary_search(&j).map(|r| r as u32).unwrap_or(0);
    let t_end = sim.steps_done() as f64 * plan.dt;
    let t_start = (t_end - plan.figure_window_steps as f64 * plan.dt).max(0.0);
    let mut raster = RasterPanel::new(
        format!("Spikes of {} sampled neurons", sample.len()),
        rec.raster.iter().map(|s| s.0).collect(),
        rec.raster.iter().map(|s| row_of(s.1)).collect(),
        (t_start, t_end),
    );
    for (p, pop) in layout.pops().iter().enumerate() {
        let r = layout.range(p);
        let lo = sample.partition_point(|&j| (j as usize) < r.start) as u32;
        let hi = sample.partition_point(|&j| (j as usize) < r.end) as u32;
        raster = raster.with_group(pop.name.clone(), lo..hi, p);
    }
    let theory = theory::rates(&sim.config, None).ok();
    let mut rates = LinePanel::new("Population rates", "time (ms)", "rate (Hz)");
    for (p, pop) in layout.pops().iter().enumerate() {
        let t: Vec<f64> = res.bin_t_ms.iter().map(|t| t + 0.5 * plan.bin_steps as f64 * plan.dt).collect();
        rates = rates.with_series(Series::line(pop.name.clone(), t, res.bin_rates_hz[p].clone()).with_color(p));
        if let Some(th) = &theory {
            let r = th.rates_hz()[p];
            rates = rates.with_series(
                Series::dashed(format!("{} theory", pop.name), vec![0.0, t_end], vec![r, r]).with_color(p),
            );
        }
    }
    let np = layout.n_pops();
    let mut inputs = LinePanel::new("Mean synaptic input of the first population", "time (ms)", "current (mV/ms)");
    let t = rec.sample_t_ms.clone();
    let col = |c: usize| -> Vec<f64> { (0..t.len()).map(|s| rec.mean_currents[s * np * 3 + c]).collect() };
    let (e, i, x) = (col(0), col(1), col(2));
    let ex: Vec<f64> = e.iter().zip(&x).map(|(a, b)| a + b).collect();
    let total: Vec<f64> = ex.iter().zip(&i).map(|(a, b)| a + b).collect();
    inputs = inputs
        .with_series(Series::line("E + X", t.clone(), ex).with_color(0))
        .with_series(Series::line("I", t.clone(), i).with_color(1))
        .with_series(Series::line("total", t, total).with_color(2));
    let mut panels = vec![Panel::Raster(raster), Panel::Line(rates), Panel::Line(inputs)];
    let w = &rec.weights;
    if !w.types.is_empty() {
        let k = w.types.len();
        let mut weights = LinePanel::new(
            "Change of the mean plastic weights since t = 0 (start values in the legend)",
            "time (ms)",
            "Δ mean j (j = √N·J)",
        );
        for (p, name) in w.types.iter().enumerate() {
            let y: Vec<f64> = (0..w.t_ms.len()).map(|r| w.mean_j[r * k + p] - w.mean_j[p]).collect();
            weights = weights.with_series(
                Series::line(format!("{name} (from {:.1})", w.mean_j[p]), w.t_ms.clone(), y).with_color(p),
            );
        }
        panels.push(Panel::Line(weights));
    }
    let fig = Figure {
        title: Some(format!("hebb run: N = {}, {:.1} s simulated", sim.network.n(), res.sim_s)),
        panels,
        columns: 1,
        panel_size: (900, 320),
    };
    fig.save(&dir.figures_dir(), "overview")?;
    Ok(())
}

/// The end-of-run table: measured rates beside the theory, and covariances.
pub fn table(s: &Summary) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<6} {:>12} {:>14} {:>22}\n",
        "pop", "rate (Hz)", "theory (Hz)", "theory @ delivered (Hz)"
    ));
    for (name, r) in &s.rates_hz {
        let th = s.theory_rates_hz.as_ref().and_then(|t| t.get(name)).map_or("-".into(), |v| format!("{v:.3}"));
        let td = s
            .theory_rates_at_delivered_input_hz
            .as_ref()
            .and_then(|t| t.get(name))
            .map_or("-".into(), |v| format!("{v:.3}"));
        out.push_str(&format!("{name:<6} {r:>12.3} {th:>14} {td:>22}\n"));
    }
    if let Some(note) = &s.theory_note {
        out.push_str(&format!("theory: {note}\n"));
    }
    for (name, r) in &s.external_rates_hz {
        out.push_str(&format!("{name:<6} {r:>12.3}   (external, delivered)\n"));
    }
    out.push_str(&format!(
        "\n{:<6} {:>14} {:>14} {:>12} {:>12}   ({} windows of {} ms)\n",
        "pair", "cov", "theory cov", "corr", "theory corr", s.cov_windows, s.cov_window_ms
    ));
    for (pair, c) in &s.cov_mean {
        let tc = s.theory_cov_mean.as_ref().and_then(|t| t.get(pair)).map_or("-".into(), |v| format!("{v:.4e}"));
        let r = s.corr_mean.get(pair).copied().unwrap_or(f64::NAN);
        let tr = s
            .theory_corr_mean
            .as_ref()
            .and_then(|t| t.get(pair))
            .and_then(|v| *v)
            .map_or("-".into(), |v| format!("{v:.4}"));
        out.push_str(&format!("{pair:<6} {c:>14.4e} {tc:>14} {r:>12.4} {tr:>12}\n"));
    }
    for (t, w) in &s.mean_weight_j {
        out.push_str(&format!("mean j({t}): {:.4} -> {:.4}\n", w.initial, w.r#final));
    }
    out.push_str(&format!(
        "\n{:.2} s simulated, {} spikes, {} synapses; stepping {:.3} wall-s and {} CPU-s per simulated s on {} thread(s)",
        s.sim_s,
        s.spikes,
        s.synapses,
        s.wall_s_per_sim_s,
        s.cpu_s_per_sim_s.map_or("?".into(), |c| format!("{c:.3}")),
        s.threads
    ));
    out
}
