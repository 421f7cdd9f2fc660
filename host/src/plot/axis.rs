//! Axes: every axis is linear in plot space; a log axis stores log10(value) and formats its
//! ticks as 10^v. That keeps one coordinate type for all four log/linear combinations and gives
//! decade ticks with 2..9 minor lines, labelled with true values ("1000", "2e-7") rather than
//! plotters' own log coordinate, which labels minor lines and places pixels by truncation.
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Which axes of a [`lines`](super::lines()) plot are logarithmic (base 10).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Axes {
    pub log_x: bool,
    pub log_y: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Scale {
    Linear,
    Log10,
}

impl Scale {
    pub(super) fn from_log(log: bool) -> Self {
        if log { Scale::Log10 } else { Scale::Linear }
    }

    /// Plot-space position of a data value, or `None` when it cannot be drawn.
    pub(super) fn map(self, v: f64) -> Option<f64> {
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
pub(super) struct Coord {
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
pub(super) struct Axis {
    scale: Scale,
    labels: Labels,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) bold: Vec<f64>,
    light: Vec<f64>,
    step: f64,
}

impl Axis {
    /// An axis covering `extent` (plot space) with a little padding; `None` gives a placeholder
    /// range for a "no data" plot.
    pub(super) fn new(scale: Scale, extent: Option<(f64, f64)>) -> Self {
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
    pub(super) fn exact(scale: Scale, lo: f64, hi: f64) -> Self {
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
    pub(super) fn integer(n: usize) -> Self {
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
    pub(super) fn index(n: usize, flip: bool) -> Self {
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

    pub(super) fn coord(&self) -> Coord {
        Coord {
            lo: self.lo,
            hi: self.hi,
            bold: self.bold.clone(),
            light: self.light.clone(),
        }
    }

    /// Tick label for a plot-space value.
    pub(super) fn label(&self, v: f64) -> String {
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
pub(super) fn cb_axis_x() -> Coord {
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
pub(super) fn linear_label(v: f64, step: f64) -> String {
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
pub(super) fn log_label(t: f64) -> String {
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
pub(super) fn sci(v: f64) -> String {
    let s = format!("{v:.2e}");
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{}", m.trim_end_matches('0').trim_end_matches('.'), e),
        None => s,
    }
}

/// Smallest and largest finite value, or `None` if there is none.
pub(super) fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}
