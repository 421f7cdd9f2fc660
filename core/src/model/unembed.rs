//! Unembedding at the last position: `logits = W_U^T r'`.
use super::linalg::{outer_acc, vec_mat};
use crate::Real;

/// `logits[z] = Σ_c r'[c]·W_U[c][z]`. rr: [d_model], w_u: [d_model, d_vocab], logits: [d_vocab].
pub fn unembed_forward<T: Real>(rr: &[T], w_u: &[T], logits: &mut [T]) {
    vec_mat::<T, false>(logits, rr, w_u);
}

/// `dr'[c] = Σ_z dlogits[z]·W_U^T[z][c]`. dlogits: [d_vocab], w_u_t: [d_vocab, d_model].
pub fn unembed_backward<T: Real>(dlogits: &[T], w_u_t: &[T], drr: &mut [T]) {
    vec_mat::<T, false>(drr, dlogits, w_u_t);
}

/// `dW_U[c][z] += Σ_e r'[e][c]·dlogits[e][z]` over a block of n examples.
/// rr: [n, d_model], dlogits: [n, d_vocab], d_w_u: [d_model, d_vocab].
pub fn unembed_weight_grads<T: Real>(rr: &[T], dlogits: &[T], d_w_u: &mut [T], n: usize) {
    outer_acc::<T, false>(d_w_u, rr, dlogits, n);
}
