//! Cross-entropy over all d_vocab classes, in f64 from f32 logits
//! (the reference's `cross_entropy_high_precision`, SPEC §4).
use crate::Real;

/// Loss of one example and whether its argmax (first maximum) is the label:
/// `loss = log Σ_z exp(l_z − max) + max − l_label`, all in f64.
/// With `dlogits`, also writes `dL/dl_z = (softmax_z − [z = label]) · scale` rounded to `T`,
/// where `scale` is the example's weight in the total loss (1 / examples in its task).
pub fn cross_entropy<T: Real>(
    logits: &[T],
    label: usize,
    scale: f64,
    dlogits: Option<&mut [T]>,
) -> (f64, bool) {
    let mut mx = logits[0];
    let mut arg = 0;
    for (z, &l) in logits.iter().enumerate() {
        if l > mx {
            mx = l;
            arg = z;
        }
    }
    let mx64 = mx.to_f64();
    let mut sum = 0.0f64;
    for &l in logits {
        sum += libm::exp(l.to_f64() - mx64);
    }
    let log_sum = libm::log(sum);
    let loss = log_sum + mx64 - logits[label].to_f64();
    if let Some(dl) = dlogits {
        for (z, (g, &l)) in dl.iter_mut().zip(logits).enumerate() {
            let p = libm::exp(l.to_f64() - mx64 - log_sum);
            let y = if z == label { 1.0 } else { 0.0 };
            *g = T::from_f64((p - y) * scale);
        }
    }
    (loss, arg == label)
}
