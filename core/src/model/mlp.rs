//! The MLP at the last position, with `W_in` folded into the per-token tables (SPEC §3 fast
//! path). The residual stream before the MLP is `r = e[t2] + Σ_h Σ_j a[h][j] o[tj][h]`, so
//! `W_in r = p[t2] + Σ_h Σ_j a[h][j] p[tj, h]` with the per-token table `p = [W_in e; W_in o]`:
//! the [d_mlp × d_model] product runs once per token and step instead of once per example.
//! `m = ReLU(W_in r)` then feeds the logits through the neuron-logit map (see `unembed`).
use super::linalg::gemm_set;
use crate::Real;

/// `p[row][i] = Σ_c x[row][c]·W_in[i][c]` for rows `rows` of the token table x = [e; o]
/// ([n_rows, d_model]); w_in_t: `W_in^T` [d_model, d_mlp]; p: the rows' [len, d_mlp], written.
pub fn mlp_tokens_forward<T: Real>(
    x: &[T],
    w_in_t: &[T],
    p: &mut [T],
    rows: core::ops::Range<usize>,
    [d, m]: [usize; 2],
) {
    let n = rows.len();
    gemm_set(p, m, &x[rows.start * d..], d, 1, w_in_t, m, n, m, d);
}

/// `dm ⊙= [m > 0]`, the backward of the ReLU given its output m (stored by `attention_mix`).
/// dm: [n, width]; m: the same shape with rows `ld` apart.
pub fn relu_backward<T: Real>(m: &[T], ld: usize, dm: &mut [T], width: usize) {
    for (dm, m) in dm.chunks_exact_mut(width).zip(m.chunks(ld)) {
        for (g, &mi) in dm.iter_mut().zip(&m[..width]) {
            *g = if mi > T::ZERO { *g } else { T::ZERO };
        }
    }
}

/// From the per-token sums `g[row] = Σ dm_pre` over the uses of table row `row`:
/// `dW_in[i][c] = Σ_row g[row][i]·x[row][c]` for the rows `rows` of dW_in ([len, d_model],
/// written), row of the token table ascending. g: [n_x, d_mlp], x: [n_x, d_model].
pub fn mlp_tokens_weight_grads<T: Real>(
    g: &[T],
    x: &[T],
    d_w_in: &mut [T],
    rows: core::ops::Range<usize>,
    [n_x, d, m]: [usize; 3],
) {
    gemm_set(d_w_in, d, &g[rows.start..], 1, m, x, d, rows.len(), d, n_x);
}

/// `dx[row] = W_in^T g[row]` ([len, d_model], written) for the token-table rows `rows`:
/// the MLP's share of the gradient of e and o. g: [n_x, d_mlp], w_in: [d_mlp, d_model].
pub fn mlp_tokens_backward<T: Real>(
    g: &[T],
    w_in: &[T],
    dx: &mut [T],
    rows: core::ops::Range<usize>,
    [d, m]: [usize; 2],
) {
    gemm_set(dx, d, &g[rows.start * m..], m, 1, w_in, d, rows.len(), d, m);
}
