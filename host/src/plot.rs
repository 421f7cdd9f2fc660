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
//! series has the same colour in every plot. Files are written to a temporary name beside the
//! target and renamed, so a reader never sees half a plot.
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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of every plot in pixels.
pub const WIDTH: u32 = 800;
/// Height of every plot in pixels.
pub const HEIGHT: u32 = 500;

/// One named curve (for [`lines`]) or one bar family (for [`spectrum_bars`]).
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// Legend text, e.g. `"train"` or `"cos α_k"`.
    pub name: &'a str,
    /// `(x, y)` in drawing order; for [`spectrum_bars`], `(k, value)`.
    pub points: &'a [(f64, f64)],
}

/// Which axes of a [`lines`] plot are logarithmic (base 10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Axes {
    pub log_x: bool,
    pub log_y: bool,
}

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
    /// [`heatmap`] was given a data slice whose length is not `rows * cols`.
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

/// Line plot of one or more series, with a legend to the right of the axes.
///
/// Loss curves use `Axes { log_x: true, log_y: true }`, accuracy curves `log_x` only. See the
/// module docs for what happens to step 0, NaN and empty series.
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    axes: Axes,
) -> Result<(), PlotError> {
    let xs = Scale::from_log(axes.log_x);
    let ys = Scale::from_log(axes.log_y);
    let curves: Vec<Vec<Vec<(f64, f64)>>> =
        series.iter().map(|s| segments(s.points, xs, ys)).collect();
    let x_axis = Axis::new(xs, extent(curves.iter().flatten().flatten().map(|p| p.0)));
    let y_axis = Axis::new(ys, extent(curves.iter().flatten().flatten().map(|p| p.1)));
    let legend = line_legend(series.iter().map(|s| s.name), &curves, 0, false);
    let no_data = curves.iter().all(|c| c.is_empty());

    render_legended(path, title, &legend, |plot_area| {
        let mut chart = chart_on(plot_area).build_cartesian_2d(x_axis.coord(), y_axis.coord())?;
        draw_axes(
            &mut chart,
            (&x_axis, x_label),
            (&y_axis, y_label),
            Grid::All,
        )?;
        draw_curves(&mut chart, &curves, 0)?;
        if no_data {
            note_no_data(chart.plotting_area(), &x_axis, &y_axis)?;
        }
        Ok(())
    })
}

/// Two y axes over one x axis: `left` series drawn solid against the left axis, `right` series
/// dashed against the right axis (and marked "(right)" in the legend).
///
/// Made for "FFS and FCR over training with the test-accuracy curve on the same step axis":
/// `left = ("FFS / FCR", &[ffs, fcr])`, `right = ("test accuracy", &[test_acc])`. Both y axes are
/// linear; `log_x` makes the shared step axis logarithmic (step 0 is then left out).
pub fn lines_twin_y(
    path: &Path,
    title: &str,
    x_label: &str,
    left: (&str, &[Series<'_>]),
    right: (&str, &[Series<'_>]),
    log_x: bool,
) -> Result<(), PlotError> {
    let xs = Scale::from_log(log_x);
    let lin = Scale::Linear;
    let left_curves: Vec<_> = left.1.iter().map(|s| segments(s.points, xs, lin)).collect();
    let right_curves: Vec<_> = right
        .1
        .iter()
        .map(|s| segments(s.points, xs, lin))
        .collect();
    let all_points = || left_curves.iter().chain(&right_curves).flatten().flatten();
    let x_axis = Axis::new(xs, extent(all_points().map(|p| p.0)));
    let yl_axis = Axis::new(
        lin,
        extent(left_curves.iter().flatten().flatten().map(|p| p.1)),
    );
    let yr_axis = Axis::new(
        lin,
        extent(right_curves.iter().flatten().flatten().map(|p| p.1)),
    );
    let n_left = left.1.len();
    let right_names: Vec<String> = right
        .1
        .iter()
        .map(|s| format!("{} (right)", s.name))
        .collect();
    let mut legend = line_legend(left.1.iter().map(|s| s.name), &left_curves, 0, false);
    legend.extend(line_legend(
        right_names.iter().map(String::as_str),
        &right_curves,
        n_left,
        true,
    ));
    let no_data = all_points().next().is_none();

    render_legended(path, title, &legend, |plot_area| {
        let mut chart = chart_on(plot_area)
            .right_y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x_axis.coord(), yl_axis.coord())?
            .set_secondary_coord(x_axis.coord(), yr_axis.coord());
        draw_axes(
            &mut chart,
            (&x_axis, x_label),
            (&yl_axis, left.0),
            Grid::All,
        )?;
        let fyr = |v: &f64| yr_axis.label(*v);
        chart
            .configure_secondary_axes()
            .y_desc(right.0)
            .y_label_formatter(&fyr)
            .label_style(tick_font())
            .axis_desc_style(desc_font())
            .draw()?;
        draw_curves(&mut chart, &left_curves, 0)?;
        for (i, segs) in right_curves.iter().enumerate() {
            let c = color(n_left + i);
            for seg in segs {
                if seg.len() == 1 {
                    chart.draw_secondary_series(std::iter::once(Circle::new(
                        seg[0],
                        3,
                        c.filled(),
                    )))?;
                } else {
                    let style = c.stroke_width(2);
                    chart.draw_secondary_series(DashedLineSeries::new(
                        seg.iter().copied(),
                        8,
                        5,
                        style,
                    ))?;
                }
            }
        }
        if no_data {
            note_no_data(chart.plotting_area(), &x_axis, &yl_axis)?;
        }
        Ok(())
    })
}

/// Grouped bars per frequency k = 1..K, one bar per series side by side (paper Fig. 3: `cos α_k`
/// and `sin β_k` for each k).
///
/// Each series gives `(k, value)` points; k is rounded to the nearest integer, points with k < 1
/// or a non-finite coordinate are skipped, and K is the largest k seen. Frequencies in `key` get
/// a shaded band and their number written above the bars.
pub fn spectrum_bars(
    path: &Path,
    title: &str,
    k_label: &str,
    y_label: &str,
    series: &[Series<'_>],
    key: &[usize],
) -> Result<(), PlotError> {
    let bars: Vec<Vec<(usize, f64)>> = series
        .iter()
        .map(|s| {
            let ok = |&&(k, v): &&(f64, f64)| k.is_finite() && v.is_finite() && k.round() >= 1.0;
            s.points
                .iter()
                .filter(ok)
                .map(|&(k, v)| (k.round() as usize, v))
                .collect()
        })
        .collect();
    let k_max = bars.iter().flatten().map(|b| b.0).max();
    let values = || bars.iter().flatten().map(|b| b.1);
    let (lo, hi) = extent(values()).map_or((0.0, 1.0), |(lo, hi)| (lo.min(0.0), hi.max(0.0)));
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let n_k = k_max.unwrap_or(1);
    let k_axis = Axis::integer(n_k);
    let y_axis = Axis::new(Scale::Linear, Some((lo, hi + 0.08 * (hi - lo))));
    let key: Vec<usize> = key
        .iter()
        .copied()
        .filter(|&k| k >= 1 && k <= n_k)
        .collect();
    let mut legend: Vec<LegendEntry> = series
        .iter()
        .zip(&bars)
        .enumerate()
        .map(|(i, (s, b))| LegendEntry::swatch(s.name, color(i), b.is_empty()))
        .collect();
    if !key.is_empty() {
        legend.push(LegendEntry::swatch("key frequency", KEY_BAND, false));
    }

    render_legended(path, title, &legend, |plot_area| {
        let mut chart = chart_on(plot_area).build_cartesian_2d(k_axis.coord(), y_axis.coord())?;
        draw_axes(
            &mut chart,
            (&k_axis, k_label),
            (&y_axis, y_label),
            Grid::Horizontal,
        )?;
        let (y0, y1) = (y_axis.lo, y_axis.hi);
        chart.draw_series(key.iter().map(|&k| {
            let k = k as f64;
            Rectangle::new([(k - 0.5, y0), (k + 0.5, y1)], KEY_BAND.filled())
        }))?;
        let n = bars.len().max(1) as f64;
        let width = 0.8 / n;
        for (i, b) in bars.iter().enumerate() {
            let left = |k: usize| k as f64 - 0.4 + i as f64 * width;
            chart.draw_series(b.iter().map(|&(k, v)| {
                Rectangle::new([(left(k), 0.0), (left(k) + width, v)], color(i).filled())
            }))?;
        }
        for &k in &key {
            let top = bars
                .iter()
                .flatten()
                .filter(|b| b.0 == k)
                .map(|b| b.1)
                .fold(0.0, f64::max);
            let style = TextStyle::from(("sans-serif", 15).into_font().style(FontStyle::Bold))
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom));
            let label = Text::new(k.to_string(), (k as f64, top + 0.015 * (y1 - y0)), style);
            chart.plotting_area().draw(&label)?;
        }
        if k_max.is_none() {
            note_no_data(chart.plotting_area(), &k_axis, &y_axis)?;
        }
        Ok(())
    })
}

/// Colour map of a row-major `rows × cols` array (`data[r * cols + c]`), e.g. the p×p 2D logit
/// spectrum of SPEC §5, with a viridis colour bar from the smallest to the largest finite value.
///
/// Row 0 is drawn at the top (image convention), column 0 at the left; `x_label` names the
/// columns and `y_label` the rows. NaN and infinite cells are drawn light grey. Colours are
/// quantised to 256 viridis levels and equal neighbours in a row share one `<rect>`, which keeps
/// a p = 97 map well under a megabyte.
pub fn heatmap(
    path: &Path,
    title: &str,
    data: &[f64],
    rows: usize,
    cols: usize,
    x_label: &str,
    y_label: &str,
) -> Result<(), PlotError> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(PlotError::Shape {
            path: path.to_path_buf(),
            rows,
            cols,
            len: data.len(),
        });
    }
    let range = extent(data.iter().copied());
    let (vmin, vmax) = range.unwrap_or((0.0, 1.0));
    let level = |v: f64| -> Option<u8> {
        if !v.is_finite() {
            None
        } else if vmax > vmin {
            Some(
                ((v - vmin) / (vmax - vmin) * 255.0)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            )
        } else {
            Some(128)
        }
    };
    // Runs of equal colour within a row: (row, first col, end col, level).
    let mut runs: Vec<(usize, usize, usize, Option<u8>)> = Vec::new();
    for r in 0..rows {
        let mut c0 = 0;
        while c0 < cols {
            let lv = level(data[r * cols + c0]);
            let mut c1 = c0 + 1;
            while c1 < cols && level(data[r * cols + c1]) == lv {
                c1 += 1;
            }
            runs.push((r, c0, c1, lv));
            c0 = c1;
        }
    }
    let x_axis = Axis::index(cols, false);
    let y_axis = Axis::index(rows, true);
    let (cb_lo, cb_hi) = if vmax > vmin {
        (vmin, vmax)
    } else {
        (vmin - 0.5, vmin + 0.5)
    };
    let cb_axis = Axis::exact(Scale::Linear, cb_lo, cb_hi);

    render_with_underlay(path, (WIDTH, HEIGHT), |root| {
        let body = root.titled(title, title_font())?;
        let (bw, bh) = body.dim_in_pixel();
        // Square cells: the plot is as wide as it is tall (scaled by cols/rows), centred with
        // the colour bar to its right.
        let plot_h = bh as f64 - 2.0 * MARGIN as f64 - X_LABEL_AREA as f64;
        let aspect = cols.max(1) as f64 / rows.max(1) as f64;
        let max_w = bw as f64 - 2.0 * MARGIN as f64 - Y_LABEL_AREA as f64 - COLORBAR_W as f64;
        let plot_w = (plot_h * aspect).clamp(50.0, max_w.max(50.0));
        let chart_w = plot_w as u32 + 2 * MARGIN + Y_LABEL_AREA;
        let left_pad = bw.saturating_sub(chart_w + COLORBAR_W) / 2;
        let heat_area = body.clone().shrink((left_pad, 0), (chart_w, bh));
        let bar_area = body
            .clone()
            .shrink((left_pad + chart_w, 0), (COLORBAR_W, bh));

        let mut chart = chart_on(&heat_area).build_cartesian_2d(x_axis.coord(), y_axis.coord())?;
        draw_axes(
            &mut chart,
            (&x_axis, x_label),
            (&y_axis, y_label),
            Grid::Off,
        )?;
        // One <path> per colour level, each run a "M x y h w v h h -w z" rectangle: about a
        // fifth of the bytes of one plotters <rect> per run.
        let top = rows as f64;
        let mut paths: Vec<String> = vec![String::new(); 257];
        for &(r, c0, c1, lv) in &runs {
            let (x0, y0) = chart.backend_coord(&(c0 as f64, top - r as f64));
            let (x1, y1) = chart.backend_coord(&(c1 as f64, top - r as f64 - 1.0));
            let d = &mut paths[lv.map_or(256, usize::from)];
            let _ = write!(d, "M{x0} {y0}h{}v{}h{}z", x1 - x0, y1 - y0, x0 - x1);
        }
        let mut cells = String::from(r#"<g shape-rendering="crispEdges">"#);
        for (i, d) in paths.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
            let RGBColor(r, g, b) = if i == 256 {
                NAN_CELL
            } else {
                viridis(i as f64 / 255.0)
            };
            let _ = write!(cells, r##"<path fill="#{r:02X}{g:02X}{b:02X}" d="{d}"/>"##);
        }
        cells.push_str("</g>\n");
        if range.is_none() {
            note_no_data(chart.plotting_area(), &x_axis, &y_axis)?;
        }

        let mut bar = ChartBuilder::on(&bar_area)
            .margin(MARGIN)
            .margin_left(6)
            .x_label_area_size(X_LABEL_AREA)
            .right_y_label_area_size(COLORBAR_W - 30 - MARGIN)
            .build_cartesian_2d(cb_axis_x(), cb_axis.coord())?;
        let fc = |v: &f64| cb_axis.label(*v);
        bar.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_label_formatter(&fc)
            .label_style(tick_font())
            .draw()?;
        const STEPS: usize = 128;
        let span = cb_hi - cb_lo;
        bar.draw_series((0..STEPS).map(|i| {
            let (a, b) = (i as f64 / STEPS as f64, (i + 1) as f64 / STEPS as f64);
            let y = |t: f64| cb_lo + t * span;
            Rectangle::new([(0.0, y(a)), (1.0, y(b))], viridis((a + b) / 2.0).filled())
        }))?;
        bar.plotting_area().draw(&Rectangle::new(
            [(0.0, cb_lo), (1.0, cb_hi)],
            BLACK.stroke_width(1),
        ))?;
        // The exact extremes, which the rounded colour-bar ticks do not show, under the bar.
        let note = TextStyle::from(tick_font())
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Top));
        let lines = match range {
            Some((lo, hi)) => vec![format!("max {}", short(hi)), format!("min {}", short(lo))],
            None => vec!["no finite".to_string(), "values".to_string()],
        };
        let y0 = bh as i32 - X_LABEL_AREA as i32 - MARGIN as i32 + 8;
        for (i, line) in lines.iter().enumerate() {
            bar_area.draw_text(line, &note, (6, y0 + 18 * i as i32))?;
        }
        Ok(cells)
    })
}

// ---------------------------------------------------------------------------------------------
// Layout constants and styles.

const MARGIN: u32 = 12;
const X_LABEL_AREA: u32 = 48;
const Y_LABEL_AREA: u32 = 72;
const COLORBAR_W: u32 = 100;
const KEY_BAND: RGBColor = RGBColor(255, 236, 170);
const NAN_CELL: RGBColor = RGBColor(210, 210, 210);

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

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn title_font() -> FontDesc<'static> {
    ("sans-serif", 24).into_font()
}

fn desc_font() -> FontDesc<'static> {
    ("sans-serif", 19).into_font()
}

fn tick_font() -> FontDesc<'static> {
    ("sans-serif", 16).into_font()
}

/// viridis, interpolated linearly between its 11 samples at t = 0, 0.1, …, 1 (matplotlib's
/// values); t outside [0, 1] is clamped.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 11] = [
        (0x44, 0x01, 0x54),
        (0x48, 0x24, 0x75),
        (0x41, 0x44, 0x87),
        (0x35, 0x5f, 0x8d),
        (0x2a, 0x78, 0x8e),
        (0x21, 0x91, 0x8c),
        (0x22, 0xa8, 0x84),
        (0x44, 0xbf, 0x70),
        (0x7a, 0xd1, 0x51),
        (0xbd, 0xdf, 0x26),
        (0xfd, 0xe7, 0x25),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * 10.0;
    let i = (t.floor() as usize).min(9);
    let f = t - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

// ---------------------------------------------------------------------------------------------
// Axes: every axis is linear in plot space; a log axis stores log10(value) and formats its
// ticks as 10^v. That keeps one coordinate type for all four log/linear combinations and gives
// us decade ticks with 2..9 minor lines.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    Linear,
    Log10,
}

impl Scale {
    fn from_log(log: bool) -> Self {
        if log { Scale::Log10 } else { Scale::Linear }
    }

    /// Plot-space position of a data value, or `None` when it cannot be drawn.
    fn map(self, v: f64) -> Option<f64> {
        match self {
            _ if !v.is_finite() => None,
            Scale::Linear => Some(v),
            Scale::Log10 => (v > 0.0).then(|| v.log10()),
        }
    }
}

/// The plotters coordinate of every axis here: linear in plot space, with our own ticks (bold,
/// labelled) and grid lines (light). Tick text comes from the formatter passed to the mesh.
#[derive(Clone, Debug)]
struct Coord {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Coord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        limit.0 + (t * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Labels {
    Value,
    /// Integer tick values (frequencies).
    Integer,
    /// Cell centres `i + 0.5` labelled `i`; `flip` counts rows down from the top.
    Index {
        n: usize,
        flip: bool,
    },
}

/// One axis in plot space: its range, bold (labelled) ticks and light grid lines.
#[derive(Clone, Debug)]
struct Axis {
    scale: Scale,
    labels: Labels,
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
    step: f64,
}

impl Axis {
    /// An axis covering `extent` (plot space) with a little padding; `None` gives a placeholder
    /// range for a "no data" plot.
    fn new(scale: Scale, extent: Option<(f64, f64)>) -> Self {
        let (lo, hi) = match extent {
            None => (0.0, 1.0),
            Some((lo, hi)) if hi > lo => {
                let pad = 0.03 * (hi - lo);
                (lo - pad, hi + pad)
            }
            Some((v, _)) if scale == Scale::Log10 => (v - 0.5, v + 0.5),
            Some((v, _)) => {
                let pad = if v == 0.0 { 1.0 } else { 0.1 * v.abs() };
                (v - pad, v + pad)
            }
        };
        Axis::exact(scale, lo, hi)
    }

    /// An axis from exactly `lo` to `hi` (plot space), no padding: the colour bar.
    fn exact(scale: Scale, lo: f64, hi: f64) -> Self {
        let mut axis = Axis {
            scale,
            labels: Labels::Value,
            lo,
            hi,
            bold: vec![],
            light: vec![],
            step: 1.0,
        };
        match scale {
            Scale::Linear => axis.linear_ticks(6),
            Scale::Log10 => axis.log_ticks(),
        }
        axis
    }

    /// Frequencies 1..=n with integer ticks, bars centred on integers.
    fn integer(n: usize) -> Self {
        let step = nice_step(n as f64, 10).max(1.0).round();
        let mut bold = vec![1.0];
        let mut k = step;
        while k <= n as f64 {
            if k > 1.0 {
                bold.push(k);
            }
            k += step;
        }
        Axis {
            scale: Scale::Linear,
            labels: Labels::Integer,
            lo: 0.4,
            hi: n as f64 + 0.6,
            bold,
            light: vec![],
            step,
        }
    }

    /// Cells 0..n, each a unit interval; ticks at the centres of every `step`-th index.
    fn index(n: usize, flip: bool) -> Self {
        let n1 = n.max(1);
        let step = nice_step(n1 as f64, 8).max(1.0).round();
        let mut bold = Vec::new();
        let mut i = 0.0;
        while i < n1 as f64 {
            bold.push(if flip { n1 as f64 - i - 0.5 } else { i + 0.5 });
            i += step;
        }
        Axis {
            scale: Scale::Linear,
            labels: Labels::Index { n: n1, flip },
            lo: 0.0,
            hi: n1 as f64,
            bold,
            light: vec![],
            step,
        }
    }

    fn linear_ticks(&mut self, target: usize) {
        let step = nice_step(self.hi - self.lo, target);
        let minor = step / 5.0;
        self.step = step;
        self.bold = multiples(self.lo, self.hi, step);
        self.light = multiples(self.lo, self.hi, minor);
    }

    fn log_ticks(&mut self) {
        let (lo, hi) = (self.lo, self.hi);
        let first = (lo - 1e-9).ceil() as i64;
        let last = (hi + 1e-9).floor() as i64;
        let decades = last - first + 1;
        let within = |t: &f64| *t >= lo - 1e-9 && *t <= hi + 1e-9;
        let mantissas = |ms: &[f64]| -> Vec<f64> {
            let d0 = lo.floor() as i64;
            let d1 = hi.ceil() as i64;
            (d0..=d1)
                .flat_map(|d| ms.iter().map(move |m| d as f64 + m.log10()))
                .filter(within)
                .collect()
        };
        let all: Vec<f64> = (1..=9).map(|m| m as f64).collect();
        if decades >= 3 {
            let stride = ((decades + 7) / 8).max(1);
            self.bold = (first..=last)
                .filter(|d| (d - first) % stride == 0)
                .map(|d| d as f64)
                .collect();
            self.light = if decades <= 12 {
                mantissas(&all)
            } else {
                (first..=last).map(|d| d as f64).collect()
            };
        } else {
            self.bold = mantissas(&[1.0, 2.0, 5.0]);
            if self.bold.len() < 2 {
                self.bold = mantissas(&all);
            }
            self.light = mantissas(&all);
        }
        self.step = 1.0;
    }

    fn coord(&self) -> Coord {
        Coord {
            lo: self.lo,
            hi: self.hi,
            bold: self.bold.clone(),
            light: self.light.clone(),
        }
    }

    /// Tick label for a plot-space value.
    fn label(&self, v: f64) -> String {
        match (self.labels, self.scale) {
            (Labels::Integer, _) => format!("{}", v.round() as i64),
            (Labels::Index { n, flip }, _) => {
                let i = if flip { n as f64 - v - 0.5 } else { v - 0.5 };
                format!("{}", i.round() as i64)
            }
            (Labels::Value, Scale::Log10) => log_label(v),
            (Labels::Value, Scale::Linear) => linear_label(v, self.step),
        }
    }
}

/// The colour bar's x axis: one unit wide, no ticks.
fn cb_axis_x() -> Coord {
    Coord {
        lo: 0.0,
        hi: 1.0,
        bold: vec![],
        light: vec![],
    }
}

/// 1, 2 or 5 × 10^n, about `span / target`.
fn nice_step(span: f64, target: usize) -> f64 {
    let raw = (span / target.max(1) as f64).abs();
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let m = match raw / mag {
        r if r <= 1.0 => 1.0,
        r if r <= 2.0 => 2.0,
        r if r <= 5.0 => 5.0,
        _ => 10.0,
    };
    m * mag
}

/// Multiples of `step` in [lo, hi].
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    if step.is_nan() || step <= 0.0 || (hi - lo) / step > 1000.0 {
        return vec![];
    }
    let (a, b) = (
        (lo / step - 1e-9).ceil() as i64,
        (hi / step + 1e-9).floor() as i64,
    );
    (a..=b).map(|i| i as f64 * step).collect()
}

/// `v` with as many decimals as the tick step needs; scientific when large or tiny.
fn linear_label(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    if !(1e-4..1e5).contains(&step) {
        return sci(v);
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// Label for 10^t on a log axis: "0.01", "1", "1000", else "2e-5", "1e6".
fn log_label(t: f64) -> String {
    let e = (t + 1e-9).floor();
    let m = 10f64.powf(t - e).round();
    let e = e as i32;
    if (-3..=4).contains(&e) {
        let v = m * 10f64.powi(e);
        let decimals = (-e).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{m}e{e}")
    }
}

/// A compact scientific form, "2.5e5".
fn sci(v: f64) -> String {
    let s = format!("{v:.2e}");
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{}", m.trim_end_matches('0').trim_end_matches('.'), e),
        None => s,
    }
}

/// Four significant digits, for the heat-map extremes.
fn short(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v.abs() >= 1e4 || v.abs() < 1e-3 {
        sci(v)
    } else {
        let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Smallest and largest finite value, or `None` if there is none.
fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Drawable runs of a series in plot space, split wherever a point cannot be drawn.
fn segments(points: &[(f64, f64)], xs: Scale, ys: Scale) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for &(x, y) in points {
        match (xs.map(x), ys.map(y)) {
            (Some(x), Some(y)) => cur.push((x, y)),
            _ if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            _ => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Drawing helpers.

type Svg<'a> = SVGBackend<'a>;
type Area<'a> = DrawingArea<Svg<'a>, plotters::coord::Shift>;
type Chart<'a, 'b> = ChartContext<'a, Svg<'b>, Cartesian2d<Coord, Coord>>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws into an in-memory SVG, then writes it to `path` through a temporary file and a rename.
fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<(), PlotError> {
    render_with_underlay(path, size, |root| draw(root).map(|()| String::new()))
}

/// [`render`], where `draw` also returns raw SVG to paint right after the white background, so
/// under everything plotters drew (the heat-map cells, under the axes).
fn render_with_underlay(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<String, Box<dyn std::error::Error>>,
) -> Result<(), PlotError> {
    let draw_err = |e: Box<dyn std::error::Error>| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    let underlay = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(e.into()))?;
        let underlay = draw(&root).map_err(draw_err)?;
        root.present().map_err(|e| draw_err(e.into()))?;
        underlay
    };
    if !underlay.is_empty() {
        // plotters writes the background as the first <rect/>; without one, paint on top.
        let at = svg
            .find("<rect")
            .and_then(|i| svg[i..].find("/>").map(|j| i + j + 2))
            .or_else(|| svg.rfind("</svg>"))
            .unwrap_or(svg.len());
        svg.insert_str(at, &underlay);
    }
    let io_err = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, svg.as_bytes()).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(e)
    })
}

/// A titled [`WIDTH`]×[`HEIGHT`] plot with `legend` in a column on the right; `draw` fills the
/// area left of it.
fn render_legended(
    path: &Path,
    title: &str,
    legend: &[LegendEntry],
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<(), PlotError> {
    render(path, (WIDTH, HEIGHT), |root| {
        let body = root.titled(title, title_font())?;
        let (plot_area, legend_area) = split_legend(&body, legend);
        draw(&plot_area)?;
        draw_legend(&legend_area, legend)
    })
}

/// A chart on `area` with every plot's margin and tick-label areas.
fn chart_on<'a, 'b, 's>(area: &'a Area<'s>) -> ChartBuilder<'a, 'b, Svg<'s>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA);
    builder
}

/// Which grid lines [`draw_axes`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grid {
    All,
    /// No vertical lines (bars, which sit between them).
    Horizontal,
    /// None (the heat map, whose cells fill the plot).
    Off,
}

/// The axes of `chart`: ticks labelled by `x` and `y`, their descriptions, and grey grid lines.
fn draw_axes(
    chart: &mut Chart<'_, '_>,
    (x, x_label): (&Axis, &str),
    (y, y_label): (&Axis, &str),
    grid: Grid,
) -> DrawResult {
    let fx = |v: &f64| x.label(*v);
    let fy = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .label_style(tick_font())
        .axis_desc_style(desc_font())
        .bold_line_style(RGBColor(200, 200, 200).stroke_width(1))
        .light_line_style(RGBColor(238, 238, 238).stroke_width(1));
    match grid {
        Grid::All => {}
        Grid::Horizontal => {
            mesh.disable_x_mesh();
        }
        Grid::Off => {
            mesh.disable_mesh();
        }
    }
    mesh.draw()?;
    Ok(())
}

/// Legend entries of line series with colours `first`, `first + 1`, …, each marked "(no data)"
/// when its curve has nothing drawable.
fn line_legend<'a>(
    names: impl Iterator<Item = &'a str>,
    curves: &[Vec<Vec<(f64, f64)>>],
    first: usize,
    dashed: bool,
) -> Vec<LegendEntry> {
    names
        .zip(curves)
        .enumerate()
        .map(|(i, (name, c))| LegendEntry::line(name, color(first + i), dashed, c.is_empty()))
        .collect()
}

/// Solid curves (each a list of [`segments`]) in colours `first`, `first + 1`, ….
fn draw_curves(
    chart: &mut Chart<'_, '_>,
    curves: &[Vec<Vec<(f64, f64)>>],
    first: usize,
) -> DrawResult {
    for (i, segs) in curves.iter().enumerate() {
        for seg in segs {
            draw_segment(chart, seg, color(first + i))?;
        }
    }
    Ok(())
}

/// One drawable run: a 2-px line, or a dot when the run is a single point.
fn draw_segment(chart: &mut Chart<'_, '_>, seg: &[(f64, f64)], c: RGBColor) -> DrawResult {
    if seg.len() == 1 {
        chart.draw_series(std::iter::once(Circle::new(seg[0], 3, c.filled())))?;
    } else {
        chart.draw_series(LineSeries::new(seg.iter().copied(), c.stroke_width(2)))?;
    }
    Ok(())
}

/// A grey "no data" in the middle of an empty plot.
fn note_no_data(
    area: &DrawingArea<Svg<'_>, Cartesian2d<Coord, Coord>>,
    x: &Axis,
    y: &Axis,
) -> DrawResult {
    let style = TextStyle::from(("sans-serif", 22).into_font())
        .color(&RGBColor(130, 130, 130))
        .pos(Pos::new(HPos::Center, VPos::Center));
    let centre = ((x.lo + x.hi) / 2.0, (y.lo + y.hi) / 2.0);
    area.draw(&Text::new("no data", centre, style))?;
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mark {
    Line,
    Dashed,
    Swatch,
}

struct LegendEntry {
    text: String,
    color: RGBColor,
    mark: Mark,
}

impl LegendEntry {
    fn line(name: &str, color: RGBColor, dashed: bool, empty: bool) -> Self {
        let mark = if dashed { Mark::Dashed } else { Mark::Line };
        LegendEntry {
            text: legend_text(name, empty),
            color,
            mark,
        }
    }

    fn swatch(name: &str, color: RGBColor, empty: bool) -> Self {
        LegendEntry {
            text: legend_text(name, empty),
            color,
            mark: Mark::Swatch,
        }
    }
}

fn legend_text(name: &str, empty: bool) -> String {
    if empty {
        format!("{name} (no data)")
    } else {
        name.to_string()
    }
}

/// Splits off a legend column on the right, as wide as the longest entry needs.
fn split_legend<'a>(body: &Area<'a>, legend: &[LegendEntry]) -> (Area<'a>, Area<'a>) {
    let chars = legend
        .iter()
        .map(|e| e.text.chars().count())
        .max()
        .unwrap_or(0);
    let width = if legend.is_empty() {
        0
    } else {
        (48 + 8 * chars as u32).clamp(110, 300)
    };
    let (w, _) = body.dim_in_pixel();
    body.split_horizontally(w.saturating_sub(width) as i32)
}

fn draw_legend(area: &Area<'_>, legend: &[LegendEntry]) -> DrawResult {
    let text = TextStyle::from(("sans-serif", 17).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, e) in legend.iter().enumerate() {
        let y = MARGIN as i32 + 14 + 24 * i as i32;
        let (x0, x1) = (4, 32);
        match e.mark {
            Mark::Line => area.draw(&PathElement::new(
                vec![(x0, y), (x1, y)],
                e.color.stroke_width(2),
            ))?,
            Mark::Dashed => {
                for (a, b) in [(x0, x0 + 8), (x0 + 13, x0 + 21), (x1 - 2, x1)] {
                    area.draw(&PathElement::new(
                        vec![(a, y), (b, y)],
                        e.color.stroke_width(2),
                    ))?;
                }
            }
            Mark::Swatch => area.draw(&Rectangle::new(
                [(x0 + 6, y - 7), (x1 - 6, y + 7)],
                e.color.filled(),
            ))?,
        }
        area.draw(&Text::new(e.text.clone(), (x1 + 8, y), text.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory per test, so parallel tests never share files.
    fn temp_dir(name: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("modgrok_plot_{}_{n}_{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create test temp dir");
        dir
    }

    fn read_svg(path: &Path) -> String {
        let s = std::fs::read_to_string(path).expect("plot file was written");
        let head = s.trim_start();
        assert!(
            head.starts_with("<svg") || head.starts_with("<?xml"),
            "not an SVG: {}",
            &s[..s.len().min(80)]
        );
        assert!(s.trim_end().ends_with("</svg>"), "SVG not closed");
        s
    }

    fn curve(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..=50)
            .map(|i| (i as f64 * 20.0, f(i as f64 * 20.0)))
            .collect()
    }

    #[test]
    fn lines_writes_svg_with_title_and_series_names() {
        let dir = temp_dir("lines");
        let path = dir.join("acc.svg");
        let train = curve(|s| (s / 500.0).min(1.0));
        let test = curve(|s| (s / 1000.0).powi(3));
        let series = [
            Series {
                name: "train_acc",
                points: &train,
            },
            Series {
                name: "test_acc",
                points: &test,
            },
        ];
        lines(
            &path,
            "accuracy a+b mod 7",
            "step",
            "accuracy",
            &series,
            Axes {
                log_x: true,
                log_y: false,
            },
        )
        .expect("plot");
        let svg = read_svg(&path);
        for text in [
            "accuracy a+b mod 7",
            "train_acc",
            "test_acc",
            "step",
            "accuracy",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        assert!(!dir.join(".acc.svg.tmp").exists());
    }

    #[test]
    fn log_axes_with_step_zero_and_zero_loss_do_not_panic() {
        let dir = temp_dir("log0");
        let path = dir.join("loss.svg");
        let pts = [
            (0.0, 4.6),
            (0.0, 0.0),
            (1.0, 4.0),
            (10.0, 1.0),
            (100.0, 1e-3),
            (1000.0, 0.0),
            (2000.0, -1.0),
        ];
        let series = [Series {
            name: "train_loss",
            points: &pts,
        }];
        lines(
            &path,
            "loss",
            "step",
            "loss",
            &series,
            Axes {
                log_x: true,
                log_y: true,
            },
        )
        .expect("plot");
        let svg = read_svg(&path);
        assert!(svg.contains("train_loss") && !svg.contains("no data"));
        // Only step 0 present: nothing drawable on a log axis, still a valid plot.
        let only_zero = [(0.0, 1.0)];
        let series = [Series {
            name: "init",
            points: &only_zero,
        }];
        lines(
            &path,
            "loss",
            "step",
            "loss",
            &series,
            Axes {
                log_x: true,
                log_y: true,
            },
        )
        .expect("plot");
        assert!(read_svg(&path).contains("no data"));
    }

    #[test]
    fn nan_and_inf_points_are_skipped_without_panic() {
        let dir = temp_dir("nan");
        let path = dir.join("ffs.svg");
        let pts = [
            (1.0, 0.5),
            (2.0, f64::NAN),
            (f64::NAN, 0.3),
            (4.0, f64::INFINITY),
            (8.0, 0.2),
            (16.0, 0.1),
        ];
        let all_nan = [(f64::NAN, f64::NAN)];
        let series = [
            Series {
                name: "ffs_embed",
                points: &pts,
            },
            Series {
                name: "fcr_embed",
                points: &all_nan,
            },
        ];
        lines(
            &path,
            "FFS",
            "step",
            "FFS",
            &series,
            Axes {
                log_x: true,
                log_y: false,
            },
        )
        .expect("plot");
        let svg = read_svg(&path);
        assert!(svg.contains("ffs_embed") && svg.contains("fcr_embed (no data)"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(segments(&pts, Scale::Linear, Scale::Linear).len(), 2);
    }

    #[test]
    fn all_empty_series_still_write_svg_with_no_data_note() {
        let dir = temp_dir("empty");
        let path = dir.join("empty.svg");
        let series = [
            Series {
                name: "train_loss",
                points: &[],
            },
            Series {
                name: "test_loss",
                points: &[],
            },
        ];
        lines(
            &path,
            "empty run",
            "step",
            "loss",
            &series,
            Axes {
                log_x: true,
                log_y: true,
            },
        )
        .expect("plot");
        let svg = read_svg(&path);
        assert!(svg.contains("empty run") && svg.contains("no data") && svg.contains("test_loss"));
        lines(&path, "no series", "step", "loss", &[], Axes::default()).expect("plot");
        assert!(read_svg(&path).contains("no data"));
    }

    #[test]
    fn twin_y_plot_names_both_axes_and_all_series() {
        let dir = temp_dir("twin");
        let path = dir.join("twin.svg");
        let ffs = curve(|s| 1.0 - s / 2000.0);
        let fcr = curve(|_| f64::NAN);
        let acc = curve(|s| (s / 1000.0).min(1.0));
        lines_twin_y(
            &path,
            "FFS/FCR vs test accuracy",
            "step",
            (
                "FFS / FCR (ε = 0.1)",
                &[
                    Series {
                        name: "ffs",
                        points: &ffs,
                    },
                    Series {
                        name: "fcr",
                        points: &fcr,
                    },
                ],
            ),
            (
                "test accuracy",
                &[Series {
                    name: "test_acc",
                    points: &acc,
                }],
            ),
            true,
        )
        .expect("plot");
        let svg = read_svg(&path);
        for text in [
            "FFS/FCR vs test accuracy",
            "FFS / FCR (ε = 0.1)",
            "test accuracy",
            "ffs",
            "test_acc (right)",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
    }

    #[test]
    fn spectrum_bars_write_series_names_and_key_frequencies() {
        let dir = temp_dir("bars");
        let path = dir.join("spectrum.svg");
        let cos: Vec<(f64, f64)> = (1..=5)
            .map(|k| (k as f64, if k == 2 { 3.0 } else { 0.1 }))
            .collect();
        let sin: Vec<(f64, f64)> = (1..=5)
            .map(|k| (k as f64, if k == 2 { 2.5 } else { f64::NAN }))
            .collect();
        let series = [
            Series {
                name: "cos α_k",
                points: &cos,
            },
            Series {
                name: "sin β_k",
                points: &sin,
            },
        ];
        spectrum_bars(
            &path,
            "embedding spectrum p=11",
            "frequency k",
            "norm",
            &series,
            &[2, 99],
        )
        .expect("plot");
        let svg = read_svg(&path);
        for text in [
            "embedding spectrum p=11",
            "cos α_k",
            "sin β_k",
            "key frequency",
            "frequency k",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        spectrum_bars(
            &path,
            "empty",
            "k",
            "norm",
            &[Series {
                name: "cos",
                points: &[],
            }],
            &[],
        )
        .expect("plot");
        assert!(read_svg(&path).contains("no data"));
    }

    #[test]
    fn heatmap_writes_svg_and_rejects_wrong_shape() {
        let dir = temp_dir("heat");
        let path = dir.join("logit2d.svg");
        let p = 11;
        let mut data: Vec<f64> = (0..p * p).map(|i| ((i % p) * (i / p)) as f64).collect();
        data[5] = f64::NAN;
        heatmap(
            &path,
            "2D logit spectrum p=11",
            &data,
            p,
            p,
            "y basis",
            "x basis",
        )
        .expect("plot");
        let svg = read_svg(&path);
        for text in ["2D logit spectrum p=11", "y basis", "x basis", "max 100"] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        let err = heatmap(&path, "bad", &data[1..], p, p, "a", "b").unwrap_err();
        assert!(matches!(err, PlotError::Shape { len: 120, .. }), "{err}");
        heatmap(&path, "all nan", &[f64::NAN; 4], 2, 2, "a", "b").expect("plot");
        assert!(read_svg(&path).contains("no data"));
        heatmap(&path, "zero by zero", &[], 0, 0, "a", "b").expect("plot");
        assert!(read_svg(&path).contains("zero by zero"));
    }

    #[test]
    fn missing_directory_is_an_io_error_not_a_panic() {
        let path = temp_dir("io").join("no/such/dir/plot.svg");
        let err = lines(&path, "t", "x", "y", &[], Axes::default()).unwrap_err();
        assert!(matches!(err, PlotError::Io { .. }), "{err}");
    }

    #[test]
    fn tick_labels_read_as_numbers() {
        assert_eq!(log_label(0.0), "1");
        assert_eq!(log_label(3.0), "1000");
        assert_eq!(log_label(-2.0), "0.01");
        assert_eq!(log_label(5.0), "1e5");
        assert_eq!(log_label(-7.0 + 2f64.log10()), "2e-7");
        assert_eq!(linear_label(0.6000000001, 0.2), "0.6");
        assert_eq!(linear_label(-1e-17, 0.2), "0");
        assert_eq!(linear_label(2500.0, 500.0), "2500");
        assert_eq!(short(0.123456), "0.1235");
        let one_decade = Axis::new(Scale::Log10, Some((0.0, 1.0)));
        let labels: Vec<String> = one_decade
            .bold
            .iter()
            .map(|&t| one_decade.label(t))
            .collect();
        assert_eq!(labels, ["1", "2", "5", "10"]);
        let many = Axis::new(Scale::Log10, Some((0.0, 5.0)));
        let labels: Vec<String> = many.bold.iter().map(|&t| many.label(t)).collect();
        assert_eq!(labels, ["1", "10", "100", "1000", "10000", "1e5"]);
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
    }

    /// Writes one of each plot at full size (p = 97) for a look by eye:
    /// `MODGROK_PLOT_DEMO=/tmp/plot_demo cargo test -p modgrok-host plot::tests::demo -- --ignored`.
    #[test]
    #[ignore = "writes demo plots for visual inspection"]
    fn demo_plots_at_full_size() {
        let dir =
            std::env::var_os("MODGROK_PLOT_DEMO").map_or_else(|| temp_dir("demo"), PathBuf::from);
        std::fs::create_dir_all(&dir).expect("demo dir");
        let steps: Vec<f64> = (0..=400).map(|i| (i * 100) as f64).collect();
        let sig = |s: f64, at: f64, w: f64| 1.0 / (1.0 + (-(s - at) / w).exp());
        let pts = |f: &dyn Fn(f64) -> f64| steps.iter().map(|&s| (s, f(s))).collect::<Vec<_>>();
        let train_loss =
            pts(&|s| 4.57 * (-s / 300.0).exp() + 1e-6 + 1e-3 * (1.0 - sig(s, 12000.0, 2000.0)));
        let test_loss =
            pts(&|s| 4.6 + 10.0 * sig(s, 1500.0, 500.0) * (1.0 - sig(s, 15000.0, 2000.0)) + 1e-5);
        let train_acc = pts(&|s| sig(s, 800.0, 150.0));
        let test_acc = pts(&|s| 0.01 + 0.99 * sig(s, 15000.0, 2000.0));
        let ffs = pts(&|s| 1.0 - 0.9 * sig(s, 14000.0, 2500.0));
        let fcr = pts(&|s| 0.8 + 0.15 * sig(s, 14000.0, 2500.0));
        let ax = Axes {
            log_x: true,
            log_y: true,
        };
        let loss = [
            Series {
                name: "train loss",
                points: &train_loss,
            },
            Series {
                name: "test loss",
                points: &test_loss,
            },
        ];
        lines(
            &dir.join("loss.svg"),
            "Loss, a+b mod 97, frac 0.3",
            "step",
            "cross-entropy loss",
            &loss,
            ax,
        )
        .expect("loss");
        let acc = [
            Series {
                name: "train acc",
                points: &train_acc,
            },
            Series {
                name: "test acc",
                points: &test_acc,
            },
        ];
        let ax = Axes {
            log_x: true,
            log_y: false,
        };
        lines(
            &dir.join("accuracy.svg"),
            "Accuracy, a+b mod 97, frac 0.3",
            "step",
            "accuracy",
            &acc,
            ax,
        )
        .expect("acc");
        lines_twin_y(
            &dir.join("ffs_fcr.svg"),
            "FFS and FCR of W_E over training (ε = 0.1)",
            "step",
            (
                "FFS / FCR",
                &[
                    Series {
                        name: "ffs w_e",
                        points: &ffs,
                    },
                    Series {
                        name: "fcr w_e",
                        points: &fcr,
                    },
                ],
            ),
            (
                "test accuracy",
                &[Series {
                    name: "test acc",
                    points: &test_acc,
                }],
            ),
            true,
        )
        .expect("twin");
        let key = [14usize, 35, 41];
        let bump = |k: usize, scale: f64| {
            if key.contains(&k) {
                scale
            } else {
                0.05 + 0.02 * ((k * 7) % 5) as f64
            }
        };
        let alpha: Vec<(f64, f64)> = (1..=48)
            .map(|k| (k as f64, bump(k, 3.0 + k as f64 / 20.0)))
            .collect();
        let beta: Vec<(f64, f64)> = (1..=48).map(|k| (k as f64, bump(k, 2.6))).collect();
        let spec = [
            Series {
                name: "cos α_k",
                points: &alpha,
            },
            Series {
                name: "sin β_k",
                points: &beta,
            },
        ];
        spectrum_bars(
            &dir.join("spectrum.svg"),
            "Embedding spectrum W_E, p = 97",
            "frequency k",
            "norm",
            &spec,
            &key,
        )
        .expect("bars");
        let p = 97;
        let data: Vec<f64> = (0..p * p)
            .map(|i| {
                let (a, b) = (i / p, i % p);
                let hit = |x: usize| key.iter().any(|&k| x == 2 * k - 1 || x == 2 * k);
                if hit(a) && hit(b) {
                    50.0 + (a + b) as f64 / 10.0
                } else {
                    ((a * 31 + b * 17) % 13) as f64 * 0.1
                }
            })
            .collect();
        heatmap(
            &dir.join("logit2d.svg"),
            "2D logit spectrum, p = 97",
            &data,
            p,
            p,
            "y basis index",
            "x basis index",
        )
        .expect("heatmap");
    }
}
