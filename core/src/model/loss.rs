//! Cross-entropy over all d_vocab classes, in f64 from f32 logits
//! (the reference's `cross_entropy_high_precision`, SPEC §4).
use crate::Real;
use crate::exp::exp_each;

/// Loss of one example and whether its argmax (first maximum) is the label:
/// `loss = log Σ_z exp(l_z − max) + max − l_label`, all in f64.
/// With `dlogits`, also writes `dL/dl_z = (softmax_z − [z = label]) · scale` rounded to `T`,
/// where `softmax_z = exp(l_z − max) / Σ exp(l − max)` and `scale` is the example's weight in the total loss (1 / examples in its task),
/// and zero where `|dL/dl_z| <` [`TINY_GRAD`].
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
            let d = (p - y) * scale;
            *g = T::from_f64(if d.abs() < TINY_GRAD { 0.0 } else { d });
        }
    }
    (loss, arg == label)
}

/// 2⁻¹⁰⁰: a logit's gradient smaller than this is written as zero. Once a model has memorised
/// its train set, the softmax of a wrong class can fall to 1e-35 and below, and its gradient
/// rounds to a subnormal f32, which every product that reads the logits' gradients (the MLP's
/// gradient, the neuron-logit map's) then multiplies at a large cost per operation on x86 CPUs
/// (a tenth of a step on an AMD Zen 5). Below 2⁻¹⁰⁰ (8·10⁻³¹) such a term is negligible
/// against the label's own gradient in the same row; the rule is plain arithmetic on the f64
/// value, so it gives the same bits on every CPU, unlike a CPU's flush-to-zero mode.
pub const TINY_GRAD: f64 = 7.888_609_052_210_118e-31;

/// Logits up to this many keep their exponentials on the stack (2 KiB).
pub(crate) const EXP_BUF: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    /// The logits' gradient is `(softmax − [label]) · scale` rounded to f32, recomputed here in
    /// f64 term by term as the kernel sums it, except where that f64 value is below
    /// [`TINY_GRAD`] in magnitude, where it is +0; so no gap between logits gives a subnormal
    /// gradient. The gaps cover gradients kept far below 1e-25, gradients that round to f32
    /// subnormals without the rule, and gradients that underflow f32 altogether.
    #[test]
    fn tiny_logit_gradients_are_zero_and_none_is_subnormal() {
        let scale = 1.0 / 2822.0;
        let (mut zeroed, mut kept_tiny, mut were_subnormal) = (0, 0, 0);
        for gap in 0..160 {
            let logits: [f32; 8] = core::array::from_fn(|z| {
                -(gap as f32) * (0.5 + 0.1 * z as f32) * (z > 0) as u8 as f32
            });
            let mut dl = [f32::NAN; 8];
            cross_entropy(&logits, 0, scale, Some(&mut dl));
            let e: [f64; 8] = core::array::from_fn(|z| libm::exp(logits[z] as f64));
            let sum = e.iter().fold(0.0, |s, &x| s + x);
            for z in 0..8 {
                let d = (e[z] / sum - (z == 0) as u8 as f64) * scale;
                let want = if d.abs() < TINY_GRAD { 0.0 } else { d as f32 };
                assert_eq!(
                    dl[z].to_bits(),
                    want.to_bits(),
                    "gap {gap} class {z}: {d:e}"
                );
                assert!(!dl[z].is_subnormal(), "gap {gap} class {z}");
                zeroed += (d != 0.0 && want == 0.0) as u32;
                kept_tiny += (want != 0.0 && want.abs() < 1e-25) as u32;
                were_subnormal += (d as f32).is_subnormal() as u32;
            }
        }
        assert!(
            zeroed > 0 && kept_tiny > 0 && were_subnormal > 0,
            "{zeroed} {kept_tiny} {were_subnormal}"
        );
    }
}
