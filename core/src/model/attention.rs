//! Causal multi-head attention, read only at the last position (SPEC §3).
//!
//! With no positional embedding, `q`, `k`, `v` and the head output `o = W_O[:, h] v` depend only
//! on the token, so they are computed once per vocabulary token per step
//! ([`attention_tokens_qkv`], [`attention_tokens_o`]), and their gradients are accumulated per
//! token over the batch and turned into weight gradients once (`attention_tokens_dv`,
//! `attention_w_*_grad`, `attention_tokens_de`). The token-level kernels work on a range of rows
//! so that a runner may split them; every element is the same sum whatever the split.
use super::config::ModelConfig;
use super::linalg::{add_assign, axpy, gemm_acc};
use crate::Real;
use crate::data::Example;
use core::ops::Range;

/// Rows `rows` (tokens) of `q = e W_Q^T` (or K, V: pass that weight's transpose):
/// `q[t][h] = W_Q[h] e_t`. e: [d_vocab, d_model]; w_t: [d_model, n_heads·d_head];
/// out: the rows' [len, n_heads·d_head], zeroed.
pub fn attention_tokens_qkv<T: Real>(
    cfg: &ModelConfig,
    e: &[T],
    w_t: &[T],
    out: &mut [T],
    rows: Range<usize>,
) {
    let (d, hd) = (cfg.d_model, cfg.n_heads * cfg.d_head);
    gemm_acc(
        out,
        hd,
        &e[rows.start * d..],
        d,
        1,
        w_t,
        hd,
        rows.len(),
        hd,
        d,
    );
}

/// Rows `rows` (tokens) of the head outputs `o[t][h] = W_O[:, h·d_head..] v[t][h]`.
/// v: [d_vocab, n_heads, d_head]; w_o_t: `W_O^T` [n_heads·d_head, d_model];
/// out: the rows' [len, n_heads, d_model], zeroed.
pub fn attention_tokens_o<T: Real>(
    cfg: &ModelConfig,
    v: &[T],
    w_o_t: &[T],
    out: &mut [T],
    rows: Range<usize>,
) {
    let (d, h_n, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let hd = h_n * dh;
    for h in 0..h_n {
        gemm_acc(
            &mut out[h * d..],
            h_n * d,
            &v[rows.start * hd + h * dh..],
            hd,
            1,
            &w_o_t[h * dh * d..],
            d,
            rows.len(),
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

/// Columns per block of the chunk kernels below: a block of a token table ([n_x, CB]) and of
/// its gradient sums stay in L2 while every example of the chunk passes over them.
const CB: usize = 64;

/// A linear map f of the residual at position 2, for each example of a chunk:
/// `f(r) = f(e[t2]) + Σ_h Σ_j a[h][j] f(o[tj][h])` (h, then j ascending), read from the token
/// table `[f(e); f(o)]` ([d_vocab·(1 + n_heads), width]). With f = W_in it gives the MLP's
/// pre-activation, with f = W_U^T the logits' residual part. a: [n, n_heads, 3];
/// out: [n, width].
pub fn attention_mix<T: Real>(
    cfg: &ModelConfig,
    examples: &[Example],
    a: &[T],
    table: &[T],
    out: &mut [T],
    width: usize,
) {
    let h3 = cfg.n_heads * 3;
    for c0 in (0..width).step_by(CB) {
        let cols = c0..(c0 + CB).min(width);
        let row = |r: usize| &table[r * width + cols.start..r * width + cols.end];
        for (i, ex) in examples.iter().enumerate() {
            let o = &mut out[i * width + cols.start..i * width + cols.end];
            o.copy_from_slice(row(ex.tokens[2] as usize));
            for h in 0..cfg.n_heads {
                for (j, &t) in ex.tokens.iter().enumerate() {
                    axpy_cb(o, a[i * h3 + h * 3 + j], row(o_row(cfg, t, h)));
                }
            }
        }
    }
}

/// [`axpy`] with a fixed-length body for full column blocks, so the short rows of the chunk
/// kernels run without loop bookkeeping; the same operations either way.
#[inline(always)]
fn axpy_cb<T: Real>(y: &mut [T], a: T, x: &[T]) {
    match (<&mut [T; CB]>::try_from(&mut *y), <&[T; CB]>::try_from(x)) {
        (Ok(y), Ok(x)) => {
            for j in 0..CB {
                y[j] += a * x[j];
            }
        }
        _ => axpy(y, a, x),
    }
}

/// [`add_assign`] with a fixed-length body for full column blocks.
#[inline(always)]
fn add_cb<T: Real>(y: &mut [T], x: &[T]) {
    match (<&mut [T; CB]>::try_from(&mut *y), <&[T; CB]>::try_from(x)) {
        (Ok(y), Ok(x)) => {
            for j in 0..CB {
                y[j] += x[j];
            }
        }
        _ => add_assign(y, x),
    }
}

/// `s[r] += Σ_i x[i]·y_r[i]` for six rows, i ascending; the six sums are interleaved.
#[inline(always)]
fn dot6_acc<T: Real>(s: &mut [T; 6], x: &[T], y: [&[T]; 6]) {
    if let Ok(x) = <&[T; CB]>::try_from(x) {
        let y: [&[T; CB]; 6] = y.map(|r| r[..CB].try_into().expect("CB columns"));
        let mut t = *s;
        for i in 0..CB {
            let xi = x[i];
            for r in 0..6 {
                t[r] += xi * y[r][i];
            }
        }
        *s = t;
        return;
    }
    let n = x.len();
    let (y0, y1, y2, y3, y4, y5) = (
        &y[0][..n],
        &y[1][..n],
        &y[2][..n],
        &y[3][..n],
        &y[4][..n],
        &y[5][..n],
    );
    let mut t = *s;
    for i in 0..n {
        let xi = x[i];
        t[0] += xi * y0[i];
        t[1] += xi * y1[i];
        t[2] += xi * y2[i];
        t[3] += xi * y3[i];
        t[4] += xi * y4[i];
        t[5] += xi * y5[i];
    }
    *s = t;
}

/// `s[r] += Σ_i x[i]·y_r[i]` for three rows, i ascending.
#[inline(always)]
fn dot3_acc<T: Real>(s: &mut [T; 3], x: &[T], y: [&[T]; 3]) {
    let n = x.len();
    let (y0, y1, y2) = (&y[0][..n], &y[1][..n], &y[2][..n]);
    let mut t = *s;
    for i in 0..n {
        let xi = x[i];
        t[0] += xi * y0[i];
        t[1] += xi * y1[i];
        t[2] += xi * y2[i];
    }
    *s = t;
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

/// Backward of a chunk of examples at position 2, given `dlogits` ([n, d_vocab]) and `dm`
/// (dm_pre, [n, d_mlp]). The residual's gradient `dr = W_U dlogits + W_in^T dm` is never formed:
/// its dot with `o[tj][h]` is `da[h][j] = l[o row]·dlogits + p[o row]·dm`, one sum over the
/// d_vocab terms then the d_mlp terms (tables `l = [W_U^T e; W_U^T o]`, `p = [W_in e; W_in o]`),
/// and its per-token sums stay in the logit and MLP spaces: `dlogits` and `dm` are added into
/// row t2 of lg and g, then `a[h][j]·dlogits` and `a[h][j]·dm` into the (tj, h) rows, example by
/// example. Through the softmax, `ds_j = a_j (da_j − Σ_i a_i da_i) / √d_head` goes into
/// `dq[t2][h]` (times k) and `dk[tj][h]` (times q). a, da: [n, n_heads, 3].
#[allow(clippy::too_many_arguments)]
pub fn attention_backward<T: Real>(
    cfg: &ModelConfig,
    examples: &[Example],
    q: &[T],
    k: &[T],
    [l, p]: [&[T]; 2],
    a: &[T],
    dlogits: &[T],
    dm: &[T],
    da: &mut [T],
    g: &mut TokenGrads<'_, T>,
) {
    let (h_n, dh) = (cfg.n_heads, cfg.d_head);
    let h3 = h_n * 3;
    let n = examples.len();
    let (v, m) = (dlogits.len() / n.max(1), dm.len() / n.max(1));
    let da = &mut da[..n * h3];
    da.fill(T::ZERO);
    for (table, grad, width) in [(l, dlogits, v), (p, dm, m)] {
        for c0 in (0..width).step_by(CB) {
            let cols = c0..(c0 + CB).min(width);
            let row = |r: usize| &table[r * width + cols.start..r * width + cols.end];
            for (i, ex) in examples.iter().enumerate() {
                let gi = &grad[i * width + cols.start..i * width + cols.end];
                let da_i = &mut da[i * h3..(i + 1) * h3];
                // Heads in pairs: six independent sums in flight keep both adders busy.
                for h0 in (0..h_n).step_by(2) {
                    if h0 + 1 < h_n {
                        let rows: [usize; 6] =
                            core::array::from_fn(|r| o_row(cfg, ex.tokens[r % 3], h0 + r / 3));
                        let s: &mut [T; 6] =
                            (&mut da_i[h0 * 3..h0 * 3 + 6]).try_into().expect("6 sums");
                        dot6_acc(s, gi, rows.map(row));
                    } else {
                        let rows = ex.tokens.map(|t| o_row(cfg, t, h0));
                        let s: &mut [T; 3] =
                            (&mut da_i[h0 * 3..h0 * 3 + 3]).try_into().expect("3 sums");
                        dot3_acc(s, gi, rows.map(row));
                    }
                }
            }
        }
    }
    for (acc, grad, width) in [(&mut *g.lg, dlogits, v), (&mut *g.g, dm, m)] {
        for c0 in (0..width).step_by(CB) {
            let cols = c0..(c0 + CB).min(width);
            for (i, ex) in examples.iter().enumerate() {
                let gi = &grad[i * width + cols.start..i * width + cols.end];
                let at = |r: usize| r * width + cols.start..r * width + cols.end;
                add_cb(&mut acc[at(ex.tokens[2] as usize)], gi);
                for h in 0..h_n {
                    for (j, &t) in ex.tokens.iter().enumerate() {
                        axpy_cb(&mut acc[at(o_row(cfg, t, h))], a[i * h3 + h * 3 + j], gi);
                    }
                }
            }
        }
    }
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    for (i, ex) in examples.iter().enumerate() {
        let tokens = ex.tokens;
        let t2 = tokens[2] as usize;
        for h in 0..h_n {
            let a_h = &a[i * h3 + h * 3..i * h3 + h * 3 + 3];
            let d = &da[i * h3 + h * 3..i * h3 + h * 3 + 3];
            let sum_ad = a_h[0] * d[0] + a_h[1] * d[1] + a_h[2] * d[2];
            let ds = [
                a_h[0] * (d[0] - sum_ad) / sqrt_dh,
                a_h[1] * (d[1] - sum_ad) / sqrt_dh,
                a_h[2] * (d[2] - sum_ad) / sqrt_dh,
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
}

/// Rows `rows` (tokens) of `dv[t][h] = W_O[:, h]^T d_o[t][h]`. d_o: [d_vocab, n_heads,
/// d_model]; w_o: [d_model, n_heads·d_head]; out: [len, n_heads, d_head], zeroed.
pub fn attention_tokens_dv<T: Real>(
    cfg: &ModelConfig,
    d_o: &[T],
    w_o: &[T],
    out: &mut [T],
    rows: Range<usize>,
) {
    let (d, h_n, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let hd = h_n * dh;
    for h in 0..h_n {
        gemm_acc(
            &mut out[h * dh..],
            hd,
            &d_o[rows.start * h_n * d + h * d..],
            h_n * d,
            1,
            &w_o[h * dh..],
            hd,
            rows.len(),
            dh,
            d,
        );
    }
}

/// Rows `rows` (of d_model) of `dW_O[:, h] = Σ_t d_o[t][h] ⊗ v[t][h]`, t ascending.
/// out: [len, n_heads·d_head], zeroed.
pub fn attention_w_o_grad<T: Real>(
    cfg: &ModelConfig,
    d_o: &[T],
    v: &[T],
    out: &mut [T],
    rows: Range<usize>,
) {
    let (d, h_n, dh, voc) = (cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_vocab);
    let hd = h_n * dh;
    for h in 0..h_n {
        gemm_acc(
            &mut out[h * dh..],
            hd,
            &d_o[h * d + rows.start..],
            1,
            h_n * d,
            &v[h * dh..],
            hd,
            rows.len(),
            dh,
            voc,
        );
    }
}

/// Rows `rows` (of n_heads·d_head) of `dW_Q[h] = Σ_t dq[t][h] ⊗ e_t`, t ascending (the same for
/// K and V). dq: [d_vocab, n_heads·d_head]; e: [d_vocab, d_model]; out: [len, d_model], zeroed.
pub fn attention_w_qkv_grad<T: Real>(
    cfg: &ModelConfig,
    dq: &[T],
    e: &[T],
    out: &mut [T],
    rows: Range<usize>,
) {
    let (d, hd, voc) = (cfg.d_model, cfg.n_heads * cfg.d_head, cfg.d_vocab);
    gemm_acc(out, d, &dq[rows.start..], 1, hd, e, d, rows.len(), d, voc);
}

/// Rows `rows` (tokens) of the embedding's gradient: `de_in[t]` (the residual's share) then
/// `+ W_Q^T dq[t] + W_K^T dk[t] + W_V^T dv[t]`, added Q, then K, then V.
/// w: W_Q, W_K, W_V as stored; d_qkv: dq, dk, dv [d_vocab, n_heads·d_head];
/// out: [len, d_model].
pub fn attention_tokens_de<T: Real>(
    cfg: &ModelConfig,
    de_in: &[T],
    w: [&[T]; 3],
    d_qkv: [&[T]; 3],
    out: &mut [T],
    rows: Range<usize>,
) {
    let (d, hd) = (cfg.d_model, cfg.n_heads * cfg.d_head);
    out.copy_from_slice(&de_in[rows.start * d..rows.end * d]);
    for (w_x, src) in w.into_iter().zip(d_qkv) {
        gemm_acc(
            out,
            d,
            &src[rows.start * hd..],
            hd,
            1,
            w_x,
            d,
            rows.len(),
            d,
            hd,
        );
    }
}
