//! Unembedding at the last position, over a block of n examples: `logits = W_U^T r'`.
//! `[n, d, v]` is (examples, d_model, d_vocab).
use super::linalg::gemm_acc;
use crate::Real;

/// `logits[e][z] = Σ_c r'[e][c]·W_U[c][z]`. rr: [n, d_model], w_u: [d_model, d_vocab],
/// logits: [n, d_vocab].
pub fn unembed_forward<T: Real>(rr: &[T], w_u: &[T], logits: &mut [T], [n, d, v]: [usize; 3]) {
    let logits = &mut logits[..n * v];
    logits.fill(T::ZERO);
    gemm_acc(logits, v, rr, d, 1, w_u, v, n, v, d);
}

/// `dr'[e][c] = Σ_z dlogits[e][z]·W_U^T[z][c]`. dlogits: [n, d_vocab], w_u_t: [d_vocab, d_model],
/// drr: [n, d_model].
pub fn unembed_backward<T: Real>(dlogits: &[T], w_u_t: &[T], drr: &mut [T], [n, d, v]: [usize; 3]) {
    let drr = &mut drr[..n * d];
    drr.fill(T::ZERO);
    gemm_acc(drr, d, dlogits, v, 1, w_u_t, d, n, d, v);
}

/// `dW_U[c][z] += Σ_e r'[e][c]·dlogits[e][z]` over a block of n examples, e ascending.
/// rr: [n, d_model], dlogits: [n, d_vocab], d_w_u: [d_model, d_vocab].
pub fn unembed_weight_grads<T: Real>(
    rr: &[T],
    dlogits: &[T],
    d_w_u: &mut [T],
    [n, d, v]: [usize; 3],
) {
    gemm_acc(d_w_u, v, rr, 1, d, dlogits, v, d, v, n);
}
