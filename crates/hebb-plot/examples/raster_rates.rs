//! Renders a three-panel demonstration figure (raster, rates over time, histogram).
//!
//! `cargo run -p hebb-plot --example raster_rates -- [DIR]` writes `DIR/raster_rates.png`
//! and `.svg` (default `DIR`: the system temporary directory).

use hebb_plot::{Figure, HistogramPanel, LinePanel, RasterPanel, Series, palette};

fn main() -> Result<(), hebb_plot::PlotError> {
    let dir = std::env::args().nth(1).map_or_else(std::env::temp_dir, Into::into);
    // Deterministic pseudo-random spikes: 800 E + 200 I neurons, stronger drive in 200..400 ms.
    let (n_e, n_i, t_max) = (800u32, 200u32, 1000.0);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut times, mut rows) = (Vec::new(), Vec::new());
    let dt = 1.0;
    let mut t = 0.0;
    while t < t_max {
        for n in 0..n_e + n_i {
            let base = if n < n_e { 5.0 } else { 12.0 };
            let rate = if (200.0..400.0).contains(&t) { 3.0 * base } else { base };
            if uniform() < rate * dt * 1e-3 {
                times.push(t + uniform() * dt);
                rows.push(n);
            }
        }
        t += dt;
    }
    // Population rates in 10 ms bins.
    let bin = 10.0;
    let nb = (t_max / bin) as usize;
    let (mut e_rate, mut i_rate) = (vec![0.0; nb], vec![0.0; nb]);
    for (&t, &r) in times.iter().zip(&rows) {
        let k = ((t / bin) as usize).min(nb - 1);
        if r < n_e {
            e_rate[k] += 1000.0 / (bin * n_e as f64);
        } else {
            i_rate[k] += 1000.0 / (bin * n_i as f64);
        }
    }
    let centers: Vec<f64> = (0..nb).map(|k| (k as f64 + 0.5) * bin).collect();
    let isi: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]).abs() * 1000.0).collect();

    let raster = RasterPanel::new("Spike raster", times, rows, (0.0, t_max))
        .with_group("excitatory", 0..n_e, palette::VERMILLION)
        .with_group("inhibitory", n_e..n_e + n_i, palette::BLUE);
    let mut rates = LinePanel::new("Population rates", "time (ms)", "rate (Hz)")
        .with_series(Series::line("excitatory", centers.clone(), e_rate).with_color(palette::VERMILLION))
        .with_series(Series::dashed("inhibitory", centers, i_rate).with_color(palette::BLUE));
    rates.shaded_x.push((200.0, 400.0));
    rates.x_range = Some((0.0, t_max));
    let hist = HistogramPanel::new("Spacing of successive spikes", "interval (µs)").with_sample("all neurons", isi);
    let fig = Figure::new()
        .with_title("hebb-plot demonstration")
        .with_columns(1)
        .with_panel(raster)
        .with_panel(rates)
        .with_panel(hist);
    for p in fig.save(&dir, "raster_rates")? {
        println!("{}", p.display());
    }
    Ok(())
}
