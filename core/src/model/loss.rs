//! Cross-entropy over all d_vocab classes, in f64 from f32 logits
//! (the reference's `cross_entropy_high_precision`, SPEC §4).
use crate::Real;
use crate::exp::exp_each;

/// Loss of one example and whether its argmax (first maximum) is the label:
/// `loss = log Σ_z exp(l_z − max) + max − l_label`, all in f64.
/// With `dlogits`, also writes `dL/dl_z = (softmax_z − [z = label]) · scale` rounded to `T`,
/// where `softmax_z = exp(l_z − max) / Σ exp(l − max)` and `scale` is the example's weight in the total loss (1 / examples in its task).
pub fn cross_entropy<T: Real>(
    logits: &[T],
    label: usize,
    scale: f64,
    dlogits: Option<&mut [T]>,
) -> (f64, bool) {
    cross_entropy_in(logits, label, scale, dlogits, &mut [0.0; EXP_BUF])
}

/// [`cross_entropy`] with its exponentials kept in `ex` (at least [`EXP_BUF`] long; a caller
/// looping over examples zeroes it once rather than once per example). The same bits.
pub(crate) fn cross_entropy_in<T: Real>(
    logits: &[T],
    label: usize,
    scale: f64,
    dlogits: Option<&mut [T]>,
    ex: &mut [f64; EXP_BUF],
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
    // exp(l_z − max) is kept for the softmax when the vocabulary fits the stack buffer, so each
    // logit costs one exp, several at a time (`exp_each`, libm's bits); larger vocabularies
    // recompute it, to the same bits.
    let keep = logits.len() <= EXP_BUF;
    let mut sum = 0.0f64;
    if keep {
        let ex = &mut ex[..logits.len()];
        for (e, &l) in ex.iter_mut().zip(logits) {
            *e = l.to_f64() - mx64;
        }
        exp_each(ex);
        for &e in ex.iter() {
            sum += e;
        }
    } else {
        for &l in logits {
            sum += libm::exp(l.to_f64() - mx64);
        }
    }
    let log_sum = libm::log(sum);
    let loss = log_sum + mx64 - logits[label].to_f64();
    if let Some(dl) = dlogits {
        for (z, (g, &l)) in dl.iter_mut().zip(logits).enumerate() {
            let p = if keep {
                ex[z] / sum
            } else {
                libm::exp(l.to_f64() - mx64) / sum
            };
            let y = if z == label { 1.0 } else { 0.0 };
            *g = T::from_f64((p - y) * scale);
        }
    }
    (loss, arg == label)
}

/// Logits up to this many keep their exponentials on the stack (2 KiB).
pub(crate) const EXP_BUF: usize = 256;
