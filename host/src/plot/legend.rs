//! The legend column right of the axes. plotters' `configure_series_labels` draws its box inside
//! the plotting area, where it would cover curves, and sizes rows by estimated font metrics; a
//! column of its own keeps every curve visible and entries at fixed 24-px rows.
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::canvas::{Area, DrawResult, render};
use super::style::{HEIGHT, MARGIN, WIDTH, title_font};

/// A titled [`WIDTH`]×[`HEIGHT`] plot with `legend` in a column on the right; `draw` fills the
/// area left of it.
pub(super) fn render_legended(
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

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mark {
    Line,
    Dashed,
    Swatch,
}

pub(super) struct LegendEntry {
    text: String,
    color: RGBColor,
    mark: Mark,
}

impl LegendEntry {
    pub(super) fn line(name: &str, color: RGBColor, dashed: bool, empty: bool) -> Self {
        let mark = if dashed { Mark::Dashed } else { Mark::Line };
        LegendEntry {
            text: legend_text(name, empty),
            color,
            mark,
        }
    }

    pub(super) fn swatch(name: &str, color: RGBColor, empty: bool) -> Self {
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
