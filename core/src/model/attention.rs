//! Causal multi-head attention, read only at the last position (SPEC §3).
//!
//! With no positional embedding, `q`, `k`, `v` and the head output `o = W_O[:, h] v` depend only
//! on the token, so they are computed once per vocabulary token per step
//! ([`attention_tokens_forward`]), and their gradients are accumulated per token over the batch
//! and turned into weight gradients once ([`attention_tokens_backward`]).
use super::config::ModelConfig;
use super::linalg::{add_assign, axpy, gemm_acc};
use crate::Real;

/// Per token t and head h: `q[t][h] = W_Q[h] e_t`, `k[t][h] = W_K[h] e_t`, `v[t][h] = W_V[h] e_t`
/// ([d_head] each) and `o[t][h] = W_O[:, h·d_head..] v[t][h]` ([d_model]), as GEMMs over all
/// tokens. e: [d_vocab, d_model]; w_qkv_t: the transposes `W_Q^T, W_K^T, W_V^T`, each
/// [d_model, n_heads·d_head]; w_o_t: `W_O^T` [n_heads·d_head, d_model];
/// q, k, v: [d_vocab, n_heads, d_head]; o: [d_vocab, n_heads, d_model].
#[allow(clippy::too_many_arguments)]
pub fn attention_tokens_forward<T: Real>(
    cfg: &ModelConfig,
    e: &[T],
    w_qkv_t: [&[T]; 3],
    w_o_t: &[T],
    q: &mut [T],
    k: &mut [T],
    v: &mut [T],
    o: &mut [T],
) {
    let (d, h_n, dh, voc) = (cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_vocab);
    let hd = h_n * dh;
    for (out, w_t) in [q, k, &mut *v].into_iter().zip(w_qkv_t) {
        out.fill(T::ZERO);
        gemm_acc(out, hd, e, d, 1, w_t, hd, voc, hd, d);
    }
    o.fill(T::ZERO);
    for h in 0..h_n {
        gemm_acc(
            &mut o[h * d..],
            h_n * d,
            &v[h * dh..],
            hd,
            1,
            &w_o_t[h * dh * d..],
            d,
            voc,
            d,
            dh,
        );
    }
}

/// Attention weights at position 2 of one example `[t0, t1, t2]`:
/// `a[h][j] = softmax_j(q[t2][h]·k[tj][h] / √d_head)`. a: [n_heads, 3].
pub fn attention_forward<T: Real>(
    cfg: &ModelConfig,
    tokens: [u16; 3],
    q: &[T],
    k: &[T],
    a: &mut [T],
) {
    let (h_n, dh) = (cfg.n_heads, cfg.d_head);
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    let t2 = tokens[2] as usize;
    for h in 0..h_n {
        let q_h = &q[(t2 * h_n + h) * dh..(t2 * h_n + h + 1) * dh];
        let k_at = |j: usize| (tokens[j] as usize * h_n + h) * dh;
        let mut s = dot3(q_h, [&k[k_at(0)..], &k[k_at(1)..], &k[k_at(2)..]]);
        for s_j in &mut s {
            *s_j = *s_j / sqrt_dh;
        }
        let mut mx = s[0];
        for &x in &s[1..] {
            if x > mx {
                mx = x;
            }
        }
        let ex = [(s[0] - mx).exp(), (s[1] - mx).exp(), (s[2] - mx).exp()];
        let sum = ex[0] + ex[1] + ex[2];
        for j in 0..3 {
            a[h * 3 + j] = ex[j] / sum;
        }
    }
}

/// Row of token t, head h in a token table `[f(e); f(o)]`: the e part has `d_vocab` rows, then
/// one row per (t, h).
#[inline(always)]
fn o_row(cfg: &ModelConfig, t: u16, h: usize) -> usize {
    cfg.d_vocab + t as usize * cfg.n_heads + h
}

/// A linear map f of the residual at position 2, `f(r) = f(e[t2]) + Σ_h Σ_j a[h][j] f(o[tj][h])`
/// (h, then j ascending), read from the token table `[f(e); f(o)]` ([d_vocab·(1 + n_heads),
/// width]). With f = W_in it gives the MLP's pre-activation, with f = W_U^T the logits' residual
/// part. out: [width].
pub fn attention_mix<T: Real>(
    cfg: &ModelConfig,
    tokens: [u16; 3],
    a: &[T],
    table: &[T],
    out: &mut [T],
) {
    let w = out.len();
    let t2 = tokens[2] as usize;
    out.copy_from_slice(&table[t2 * w..(t2 + 1) * w]);
    for h in 0..cfg.n_heads {
        for (j, &t) in tokens.iter().enumerate() {
            let row = o_row(cfg, t, h);
            axpy(out, a[h * 3 + j], &table[row * w..(row + 1) * w]);
        }
    }
}

/// `[x·y₀, x·y₁, x·y₂]` over `x.len()` terms, each summed i ascending from zero; the three
/// independent sums are interleaved so they do not wait on each other.
#[inline(always)]
fn dot3<T: Real>(x: &[T], y: [&[T]; 3]) -> [T; 3] {
    let n = x.len();
    let (y0, y1, y2) = (&y[0][..n], &y[1][..n], &y[2][..n]);
    let mut s = [T::ZERO; 3];
    for i in 0..n {
        s[0] += x[i] * y0[i];
        s[1] += x[i] * y1[i];
        s[2] += x[i] * y2[i];
    }
    s
}

/// Per-token gradient sums over the examples of a block, for the two token tables of
/// [`attention_mix`] and for q and k. g: [d_vocab·(1 + n_heads), d_mlp] (sums of dm_pre),
/// lg: [d_vocab·(1 + n_heads), d_vocab] (sums of dlogits); dq, dk: [d_vocab, n_heads, d_head].
pub struct TokenGrads<'a, T> {
    pub g: &'a mut [T],
    pub lg: &'a mut [T],
    pub dq: &'a mut [T],
    pub dk: &'a mut [T],
}

/// Backward of one example at position 2, given `dlogits` ([d_vocab]) and `dm` (dm_pre,
/// [d_mlp]). The residual's gradient is `dr = W_U dlogits + W_in^T dm`, never formed: its dot
/// with `o[tj][h]` is `da[h][j] = l[o row]·dlogits + p[o row]·dm` (tables `l = [W_U^T e; W_U^T o]`,
/// `p = [W_in e; W_in o]`), and its per-token sums stay in the logit and MLP spaces: `dlogits`
/// and `dm` are added into row t2 of lg and g, `a[h][j]·dlogits` and `a[h][j]·dm` into the
/// (tj, h) rows. Through the softmax, `ds_j = a_j (da_j − Σ_i a_i da_i) / √d_head` goes into
/// `dq[t2][h]` (times k) and `dk[tj][h]` (times q).
#[allow(clippy::too_many_arguments)]
pub fn attention_backward<T: Real>(
    cfg: &ModelConfig,
    tokens: [u16; 3],
    q: &[T],
    k: &[T],
    [l, p]: [&[T]; 2],
    a: &[T],
    dlogits: &[T],
    dm: &[T],
    g: &mut TokenGrads<'_, T>,
) {
    let (h_n, dh) = (cfg.n_heads, cfg.d_head);
    let (v, m) = (dlogits.len(), dm.len());
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    let t2 = tokens[2] as usize;
    add_assign(&mut g.lg[t2 * v..(t2 + 1) * v], dlogits);
    add_assign(&mut g.g[t2 * m..(t2 + 1) * m], dm);
    for h in 0..h_n {
        let rows = tokens.map(|t| o_row(cfg, t, h));
        let da_l = dot3(dlogits, rows.map(|r| &l[r * v..]));
        let da_p = dot3(dm, rows.map(|r| &p[r * m..]));
        let da = [da_l[0] + da_p[0], da_l[1] + da_p[1], da_l[2] + da_p[2]];
        for (j, &r) in rows.iter().enumerate() {
            axpy(&mut g.lg[r * v..(r + 1) * v], a[h * 3 + j], dlogits);
            axpy(&mut g.g[r * m..(r + 1) * m], a[h * 3 + j], dm);
        }
        let a_h = &a[h * 3..h * 3 + 3];
        let sum_ad = a_h[0] * da[0] + a_h[1] * da[1] + a_h[2] * da[2];
        let ds = [
            a_h[0] * (da[0] - sum_ad) / sqrt_dh,
            a_h[1] * (da[1] - sum_ad) / sqrt_dh,
            a_h[2] * (da[2] - sum_ad) / sqrt_dh,
        ];
        let q2 = (t2 * h_n + h) * dh..(t2 * h_n + h + 1) * dh;
        for (j, &t) in tokens.iter().enumerate() {
            let kj = (t as usize * h_n + h) * dh..(t as usize * h_n + h + 1) * dh;
            axpy(&mut g.dq[q2.clone()], ds[j], &k[kj]);
        }
        for (j, &t) in tokens.iter().enumerate() {
            let kj = (t as usize * h_n + h) * dh..(t as usize * h_n + h + 1) * dh;
            axpy(&mut g.dk[kj], ds[j], &q[q2.clone()]);
        }
    }
}

/// Weight gradients of attention from the per-token gradients of e, o, q and k, as GEMMs over
/// tokens (t ascending):
/// `dv[t][h] = W_O[:, h]^T d_o[t][h]`, `dW_O[:, h] = Σ_t d_o[t][h] ⊗ v[t][h]`,
/// `dW_Q[h] = Σ_t dq[t][h] ⊗ e_t` (same for K and V), and
/// `de[t] += Σ_h (W_Q[h]^T dq[t][h] + …K… + …V…)` added Q, then K, then V.
/// w: W_Q, W_K, W_V, W_O as stored; dv: [d_vocab, n_heads, d_head] scratch.
#[allow(clippy::too_many_arguments)]
pub fn attention_tokens_backward<T: Real>(
    cfg: &ModelConfig,
    w: [&[T]; 4],
    e: &[T],
    v: &[T],
    [de, d_o, dq, dk]: [&mut [T]; 4],
    dv: &mut [T],
    d_w_q: &mut [T],
    d_w_k: &mut [T],
    d_w_v: &mut [T],
    d_w_o: &mut [T],
) {
    let [w_q, w_k, w_v, w_o] = w;
    let (d, h_n, dh, voc) = (cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_vocab);
    let hd = h_n * dh;
    dv.fill(T::ZERO);
    d_w_o.fill(T::ZERO);
    for h in 0..h_n {
        gemm_acc(
            &mut dv[h * dh..],
            hd,
            &d_o[h * d..],
            h_n * d,
            1,
            &w_o[h * dh..],
            hd,
            voc,
            dh,
            d,
        );
        gemm_acc(
            &mut d_w_o[h * dh..],
            hd,
            &d_o[h * d..],
            1,
            h_n * d,
            &v[h * dh..],
            hd,
            d,
            dh,
            voc,
        );
    }
    for (d_w, src) in [(d_w_q, &*dq), (d_w_k, &*dk), (d_w_v, &*dv)] {
        d_w.fill(T::ZERO);
        gemm_acc(d_w, d, src, 1, hd, e, d, hd, d, voc);
    }
    for (w_x, src) in [(w_q, &*dq), (w_k, &*dk), (w_v, &*dv)] {
        gemm_acc(de, d, src, hd, 1, w_x, d, voc, d, hd);
    }
}
