//! End-to-end tests: files written, PNG geometry, SVG text, pixel colours, edge cases.

use std::path::{Path, PathBuf};

use hebb_plot::hist::{bin_counts, bin_edges, density, finite_range};
use hebb_plot::{Figure, HistogramPanel, LinePanel, Panel, PlotError, RasterPanel, Series, palette};

/// A fresh, empty directory for one test.
fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hebb-plot-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Width and height from the IHDR chunk of a PNG file, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG: {}", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// Saves `fig`, checks both files and their sizes, and returns the SVG text.
fn save_and_check(fig: &Figure, name: &str) -> String {
    let dir = test_dir(name);
    let paths = fig.save(&dir, name).unwrap();
    assert_eq!(paths, vec![dir.join(format!("{name}.png")), dir.join(format!("{name}.svg"))]);
    assert_eq!(png_size(&paths[0]), fig.pixel_size());
    let svg = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(100)]);
    let (w, h) = fig.pixel_size();
    assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")));
    let _ = std::fs::remove_dir_all(&dir);
    svg
}

/// The trimmed contents of all `<text>` elements of an SVG document.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

/// Number of pixels of exactly palette colour `index` in an RGB buffer.
fn count_color(rgb: &[u8], index: usize) -> usize {
    let (r, g, b) = palette::rgb(index);
    rgb.chunks_exact(3).filter(|p| p == &[r, g, b]).count()
}

fn ramp(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

fn all_panel_types() -> Figure {
    let raster = RasterPanel::new("Spike raster", vec![1.0, 2.0, 3.0, 4.0], vec![0, 1, 8, 9], (0.0, 5.0))
        .with_group("exc", 0..8, palette::VERMILLION)
        .with_group("inh", 8..10, palette::BLUE);
    let mut line = LinePanel::new("Rates over time", "time (ms)", "rate (Hz)")
        .with_series(Series::line("E rate", ramp(10), ramp(10)))
        .with_series(Series::dashed("I rate", ramp(10), vec![2.0; 10]))
        .with_series(Series::points("samples", vec![1.0, 5.0], vec![3.0, 4.0]));
    line.shaded_x = vec![(2.0, 4.0)];
    let hist = HistogramPanel::new("Weights", "weight (nS)")
        .with_sample("before", vec![0.1, 0.2, 0.2, 0.5])
        .with_sample("after", vec![0.3, 0.4]);
    Figure::new()
        .with_title("Every panel type")
        .with_columns(2)
        .with_panel_size(400, 300)
        .with_panel(raster)
        .with_panel(line)
        .with_panel(hist)
}

#[test]
fn every_panel_type_writes_png_and_svg() {
    let fig = all_panel_types();
    // 3 panels in 2 columns: 2 rows of 400 x 300 plus the title band.
    assert_eq!(fig.grid(), (2, 2));
    assert!(fig.title_height() > 0);
    assert_eq!(fig.pixel_size(), (800, 600 + fig.title_height()));
    let svg = save_and_check(&fig, "all");
    let texts = svg_texts(&svg);
    for text in [
        "Every panel type",
        "Spike raster",
        "Rates over time",
        "Weights",
        "time (ms)",
        "rate (Hz)",
        "neuron",
        "weight (nS)",
        "count",
        // legends: several series / groups / samples
        "E rate",
        "I rate",
        "samples",
        "exc",
        "inh",
        "before",
        "after",
    ] {
        assert!(texts.iter().any(|t| t == text), "SVG lacks text {text:?}: {texts:?}");
    }
    assert!(!texts.iter().any(|t| t == "no data"));
}

#[test]
fn legend_only_with_several_series() {
    let one = Figure::new().with_panel(LinePanel::new("t", "x", "y").with_series(Series::line(
        "lonely-label",
        ramp(3),
        ramp(3),
    )));
    let svg = one.to_svg_string().unwrap();
    assert!(!svg.contains("lonely-label"));
    let two = Figure::new().with_panel(
        LinePanel::new("t", "x", "y")
            .with_series(Series::line("lonely-label", ramp(3), ramp(3)))
            .with_series(Series::line("other", ramp(3), ramp(3))),
    );
    assert!(svg_texts(&two.to_svg_string().unwrap()).contains(&"lonely-label".to_string()));
}

#[test]
fn raster_colours_spikes_by_group() {
    let groups = |p: RasterPanel| p.with_group("E", 0..4, palette::VERMILLION).with_group("I", 4..5, palette::BLUE);
    let count = |p: RasterPanel| {
        let fig = Figure::new().with_panel(p);
        let rgb = fig.render_rgb().unwrap();
        let (w, h) = fig.pixel_size();
        assert_eq!(rgb.len(), (w * h * 3) as usize);
        (count_color(&rgb, palette::VERMILLION), count_color(&rgb, palette::BLUE))
    };
    // Without spikes only the legend swatches have the group colours.
    let (e0, i0) = count(groups(RasterPanel::new("r", vec![], vec![], (0.0, 50.0))));
    assert!(e0 > 0 && i0 > 0);
    // Spikes in the excitatory rows only: more vermillion, no more blue.
    let (e1, i1) = count(groups(RasterPanel::new("r", vec![10.0, 20.0, 30.0], vec![0, 1, 2], (0.0, 50.0))));
    assert!(e1 > e0);
    assert_eq!(i1, i0);
    // Adding inhibitory spikes adds blue and leaves vermillion unchanged.
    let (e2, i2) = count(groups(RasterPanel::new(
        "r",
        vec![10.0, 20.0, 30.0, 15.0, 25.0, 35.0],
        vec![0, 1, 2, 4, 4, 4],
        (0.0, 50.0),
    )));
    assert_eq!(e2, e1);
    assert!(i2 > i1);
    // Ungrouped rows are black, not a group colour.
    let (e3, i3) = count(groups(RasterPanel::new("r", vec![10.0], vec![7], (0.0, 50.0))));
    assert_eq!((e3, i3), (e0, i0));
}

#[test]
fn rendering_is_deterministic() {
    let fig = all_panel_types();
    assert_eq!(fig.render_rgb().unwrap(), fig.render_rgb().unwrap());
}

#[test]
fn lines_are_clipped_to_a_fixed_range() {
    // The series shoots far above the fixed y range; nothing may be drawn above the
    // plotting area (i.e. in the top rows, where only the title lives).
    let mut p = LinePanel::new("clip", "x", "y")
        .with_series(Series::line("s", vec![0.0, 1.0, 2.0], vec![0.5, 1e6, 0.5]).with_color(palette::GREEN));
    p.y_range = Some((0.0, 1.0));
    let fig = Figure::new().with_panel(p);
    let rgb = fig.render_rgb().unwrap();
    let (w, _) = fig.pixel_size();
    let top_rows = &rgb[..(w as usize * 25 * 3)];
    assert_eq!(count_color(top_rows, palette::GREEN), 0);
    assert!(count_color(&rgb, palette::GREEN) > 0);
}

#[test]
fn edge_cases_do_not_panic_and_write_files() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let mut log_panel = LinePanel::new("log axes", "frequency (Hz)", "power")
        .with_series(Series::line("mixed", vec![-1.0, 0.0, 1.0, 10.0, 100.0], vec![1.0, 2.0, 0.0, -3.0, 5.0]))
        .with_series(Series::points("pts", vec![0.5, 2.0], vec![nan, 3.0]));
    log_panel.log_x = true;
    log_panel.log_y = true;
    let mut all_nonpositive = LinePanel::new("log, nothing positive", "x", "y").with_series(Series::line(
        "neg",
        vec![-1.0, -2.0],
        vec![-1.0, 0.0],
    ));
    all_nonpositive.log_y = true;
    all_nonpositive.log_x = true;
    all_nonpositive.x_range = Some((-5.0, 0.0)); // unusable on a log axis: ignored
    let mut zero_ranges = LinePanel::new("zero-width ranges", "x", "y").with_series(Series::line(
        "flat",
        vec![2.0, 2.0, 2.0],
        vec![7.0, 7.0, 7.0],
    ));
    zero_ranges.x_range = Some((2.0, 2.0));
    zero_ranges.shaded_x = vec![(nan, 1.0), (5.0, 5.0), (-inf, inf)];
    let panels: Vec<Panel> = vec![
        LinePanel::new("empty", "x", "y").into(),
        LinePanel::new("empty series", "x", "y").with_series(Series::line("e", vec![], vec![])).into(),
        LinePanel::new("non-finite", "x", "y")
            .with_series(Series::line("nan", vec![nan, 1.0, inf, 3.0, 4.0], vec![1.0, 2.0, 2.0, -inf, 1.0]))
            .into(),
        LinePanel::new("single point", "x", "y").with_series(Series::dashed("one", vec![1.0], vec![1.0])).into(),
        LinePanel::new("mismatched lengths", "x", "y").with_series(Series::line("m", ramp(5), ramp(2))).into(),
        LinePanel::new("", "", "").with_series(Series::line("huge", vec![0.0, 1.0], vec![-1e300, 1e300])).into(),
        log_panel.into(),
        all_nonpositive.into(),
        zero_ranges.into(),
        RasterPanel::new("empty raster", vec![], vec![], (0.0, 0.0)).into(),
        RasterPanel::new("nan window", vec![5.0, nan], vec![3, 4], (nan, inf)).into(),
        RasterPanel::new("one spike, zero window", vec![5.0], vec![u32::MAX], (5.0, 5.0))
            .with_group("empty group", 7..7, 0)
            .into(),
        RasterPanel::new("outside window", vec![100.0], vec![1], (0.0, 10.0)).into(),
        HistogramPanel::new("empty histogram", "x").into(),
        HistogramPanel::new("all nan", "x").with_sample("n", vec![nan, inf]).into(),
        HistogramPanel::new("one value", "x").with_sample("v", vec![3.0]).into(),
        HistogramPanel { density: true, bins: 3, ..HistogramPanel::new("equal", "x") }
            .with_sample("a", vec![0.0, 0.0])
            .with_sample("empty", vec![])
            .into(),
    ];
    let fig = Figure { title: Some(String::new()), panels, columns: 4, panel_size: (300, 220) };
    let svg = save_and_check(&fig, "edge");
    // Panels without drawable data say so: empty, empty series, all-nonpositive log,
    // empty raster, outside window, empty histogram, all nan.
    let no_data = svg_texts(&svg).iter().filter(|t| *t == "no data").count();
    assert_eq!(no_data, 7, "panels saying 'no data'");

    // A figure without panels still produces a (one-cell) image.
    let empty = Figure::new();
    let svg = save_and_check(&empty, "no-panels");
    assert!(svg_texts(&svg).contains(&"no data".to_string()));
}

#[test]
fn non_finite_points_break_lines_but_keep_the_rest() {
    let fig =
        Figure::new().with_panel(LinePanel::new("gaps", "x", "y").with_series(
            Series::line("s", ramp(6), vec![1.0, 2.0, f64::NAN, 2.0, 1.0, 2.0]).with_color(palette::PURPLE),
        ));
    let rgb = fig.render_rgb().unwrap();
    assert!(count_color(&rgb, palette::PURPLE) > 0);
    assert!(!svg_texts(&fig.to_svg_string().unwrap()).contains(&"no data".to_string()));
}

#[test]
fn large_raster_is_merged_into_fewer_rectangles() {
    let n = 100_000usize;
    let times: Vec<f64> = (0..n).map(|i| (i as f64 * 0.618_034).fract() * 1000.0).collect();
    let rows: Vec<u32> = (0..n).map(|i| (i * 7919 % 2000) as u32).collect();
    let fig = Figure::new().with_panel(
        RasterPanel::new("1e5 spikes", times, rows, (0.0, 1000.0))
            .with_group("E", 0..1600, palette::VERMILLION)
            .with_group("I", 1600..2000, palette::BLUE),
    );
    let svg = save_and_check(&fig, "large");
    let rects = svg.matches("<rect").count();
    assert!(rects > 1000 && rects < n / 2, "{rects} rectangles for {n} spikes");
}

#[test]
fn invalid_geometry_is_an_error() {
    let fig = Figure::new().with_panel_size(10, 10);
    assert!(matches!(fig.render_rgb(), Err(PlotError::InvalidFigure(_))));
    let fig = Figure::new().with_panel_size(100_000, 300);
    assert!(matches!(fig.to_svg_string(), Err(PlotError::InvalidFigure(_))));
    let dir = test_dir("bad-stem");
    assert!(matches!(Figure::new().save(&dir, ""), Err(PlotError::InvalidFigure(_))));
    assert!(matches!(Figure::new().save(&dir, "a/b"), Err(PlotError::InvalidFigure(_))));
    assert!(!dir.exists());
}

#[test]
fn unwritable_directory_is_an_io_error() {
    let dir = test_dir("not-a-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = Figure::new().save(&file.join("sub"), "fig").unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bin_counts_match_hand_computed_values() {
    // bins over [0, 4): [0,1) [1,2) [2,3) [3,4]
    let v = [0.0, 0.5, 1.0, 1.5, 1.999, 2.0, 3.999, 4.0, 4.0001, -0.0001, f64::NAN, f64::INFINITY];
    assert_eq!(bin_counts(&v, 0.0, 4.0, 4), vec![2, 3, 1, 2]);
    assert_eq!(bin_counts(&v, 0.0, 4.0, 1), vec![8]);
    assert_eq!(bin_counts(&v, 0.0, 4.0, 2), vec![5, 3]);
    // Negative range and non-integer width: edges -1, -0.5, 0, 0.5, 1.
    let w = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.49, 0.5, 1.0];
    assert_eq!(bin_counts(&w, -1.0, 1.0, 4), vec![2, 2, 3, 2]);
    assert_eq!(bin_edges(-1.0, 1.0, 4), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    // Degenerate inputs.
    assert_eq!(bin_counts(&v, 0.0, 4.0, 0), Vec::<u64>::new());
    assert_eq!(bin_counts(&v, 1.0, 1.0, 3), vec![0, 0, 0]);
    assert_eq!(bin_counts(&[], 0.0, 1.0, 2), vec![0, 0]);
}

#[test]
fn density_integrates_to_one_and_ranges_are_padded() {
    let d = density(&[1, 3, 0, 4], 0.5);
    assert_eq!(d, vec![0.25, 0.75, 0.0, 1.0]);
    assert!((d.iter().sum::<f64>() * 0.5 - 1.0).abs() < 1e-12);
    assert_eq!(density(&[0, 0], 1.0), vec![0.0, 0.0]);
    let a = [1.0, f64::NAN, 5.0];
    let b = [-2.0, f64::INFINITY];
    assert_eq!(finite_range([&a[..], &b[..]]), Some((-2.0, 5.0)));
    assert_eq!(finite_range([&[3.0][..]]), Some((2.7, 3.3)));
    assert_eq!(finite_range([&[f64::NAN][..], &[][..]]), None);
}
