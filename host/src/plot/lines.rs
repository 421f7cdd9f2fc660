//! Line plots: curves over one x axis, with one or two y axes.
use std::path::Path;

use plotters::prelude::*;

use super::axis::{Axis, Scale, extent};
use super::canvas::{DrawResult, Grid, PlotArea, chart_on, draw_axes, note_no_data};
use super::legend::{LegendEntry, render_legended};
use super::style::{Y_LABEL_AREA, color, desc_font, tick_font};
use super::{Axes, PlotError, Series};

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
        draw_curves(chart.plotting_area(), &curves, 0, false)?;
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
        draw_curves(chart.plotting_area(), &left_curves, 0, false)?;
        draw_curves(chart.secondary_plotting_area(), &right_curves, n_left, true)?;
        if no_data {
            note_no_data(chart.plotting_area(), &x_axis, &yl_axis)?;
        }
        Ok(())
    })
}

/// Drawable runs of a series in plot space, split wherever a point cannot be drawn.
pub(super) fn segments(points: &[(f64, f64)], xs: Scale, ys: Scale) -> Vec<Vec<(f64, f64)>> {
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

/// Curves (each a list of [`segments`]) in colours `first`, `first + 1`, …: 2-px lines, dashed
/// for the right axis of a twin plot, and a dot for a run of a single point, which a line would
/// not show.
fn draw_curves(
    area: &PlotArea<'_>,
    curves: &[Vec<Vec<(f64, f64)>>],
    first: usize,
    dashed: bool,
) -> DrawResult {
    for (i, segs) in curves.iter().enumerate() {
        let c = color(first + i);
        for seg in segs {
            let points = seg.iter().copied();
            if seg.len() == 1 {
                area.draw(&Circle::new(seg[0], 3, c.filled()))?;
            } else if dashed {
                for dash in DashedLineSeries::new(points, 8, 5, c.stroke_width(2)) {
                    area.draw(&dash)?;
                }
            } else {
                for line in LineSeries::new(points, c.stroke_width(2)) {
                    area.draw(&line)?;
                }
            }
        }
    }
    Ok(())
}
