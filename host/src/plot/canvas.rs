//! The page every figure is drawn on: an in-memory SVG written like every other run file, and
//! the chart frame (margins, tick labels, grid, "no data" note) that all figures share.
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::axis::{Axis, Coord};
use super::style::{MARGIN, X_LABEL_AREA, Y_LABEL_AREA, desc_font, tick_font};
use crate::error::HostError;
use crate::fsio;

pub(super) type Svg<'a> = SVGBackend<'a>;
pub(super) type Area<'a> = DrawingArea<Svg<'a>, plotters::coord::Shift>;
pub(super) type Chart<'a, 'b> = ChartContext<'a, Svg<'b>, Cartesian2d<Coord, Coord>>;
/// The plotting area of a chart, where its data is drawn.
pub(super) type PlotArea<'a> = DrawingArea<Svg<'a>, Cartesian2d<Coord, Coord>>;
pub(super) type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws a `size` SVG on a white background into memory and writes it to `path`.
pub(super) fn render(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<(), PlotError> {
    let (svg, ()) = draw_svg(path, size, draw)?;
    save(path, &svg)
}

/// Draws a `size` SVG on a white background into memory; returns it with what `draw` returned.
/// `path` only names the figure in errors.
pub(super) fn draw_svg<T>(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<T, Box<dyn std::error::Error>>,
) -> Result<(String, T), PlotError> {
    let draw_err = |e: Box<dyn std::error::Error>| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    let value = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(e.into()))?;
        let value = draw(&root).map_err(draw_err)?;
        root.present().map_err(|e| draw_err(e.into()))?;
        value
    };
    Ok((svg, value))
}

/// Writes `svg` to `path` through [`fsio::write_atomic`], so a reader never sees half a plot and
/// a resume sweeps the temporary file a crash left, as for every other file of a run.
pub(super) fn save(path: &Path, svg: &str) -> Result<(), PlotError> {
    fsio::write_atomic(path, svg.as_bytes()).map_err(|e| match e {
        HostError::Io { path, source } => PlotError::Io { path, source },
        // write_atomic fails only on I/O today; should that change, the plot is still named.
        other => PlotError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

/// A chart on `area` with every plot's margin and tick-label areas.
pub(super) fn chart_on<'a, 'b, 's>(area: &'a Area<'s>) -> ChartBuilder<'a, 'b, Svg<'s>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA);
    builder
}

/// Which grid lines [`draw_axes`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Grid {
    All,
    /// No vertical lines (bars, which sit between them).
    Horizontal,
    /// None (the heat map, whose cells fill the plot).
    Off,
}

/// The axes of `chart`: ticks labelled by `x` and `y`, their descriptions, and grey grid lines.
pub(super) fn draw_axes(
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

/// A grey "no data" in the middle of an empty plot.
pub(super) fn note_no_data(area: &PlotArea<'_>, x: &Axis, y: &Axis) -> DrawResult {
    let style = TextStyle::from(("sans-serif", 22).into_font())
        .color(&RGBColor(130, 130, 130))
        .pos(Pos::new(HPos::Center, VPos::Center));
    let centre = ((x.lo + x.hi) / 2.0, (y.lo + y.hi) / 2.0);
    area.draw(&Text::new("no data", centre, style))?;
    Ok(())
}
