//! The MLP sublayer at the last position: `m = ReLU(W_in r)`, `r' = r + W_out m`.
use super::linalg::{outer_acc, vec_mat};
use crate::Real;

/// r: [d_model], w_in_t: [d_model, d_mlp] (`W_in^T`), w_out_t: [d_mlp, d_model] (`W_out^T`),
/// m: [d_mlp], rr: [d_model].
pub fn mlp_forward<T: Real>(r: &[T], w_in_t: &[T], w_out_t: &[T], m: &mut [T], rr: &mut [T]) {
    vec_mat::<T, false>(m, r, w_in_t);
    for mi in m.iter_mut() {
        if !(*mi > T::ZERO) {
            *mi = T::ZERO;
        }
    }
    vec_mat::<T, true>(rr, m, w_out_t);
    for (o, &ri) in rr.iter_mut().zip(r) {
        *o = ri + *o;
    }
}

/// From `dr'` to `dm_pre = (W_out^T dr') ⊙ [m > 0]` (written to `dm`) and
/// `dr = dr' + W_in^T dm_pre`. w_out: [d_model, d_mlp], w_in: [d_mlp, d_model].
pub fn mlp_backward<T: Real>(
    drr: &[T],
    m: &[T],
    w_in: &[T],
    w_out: &[T],
    dm: &mut [T],
    dr: &mut [T],
) {
    vec_mat::<T, false>(dm, drr, w_out);
    for (d, &mi) in dm.iter_mut().zip(m) {
        if !(mi > T::ZERO) {
            *d = T::ZERO;
        }
    }
    vec_mat::<T, true>(dr, dm, w_in);
    for (o, &g) in dr.iter_mut().zip(drr) {
        *o = g + *o;
    }
}

/// Over a block of n examples: `dW_out[c][i] += Σ_e dr'[e][c]·m[e][i]` and
/// `dW_in[i][c] += Σ_e dm_pre[e][i]·r[e][c]`.
/// drr, r: [n, d_model]; m, dm: [n, d_mlp]; d_w_out: [d_model, d_mlp]; d_w_in: [d_mlp, d_model].
pub fn mlp_weight_grads<T: Real>(
    drr: &[T],
    m: &[T],
    dm: &[T],
    r: &[T],
    d_w_out: &mut [T],
    d_w_in: &mut [T],
    n: usize,
) {
    outer_acc::<T, false>(d_w_out, drr, m, n);
    outer_acc::<T, true>(d_w_in, dm, r, n);
}
