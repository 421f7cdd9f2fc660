//! Grouped bars of a Fourier spectrum, one bar per series at each frequency.
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{Axis, Scale, extent};
use super::canvas::{Grid, chart_on, draw_axes, note_no_data};
use super::legend::{LegendEntry, render_legended};
use super::style::color;
use super::{PlotError, Series};

/// Shade behind a key frequency: light enough that the bars stay the eye's first stop.
const KEY_BAND: RGBColor = RGBColor(255, 236, 170);

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
