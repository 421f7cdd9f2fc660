//! AdamW with PyTorch's semantics (`torch.optim.AdamW`, single-tensor CPU path), SPEC §4.
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
/// tensor is left untouched, moments included. Per element, in f32 with the scalars rounded
/// from f64 as PyTorch does:
/// `θ ← θ·(1 − lr·wd)`; `m ← m + (1−β1)(g − m)`; `v ← β2·v + (1−β2)·g·g`;
/// `θ ← θ − (lr/(1−β1^t))·m / (√v/√(1−β2^t) + eps)`.
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
    let t = t.max(1);
    let decay = (1.0 - hyper.lr * hyper.weight_decay) as f32;
    let one_m_b1 = (1.0 - hyper.beta1) as f32;
    let b2 = hyper.beta2 as f32;
    let one_m_b2 = (1.0 - hyper.beta2) as f32;
    let bc1 = 1.0 - libm::pow(hyper.beta1, t as f64);
    let bc2 = 1.0 - libm::pow(hyper.beta2, t as f64);
    let neg_step = (-(hyper.lr / bc1)) as f32;
    let bc2_sqrt = libm::sqrt(bc2) as f32;
    let eps = hyper.eps as f32;
    for info in cfg.tensors() {
        if frozen[info.param as usize] {
            continue;
        }
        let r = info.range();
        for (((p, &g), m), v) in params[r.clone()]
            .iter_mut()
            .zip(&grads[r.clone()])
            .zip(&mut m[r.clone()])
            .zip(&mut v[r])
        {
            *p *= decay;
            *m += one_m_b1 * (g - *m);
            *v = *v * b2 + one_m_b2 * g * g;
            let denom = libm::sqrtf(*v) / bc2_sqrt + eps;
            *p += neg_step * *m / denom;
        }
    }
}
