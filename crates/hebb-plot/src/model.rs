//! The figure description: plain data, no drawing code.

use std::ops::Range;

/// How a [`Series`] is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A solid line through the points (isolated points are drawn as dots).
    #[default]
    Line,
    /// A dashed line through the points (isolated points are drawn as dots).
    Dashed,
    /// One filled circle per point, no line.
    Points,
}

/// One curve of a [`LinePanel`].
///
/// Points whose coordinates are not finite (or not positive, on a log axis) are skipped;
/// for the line styles they also break the line into separate pieces. If `x` and `y`
/// differ in length, the extra values are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Name shown in the legend (the legend appears when a panel has several series).
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates, one per abscissa.
    pub y: Vec<f64>,
    /// Line, dashed line or points.
    pub style: SeriesStyle,
    /// Palette index (see [`palette`](crate::palette)); `None` uses the series' position
    /// in the panel.
    pub color: Option<usize>,
}

impl Series {
    /// A solid-line series with the automatic colour.
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series { label: label.into(), x, y, style: SeriesStyle::Line, color: None }
    }
    /// A dashed-line series with the automatic colour.
    pub fn dashed(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series { style: SeriesStyle::Dashed, ..Series::line(label, x, y) }
    }
    /// A scatter series with the automatic colour.
    pub fn points(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series { style: SeriesStyle::Points, ..Series::line(label, x, y) }
    }
    /// Sets the palette index.
    pub fn with_color(mut self, color: usize) -> Self {
        self.color = Some(color);
        self
    }
}

/// An x–y plot of one or more [`Series`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinePanel {
    /// Panel title (drawn above the plot; may be empty).
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// The curves.
    pub series: Vec<Series>,
    /// Logarithmic horizontal axis (non-positive x values are skipped).
    pub log_x: bool,
    /// Logarithmic vertical axis (non-positive y values are skipped).
    pub log_y: bool,
    /// Intervals `(x0, x1)` of the horizontal axis drawn as light vertical bands behind
    /// the data, e.g. a stimulation window.
    pub shaded_x: Vec<(f64, f64)>,
    /// Fixed horizontal range; `None` fits the data. An unusable range (non-finite, or
    /// non-positive on a log axis) is ignored; a zero-width one is padded.
    pub x_range: Option<(f64, f64)>,
    /// Fixed vertical range; `None` fits the visible data with a 5 % margin.
    pub y_range: Option<(f64, f64)>,
}

impl LinePanel {
    /// An empty panel with the given title and axis labels and linear axes.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        LinePanel { title: title.into(), x_label: x_label.into(), y_label: y_label.into(), ..Default::default() }
    }
    /// Adds a series.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }
}

/// A set of rows of a [`RasterPanel`] drawn in one colour and named in the legend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RasterGroup {
    /// Name shown in the legend (the legend appears when there are several groups).
    pub label: String,
    /// The rows of this group (e.g. `0..800` for the excitatory population).
    pub rows: Range<u32>,
    /// Palette index (see [`palette`](crate::palette)).
    pub color: usize,
}

/// A spike raster: one small mark per spike at (time, row).
///
/// Drawing is linear in the number of spikes and merges marks falling on the same
/// pixels, so 10⁵ spikes and more are fine for both PNG and SVG.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RasterPanel {
    /// Panel title.
    pub title: String,
    /// Spike times in ms (non-finite ones are skipped).
    pub times_ms: Vec<f64>,
    /// Row (neuron index) of each spike, same length as `times_ms`.
    pub rows: Vec<u32>,
    /// Colour groups; a spike takes the colour of the first group containing its row,
    /// black if none. The vertical axis spans all groups and all spiking rows.
    pub groups: Vec<RasterGroup>,
    /// Time window shown, in ms; spikes outside it are not drawn. An unusable window
    /// (non-finite or zero width) is replaced by the spikes' range.
    pub t_range_ms: (f64, f64),
}

impl RasterPanel {
    /// A raster of the given spikes, without groups.
    pub fn new(title: impl Into<String>, times_ms: Vec<f64>, rows: Vec<u32>, t_range_ms: (f64, f64)) -> Self {
        RasterPanel { title: title.into(), times_ms, rows, groups: Vec::new(), t_range_ms }
    }
    /// Adds a colour group.
    pub fn with_group(mut self, label: impl Into<String>, rows: Range<u32>, color: usize) -> Self {
        self.groups.push(RasterGroup { label: label.into(), rows, color });
        self
    }
}

/// Histograms of one or more samples over a common set of bins, overlaid.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistogramPanel {
    /// Panel title.
    pub title: String,
    /// Label of the horizontal axis (the vertical one is "count" or "density").
    pub x_label: String,
    /// `(label, values)` per sample; sample `i` gets palette colour `i`. Non-finite
    /// values are skipped.
    pub samples: Vec<(String, Vec<f64>)>,
    /// Number of equal-width bins spanning the finite values of all samples; 0 picks
    /// [`auto_bins`](crate::hist::auto_bins) of the largest sample.
    pub bins: usize,
    /// Plot a probability density (each sample integrates to 1) instead of counts.
    pub density: bool,
}

impl HistogramPanel {
    /// A panel with no samples, counts on the vertical axis and automatic bins.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>) -> Self {
        HistogramPanel { title: title.into(), x_label: x_label.into(), ..Default::default() }
    }
    /// Adds a sample.
    pub fn with_sample(mut self, label: impl Into<String>, values: Vec<f64>) -> Self {
        self.samples.push((label.into(), values));
        self
    }
}

/// One cell of a [`Figure`].
#[derive(Clone, Debug, PartialEq)]
pub enum Panel {
    /// An x–y plot.
    Line(LinePanel),
    /// A spike raster.
    Raster(RasterPanel),
    /// Overlaid histograms.
    Histogram(HistogramPanel),
}

impl From<LinePanel> for Panel {
    fn from(p: LinePanel) -> Self {
        Panel::Line(p)
    }
}
impl From<RasterPanel> for Panel {
    fn from(p: RasterPanel) -> Self {
        Panel::Raster(p)
    }
}
impl From<HistogramPanel> for Panel {
    fn from(p: HistogramPanel) -> Self {
        Panel::Histogram(p)
    }
}

/// A grid of panels with an optional overall title, saved as PNG and SVG.
///
/// Panels fill the grid row by row, `columns` per row. The image is
/// `columns × panel_size.0` pixels wide and `rows × panel_size.1` (+ a title band when
/// `title` is set) high; see [`Figure::pixel_size`].
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Overall title drawn above the grid.
    pub title: Option<String>,
    /// The panels, in reading order.
    pub panels: Vec<Panel>,
    /// Panels per row (0 is treated as 1; more than the number of panels is reduced to it).
    pub columns: usize,
    /// Size of one panel in pixels, at least [`Figure::MIN_PANEL_SIZE`]. Fonts scale with
    /// the panel height (the sizes are tuned for 360 px).
    pub panel_size: (u32, u32),
}

impl Default for Figure {
    fn default() -> Self {
        Figure { title: None, panels: Vec::new(), columns: 1, panel_size: (640, 360) }
    }
}

impl Figure {
    /// Smallest accepted panel size in pixels.
    pub const MIN_PANEL_SIZE: (u32, u32) = (200, 150);
    /// Largest accepted image side in pixels.
    pub const MAX_SIDE: u32 = 20_000;

    /// An empty one-column figure with 640 × 360 panels.
    pub fn new() -> Self {
        Figure::default()
    }
    /// Sets the overall title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
    /// Sets the number of columns.
    pub fn with_columns(mut self, columns: usize) -> Self {
        self.columns = columns;
        self
    }
    /// Sets the size of one panel in pixels.
    pub fn with_panel_size(mut self, width: u32, height: u32) -> Self {
        self.panel_size = (width, height);
        self
    }
    /// Appends a panel.
    pub fn with_panel(mut self, panel: impl Into<Panel>) -> Self {
        self.panels.push(panel.into());
        self
    }

    /// `(columns, rows)` of the grid actually used (at least one cell).
    pub fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let cols = self.columns.clamp(1, n);
        (cols, n.div_ceil(cols))
    }

    /// Height in pixels of the band holding the overall title (0 without a title).
    pub fn title_height(&self) -> u32 {
        match &self.title {
            Some(t) if !t.is_empty() => {
                (2.0 * crate::render::font_sizes(self.panel_size.1).figure_title).round() as u32
            }
            _ => 0,
        }
    }

    /// Size `(width, height)` in pixels of the rendered image.
    pub fn pixel_size(&self) -> (u32, u32) {
        let (cols, rows) = self.grid();
        let (w, h) = self.panel_size;
        (
            (cols as u64 * w as u64).min(u32::MAX as u64) as u32,
            (rows as u64 * h as u64 + self.title_height() as u64).min(u32::MAX as u64) as u32,
        )
    }
}
