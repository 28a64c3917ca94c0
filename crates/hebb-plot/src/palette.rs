//! The colour-blind-friendly palette used for every series, group and histogram.
//!
//! The colours are those of Okabe & Ito (2008), "Color Universal Design", which stay
//! distinguishable under the common forms of colour-vision deficiency. They are
//! reordered so that the first entries have good contrast on white (yellow comes last
//! but one). Indices wrap around, so any `usize` is a valid colour index.

/// Index of blue (0, 114, 178); by convention used for inhibitory neurons.
pub const BLUE: usize = 0;
/// Index of vermillion (213, 94, 0); by convention used for excitatory neurons.
pub const VERMILLION: usize = 1;
/// Index of bluish green (0, 158, 115).
pub const GREEN: usize = 2;
/// Index of orange (230, 159, 0).
pub const ORANGE: usize = 3;
/// Index of reddish purple (204, 121, 167).
pub const PURPLE: usize = 4;
/// Index of sky blue (86, 180, 233).
pub const SKY_BLUE: usize = 5;
/// Index of yellow (240, 228, 66); low contrast on white, avoid for thin lines.
pub const YELLOW: usize = 6;
/// Index of black (0, 0, 0).
pub const BLACK: usize = 7;

/// The Okabe–Ito colours as `(r, g, b)`, in palette-index order.
pub const OKABE_ITO: [(u8, u8, u8); 8] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (230, 159, 0),
    (204, 121, 167),
    (86, 180, 233),
    (240, 228, 66),
    (0, 0, 0),
];

/// The `(r, g, b)` colour of palette index `index` (wrapping modulo the palette length).
pub fn rgb(index: usize) -> (u8, u8, u8) {
    OKABE_ITO[index % OKABE_ITO.len()]
}

pub(crate) fn color(index: usize) -> plotters::style::RGBColor {
    let (r, g, b) = rgb(index);
    plotters::style::RGBColor(r, g, b)
}
