//! Causal multi-head attention, read only at the last position (SPEC §3).
//!
//! With no positional embedding, `q`, `k`, `v` and the head output `o = W_O[:, h] v` depend only
//! on the token, so they are computed once per vocabulary token per step
//! ([`attention_tokens_qkv`]). A linear map `W_X` of o is read through the head-output map
//! `W_X W_O` ([`head_map_t`], [`attention_tokens_o_table`]), d_head wide rather than d_model, and
//! the gradients are accumulated per token over the batch and turned into weight gradients once
//! (`head_map_grad_t`, `attention_tokens_dv`, `attention_w_*_grad*`, `attention_tokens_de`).
//! The token-level kernels work on a range of rows so that a runner may split them; every
//! element is the same sum whatever the split. The backward's dots with the head-output tables
//! read a per-token copy with the heads innermost ([`attention_tokens_heads_inner`]), so that a
//! token's n_heads sums run as SIMD lanes.
use super::linalg::{axpy, gemm_acc, gemm_set};
use super::token_sums::o_sum_row;
use crate::Real;
use crate::data::Example;
use crate::model::config::ModelConfig;
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

/// Rows `rows` (of n_heads·d_head) of a head-output map's transpose `(W_X W_O)^T`, the map
/// that takes a head's value vector straight to `W_X` of its output `o = W_O[:, h] v`:
/// `out[j][i] = Σ_c W_O[c][j]·W_X^T[c][i]`, c ascending. w_o_t: `W_O^T` [n_heads·d_head,
/// d_model]; w_x_t: `W_X^T` [d_model, width] (`W_in^T` for the MLP's table, `W_U` itself for the
/// logits'); out: [len, width], written.
pub fn head_map_t<T: Real>(
    w_o_t: &[T],
    w_x_t: &[T],
    out: &mut [T],
    rows: Range<usize>,
    [d, width]: [usize; 2],
) {
    let n = rows.len();
    gemm_set(
        out,
        width,
        &w_o_t[rows.start * d..],
        d,
        1,
        w_x_t,
        width,
        n,
        width,
        d,
    );
}

/// Rows `rows` (tokens) of the o part of a token table, `f(o[t][h]) = (W_X W_O[:, h]) v[t][h]`:
/// `out[t][h][i] = Σ_k v[t][h][k]·map_t[h·d_head + k][i]`, k ascending. v: [d_vocab, n_heads,
/// d_head]; map_t: [`head_map_t`]'s [n_heads·d_head, width]; out: [len, n_heads, width],
/// written.
pub fn attention_tokens_o_table<T: Real>(
    cfg: &ModelConfig,
    v: &[T],
    map_t: &[T],
    out: &mut [T],
    rows: Range<usize>,
    width: usize,
) {
    let (h_n, dh) = (cfg.n_heads, cfg.d_head);
    let hd = h_n * dh;
    for h in 0..h_n {
        gemm_set(
            &mut out[h * width..],
            h_n * width,
            &v[rows.start * hd + h * dh..],
            hd,
            1,
            &map_t[h * dh * width..],
            width,
            rows.len(),
            width,
            dh,
        );
    }
}

/// Rows `rows` (of n_heads·d_head) of a head-output map's gradient, transposed:
/// `out[h·d_head + k][i] = Σ_t v[t][h][k]·g_o[t][h][i]`, t ascending, from the o rows of a token
/// table's token-major sums g [d_vocab, 1 + n_heads, width] (`token_sums`). out: [len, width],
/// written.
pub fn head_map_grad_t<T: Real>(
    cfg: &ModelConfig,
    v: &[T],
    g: &[T],
    out: &mut [T],
    rows: Range<usize>,
    width: usize,
) {
    let (h_n, dh, voc) = (cfg.n_heads, cfg.d_head, cfg.d_vocab);
    let hd = h_n * dh;
    for h in 0..h_n {
        let (r0, r1) = (rows.start.max(h * dh), rows.end.min((h + 1) * dh));
        if r0 >= r1 {
            continue;
        }
        gemm_set(
            &mut out[(r0 - rows.start) * width..],
            width,
            &v[r0..],
            1,
            hd,
            &g[o_sum_row(h_n, 0, h) * width..],
            (1 + h_n) * width,
            r1 - r0,
            width,
            voc,
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

/// Row of token t, head h in a token table `[f(e); f(o)]`: the e part has `d_vocab` rows, then
/// one row per (t, h).
#[inline(always)]
fn o_row(cfg: &ModelConfig, t: u16, h: usize) -> usize {
    cfg.d_vocab + t as usize * cfg.n_heads + h
}

/// Columns per block of the chunk kernels below: CB values of one output row stay in registers
/// while all of that row's terms are added. The blocks of a row are visited in order, so each
/// token row a kernel reads is streamed from start to end (which the hardware prefetches) rather
/// than visited one block at a time across a chunk's examples.
const CB: usize = 64;

/// Per-token copy of the o part of a token table with the heads innermost:
/// `out[t][c][h] = table[o_row(t, h)][c]`, so that one load reads a token's n_heads values of
/// column c (the lanes of [`attention_backward`]'s `da` sums). table: [d_vocab·(1 + n_heads),
/// width]; out: rows `rows` (tokens) of [d_vocab, width, n_heads].
pub fn attention_tokens_heads_inner<T: Real>(
    cfg: &ModelConfig,
    table: &[T],
    out: &mut [T],
    width: usize,
    rows: Range<usize>,
) {
    let h_n = cfg.n_heads;
    for (t, dst) in rows.zip(out.chunks_exact_mut(width * h_n)) {
        for h in 0..h_n {
            let r = o_row(cfg, t as u16, h) * width;
            for (d, &x) in dst[h..].iter_mut().step_by(h_n).zip(&table[r..r + width]) {
                *d = x;
            }
        }
    }
}

/// A linear map f of the residual at position 2, for each example of a chunk:
/// `f(r) = f(e[t2]) + Σ_h Σ_j a[h][j] f(o[tj][h])` (h, then j ascending), read from the token
/// table `[f(e); f(o)]` ([d_vocab·(1 + n_heads), width]). With f = W_in it gives the MLP's
/// pre-activation, with f = W_U^T the logits' residual part. With `relu`, each sum is stored
/// as `ReLU(sum)` (`!(x > 0)`, NaN included, gives 0). a: [n, n_heads, 3];
/// out: [n, width], rows `ld` apart.
#[allow(clippy::too_many_arguments)]
pub fn attention_mix<T: Real>(
    cfg: &ModelConfig,
    examples: &[Example],
    a: &[T],
    table: &[T],
    out: &mut [T],
    [width, ld]: [usize; 2],
    relu: bool,
) {
    let h3 = cfg.n_heads * 3;
    let mut at = [0usize; MIX_TERMS];
    for (i, ex) in examples.iter().enumerate() {
        let a_i = &a[i * h3..(i + 1) * h3];
        let o_at = |hj: usize| o_row(cfg, ex.tokens[hj % 3], hj / 3) * width;
        if h3 <= MIX_TERMS {
            for (hj, at) in at[..h3].iter_mut().enumerate() {
                *at = o_at(hj);
            }
        }
        for c0 in (0..width).step_by(CB) {
            let cols = c0..(c0 + CB).min(width);
            let first = &table[ex.tokens[2] as usize * width..][cols.clone()];
            let y = &mut out[i * ld..][cols.clone()];
            if h3 <= MIX_TERMS {
                let terms = a_i.iter().zip(&at[..h3]);
                let terms = terms.map(|(&w, &r)| (w, &table[r + cols.start..r + cols.end]));
                mix_block(y, first, terms, relu);
            } else {
                let terms = (0..h3).map(|hj| (a_i[hj], &table[o_at(hj)..][cols.clone()]));
                mix_block(y, first, terms, relu);
            }
        }
    }
}

/// Terms of a mix (3 per head) whose table offsets [`attention_mix`] works out once per
/// example rather than once per column block: up to 8 heads.
const MIX_TERMS: usize = 24;

/// `y = first + Σ a·x` over `terms`, one term after another, then with `relu` `y = ReLU(y)`.
/// A full column block of y stays in registers meanwhile, so it is written once; a narrower
/// one takes the same operations in memory.
#[inline(always)]
fn mix_block<'a, T: Real>(
    y: &mut [T],
    first: &[T],
    terms: impl Iterator<Item = (T, &'a [T])>,
    relu: bool,
) {
    let clamp = |x: T| if x > T::ZERO { x } else { T::ZERO };
    if let (Ok(y), Ok(first)) = (
        <&mut [T; CB]>::try_from(&mut *y),
        <&[T; CB]>::try_from(first),
    ) {
        let mut r = *first;
        for (a, x) in terms {
            let x: &[T; CB] = x.try_into().expect("CB columns");
            for c in 0..CB {
                r[c] += a * x[c];
            }
        }
        if relu {
            r = r.map(clamp);
        }
        *y = r;
        return;
    }
    y.copy_from_slice(first);
    for (a, x) in terms {
        axpy(y, a, x);
    }
    if relu {
        y.iter_mut().for_each(|v| *v = clamp(*v));
    }
}

/// `da[i][h][j] += Σ_c tt[tj][c][h]·x_i[c]` over the whole width, c ascending, for two
/// examples (tokens `toks`, gradient rows `xs`; pass one example twice for a single one),
/// with the `H` heads of a token as SIMD lanes and the six token rows as independent chains.
/// At H = 4 an example's three rows sit side by side in 12 lanes that share the example's
/// factor, which LLVM keeps in vector registers (written as six 4-lane chains, some of them
/// ended up as scalar code); each lane is still its own sum in c order.
/// tt: [d_vocab, width, H]; acc: the two examples' sums [2][j][h], updated.
#[inline(always)]
fn da_pair<T: Real, const H: usize>(
    toks: [[u16; 3]; 2],
    xs: [&[T]; 2],
    tt: &[T],
    width: usize,
    acc: &mut [[[T; H]; 3]; 2],
) {
    let row = |t: u16| {
        let at = t as usize * width * H;
        &tt[at..at + width * H].as_chunks::<H>().0[..width]
    };
    let [[r0, r1, r2], [s0, s1, s2]] = toks.map(|tk| tk.map(row));
    let [[mut a0, mut a1, mut a2], [mut b0, mut b1, mut b2]] = *acc;
    let (x0, x1, r0, r1, r2, s0, s1, s2) = (
        &xs[0][..width],
        &xs[1][..width],
        &r0[..width],
        &r1[..width],
        &r2[..width],
        &s0[..width],
        &s1[..width],
        &s2[..width],
    );
    if H == 4 {
        let join = |p: &[T; H], q: &[T; H], r: &[T; H]| -> [T; 12] {
            core::array::from_fn(|l| match l / H {
                0 => p[l % H],
                1 => q[l % H],
                _ => r[l % H],
            })
        };
        let mut acc12 = [join(&a0, &a1, &a2), join(&b0, &b1, &b2)];
        for c in 0..width {
            let (u, w) = (x0[c], x1[c]);
            let rows = [join(&r0[c], &r1[c], &r2[c]), join(&s0[c], &s1[c], &s2[c])];
            for l in 0..12 {
                acc12[0][l] += u * rows[0][l];
            }
            for l in 0..12 {
                acc12[1][l] += w * rows[1][l];
            }
        }
        for h in 0..H {
            (a0[h], a1[h], a2[h]) = (acc12[0][h], acc12[0][H + h], acc12[0][2 * H + h]);
            (b0[h], b1[h], b2[h]) = (acc12[1][h], acc12[1][H + h], acc12[1][2 * H + h]);
        }
    } else {
        for c in 0..width {
            let (u, w) = (x0[c], x1[c]);
            for h in 0..H {
                a0[h] += u * r0[c][h];
            }
            for h in 0..H {
                a1[h] += u * r1[c][h];
            }
            for h in 0..H {
                a2[h] += u * r2[c][h];
            }
            for h in 0..H {
                b0[h] += w * s0[c][h];
            }
            for h in 0..H {
                b1[h] += w * s1[c][h];
            }
            for h in 0..H {
                b2[h] += w * s2[c][h];
            }
        }
    }
    *acc = [[a0, a1, a2], [b0, b1, b2]];
}

/// `da[i][h][j] += Σ_c tt[tj][c][h]·grad[i][c]`, c ascending, for every example of a chunk,
/// n_heads = H, examples in pairs ([`da_pair`]). tt: [d_vocab, width, H]; grad: [n, width];
/// da: [n, H, 3].
fn da_sums<T: Real, const H: usize>(
    examples: &[Example],
    tt: &[T],
    grad: &[T],
    width: usize,
    da: &mut [T],
) {
    let h3 = H * 3;
    let x = |i: usize| &grad[i * width..(i + 1) * width];
    for (b, pair) in examples.chunks(2).enumerate() {
        let i = [2 * b, 2 * b + pair.len() - 1];
        let mut acc = [[[T::ZERO; H]; 3]; 2];
        for e in 0..2 {
            for j in 0..3 {
                for h in 0..H {
                    acc[e][j][h] = da[i[e] * h3 + h * 3 + j];
                }
            }
        }
        let toks = [pair[0].tokens, pair[pair.len() - 1].tokens];
        da_pair::<T, H>(toks, i.map(x), tt, width, &mut acc);
        for e in 0..2 {
            for j in 0..3 {
                for h in 0..H {
                    da[i[e] * h3 + h * 3 + j] = acc[e][j][h];
                }
            }
        }
    }
}

/// [`da_sums`] for any n_heads, one sum at a time; the same sums in the same order.
fn da_sums_any<T: Real>(
    cfg: &ModelConfig,
    examples: &[Example],
    tt: &[T],
    grad: &[T],
    width: usize,
    da: &mut [T],
) {
    let h_n = cfg.n_heads;
    for (i, ex) in examples.iter().enumerate() {
        let x = &grad[i * width..(i + 1) * width];
        for h in 0..h_n {
            for (j, &t) in ex.tokens.iter().enumerate() {
                let row = &tt[t as usize * width * h_n + h..];
                let s = &mut da[(i * h_n + h) * 3 + j];
                for (&xc, &r) in x.iter().zip(row.iter().step_by(h_n)) {
                    *s += xc * r;
                }
            }
        }
    }
}

/// Per-token gradient sums of q and k over the examples of a block: dq, dk: [d_vocab, n_heads,
/// d_head].
pub struct TokenGrads<'a, T> {
    pub dq: &'a mut [T],
    pub dk: &'a mut [T],
}

/// Backward of a chunk of examples at position 2 through the attention weights, given `dlogits`
/// ([n, d_vocab]) and `dm` (dm_pre, [n, d_mlp]). The residual's gradient `dr = W_U dlogits +
/// W_in^T dm` is never formed: its dot with `o[tj][h]` is `da[h][j] = l[o row]·dlogits +
/// p[o row]·dm`, one sum from zero over the d_vocab terms then the d_mlp terms, each ascending
/// (read from `tt = [l_t, p_t]`, the o parts of the tables `l = [W_U^T e; W_U^T o]`,
/// `p = [W_in e; W_in o]` with the heads innermost, see [`attention_tokens_heads_inner`]). (The
/// tables' own per-token sums are `token_sums`.) Through the softmax,
/// `ds_j = a_j (da_j − Σ_i a_i da_i) / √d_head` goes into `dq[t2][h]` (times k) and
/// `dk[tj][h]` (times q). a, da: [n, n_heads, 3].
#[allow(clippy::too_many_arguments)]
pub fn attention_backward<T: Real>(
    cfg: &ModelConfig,
    examples: &[Example],
    q: &[T],
    k: &[T],
    [l_t, p_t]: [&[T]; 2],
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
    for (tt, grad, width) in [(l_t, dlogits, v), (p_t, dm, m)] {
        match h_n {
            1 => da_sums::<T, 1>(examples, tt, grad, width, da),
            2 => da_sums::<T, 2>(examples, tt, grad, width, da),
            4 => da_sums::<T, 4>(examples, tt, grad, width, da),
            8 => da_sums::<T, 8>(examples, tt, grad, width, da),
            _ => da_sums_any(cfg, examples, tt, grad, width, da),
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

/// Rows `rows` (tokens) of `dv[t][h][k] = Σ_i g_o[t][h][i]·map[i][h·d_head + k]` over the
/// MLP's table (i < d_mlp), then the same over the logits' table (i < d_vocab), each i
/// ascending: the value vectors' gradient through the head-output maps. g: the token tables'
/// token-major sums [d_vocab, 1 + n_heads, width] (their o rows are read); maps: `W_in W_O` [d_mlp, n_heads·d_head] and
/// `W_U^T W_O` [d_vocab, n_heads·d_head]; out: [len, n_heads·d_head], written.
pub fn attention_tokens_dv<T: Real>(
    cfg: &ModelConfig,
    g: [&[T]; 2],
    maps: [&[T]; 2],
    out: &mut [T],
    rows: Range<usize>,
    widths: [usize; 2],
) {
    let (h_n, dh) = (cfg.n_heads, cfg.d_head);
    let hd = h_n * dh;
    for h in 0..h_n {
        for (i, ((g, map), width)) in g.into_iter().zip(maps).zip(widths).enumerate() {
            let gemm = if i == 0 { gemm_set } else { gemm_acc };
            gemm(
                &mut out[h * dh..],
                hd,
                &g[o_sum_row(h_n, rows.start, h) * width..],
                (1 + h_n) * width,
                1,
                &map[h * dh..],
                hd,
                rows.len(),
                dh,
                width,
            );
        }
    }
}

/// Rows `rows` (of n_heads·d_head) of `dW_O^T[j][c] = Σ_i dmap_t[j][i]·W_X[i][c]` over the
/// MLP's map (W_in, i < d_mlp), then the same over the logits' (W_U^T, i < d_vocab).
/// dmap_t: [`head_map_grad_t`]'s outputs; w: `W_in` [d_mlp, d_model] and `W_U^T` [d_vocab,
/// d_model]; out: [len, d_model], written.
pub fn attention_w_o_grad_t<T: Real>(
    dmap_t: [&[T]; 2],
    w: [&[T]; 2],
    out: &mut [T],
    rows: Range<usize>,
    [d, m, voc]: [usize; 3],
) {
    let n = rows.len();
    gemm_set(out, d, &dmap_t[0][rows.start * m..], m, 1, w[0], d, n, d, m);
    gemm_acc(
        out,
        d,
        &dmap_t[1][rows.start * voc..],
        voc,
        1,
        w[1],
        d,
        n,
        d,
        voc,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lane kernel ([`da_sums`], H = 4) gives the same bits as the one-sum-at-a-time path,
    /// over a full column block, a partial one, and an odd example count.
    #[test]
    fn da_sums_in_lanes_match_scalar_sums_bitwise() {
        let cfg = ModelConfig {
            d_vocab: 7,
            d_model: 8,
            n_heads: 4,
            d_head: 2,
            d_mlp: 8,
        };
        let width = CB + 9;
        let mut next = crate::model::fast::linalg::test_values(0x9e37_79b9_7f4a_7c15);
        let tt: [f32; 7 * (CB + 9) * 4] = core::array::from_fn(|_| next());
        let grad: [f32; 5 * (CB + 9)] = core::array::from_fn(|_| next());
        let examples: [Example; 5] = core::array::from_fn(|i| Example {
            tokens: [(i * 3 % 7) as u16, 5, (i * 5 % 7) as u16],
            label: 0,
            task: 0,
        });
        let mut lanes = [0.25f32; 5 * 12];
        let mut scalar = lanes;
        da_sums::<f32, 4>(&examples, &tt, &grad, width, &mut lanes);
        da_sums_any(&cfg, &examples, &tt, &grad, width, &mut scalar);
        assert_eq!(lanes.map(f32::to_bits), scalar.map(f32::to_bits));
    }

    /// [`attention_mix`] against its sum written out, `f(e[t2]) + Σ_h Σ_j a[h][j]·f(o[tj][h])`
    /// element by element, with and without the ReLU: bitwise, for 4 heads (offsets worked out
    /// once per example) and 9 (more terms than [`MIX_TERMS`]), over a full column block and a
    /// partial one.
    #[test]
    fn attention_mix_matches_its_sums_written_out_bitwise() {
        const W: usize = CB + 9;
        let mut next = crate::model::fast::linalg::test_values(0x2545_f491_4f6c_dd1d);
        let table: [f32; 5 * 10 * W] = core::array::from_fn(|_| next());
        let a: [f32; 3 * 27] = core::array::from_fn(|_| next());
        let examples: [Example; 3] = core::array::from_fn(|i| Example {
            tokens: [(i * 2 % 5) as u16, 4, (i * 3 % 5) as u16],
            label: 0,
            task: 0,
        });
        for n_heads in [4, 9] {
            let cfg = ModelConfig {
                d_vocab: 5,
                d_model: n_heads,
                n_heads,
                d_head: 1,
                d_mlp: W,
            };
            let h3 = n_heads * 3;
            for relu in [false, true] {
                let mut got = [0.0f32; 3 * W];
                attention_mix(
                    &cfg,
                    &examples,
                    &a[..3 * h3],
                    &table,
                    &mut got,
                    [W, W],
                    relu,
                );
                for (i, ex) in examples.iter().enumerate() {
                    for c in 0..W {
                        let mut y = table[ex.tokens[2] as usize * W + c];
                        for h in 0..n_heads {
                            for j in 0..3 {
                                let r = o_row(&cfg, ex.tokens[j], h);
                                y += a[i * h3 + h * 3 + j] * table[r * W + c];
                            }
                        }
                        if relu {
                            y = if y > 0.0 { y } else { 0.0 };
                        }
                        let what = (n_heads, relu, i, c);
                        assert_eq!(got[i * W + c].to_bits(), y.to_bits(), "{what:?}");
                    }
                }
            }
        }
    }
}
