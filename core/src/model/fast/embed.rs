//! Token embedding. The fast path reads `W_E` one token at a time, so it keeps `W_E^T`.
use crate::Real;

/// `e[t][c] = W_E[c][t]`. w_e: [d_model, d_vocab], e: [d_vocab, d_model].
pub fn embed_forward<T: Real>(w_e: &[T], e: &mut [T], d_model: usize, d_vocab: usize) {
    for t in 0..d_vocab {
        for c in 0..d_model {
            e[t * d_model + c] = w_e[c * d_vocab + t];
        }
    }
}

/// `dW_E[c][t] = de[t][c]`. de: [d_vocab, d_model], d_w_e: [d_model, d_vocab].
pub fn embed_backward<T: Real>(de: &[T], d_w_e: &mut [T], d_model: usize, d_vocab: usize) {
    for c in 0..d_model {
        for t in 0..d_vocab {
            d_w_e[c * d_vocab + t] = de[t * d_model + c];
        }
    }
}
