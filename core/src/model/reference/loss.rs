//! Cross-entropy over all d_vocab classes, in f64 from the logits (SPEC §4; the reference's
//! `cross_entropy_high_precision`). The training loss weights each example by `scale`,
//! 1 / (examples of its task), so that it is the sum over tasks of each task's mean.
use crate::Real;
use crate::model::loss::TINY_GRAD;

/// `loss = log Σ_z exp(l_z − max) + max − l_label`, in f64, and whether the argmax (first
/// maximum) is the label. logits: [d_vocab].
pub fn loss_forward<T: Real>(logits: &[T], label: usize) -> (f64, bool) {
    let (mx, arg) = max_arg(logits);
    let mut sum = 0.0f64;
    for &l in logits {
        sum += libm::exp(l.to_f64() - mx);
    }
    (libm::log(sum) + mx - logits[label].to_f64(), arg == label)
}

/// `dlogits[z] = (softmax_z − [z = label])·scale`, computed in f64 and rounded to `T`, zero
/// where its magnitude is below [`TINY_GRAD`] (as the training step writes it).
/// logits, dlogits: [d_vocab] (written).
pub fn loss_backward<T: Real>(logits: &[T], label: usize, scale: f64, dlogits: &mut [T]) {
    let (mx, _) = max_arg(logits);
    let mut sum = 0.0f64;
    for &l in logits {
        sum += libm::exp(l.to_f64() - mx);
    }
    for (z, (g, &l)) in dlogits.iter_mut().zip(logits).enumerate() {
        let y = if z == label { 1.0 } else { 0.0 };
        let d = (libm::exp(l.to_f64() - mx) / sum - y) * scale;
        *g = T::from_f64(if d.abs() < TINY_GRAD { 0.0 } else { d });
    }
}

/// The largest logit, in f64, and its first index.
fn max_arg<T: Real>(logits: &[T]) -> (f64, usize) {
    let (mut mx, mut arg) = (logits[0], 0);
    for (z, &l) in logits.iter().enumerate() {
        if l > mx {
            (mx, arg) = (l, z);
        }
    }
    (mx.to_f64(), arg)
}
