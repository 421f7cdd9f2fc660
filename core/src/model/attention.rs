//! Causal multi-head attention, read only at the last position (SPEC §3).
//!
//! With no positional embedding, `q`, `k`, `v` and the head output `o = W_O[:, h] v` depend only
//! on the token, so they are computed once per vocabulary token per step
//! ([`attention_tokens_forward`]), and their gradients are accumulated per token over the batch
//! and turned into weight gradients once ([`attention_tokens_backward`]).
use super::config::ModelConfig;
use super::linalg::{add_assign, axpy, dot};
use crate::Real;

/// Per token t and head h: `q[t][h] = W_Q[h] e_t`, `k[t][h] = W_K[h] e_t`, `v[t][h] = W_V[h] e_t`
/// ([d_head] each) and `o[t][h] = W_O[:, h·d_head..] v[t][h]` ([d_model]).
/// w_q, w_k, w_v: [n_heads, d_head, d_model]; w_o: [d_model, n_heads·d_head]; e: [d_vocab, d_model];
/// q, k, v: [d_vocab, n_heads, d_head]; o: [d_vocab, n_heads, d_model].
#[allow(clippy::too_many_arguments)]
pub fn attention_tokens_forward<T: Real>(
    cfg: &ModelConfig,
    w_q: &[T],
    w_k: &[T],
    w_v: &[T],
    w_o: &[T],
    e: &[T],
    q: &mut [T],
    k: &mut [T],
    v: &mut [T],
    o: &mut [T],
) {
    let (d, h_n, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    for t in 0..cfg.d_vocab {
        let e_t = &e[t * d..(t + 1) * d];
        for row in 0..h_n * dh {
            let w = row * d..(row + 1) * d;
            q[t * h_n * dh + row] = dot(&w_q[w.clone()], e_t);
            k[t * h_n * dh + row] = dot(&w_k[w.clone()], e_t);
            v[t * h_n * dh + row] = dot(&w_v[w], e_t);
        }
        for h in 0..h_n {
            let v_th = &v[(t * h_n + h) * dh..(t * h_n + h + 1) * dh];
            for c in 0..d {
                let w_o_ch = &w_o[c * h_n * dh + h * dh..c * h_n * dh + (h + 1) * dh];
                o[(t * h_n + h) * d + c] = dot(w_o_ch, v_th);
            }
        }
    }
}

/// Position 2 of one example `[t0, t1, t2]`:
/// `a[h][j] = softmax_j(q[t2][h]·k[tj][h] / √d_head)`, `r = e[t2] + Σ_h Σ_j a[h][j]·o[tj][h]`.
/// a: [n_heads, 3], r: [d_model].
#[allow(clippy::too_many_arguments)]
pub fn attention_forward<T: Real>(
    cfg: &ModelConfig,
    tokens: [u16; 3],
    e: &[T],
    q: &[T],
    k: &[T],
    o: &[T],
    a: &mut [T],
    r: &mut [T],
) {
    let (d, h_n, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    let t2 = tokens[2] as usize;
    for h in 0..h_n {
        let q_h = &q[(t2 * h_n + h) * dh..(t2 * h_n + h + 1) * dh];
        let mut s = [T::ZERO; 3];
        for (j, &t) in tokens.iter().enumerate() {
            let t = t as usize;
            s[j] = dot(q_h, &k[(t * h_n + h) * dh..(t * h_n + h + 1) * dh]) / sqrt_dh;
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
    r.copy_from_slice(&e[t2 * d..(t2 + 1) * d]);
    for h in 0..h_n {
        for (j, &t) in tokens.iter().enumerate() {
            let t = t as usize;
            axpy(r, a[h * 3 + j], &o[(t * h_n + h) * d..(t * h_n + h + 1) * d]);
        }
    }
}

/// Per-token gradient accumulators, summed over the examples of a block.
/// de: [d_vocab, d_model]; dq, dk: [d_vocab, n_heads, d_head]; d_o: [d_vocab, n_heads, d_model].
pub struct TokenGrads<'a, T> {
    pub de: &'a mut [T],
    pub dq: &'a mut [T],
    pub dk: &'a mut [T],
    pub d_o: &'a mut [T],
}

/// Backward of [`attention_forward`] for one example, given `dr`: adds the residual into
/// `de[t2]`, `a[h][j]·dr` into `d_o[tj][h]`, and through the softmax
/// (`ds_j = a_j (da_j − Σ_i a_i da_i)`, `da_j = o[tj][h]·dr`) into `dq[t2][h]` and `dk[tj][h]`.
#[allow(clippy::too_many_arguments)]
pub fn attention_backward<T: Real>(
    cfg: &ModelConfig,
    tokens: [u16; 3],
    q: &[T],
    k: &[T],
    o: &[T],
    a: &[T],
    dr: &[T],
    g: &mut TokenGrads<'_, T>,
) {
    let (d, h_n, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    let t2 = tokens[2] as usize;
    add_assign(&mut g.de[t2 * d..(t2 + 1) * d], dr);
    for h in 0..h_n {
        let mut da = [T::ZERO; 3];
        for (j, &t) in tokens.iter().enumerate() {
            let th = t as usize * h_n + h;
            da[j] = dot(&o[th * d..(th + 1) * d], dr);
            axpy(&mut g.d_o[th * d..(th + 1) * d], a[h * 3 + j], dr);
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

/// Weight gradients of attention from the per-token sums (SPEC §6 order: tokens ascending):
/// `dv[t][h] = W_O[:, h]^T d_o[t][h]`, `dW_O[:, h] = Σ_t d_o[t][h] ⊗ v[t][h]`,
/// `dW_Q[h] = Σ_t dq[t][h] ⊗ e_t` (same for K and V), and
/// `de[t] += Σ_h (W_Q[h]^T dq[t][h] + …K… + …V…)` added Q, then K, then V.
/// dv: [d_vocab, n_heads, d_head] scratch.
#[allow(clippy::too_many_arguments)]
pub fn attention_tokens_backward<T: Real>(
    cfg: &ModelConfig,
    w: [&[T]; 4],
    e: &[T],
    v: &[T],
    g: &mut TokenGrads<'_, T>,
    dv: &mut [T],
    d_w_q: &mut [T],
    d_w_k: &mut [T],
    d_w_v: &mut [T],
    d_w_o: &mut [T],
) {
    let [w_q, w_k, w_v, w_o] = w;
    let (d, h_n, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let hd = h_n * dh;
    dv.fill(T::ZERO);
    for t in 0..cfg.d_vocab {
        for h in 0..h_n {
            let th = t * h_n + h;
            let dv_th = &mut dv[th * dh..(th + 1) * dh];
            for c in 0..d {
                axpy(dv_th, g.d_o[th * d + c], &w_o[c * hd + h * dh..c * hd + (h + 1) * dh]);
            }
        }
    }
    d_w_o.fill(T::ZERO);
    for t in 0..cfg.d_vocab {
        for h in 0..h_n {
            let th = t * h_n + h;
            for c in 0..d {
                axpy(
                    &mut d_w_o[c * hd + h * dh..c * hd + (h + 1) * dh],
                    g.d_o[th * d + c],
                    &v[th * dh..(th + 1) * dh],
                );
            }
        }
    }
    for (d_w, src) in [(d_w_q, &*g.dq), (d_w_k, &*g.dk), (d_w_v, &*dv)] {
        d_w.fill(T::ZERO);
        for t in 0..cfg.d_vocab {
            let e_t = &e[t * d..(t + 1) * d];
            for row in 0..hd {
                axpy(&mut d_w[row * d..(row + 1) * d], src[t * hd + row], e_t);
            }
        }
    }
    for (w_x, src) in [(w_q, &*g.dq), (w_k, &*g.dk), (w_v, &*dv)] {
        for t in 0..cfg.d_vocab {
            let de_t = &mut g.de[t * d..(t + 1) * d];
            for row in 0..hd {
                axpy(de_t, src[t * hd + row], &w_x[row * d..(row + 1) * d]);
            }
        }
    }
}
