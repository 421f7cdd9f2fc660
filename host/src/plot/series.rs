//! The data a plot draws: named point lists, in the order that gives each its colour.

/// One named curve (for [`lines`](super::lines())) or one bar family (for
/// [`spectrum_bars`](super::spectrum_bars)).
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// Legend text, e.g. `"train"` or `"cos α_k"`.
    pub name: &'a str,
    /// `(x, y)` in drawing order; for [`spectrum_bars`](super::spectrum_bars), `(k, value)`.
    pub points: &'a [(f64, f64)],
}
