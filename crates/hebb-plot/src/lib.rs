//! Figures (PNG and SVG) for hebb: line plots, spike rasters and histograms.
//!
//! A [`Figure`] is plain data — a grid of [`Panel`]s ([`LinePanel`], [`RasterPanel`],
//! [`HistogramPanel`]) — and [`Figure::save`] writes it as `stem.png` and `stem.svg`.
//! The same description is used by the `hebb` program and by paper-figure experiments.
//!
//! ```no_run
//! use hebb_plot::{Figure, LinePanel, RasterPanel, Series, palette};
//!
//! let raster = RasterPanel::new("Spikes", vec![1.0, 2.5, 7.0], vec![0, 5, 9], (0.0, 10.0))
//!     .with_group("E", 0..8, palette::VERMILLION)
//!     .with_group("I", 8..10, palette::BLUE);
//! let rates = LinePanel::new("Rates", "time (ms)", "rate (Hz)")
//!     .with_series(Series::line("E", vec![0.0, 5.0, 10.0], vec![3.0, 4.0, 3.5]));
//! let fig = Figure::new().with_title("Demo").with_panel(raster).with_panel(rates);
//! let paths = fig.save(std::path::Path::new("out"), "demo")?;
//! # Ok::<(), hebb_plot::PlotError>(())
//! ```
//!
//! # Robustness
//!
//! Bad data never panics and is never an error: non-finite values are skipped (and break
//! lines), non-positive values are skipped on log axes, zero-width ranges are padded,
//! points outside a fixed range are clipped, and a panel without drawable data still gets
//! its axes and a "no data" note. Errors ([`PlotError`]) are reserved for I/O, font and
//! figure-geometry problems.
//!
//! # Why plotters without default features, and an embedded font
//!
//! plotters' default features pull in `font-kit`, which needs the system's fontconfig and
//! freetype libraries at build and run time; these are not available everywhere (they are
//! not on our build machines), and which font they find differs between machines. The
//! workspace therefore enables only the SVG and bitmap backends, PNG encoding, line and
//! point series, and the pure-Rust `ab_glyph` text renderer. `ab_glyph` knows no system
//! fonts, so this crate embeds DejaVu Sans (`assets/DejaVuSans.ttf`, Bitstream Vera
//! licence, see `assets/LICENSE-DejaVu`) and registers it once as plotters' `sans-serif`
//! family before anything is drawn. As a result a PNG is pixel-identical on every machine.
//! (SVG text names the `sans-serif` family and is rendered by the viewer's fonts.)
//!
//! Colours come from the colour-blind-friendly Okabe–Ito [`palette`].

mod axis;
mod error;
pub mod hist;
mod model;
pub mod palette;
mod render;

pub use error::PlotError;
pub use model::{Figure, HistogramPanel, LinePanel, Panel, RasterGroup, RasterPanel, Series, SeriesStyle};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

/// The embedded DejaVu Sans font (see `assets/LICENSE-DejaVu`).
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font as plotters' `sans-serif` family, once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "DejaVuSans.ttf is not a valid font".to_string())
        })
        .clone()
        .map_err(PlotError::Font)
}

impl Figure {
    /// Checks the geometry and returns the image size in pixels.
    fn checked_size(&self) -> Result<(u32, u32), PlotError> {
        let (pw, ph) = self.panel_size;
        let (mw, mh) = Figure::MIN_PANEL_SIZE;
        if pw < mw || ph < mh {
            return Err(PlotError::InvalidFigure(format!(
                "panel size {pw}x{ph} is smaller than the minimum {mw}x{mh}"
            )));
        }
        let (w, h) = self.pixel_size();
        if w > Figure::MAX_SIDE || h > Figure::MAX_SIDE {
            return Err(PlotError::InvalidFigure(format!(
                "image size {w}x{h} exceeds {} pixels per side",
                Figure::MAX_SIDE
            )));
        }
        Ok((w, h))
    }

    /// Writes `dir/stem.png` and `dir/stem.svg` (creating `dir` if needed) and returns
    /// their paths, PNG first.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, PlotError> {
        if stem.is_empty() || stem.contains(['/', '\\']) {
            return Err(PlotError::InvalidFigure(format!(
                "file stem {stem:?} must be non-empty and contain no path separator"
            )));
        }
        self.checked_size()?;
        std::fs::create_dir_all(dir).map_err(|source| PlotError::Io { path: dir.to_path_buf(), source })?;
        let png = dir.join(format!("{stem}.png"));
        let svg = dir.join(format!("{stem}.svg"));
        self.save_png(&png)?;
        self.save_svg(&svg)?;
        Ok(vec![png, svg])
    }

    /// Writes the figure as a PNG file at `path` (the parent directory must exist).
    pub fn save_png(&self, path: &Path) -> Result<(), PlotError> {
        let size = self.checked_size()?;
        ensure_font()?;
        let target = path.display().to_string();
        let root = BitMapBackend::new(path, size).into_drawing_area();
        render::draw_figure(self, &root).map_err(|message| PlotError::Render { target: target.clone(), message })?;
        root.present().map_err(|e| PlotError::Render { target, message: e.to_string() })
    }

    /// Writes the figure as an SVG file at `path` (the parent directory must exist).
    pub fn save_svg(&self, path: &Path) -> Result<(), PlotError> {
        let svg = self.to_svg_string()?;
        std::fs::write(path, svg).map_err(|source| PlotError::Io { path: path.into(), source })
    }

    /// Renders the figure as an SVG document.
    pub fn to_svg_string(&self) -> Result<String, PlotError> {
        let size = self.checked_size()?;
        ensure_font()?;
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
            let err = |message| PlotError::Render { target: "svg".into(), message };
            render::draw_figure(self, &root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        Ok(out)
    }

    /// Renders the figure into an RGB buffer (3 bytes per pixel, row-major, top row
    /// first) of size [`Figure::pixel_size`]; this is exactly what [`Figure::save_png`]
    /// encodes.
    pub fn render_rgb(&self) -> Result<Vec<u8>, PlotError> {
        let (w, h) = self.checked_size()?;
        ensure_font()?;
        let mut buf = vec![0u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            let err = |message| PlotError::Render { target: "buffer".into(), message };
            render::draw_figure(self, &root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        Ok(buf)
    }
}

/// Compiles the README example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
