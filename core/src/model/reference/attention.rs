//! Causal multi-head self-attention over the three positions (SPEC §3). Per head h, with
//! hd = n_heads·d_head and head h owning rows h·d_head.. of q, k, v and z:
//! `q_s = W_Q[h] x_s`, `k_s = W_K[h] x_s`, `v_s = W_V[h] x_s`;
//! `score[q][k] = q_q·k_k / √d_head` for k ≤ q; `a[h][q] = softmax_{k≤q} score[q]`;
//! `z_q[h] = Σ_{k≤q} a[h][q][k] v_k`; `out_q = W_O concat_h z_q[h]`. The caller adds `out`
//! into the residual stream, `r_q = x_q + out_q`.
use crate::Real;
use crate::model::ModelConfig;

/// Forward of the three positions. w_q, w_k, w_v: [n_heads, d_head, d_model], w_o:
/// [d_model, hd]; x: [3, d_model]; kept for the backward (written): q, k, v, z: [3, hd] and
/// a: [n_heads, 3, 3] (zero above the diagonal); out: [3, d_model] (written).
pub fn attention_forward<T: Real>(
    cfg: &ModelConfig,
    [w_q, w_k, w_v, w_o]: [&[T]; 4],
    x: &[T],
    [q, k, v, a, z]: [&mut [T]; 5],
    out: &mut [T],
) {
    let (d, n_heads, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let hd = n_heads * dh;
    for (w, y) in [(w_q, &mut *q), (w_k, &mut *k), (w_v, &mut *v)] {
        for s in 0..3 {
            for row in 0..hd {
                let mut acc = T::ZERO;
                for c in 0..d {
                    acc += w[row * d + c] * x[s * d + c];
                }
                y[s * hd + row] = acc;
            }
        }
    }
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    for h in 0..n_heads {
        for qp in 0..3 {
            let mut score = [T::ZERO; 3];
            for (kp, sc) in score.iter_mut().enumerate().take(qp + 1) {
                let mut acc = T::ZERO;
                for j in h * dh..(h + 1) * dh {
                    acc += q[qp * hd + j] * k[kp * hd + j];
                }
                *sc = acc / sqrt_dh;
            }
            let mut mx = score[0];
            for &sc in &score[1..=qp] {
                if sc > mx {
                    mx = sc;
                }
            }
            let mut e = [T::ZERO; 3];
            let mut sum = T::ZERO;
            for kp in 0..=qp {
                e[kp] = (score[kp] - mx).exp();
                sum += e[kp];
            }
            let a_q = &mut a[(h * 3 + qp) * 3..(h * 3 + qp + 1) * 3];
            for kp in 0..3 {
                a_q[kp] = if kp <= qp { e[kp] / sum } else { T::ZERO };
            }
            for j in h * dh..(h + 1) * dh {
                let mut acc = T::ZERO;
                for kp in 0..=qp {
                    acc += a_q[kp] * v[kp * hd + j];
                }
                z[qp * hd + j] = acc;
            }
        }
    }
    for s in 0..3 {
        for c in 0..d {
            let mut acc = T::ZERO;
            for j in 0..hd {
                acc += w_o[c * hd + j] * z[s * hd + j];
            }
            out[s * d + c] = acc;
        }
    }
}

/// Backward of [`attention_forward`] from `dout = dL/d out` [3, d_model]:
/// `dz_q = W_O^T dout_q`, `dW_O += Σ_q dout_q z_q^T`;
/// per head and query q, over k ≤ q: `da[k] = dz_q[h]·v_k`,
/// `dscore[k] = a[q][k]·(da[k] − Σ_k' a[q][k'] da[k'])`, `dq_q += Σ_k dscore[k] k_k / √d_head`,
/// `dk_k += dscore[k] q_q / √d_head`, `dv_k += a[q][k] dz_q`; then for (X, dy) = (Q, dq),
/// (K, dk), (V, dv): `dW_X += Σ_s dy_s x_s^T` and `dx_s += W_X^T dy_s`.
/// Weights, x and the kept q, k, v, a, z as in the forward; scratch dz, dq, dk, dv: [3, hd]
/// (written); d_w_q, d_w_k, d_w_v: [n_heads, d_head, d_model], d_w_o: [d_model, hd] and
/// dx: [3, d_model] (added into).
#[allow(clippy::too_many_arguments)]
pub fn attention_backward<T: Real>(
    cfg: &ModelConfig,
    [w_q, w_k, w_v, w_o]: [&[T]; 4],
    x: &[T],
    [q, k, v, a, z]: [&[T]; 5],
    dout: &[T],
    [dz, dq, dk, dv]: [&mut [T]; 4],
    [d_w_q, d_w_k, d_w_v, d_w_o]: [&mut [T]; 4],
    dx: &mut [T],
) {
    let (d, n_heads, dh) = (cfg.d_model, cfg.n_heads, cfg.d_head);
    let hd = n_heads * dh;
    for s in 0..3 {
        for j in 0..hd {
            let mut acc = T::ZERO;
            for c in 0..d {
                acc += w_o[c * hd + j] * dout[s * d + c];
            }
            dz[s * hd + j] = acc;
        }
    }
    for c in 0..d {
        for j in 0..hd {
            for s in 0..3 {
                d_w_o[c * hd + j] += dout[s * d + c] * z[s * hd + j];
            }
        }
    }
    for g in [&mut *dq, &mut *dk, &mut *dv] {
        g[..3 * hd].fill(T::ZERO);
    }
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    for h in 0..n_heads {
        for qp in 0..3 {
            let a_q = &a[(h * 3 + qp) * 3..(h * 3 + qp + 1) * 3];
            let mut da = [T::ZERO; 3];
            for (kp, dak) in da.iter_mut().enumerate().take(qp + 1) {
                let mut acc = T::ZERO;
                for j in h * dh..(h + 1) * dh {
                    acc += dz[qp * hd + j] * v[kp * hd + j];
                }
                *dak = acc;
            }
            let mut mean = T::ZERO;
            for kp in 0..=qp {
                mean += a_q[kp] * da[kp];
            }
            for kp in 0..=qp {
                let dscore = a_q[kp] * (da[kp] - mean) / sqrt_dh;
                for j in h * dh..(h + 1) * dh {
                    dq[qp * hd + j] += dscore * k[kp * hd + j];
                    dk[kp * hd + j] += dscore * q[qp * hd + j];
                    dv[kp * hd + j] += a_q[kp] * dz[qp * hd + j];
                }
            }
        }
    }
    for (w, dy, d_w) in [(w_q, &*dq, d_w_q), (w_k, &*dk, d_w_k), (w_v, &*dv, d_w_v)] {
        for row in 0..hd {
            for c in 0..d {
                for s in 0..3 {
                    d_w[row * d + c] += dy[s * hd + row] * x[s * d + c];
                }
            }
        }
        for s in 0..3 {
            for c in 0..d {
                let mut acc = T::ZERO;
                for row in 0..hd {
                    acc += w[row * d + c] * dy[s * hd + row];
                }
                dx[s * d + c] += acc;
            }
        }
    }
}
