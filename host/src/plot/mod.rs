//! SVG plots for a run directory and an analysis report (SPEC §7): training curves, Fourier
//! spectra and the 2D logit map.
//!
//! Four functions, each writing one self-contained 800×500 SVG file:
//!
//! | function | for |
//! |---|---|
//! | [`lines`] | loss (log step, log loss), accuracy (log step, linear), FFS/FCR over training |
//! | [`lines_twin_y`] | FFS and FCR (left axis) with test accuracy (right axis) on one step axis |
//! | [`spectrum_bars`] | `α_k` and `β_k` side by side for k = 1..K, key frequencies highlighted (paper Fig. 3) |
//! | [`heatmap`] | a rows×cols map, e.g. the p×p 2D logit-norm spectrum, viridis with a colour bar |
//!
//! What every plot does with awkward data, so a caller never has to clean it first:
//! - a point with a NaN or infinite coordinate is not drawn, and a line is broken there rather
//!   than joined across the gap;
//! - on a log axis a point with a coordinate ≤ 0 is not drawn either. In particular **step 0 is
//!   left out of a log-step plot** (it has no position on a log axis); its neighbour, the first
//!   logged step after it, is drawn. Tick labels therefore always name true step values, which a
//!   `+1` shift would not;
//! - an empty series (or one with nothing drawable) keeps its colour and legend entry, marked
//!   "(no data)", so colours match between plots of the same run;
//! - when nothing at all is drawable the file is still a valid SVG with axes and a "no data" note.
//!
//! Series colours follow the input order (Okabe–Ito palette, colour-blind safe), so the n-th
//! series has the same colour in every plot. Files are written with [`crate::fsio::write_atomic`],
//! like every other file of a run, so a reader never sees half a plot and a resume sweeps up what
//! a crash left behind.
//!
//! ```no_run
//! use modgrok_host::plot::{self, Axes, Series};
//! let train = [(0.0, 4.6), (10.0, 3.1), (1000.0, 0.01)];
//! let test = [(0.0, 4.6), (10.0, 4.4), (1000.0, 2.0)];
//! plot::lines(
//!     std::path::Path::new("loss.svg"),
//!     "loss, a+b mod 97",
//!     "step",
//!     "loss",
//!     &[Series { name: "train", points: &train }, Series { name: "test", points: &test }],
//!     Axes { log_x: true, log_y: true },
//! )?;
//! # Ok::<(), modgrok_host::plot::PlotError>(())
//! ```

mod axis;
mod bars;
mod canvas;
mod error;
mod heatmap;
mod legend;
mod lines;
mod series;
mod style;
#[cfg(test)]
mod tests;

pub use axis::Axes;
pub use bars::spectrum_bars;
pub use error::PlotError;
pub use heatmap::heatmap;
pub use lines::{lines, lines_twin_y};
pub use series::Series;
pub use style::{HEIGHT, WIDTH};
