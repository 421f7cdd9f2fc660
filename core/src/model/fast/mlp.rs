//! The MLP at the last position, with `W_in` folded into the per-token tables (SPEC §3 fast
//! path). The residual stream before the MLP is `r = e[t2] + Σ_h Σ_j a[h][j] o[tj][h]`, so
//! `W_in r = p[t2] + Σ_h Σ_j a[h][j] p[tj, h]` with the per-token table `p = [W_in e; W_in o]`:
//! the [d_mlp × d_model] product runs once per token and step instead of once per example, and
//! for the o rows it is `(W_in W_O[:, h]) v[t][h]`, d_head deep (see `attention`).
//! `m = ReLU(W_in r)` then feeds the logits through the neuron-logit map (see `unembed`).
use super::linalg::{gemm_acc, gemm_set};
use crate::Real;

/// `p[t][i] = Σ_c e[t][c]·W_in[i][c]` for the tokens `rows`: the e part of the MLP's token
/// table (its o part comes through the head-output map, `attention_tokens_o_table`).
/// e: [d_vocab, d_model]; w_in_t: `W_in^T` [d_model, d_mlp]; p: the rows' [len, d_mlp], written.
pub fn mlp_tokens_forward<T: Real>(
    e: &[T],
    w_in_t: &[T],
    p: &mut [T],
    rows: core::ops::Range<usize>,
    [d, m]: [usize; 2],
) {
    let n = rows.len();
    gemm_set(p, m, &e[rows.start * d..], d, 1, w_in_t, m, n, m, d);
}

/// From the per-token sums `g[row] = Σ dm_pre` over the uses of each token-table row, for the
/// rows `rows` (of d_model) of `dW_in^T` ([len, d_mlp], written):
/// `dW_in^T[c][i] = Σ_t e[t][c]·g_e[t][i]` (the e rows, t ascending) then
/// `+ Σ_j W_O[c][j]·dmap_t[j][i]` (through the head-output map `W_in W_O`, j ascending).
/// e: [d_vocab, d_model]; g_e: [d_vocab, d_mlp] with rows `ld_e` apart; w_o: [d_model, n_heads·d_head]; dmap_t: the
/// map's gradient, transposed [n_heads·d_head, d_mlp].
#[allow(clippy::too_many_arguments)]
pub fn mlp_weight_grads_t<T: Real>(
    e: &[T],
    (g_e, ld_e): (&[T], usize),
    w_o: &[T],
    dmap_t: &[T],
    d_w_in_t: &mut [T],
    rows: core::ops::Range<usize>,
    [voc, d, hd, m]: [usize; 4],
) {
    let n = rows.len();
    gemm_set(d_w_in_t, m, &e[rows.start..], 1, d, g_e, ld_e, n, m, voc);
    gemm_acc(
        d_w_in_t,
        m,
        &w_o[rows.start * hd..],
        hd,
        1,
        dmap_t,
        m,
        n,
        m,
        hd,
    );
}

/// `de[t] = W_in^T g_e[t]` ([len, d_model], written) for the tokens `rows`: the MLP's share of
/// the embedding's gradient through the residual. g_e: [d_vocab, d_mlp] with rows `ld_e` apart,
/// w_in: [d_mlp, d_model].
pub fn mlp_tokens_backward<T: Real>(
    (g_e, ld_e): (&[T], usize),
    w_in: &[T],
    de: &mut [T],
    rows: core::ops::Range<usize>,
    [d, m]: [usize; 2],
) {
    gemm_set(
        de,
        d,
        &g_e[rows.start * ld_e..],
        ld_e,
        1,
        w_in,
        d,
        rows.len(),
        d,
        m,
    );
}
