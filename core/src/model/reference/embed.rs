//! Token embedding (SPEC §3): `x_s = W_E[:, t_s]` for s = 0, 1, 2.
use crate::Real;

/// `x[s][c] = W_E[c][t_s]`.
/// w_e: [d_model, d_vocab], tokens: [3], x: [3, d_model] (written).
pub fn embed_forward<T: Real>(
    w_e: &[T],
    tokens: [u16; 3],
    x: &mut [T],
    [d_model, d_vocab]: [usize; 2],
) {
    for (s, &t) in tokens.iter().enumerate() {
        for c in 0..d_model {
            x[s * d_model + c] = w_e[c * d_vocab + t as usize];
        }
    }
}

/// `dW_E[c][t_s] += dx[s][c]` for s = 0, 1, 2 in order (a token used twice gets both).
/// dx: [3, d_model], tokens: [3], d_w_e: [d_model, d_vocab] (added into).
pub fn embed_backward<T: Real>(
    dx: &[T],
    tokens: [u16; 3],
    d_w_e: &mut [T],
    [d_model, d_vocab]: [usize; 2],
) {
    for (s, &t) in tokens.iter().enumerate() {
        for c in 0..d_model {
            d_w_e[c * d_vocab + t as usize] += dx[s * d_model + c];
        }
    }
}
