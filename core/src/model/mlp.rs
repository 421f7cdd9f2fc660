//! The MLP sublayer at the last position, over a block of n examples:
//! `m = ReLU(W_in r)`, `r' = r + W_out m`. `[n, d, h]` is (examples, d_model, d_mlp).
use super::linalg::gemm_acc;
use crate::Real;

/// r: [n, d_model], w_in_t: [d_model, d_mlp] (`W_in^T`), w_out_t: [d_mlp, d_model]
/// (`W_out^T`); writes m: [n, d_mlp] and rr (`r'`): [n, d_model].
pub fn mlp_forward<T: Real>(
    r: &[T],
    w_in_t: &[T],
    w_out_t: &[T],
    m: &mut [T],
    rr: &mut [T],
    [n, d, h]: [usize; 3],
) {
    let (m, rr, r) = (&mut m[..n * h], &mut rr[..n * d], &r[..n * d]);
    m.fill(T::ZERO);
    gemm_acc(m, h, r, d, 1, w_in_t, h, n, h, d);
    relu(m);
    rr.fill(T::ZERO);
    gemm_acc(rr, d, m, h, 1, w_out_t, d, n, d, h);
    for (o, &ri) in rr.iter_mut().zip(r) {
        *o = ri + *o;
    }
}

fn relu<T: Real>(x: &mut [T]) {
    for xi in x {
        if !(*xi > T::ZERO) {
            *xi = T::ZERO;
        }
    }
}

/// From `dr'` to `dm_pre = (W_out^T dr') ⊙ [m > 0]` (written to `dm`) and
/// `dr = dr' + W_in^T dm_pre`, for n examples. w_out: [d_model, d_mlp], w_in: [d_mlp, d_model];
/// drr, dr: [n, d_model]; m, dm: [n, d_mlp].
pub fn mlp_backward<T: Real>(
    drr: &[T],
    m: &[T],
    w_in: &[T],
    w_out: &[T],
    dm: &mut [T],
    dr: &mut [T],
    [n, d, h]: [usize; 3],
) {
    let (dm, dr, drr, m) = (
        &mut dm[..n * h],
        &mut dr[..n * d],
        &drr[..n * d],
        &m[..n * h],
    );
    dm.fill(T::ZERO);
    gemm_acc(dm, h, drr, d, 1, w_out, h, n, h, d);
    for (g, &mi) in dm.iter_mut().zip(m) {
        if !(mi > T::ZERO) {
            *g = T::ZERO;
        }
    }
    dr.fill(T::ZERO);
    gemm_acc(dr, d, dm, h, 1, w_in, d, n, d, h);
    for (o, &g) in dr.iter_mut().zip(drr) {
        *o = g + *o;
    }
}

/// Over a block of n examples: `dW_out[c][i] += Σ_e dr'[e][c]·m[e][i]` and
/// `dW_in[i][c] += Σ_e dm_pre[e][i]·r[e][c]`, e ascending.
/// drr, r: [n, d_model]; m, dm: [n, d_mlp]; d_w_out: [d_model, d_mlp]; d_w_in: [d_mlp, d_model].
pub fn mlp_weight_grads<T: Real>(
    drr: &[T],
    m: &[T],
    dm: &[T],
    r: &[T],
    d_w_out: &mut [T],
    d_w_in: &mut [T],
    [n, d, h]: [usize; 3],
) {
    gemm_acc(d_w_out, h, drr, 1, d, m, h, d, h, n);
    gemm_acc(d_w_in, d, dm, 1, h, r, d, h, d, n);
}
