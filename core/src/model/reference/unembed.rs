//! Unembedding at the last position (SPEC §3): `logits = W_U^T r'_2`.
use crate::Real;

/// `logits[z] = Σ_c r[c]·W_U[c][z]`, c ascending.
/// r: [d_model], w_u: [d_model, d_vocab], logits: [d_vocab] (written).
pub fn unembed_forward<T: Real>(
    r: &[T],
    w_u: &[T],
    logits: &mut [T],
    [d_model, d_vocab]: [usize; 2],
) {
    for (z, l) in logits[..d_vocab].iter_mut().enumerate() {
        let mut acc = T::ZERO;
        for c in 0..d_model {
            acc += r[c] * w_u[c * d_vocab + z];
        }
        *l = acc;
    }
}

/// `dW_U[c][z] += r[c]·dlogits[z]`; `dr[c] += Σ_z W_U[c][z]·dlogits[z]`.
/// dlogits: [d_vocab], r: [d_model], w_u: [d_model, d_vocab]; d_w_u: [d_model, d_vocab] and
/// dr: [d_model] (added into).
pub fn unembed_backward<T: Real>(
    dlogits: &[T],
    r: &[T],
    w_u: &[T],
    d_w_u: &mut [T],
    dr: &mut [T],
    [d_model, d_vocab]: [usize; 2],
) {
    for c in 0..d_model {
        let mut acc = T::ZERO;
        for z in 0..d_vocab {
            d_w_u[c * d_vocab + z] += r[c] * dlogits[z];
            acc += w_u[c * d_vocab + z] * dlogits[z];
        }
        dr[c] += acc;
    }
}
