//! Sizes, colours and fonts shared by every figure, so plots of one run look alike.
use plotters::prelude::*;

/// Width of every plot in pixels.
pub const WIDTH: u32 = 800;
/// Height of every plot in pixels.
pub const HEIGHT: u32 = 500;

pub(super) const MARGIN: u32 = 12;
pub(super) const X_LABEL_AREA: u32 = 48;
pub(super) const Y_LABEL_AREA: u32 = 72;

/// Okabe–Ito, without its yellow (too pale on white), then two greys.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(120, 120, 120), // grey
    RGBColor(150, 90, 40),   // brown
];

/// Colour of the `i`-th series; the same index gets the same colour in every plot.
pub(super) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub(super) fn title_font() -> FontDesc<'static> {
    ("sans-serif", 24).into_font()
}

pub(super) fn desc_font() -> FontDesc<'static> {
    ("sans-serif", 19).into_font()
}

pub(super) fn tick_font() -> FontDesc<'static> {
    ("sans-serif", 16).into_font()
}
