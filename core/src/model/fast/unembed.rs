//! Unembedding at the last position, `logits = W_U^T r'` with `r' = r + W_out m`, split as
//! `W_U^T r + (W_U^T W_out) m`. `W_U^T r` comes from the per-token table `l = [W_U^T e; W_U^T o]`
//! mixed by attention like `p` in `mlp`, and `W_U^T W_out` is the paper's neuron-logit map
//! [d_vocab, d_mlp], formed once per step. `[n, d, m, v]` is (examples, d_model, d_mlp, d_vocab).
use super::linalg::{
    gemm_acc, gemm_acc_packed, gemm_acc_packed_a, gemm_set, gemm_set_packed_masked,
};
#[cfg(doc)]
use super::linalg::{pack_a_blocks, pack_b_blocks};
use crate::Real;

/// `l[t][z] = Σ_c e[t][c]·W_U[c][z]` for the tokens `rows` ([len, d_vocab], written): the e part
/// of the logits' token table (its o part comes through the head-output map `W_U^T W_O`).
/// e: [d_vocab, d_model], w_u: [d_model, d_vocab].
pub fn unembed_tokens_forward<T: Real>(
    e: &[T],
    w_u: &[T],
    l: &mut [T],
    rows: core::ops::Range<usize>,
    [d, v]: [usize; 2],
) {
    gemm_set(l, v, &e[rows.start * d..], d, 1, w_u, v, rows.len(), v, d);
}

/// `neuron_logit_map[z][i] = Σ_c W_U[c][z]·W_out[c][i]` for the rows z in `rows` ([len, d_mlp],
/// written). w_u: [d_model, d_vocab], w_out: [d_model, d_mlp].
pub fn neuron_logit_map_forward<T: Real>(
    w_u: &[T],
    w_out: &[T],
    nlm: &mut [T],
    rows: core::ops::Range<usize>,
    [d, m, v]: [usize; 3],
) {
    gemm_set(nlm, m, &w_u[rows.start..], 1, v, w_out, m, rows.len(), m, d);
}

/// `logits[e][z] += Σ_i m[e][i]·neuron_logit_map[z][i]`, i ascending, added to the attention
/// part already in `logits`. m: [n, d_mlp], rows `ld` apart; nlm_t_packed: the map's transpose
/// [d_mlp, d_vocab] as [`pack_b_blocks`] packs it.
pub fn unembed_forward<T: Real>(
    m: &[T],
    ld: usize,
    nlm_t_packed: &[T],
    logits: &mut [T],
    [n, _d, mm, v]: [usize; 4],
) {
    gemm_acc_packed(logits, v, m, ld, 1, nlm_t_packed, n, v, mm);
}

/// The gradient of the MLP's pre-activation, through the ReLU whose output is `mh`:
/// `dm[e][i] = [mh[e][i] > 0]·Σ_z dlogits[e][z]·neuron_logit_map[z][i]`, each sum from zero,
/// into dm: [n, d_mlp] (its old values are not read). mh: [n, d_mlp], rows `ld` apart;
/// nlm_packed: the map [d_vocab, d_mlp] as [`pack_b_blocks`] packs it.
pub fn unembed_backward<T: Real>(
    dlogits: &[T],
    nlm_packed: &[T],
    (mh, ld): (&[T], usize),
    dm: &mut [T],
    [n, _d, m, v]: [usize; 4],
) {
    gemm_set_packed_masked(dm, m, dlogits, v, 1, nlm_packed, (mh, ld), n, m, v);
}

/// `d_nlm_t[i][z] += Σ_e m[e][i]·dlogits[e][z]`, e ascending (with `fresh`, the sum from zero,
/// d_nlm_t neither read nor zeroed first): the gradient of the neuron-logit map (transposed,
/// [d_mlp, d_vocab]) over a block of n examples. m_t_packed: m^T [d_mlp, n] as
/// [`pack_a_blocks`] packs it.
pub fn neuron_logit_map_grad<T: Real>(
    m_t_packed: &[T],
    dlogits: &[T],
    d_nlm_t: &mut [T],
    [n, _d, mm, v]: [usize; 4],
    fresh: bool,
) {
    gemm_acc_packed_a(d_nlm_t, v, m_t_packed, dlogits, v, [mm, v, n], fresh);
}

/// For the rows `rows` of dW_U ([len, d_vocab], written):
/// `dW_U[c][z] = Σ_t e[t][c]·lg_e[t][z]` (the e rows of the token table, t ascending), then
/// `+ Σ_i W_out[c][i]·d_nlm_t[i][z]` (the neuron-logit map's share, i ascending), then
/// `+ Σ_j W_O[c][j]·dmap_t[j][z]` (the head-output map `W_U^T W_O`'s share, j ascending).
/// e: [d_vocab, d_model], lg_e: [d_vocab, d_vocab] with rows `ld_e` apart, w_out: [d_model, d_mlp], d_nlm_t: [d_mlp,
/// d_vocab], w_o: [d_model, n_heads·d_head], dmap_t: [n_heads·d_head, d_vocab].
#[allow(clippy::too_many_arguments)]
pub fn unembed_weight_grads<T: Real>(
    e: &[T],
    (lg_e, ld_e): (&[T], usize),
    [w_out, d_nlm_t]: [&[T]; 2],
    [w_o, dmap_t]: [&[T]; 2],
    d_w_u: &mut [T],
    rows: core::ops::Range<usize>,
    [d, m, v, hd]: [usize; 4],
) {
    let n = rows.len();
    gemm_set(d_w_u, v, &e[rows.start..], 1, d, lg_e, ld_e, n, v, v);
    gemm_acc(
        d_w_u,
        v,
        &w_out[rows.start * m..],
        m,
        1,
        d_nlm_t,
        v,
        n,
        v,
        m,
    );
    gemm_acc(
        d_w_u,
        v,
        &w_o[rows.start * hd..],
        hd,
        1,
        dmap_t,
        v,
        n,
        v,
        hd,
    );
}

/// `dW_out^T[i][c] = Σ_z d_nlm_t[i][z]·W_U^T[z][c]` for the rows i in `rows` ([len, d_model],
/// written); w_u_t: [d_vocab, d_model].
pub fn mlp_out_weight_grads_t<T: Real>(
    d_nlm_t: &[T],
    w_u_t: &[T],
    d_w_out_t: &mut [T],
    rows: core::ops::Range<usize>,
    [d, v]: [usize; 2],
) {
    gemm_set(
        d_w_out_t,
        d,
        &d_nlm_t[rows.start * v..],
        v,
        1,
        w_u_t,
        d,
        rows.len(),
        d,
        v,
    );
}

/// `de[t][c] += Σ_z lg_e[t][z]·W_U^T[z][c]` for the tokens `rows`: the logits' share of the
/// embedding's gradient through the residual, added after the MLP's. lg_e: [d_vocab, d_vocab]
/// with rows `ld_e` apart.
pub fn unembed_tokens_backward<T: Real>(
    (lg_e, ld_e): (&[T], usize),
    w_u_t: &[T],
    de: &mut [T],
    rows: core::ops::Range<usize>,
    [d, v]: [usize; 2],
) {
    gemm_acc(
        de,
        d,
        &lg_e[rows.start * ld_e..],
        ld_e,
        1,
        w_u_t,
        d,
        rows.len(),
        d,
        v,
    );
}
