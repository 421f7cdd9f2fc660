//! Grokfast (Lee et al. 2024): a low-pass filter on the gradient, amplified and added back
//! before AdamW (SPEC §4). Semantics are those of the authors' `gradfilter_ema` and
//! `gradfilter_ma` (with `warmup=True`, `filter_type="mean"`), on f32 tensors.
//!
//! Every element is filtered on its own with plain IEEE f32 `+`, `*` and `/` in a fixed order
//! (no fused multiply-add), so a caller may split the elements anywhere and keep the bits.
use core::ops::Range;

use crate::Error;
use crate::adamw::trained_ranges;
use crate::model::{ModelConfig, N_TENSORS};

/// Most gradients the moving-average filter may hold per element.
pub const MAX_WINDOW: u32 = 10_000;

/// Which filter, with its hyperparameters (f64, rounded to f32 when applied, as PyTorch rounds
/// a Python scalar).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Grokfast {
    /// `h ← α·h + (1−α)·g; g ← g + λ·h`, with h = g before the first update.
    Ema { alpha: f64, lamb: f64 },
    /// Keeps the last `window` raw gradients; once it holds `window` of them,
    /// `g ← g + λ·(Σ queue)/window`, summed oldest first.
    Ma { window: u32, lamb: f64 },
}

impl Grokfast {
    /// The paper's defaults: α = 0.98, λ = 2.0.
    pub const EMA: Grokfast = Grokfast::Ema {
        alpha: 0.98,
        lamb: 2.0,
    };
    /// The paper's defaults: window = 100, λ = 5.0.
    pub const MA: Grokfast = Grokfast::Ma {
        window: 100,
        lamb: 5.0,
    };

    /// α in [0, 1), λ finite and ≥ 0, window in 1..=[`MAX_WINDOW`].
    pub fn validate(&self) -> Result<(), Error> {
        let lamb_ok = |l: f64| l.is_finite() && l >= 0.0;
        let ok = match *self {
            Grokfast::Ema { alpha, lamb } => (0.0..1.0).contains(&alpha) && lamb_ok(lamb),
            Grokfast::Ma { window, lamb } => (1..=MAX_WINDOW).contains(&window) && lamb_ok(lamb),
        };
        if ok { Ok(()) } else { Err(Error::BadHyper) }
    }

    /// State values per gradient element: 1 (h) for ema, `window` for ma.
    pub fn per_element(&self) -> usize {
        match *self {
            Grokfast::Ema { .. } => 1,
            Grokfast::Ma { window, .. } => window as usize,
        }
    }

    /// Length of the state of `n` gradient elements, element-major: element i owns
    /// `state[i·per_element() .. (i+1)·per_element()]`.
    pub fn state_len(&self, n: usize) -> usize {
        n.saturating_mul(self.per_element())
    }
}

/// The filter at AdamW step `t` (1, 2, …): what [`GrokfastUpdate::apply`] needs to know of it.
#[derive(Debug, Clone, Copy)]
pub struct GrokfastUpdate {
    kind: Kind,
    lamb: f32,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Ema {
        alpha: f32,
        one_m_alpha: f32,
        first: bool,
    },
    Ma {
        window: usize,
        /// Slot of this step's gradient, `(t − 1) mod window`.
        slot: usize,
        /// Whether the queue is full after this step's gradient: t ≥ window.
        full: bool,
    },
}

impl GrokfastUpdate {
    pub fn new(gf: &Grokfast, t: u64) -> Self {
        let t = t.max(1);
        match *gf {
            Grokfast::Ema { alpha, lamb } => GrokfastUpdate {
                kind: Kind::Ema {
                    alpha: alpha as f32,
                    one_m_alpha: (1.0 - alpha) as f32,
                    first: t == 1,
                },
                lamb: lamb as f32,
            },
            Grokfast::Ma { window, lamb } => {
                let w = u64::from(window.max(1));
                GrokfastUpdate {
                    kind: Kind::Ma {
                        window: w as usize,
                        slot: ((t - 1) % w) as usize,
                        full: t >= w,
                    },
                    lamb: lamb as f32,
                }
            }
        }
    }

    /// State values per element, as [`Grokfast::per_element`].
    pub fn per_element(&self) -> usize {
        match self.kind {
            Kind::Ema { .. } => 1,
            Kind::Ma { window, .. } => window,
        }
    }

    /// Filters `grads` in place with its state (`grads.len() · per_element()` values,
    /// element-major), in f32:
    /// - ema: `h ← h·α + g·(1−α)` (h ← g first at t = 1), then `g ← g + h·λ`;
    /// - ma: `q[slot] ← g`; when full, `s = ((0 + q[oldest]) + …) + q[newest]`,
    ///   `g ← g + (s / window)·λ`.
    pub fn apply(&self, grads: &mut [f32], state: &mut [f32]) {
        match self.kind {
            Kind::Ema {
                alpha,
                one_m_alpha,
                first,
            } => {
                for (g, h) in grads.iter_mut().zip(state.iter_mut()) {
                    if first {
                        *h = *g;
                    }
                    *h = *h * alpha + *g * one_m_alpha;
                    *g += *h * self.lamb;
                }
            }
            Kind::Ma { window, slot, full } => {
                let len = window as f32;
                for (g, q) in grads.iter_mut().zip(state.chunks_exact_mut(window)) {
                    q[slot] = *g;
                    if full {
                        let mut s = 0.0f32;
                        for k in 1..=window {
                            s += q[(slot + k) % window];
                        }
                        *g += s / len * self.lamb;
                    }
                }
            }
        }
    }
}

/// The state range of gradient elements `r`.
pub fn state_range(per_element: usize, r: &Range<usize>) -> Range<usize> {
    r.start * per_element..r.end * per_element
}

/// Filters the gradient of every tensor not marked in `frozen`, before AdamW step `t`; a frozen
/// tensor's gradient and state are left untouched. `grads` is `cfg.n_params()` long and `state`
/// [`Grokfast::state_len`] of it.
pub fn grokfast_step(
    cfg: &ModelConfig,
    gf: &Grokfast,
    t: u64,
    frozen: &[bool; N_TENSORS],
    grads: &mut [f32],
    state: &mut [f32],
) -> Result<(), Error> {
    let n = cfg.n_params();
    crate::error::check_len(grads.len(), n)?;
    crate::error::check_len(state.len(), gf.state_len(n))?;
    let update = GrokfastUpdate::new(gf, t);
    let per = update.per_element();
    for r in trained_ranges(cfg, frozen) {
        update.apply(&mut grads[r.clone()], &mut state[state_range(per, &r)]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_two_steps_by_hand() {
        let gf = Grokfast::Ema {
            alpha: 0.5,
            lamb: 2.0,
        };
        let mut h = [0.0f32; 2];
        // t = 1: h = g = [1, -2]; h = h/2 + g/2 = g; g + 2h = 3g.
        let mut g = [1.0f32, -2.0];
        GrokfastUpdate::new(&gf, 1).apply(&mut g, &mut h);
        assert_eq!((g, h), ([3.0, -6.0], [1.0, -2.0]));
        // t = 2, g = [3, 4]: h = [1, -2]/2 + [3, 4]/2 = [2, 1]; g = [3, 4] + 2h = [7, 6].
        let mut g = [3.0f32, 4.0];
        GrokfastUpdate::new(&gf, 2).apply(&mut g, &mut h);
        assert_eq!((g, h), ([7.0, 6.0], [2.0, 1.0]));
    }

    #[test]
    fn ema_first_step_starts_from_the_gradient_not_zero() {
        let mut h = [0.0f32];
        let mut g = [1.0f32];
        GrokfastUpdate::new(&Grokfast::EMA, 1).apply(&mut g, &mut h);
        // From h = 0 it would be 0.02 and g = 1.04.
        assert!((h[0] - 1.0).abs() < 1e-6, "{h:?}");
        assert!((g[0] - 3.0).abs() < 1e-6, "{g:?}");
    }

    #[test]
    fn ma_window_2_two_steps_by_hand() {
        let gf = Grokfast::Ma {
            window: 2,
            lamb: 3.0,
        };
        // Two elements, two slots each.
        let mut q = [0.0f32; 4];
        // t = 1: the queue holds one gradient, so no amplification (warmup).
        let mut g = [2.0f32, -1.0];
        GrokfastUpdate::new(&gf, 1).apply(&mut g, &mut q);
        assert_eq!((g, q), ([2.0, -1.0], [2.0, 0.0, -1.0, 0.0]));
        // t = 2, g = [4, 5]: mean = [3, 2]; g = [4, 5] + 3·mean = [13, 11].
        let mut g = [4.0f32, 5.0];
        GrokfastUpdate::new(&gf, 2).apply(&mut g, &mut q);
        assert_eq!((g, q), ([13.0, 11.0], [2.0, 4.0, -1.0, 5.0]));
        // t = 3, g = [0, 1]: the oldest is dropped; mean = [2, 3]; g = [6, 10].
        let mut g = [0.0f32, 1.0];
        GrokfastUpdate::new(&gf, 3).apply(&mut g, &mut q);
        assert_eq!((g, q), ([6.0, 10.0], [0.0, 4.0, 1.0, 5.0]));
    }

    #[test]
    fn validate_refuses_out_of_range_hyperparameters() {
        assert!(Grokfast::EMA.validate().is_ok());
        assert!(Grokfast::MA.validate().is_ok());
        for bad in [
            Grokfast::Ema {
                alpha: 1.0,
                lamb: 2.0,
            },
            Grokfast::Ema {
                alpha: -0.1,
                lamb: 2.0,
            },
            Grokfast::Ema {
                alpha: 0.9,
                lamb: f64::NAN,
            },
            Grokfast::Ma {
                window: 0,
                lamb: 5.0,
            },
            Grokfast::Ma {
                window: MAX_WINDOW + 1,
                lamb: 5.0,
            },
            Grokfast::Ma {
                window: 3,
                lamb: -1.0,
            },
        ] {
            assert_eq!(bad.validate(), Err(Error::BadHyper), "{bad:?}");
        }
    }
}
