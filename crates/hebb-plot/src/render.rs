//! Drawing a [`Figure`] onto any plotters backend (private).

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{Axis, clip_polylines, fmt_tick};
use crate::hist::{auto_bins, bin_counts, bin_edges, density, finite_range};
use crate::model::{Figure, HistogramPanel, LinePanel, Panel, RasterPanel, SeriesStyle};
use crate::palette;

type R<T = ()> = Result<T, String>;

/// Converts any displayable error into the `String` carried by `PlotError::Render`.
trait Ctx<T> {
    fn ctx(self) -> R<T>;
}
impl<T, E: std::fmt::Display> Ctx<T> for Result<T, E> {
    fn ctx(self) -> R<T> {
        self.map_err(|e| e.to_string())
    }
}

/// Font sizes (px) and a general scale factor, derived from the panel height.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FontSizes {
    pub scale: f64,
    pub figure_title: f64,
    pub title: f64,
    pub label: f64,
    pub tick: f64,
    pub legend: f64,
}

pub(crate) fn font_sizes(panel_height: u32) -> FontSizes {
    let scale = (panel_height as f64 / 360.0).clamp(0.75, 4.0);
    FontSizes {
        scale,
        figure_title: 22.0 * scale,
        title: 18.0 * scale,
        label: 15.0 * scale,
        tick: 13.0 * scale,
        legend: 13.0 * scale,
    }
}

const TEXT: RGBColor = RGBColor(20, 20, 20);
const GRID: RGBColor = RGBColor(225, 225, 225);
const NOTE: RGBColor = RGBColor(120, 120, 120);

fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FontFamily::SansSerif, size).into_font()).color(&TEXT)
}

pub(crate) fn draw_figure<DB: DrawingBackend>(fig: &Figure, root: &DrawingArea<DB, Shift>) -> R {
    root.fill(&WHITE).ctx()?;
    let fs = font_sizes(fig.panel_size.1);
    let th = fig.title_height();
    let body = if th > 0 {
        let (top, body) = root.split_vertically(th);
        let (w, h) = top.dim_in_pixel();
        let style = font(fs.figure_title).pos(Pos::new(HPos::Center, VPos::Center));
        top.draw_text(fig.title.as_deref().unwrap_or(""), &style, (w as i32 / 2, h as i32 / 2)).ctx()?;
        body
    } else {
        root.clone()
    };
    let (cols, rows) = fig.grid();
    let cells = body.split_evenly((rows, cols));
    if fig.panels.is_empty() {
        let empty = LinePanel::default();
        return draw_line_panel(&cells[0], &empty, &fs);
    }
    for (panel, cell) in fig.panels.iter().zip(cells.iter()) {
        match panel {
            Panel::Line(p) => draw_line_panel(cell, p, &fs)?,
            Panel::Raster(p) => draw_raster_panel(cell, p, &fs)?,
            Panel::Histogram(p) => draw_histogram_panel(cell, p, &fs)?,
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Panel header: title and legend
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Swatch {
    Line,
    Dashed,
    Point,
    Block,
}

struct LegendEntry {
    label: String,
    color: usize,
    swatch: Swatch,
}

const MAX_LEGEND_ROWS: usize = 3;

/// Draws the panel title and the legend (if any) at the top of `area` and returns the
/// area left for the chart.
fn header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendEntry],
    fs: &FontSizes,
) -> R<DrawingArea<DB, Shift>> {
    let (w, h) = area.dim_in_pixel();
    let m = 8.0 * fs.scale;
    let mut y = m;
    if !title.is_empty() {
        let style = font(fs.title).pos(Pos::new(HPos::Center, VPos::Top));
        area.draw_text(title, &style, ((w / 2) as i32, y as i32)).ctx()?;
        y += fs.title * 1.35;
    }

    if !legend.is_empty() {
        let ls = fs.legend;
        let text_style = font(ls).pos(Pos::new(HPos::Left, VPos::Center));
        let sw = 2.2 * ls; // swatch width
        let gap = 0.4 * ls; // swatch to text
        let spacing = 1.4 * ls; // between entries
        let row_h = 1.5 * ls;
        let avail = w as f64 - 2.0 * m;
        // Greedy layout into rows.
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
        let mut row_w = 0.0;
        for (i, e) in legend.iter().enumerate() {
            let (tw, _) = area.estimate_text_size(&e.label, &text_style).ctx()?;
            let ew = sw + gap + tw as f64;
            let needed = if row_w > 0.0 { row_w + spacing + ew } else { ew };
            if needed > avail && row_w > 0.0 {
                if rows.len() == MAX_LEGEND_ROWS {
                    break; // no room: the remaining entries are left out
                }
                rows.push(Vec::new());
                row_w = ew;
            } else {
                row_w = needed;
            }
            rows.last_mut().expect("at least one row").push((i, ew));
        }
        for row in &rows {
            let total: f64 = row.iter().map(|&(_, ew)| ew).sum::<f64>() + spacing * (row.len() as f64 - 1.0);
            let mut x = (w as f64 - total) / 2.0;
            let yc = (y + row_h / 2.0) as i32;
            for &(i, ew) in row {
                let e = &legend[i];
                draw_swatch(area, e, (x as i32, yc), sw as i32, fs)?;
                area.draw_text(&e.label, &text_style, ((x + sw + gap) as i32, yc)).ctx()?;
                x += ew + spacing;
            }
            y += row_h;
        }
    }
    let top = ((y + 0.25 * m) as u32).min(h / 2);
    Ok(area.split_vertically(top).1)
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    e: &LegendEntry,
    (x, yc): (i32, i32),
    sw: i32,
    fs: &FontSizes,
) -> R {
    let c = palette::color(e.color);
    let lw = line_width(fs);
    match e.swatch {
        Swatch::Line => area.draw(&PathElement::new(vec![(x, yc), (x + sw, yc)], c.stroke_width(lw))).ctx(),
        Swatch::Dashed => {
            // Three dashes of sw/4 separated by two gaps of sw/8.
            let d = sw / 4;
            for k in 0..3 {
                let x0 = x + k * (sw * 3 / 8);
                area.draw(&PathElement::new(vec![(x0, yc), (x0 + d, yc)], c.stroke_width(lw))).ctx()?;
            }
            Ok(())
        }
        Swatch::Point => area.draw(&Circle::new((x + sw / 2, yc), point_radius(fs) + 1, c.filled())).ctx(),
        Swatch::Block => {
            let hh = (fs.legend * 0.4) as i32;
            area.draw(&Rectangle::new([(x + sw / 5, yc - hh), (x + sw - sw / 5, yc + hh)], c.filled())).ctx()
        }
    }
}

fn line_width(fs: &FontSizes) -> u32 {
    (2.0 * fs.scale).round().max(1.0) as u32
}

fn point_radius(fs: &FontSizes) -> i32 {
    (3.0 * fs.scale).round().max(2.0) as i32
}

// ---------------------------------------------------------------------------------------
// Chart frame shared by all panel types
// ---------------------------------------------------------------------------------------

/// Builds the Cartesian chart in `area` with room for tick labels and axis labels.
/// `y_tick_chars` is an estimate of the widest y tick label, in characters.
#[allow(clippy::type_complexity)]
fn build_chart<'a, DB, XS, YS>(
    area: &'a DrawingArea<DB, Shift>,
    xs: XS,
    ys: YS,
    y_tick_chars: usize,
    fs: &FontSizes,
) -> R<ChartContext<'a, DB, Cartesian2d<XS::CoordDescType, YS::CoordDescType>>>
where
    DB: DrawingBackend,
    XS: AsRangedCoord<Value = f64>,
    YS: AsRangedCoord<Value = f64>,
{
    let m = 8.0 * fs.scale;
    let x_area = fs.tick * 1.2 + fs.label * 1.5 + m;
    let y_area = fs.tick * 0.62 * y_tick_chars.clamp(2, 10) as f64 + fs.label * 1.6 + m;
    ChartBuilder::on(area)
        .margin_left(m)
        .margin_right(3.0 * m)
        .margin_top(0.5 * m)
        .margin_bottom(0.5 * m)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(xs, ys)
        .ctx()
}

fn draw_mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_label: &str,
    y_label: &str,
    fs: &FontSizes,
) -> R
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let fmt = |v: &f64| fmt_tick(*v);
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .label_style(font(fs.tick))
        .axis_desc_style(font(fs.label))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT.stroke_width(0))
        .axis_style(TEXT.stroke_width(1))
        .draw()
        .ctx()
}

/// Writes "no data" in the middle of the chart's plotting area.
fn no_data<DB: DrawingBackend, X: Ranged, Y: Ranged>(
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
    fs: &FontSizes,
) -> R {
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let style = font(fs.label).color(&NOTE).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text("no data", &style, ((w / 2) as i32, (h / 2) as i32)).ctx()
}

/// Estimated width in characters of the widest tick label of an axis, from the "nice"
/// ticks (1, 2 or 5 × 10^k steps, about six of them) that plotters will choose.
fn tick_chars(a: &Axis) -> usize {
    let (lo, hi) = if a.log { (a.lo.log10(), a.hi.log10()) } else { (a.lo, a.hi) };
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return 4;
    }
    let raw = span / 6.0;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|&s| s >= raw).unwrap_or(10.0 * p);
    let mut v = (lo / step).ceil() * step;
    let mut widest = 1;
    for _ in 0..50 {
        if v > hi + step * 1e-9 {
            break;
        }
        let shown = if a.log { 10f64.powf(v) } else { v };
        // Snap to the step to avoid 0.30000000000000004-like artefacts.
        let shown = if a.log { shown } else { (shown / step).round() * step };
        widest = widest.max(fmt_tick(shown).chars().count());
        v += step;
    }
    widest
}

// ---------------------------------------------------------------------------------------
// Line panels
// ---------------------------------------------------------------------------------------

fn draw_line_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &LinePanel, fs: &FontSizes) -> R {
    let legend: Vec<LegendEntry> = if p.series.len() > 1 {
        p.series
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.label.is_empty())
            .map(|(i, s)| LegendEntry {
                label: s.label.clone(),
                color: s.color.unwrap_or(i),
                swatch: match s.style {
                    SeriesStyle::Line => Swatch::Line,
                    SeriesStyle::Dashed => Swatch::Dashed,
                    SeriesStyle::Points => Swatch::Point,
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let chart_area = header(area, &p.title, &legend, fs)?;

    let points = || p.series.iter().flat_map(|s| s.x.iter().copied().zip(s.y.iter().copied()));
    let probe_y = Axis { lo: 0.0, hi: 1.0, log: p.log_y };
    let ax = Axis::from_data(
        points().filter(|&(_, y)| probe_y.valid(y)).map(|(x, _)| x),
        p.x_range,
        p.log_x,
        // Lines look best ending at the frame; markers need a little room.
        if p.series.iter().any(|s| s.style == SeriesStyle::Points) { 0.03 } else { 0.0 },
    );
    let ay = Axis::from_data(points().filter(|&(x, _)| ax.contains(x)).map(|(_, y)| y), p.y_range, p.log_y, 0.05);
    match (p.log_x, p.log_y) {
        (false, false) => line_chart(&chart_area, p, ax, ay, ax.lo..ax.hi, ay.lo..ay.hi, fs),
        (true, false) => line_chart(&chart_area, p, ax, ay, (ax.lo..ax.hi).log_scale(), ay.lo..ay.hi, fs),
        (false, true) => line_chart(&chart_area, p, ax, ay, ax.lo..ax.hi, (ay.lo..ay.hi).log_scale(), fs),
        (true, true) => line_chart(&chart_area, p, ax, ay, (ax.lo..ax.hi).log_scale(), (ay.lo..ay.hi).log_scale(), fs),
    }
}

fn line_chart<DB, XS, YS>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
    ax: Axis,
    ay: Axis,
    xs: XS,
    ys: YS,
    fs: &FontSizes,
) -> R
where
    DB: DrawingBackend,
    XS: AsRangedCoord<Value = f64>,
    YS: AsRangedCoord<Value = f64>,
    XS::CoordDescType: ValueFormatter<f64>,
    YS::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = build_chart(area, xs, ys, tick_chars(&ay), fs)?;
    draw_mesh(&mut chart, &p.x_label, &p.y_label, fs)?;

    // Shaded bands behind the data.
    let band = RGBColor(0, 0, 0).mix(0.08).filled();
    let bands: Vec<_> = p
        .shaded_x
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|&(a, b)| (a.min(b).max(ax.lo), a.max(b).min(ax.hi)))
        .filter(|(a, b)| b > a)
        .map(|(a, b)| Rectangle::new([(a, ay.lo), (b, ay.hi)], band))
        .collect();
    chart.draw_series(bands).ctx()?;

    let lw = line_width(fs);
    let r = point_radius(fs);
    let mut drawn = false;
    for (i, s) in p.series.iter().enumerate() {
        let c = palette::color(s.color.unwrap_or(i));
        match s.style {
            SeriesStyle::Line | SeriesStyle::Dashed => {
                for pl in clip_polylines(&s.x, &s.y, ax, ay) {
                    drawn = true;
                    if pl.iter().all(|q| *q == pl[0]) {
                        chart.draw_series(std::iter::once(Circle::new(pl[0], r, c.filled())))
                    } else if s.style == SeriesStyle::Line {
                        chart.draw_series(LineSeries::new(pl, c.stroke_width(lw)))
                    } else {
                        let dash = (7.0 * fs.scale).max(3.0) as i32;
                        let gap = (5.0 * fs.scale).max(2.0) as i32;
                        chart.draw_series(DashedLineSeries::new(pl, dash, gap, c.stroke_width(lw)))
                    }
                    .ctx()?;
                }
            }
            SeriesStyle::Points => {
                let pts: Vec<_> =
                    s.x.iter()
                        .zip(&s.y)
                        .filter(|&(&x, &y)| ax.contains(x) && ay.contains(y))
                        .map(|(&x, &y)| Circle::new((x, y), r, c.filled()))
                        .collect();
                drawn |= !pts.is_empty();
                chart.draw_series(pts).ctx()?;
            }
        }
    }
    if !drawn {
        no_data(&chart, fs)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Raster panels
// ---------------------------------------------------------------------------------------

fn draw_raster_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &RasterPanel, fs: &FontSizes) -> R {
    let legend: Vec<LegendEntry> = if p.groups.len() > 1 {
        p.groups.iter().map(|g| LegendEntry { label: g.label.clone(), color: g.color, swatch: Swatch::Block }).collect()
    } else {
        Vec::new()
    };
    let chart_area = header(area, &p.title, &legend, fs)?;

    let n = p.times_ms.len().min(p.rows.len());
    let spikes = || p.times_ms[..n].iter().copied().zip(p.rows[..n].iter().copied());

    // Time window.
    let (a, b) = p.t_range_ms;
    let (t0, t1) = if a.is_finite() && b.is_finite() && a != b {
        (a.min(b), a.max(b))
    } else {
        let tr = Axis::from_data(spikes().map(|(t, _)| t), None, false, 0.0);
        (tr.lo, tr.hi)
    };
    // Row range: all groups and all rows that spike.
    let mut lo = u64::MAX;
    let mut hi = 0u64;
    for g in &p.groups {
        if g.rows.start < g.rows.end {
            lo = lo.min(g.rows.start.into());
            hi = hi.max(g.rows.end.into());
        }
    }
    for (_, r) in spikes() {
        lo = lo.min(r.into());
        hi = hi.max(u64::from(r) + 1);
    }
    if lo >= hi {
        (lo, hi) = (0, 1);
    }
    let (ylo, yhi) = (lo as f64, hi as f64);

    let y_axis = Axis { lo: ylo, hi: yhi, log: false };
    let mut chart = build_chart(&chart_area, t0..t1, ylo..yhi, tick_chars(&y_axis), fs)?;
    draw_mesh(&mut chart, "time (ms)", "neuron", fs)?;

    let plot = chart.plotting_area().strip_coord_spec();
    let (pw, ph) = plot.dim_in_pixel();
    let (pw, ph) = (pw.max(1) as f64, ph.max(1) as f64);
    let row_h = ph / (yhi - ylo);
    let tick_w = (2.0 * fs.scale).round().max(1.0) as i32;

    // Map each spike to a pixel cell (colour, y0, y1, x), then merge cells that touch
    // horizontally: the number of drawn rectangles is bounded by the pixel count, not
    // the spike count.
    let mut cells: Vec<(usize, i32, i32, i32)> = Vec::with_capacity(n);
    for (t, r) in spikes() {
        if !(t.is_finite() && t >= t0 && t <= t1) {
            continue;
        }
        let x = (((t - t0) / (t1 - t0)) * pw).floor().clamp(0.0, pw - tick_w as f64) as i32;
        let y_top = (yhi - (r as f64 + 1.0)) / (yhi - ylo) * ph;
        let (y0, y1) = if row_h >= 3.0 {
            let th = (row_h * 0.8).round().max(1.0);
            let y0 = (y_top + (row_h - th) / 2.0).round();
            (y0 as i32, (y0 + th) as i32)
        } else {
            let y0 = y_top.floor();
            (y0 as i32, (y_top + row_h).round().max(y0 + 1.0) as i32)
        };
        let color = p.groups.iter().find(|g| g.rows.contains(&r)).map_or(usize::MAX, |g| g.color);
        cells.push((color, y0, y1, x));
    }
    if cells.is_empty() {
        return no_data(&chart, fs);
    }
    cells.sort_unstable();
    cells.dedup();
    let mut i = 0;
    while i < cells.len() {
        let (color, y0, y1, x0) = cells[i];
        let mut x1 = x0 + tick_w;
        let mut j = i + 1;
        while j < cells.len() {
            let (c, a, b, x) = cells[j];
            if (c, a, b) != (color, y0, y1) || x > x1 {
                break;
            }
            x1 = x1.max(x + tick_w);
            j += 1;
        }
        let fill = if color == usize::MAX { BLACK } else { palette::color(color) };
        plot.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled())).ctx()?;
        i = j;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Histogram panels
// ---------------------------------------------------------------------------------------

/// Upper limit on the number of bins (more would be invisible anyway).
const MAX_BINS: usize = 10_000;

fn draw_histogram_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &HistogramPanel, fs: &FontSizes) -> R {
    let legend: Vec<LegendEntry> = if p.samples.len() > 1 {
        p.samples
            .iter()
            .enumerate()
            .map(|(i, (l, _))| LegendEntry { label: l.clone(), color: i, swatch: Swatch::Block })
            .collect()
    } else {
        Vec::new()
    };
    let chart_area = header(area, &p.title, &legend, fs)?;
    let y_label = if p.density { "density" } else { "count" };

    let Some((lo, hi)) = finite_range(p.samples.iter().map(|(_, v)| v.as_slice())) else {
        let mut chart = build_chart(&chart_area, 0.0..1.0, 0.0..1.0, 3, fs)?;
        draw_mesh(&mut chart, &p.x_label, y_label, fs)?;
        return no_data(&chart, fs);
    };
    let bins = if p.bins == 0 {
        let n = p.samples.iter().map(|(_, v)| v.iter().filter(|x| x.is_finite()).count());
        auto_bins(n.max().unwrap_or(0))
    } else {
        p.bins.min(MAX_BINS)
    };
    let edges = bin_edges(lo, hi, bins);
    let width = (hi - lo) / bins as f64;
    let heights: Vec<Vec<f64>> = p
        .samples
        .iter()
        .map(|(_, v)| {
            let c = bin_counts(v, lo, hi, bins);
            if p.density { density(&c, width) } else { c.iter().map(|&k| k as f64).collect() }
        })
        .collect();
    let ymax = heights.iter().flatten().copied().fold(0.0, f64::max);
    let ymax = if ymax > 0.0 && ymax.is_finite() { ymax * 1.08 } else { 1.0 };

    let y_axis = Axis { lo: 0.0, hi: ymax, log: false };
    let mut chart = build_chart(&chart_area, lo..hi, 0.0..ymax, tick_chars(&y_axis), fs)?;
    draw_mesh(&mut chart, &p.x_label, y_label, fs)?;
    let lw = line_width(fs);
    for (i, h) in heights.iter().enumerate() {
        let c = palette::color(i);
        let bars = h
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v > 0.0)
            .map(|(k, &v)| Rectangle::new([(edges[k], 0.0), (edges[k + 1], v)], c.mix(0.35).filled()));
        chart.draw_series(bars).ctx()?;
        // Step outline.
        let mut outline = Vec::with_capacity(2 * bins + 2);
        outline.push((edges[0], 0.0));
        for (k, &v) in h.iter().enumerate() {
            outline.push((edges[k], v));
            outline.push((edges[k + 1], v));
        }
        outline.push((edges[bins], 0.0));
        chart.draw_series(LineSeries::new(outline, c.stroke_width(lw))).ctx()?;
    }
    Ok(())
}
