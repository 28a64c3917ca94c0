//! Figures (PNG and SVG) with plotters and an embedded font.
