//! The colour map of a 2-D array with its viridis colour bar.
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::axis::{Axis, Scale, cb_axis_x, extent, sci};
use super::canvas::{Grid, chart_on, draw_axes, draw_svg, note_no_data, save};
use super::style::{HEIGHT, MARGIN, WIDTH, X_LABEL_AREA, Y_LABEL_AREA, tick_font, title_font};

const COLORBAR_W: u32 = 100;
const NAN_CELL: RGBColor = RGBColor(210, 210, 210);

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

    let (mut svg, cells) = draw_svg(path, (WIDTH, HEIGHT), |root| {
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
    })?;
    paint_under(&mut svg, &cells);
    save(path, &svg)
}

/// Inserts `cells` right after the white background plotters paints first, so under the axes.
///
/// plotters has no element for a many-rectangle path: drawn as one `<rect>` per run, a p = 97
/// map is five times the bytes, and without `crispEdges` the cells show hairline seams.
fn paint_under(svg: &mut String, cells: &str) {
    if cells.is_empty() {
        return;
    }
    // Without a background <rect/>, paint on top rather than lose the cells.
    let at = svg
        .find("<rect")
        .and_then(|i| svg[i..].find("/>").map(|j| i + j + 2))
        .or_else(|| svg.rfind("</svg>"))
        .unwrap_or(svg.len());
    svg.insert_str(at, cells);
}

/// matplotlib's viridis sampled at t = 0, 0.1, …, 1. plotters' own `ViridisRGB` has 8 coarser
/// stops that stray up to 13 levels from matplotlib's; its interpolation over these samples is
/// the one this map has always used.
const VIRIDIS: [RGBColor; 11] = [
    RGBColor(0x44, 0x01, 0x54),
    RGBColor(0x48, 0x24, 0x75),
    RGBColor(0x41, 0x44, 0x87),
    RGBColor(0x35, 0x5f, 0x8d),
    RGBColor(0x2a, 0x78, 0x8e),
    RGBColor(0x21, 0x91, 0x8c),
    RGBColor(0x22, 0xa8, 0x84),
    RGBColor(0x44, 0xbf, 0x70),
    RGBColor(0x7a, 0xd1, 0x51),
    RGBColor(0xbd, 0xdf, 0x26),
    RGBColor(0xfd, 0xe7, 0x25),
];

/// viridis at `t`, interpolated linearly between the samples; t outside [0, 1] is clamped and
/// a non-finite t (which plotters' colour maps cannot index) reads as 0.
pub(super) fn viridis(t: f64) -> RGBColor {
    static MAP: LazyLock<DerivedColorMap<RGBColor>> =
        LazyLock::new(|| DerivedColorMap::new(&VIRIDIS));
    MAP.get_color(if t.is_finite() { t } else { 0.0 })
}

/// Four significant digits, for the heat-map extremes.
pub(super) fn short(v: f64) -> String {
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
