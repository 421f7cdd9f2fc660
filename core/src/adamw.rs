//! AdamW with PyTorch's semantics (`torch.optim.AdamW`, single-tensor CPU path), SPEC §4.
use core::ops::Range;

use crate::Error;
use crate::model::{ModelConfig, N_TENSORS};

/// Optimizer hyperparameters; [`Default`] is the paper's (lr 1e-3, betas (0.9, 0.98), eps 1e-8,
/// weight decay 1.0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.98,
            eps: 1e-8,
            weight_decay: 1.0,
        }
    }
}

impl AdamWConfig {
    pub fn validate(&self) -> Result<(), Error> {
        let ok = self.lr.is_finite()
            && self.lr > 0.0
            && self.weight_decay.is_finite()
            && self.weight_decay >= 0.0
            && (0.0..1.0).contains(&self.beta1)
            && (0.0..1.0).contains(&self.beta2)
            && self.eps.is_finite()
            && self.eps > 0.0;
        if ok { Ok(()) } else { Err(Error::BadHyper) }
    }
}

/// One AdamW update at step `t` (1, 2, …) of every tensor not marked in `frozen`; a frozen
/// tensor is left untouched, moments included. Each element is updated on its own
/// ([`AdamWUpdate::apply`]), so a caller may split the elements anywhere.
#[allow(clippy::too_many_arguments)]
pub fn adamw_step(
    cfg: &ModelConfig,
    hyper: &AdamWConfig,
    t: u64,
    frozen: &[bool; N_TENSORS],
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
) {
    let update = AdamWUpdate::new(hyper, t);
    for r in trained_ranges(cfg, frozen) {
        update.apply(
            &mut params[r.clone()],
            &grads[r.clone()],
            &mut m[r.clone()],
            &mut v[r],
        );
    }
}

/// The element ranges AdamW updates: those of every tensor not marked in `frozen`.
pub fn trained_ranges(
    cfg: &ModelConfig,
    frozen: &[bool; N_TENSORS],
) -> impl Iterator<Item = Range<usize>> {
    let frozen = *frozen;
    cfg.tensors()
        .into_iter()
        .filter(move |info| !frozen[info.param as usize])
        .map(|info| info.range())
}

/// The scalars of AdamW step `t` (1, 2, …), rounded to f32 from f64 as PyTorch does.
#[derive(Debug, Clone, Copy)]
pub struct AdamWUpdate {
    decay: f32,
    one_m_b1: f32,
    b2: f32,
    one_m_b2: f32,
    neg_step: f32,
    bc2_sqrt: f32,
    eps: f32,
}

impl AdamWUpdate {
    pub fn new(hyper: &AdamWConfig, t: u64) -> Self {
        let t = t.max(1);
        let bc1 = 1.0 - libm::pow(hyper.beta1, t as f64);
        let bc2 = 1.0 - libm::pow(hyper.beta2, t as f64);
        AdamWUpdate {
            decay: (1.0 - hyper.lr * hyper.weight_decay) as f32,
            one_m_b1: (1.0 - hyper.beta1) as f32,
            b2: hyper.beta2 as f32,
            one_m_b2: (1.0 - hyper.beta2) as f32,
            neg_step: (-(hyper.lr / bc1)) as f32,
            bc2_sqrt: libm::sqrt(bc2) as f32,
            eps: hyper.eps as f32,
        }
    }

    /// Updates each element of equal-length slices, in f32:
    /// `θ ← θ·(1 − lr·wd)`; `m ← m + (1−β1)(g − m)`; `v ← β2·v + (1−β2)·g·g`;
    /// `θ ← θ − (lr/(1−β1^t))·m / (√v/√(1−β2^t) + eps)`.
    pub fn apply(&self, params: &mut [f32], grads: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.apply_with(libm::sqrtf, params, grads, m, v);
    }

    /// [`apply`](Self::apply) with another square root. IEEE 754 rounds sqrt correctly, as
    /// `libm::sqrtf` does, so any conforming one gives the same bits; a host may pass one
    /// that its compiler vectorises (std's `f32::sqrt`).
    #[inline(always)]
    pub fn apply_with(
        &self,
        sqrt: impl Fn(f32) -> f32,
        params: &mut [f32],
        grads: &[f32],
        m: &mut [f32],
        v: &mut [f32],
    ) {
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m).zip(v) {
            *p *= self.decay;
            *m += self.one_m_b1 * (g - *m);
            *v = *v * self.b2 + self.one_m_b2 * g * g;
            let denom = sqrt(*v) / self.bc2_sqrt + self.eps;
            *p += self.neg_step * *m / denom;
        }
    }
}
