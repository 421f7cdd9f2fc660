//! The error of every plot function: the file could not be written, or not drawn from the data
//! given.

use std::path::PathBuf;

/// Why a plot was not written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Writing or renaming the SVG file failed.
    #[error("cannot write plot {}: {}{}", .path.display(), crate::error::io_text(.source), crate::error::io_hint(.source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// plotters refused to draw (a layout it cannot fit, for instance).
    #[error("cannot draw plot {path}: {message}")]
    Draw { path: PathBuf, message: String },
    /// [`heatmap`](super::heatmap()) was given a data slice whose length is not `rows * cols`.
    #[error(
        "heatmap {path}: data has {len} values but rows × cols = {rows} × {cols}; pass the map row-major"
    )]
    Shape {
        path: PathBuf,
        rows: usize,
        cols: usize,
        len: usize,
    },
}
