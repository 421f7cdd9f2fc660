//! The forward pass exactly as SPEC §3 writes it, every position and every head, one example at
//! a time. Slow and plain: the oracle the fast step is tested against.
use super::config::{ModelConfig, Weights};
use super::linalg::{carve_mut, dot};
use crate::{Error, Real};

/// Scratch length [`plain_forward`] needs.
pub fn plain_scratch_len(cfg: &ModelConfig) -> usize {
    let (d, hd) = (cfg.d_model, cfg.n_heads * cfg.d_head);
    3 * d + 3 * 3 * hd + 3 * hd + 3 * d + cfg.d_mlp
}

/// Logits at the last position for `tokens`:
/// `x_s = W_E[:, t_s]`; per head `q_s, k_s, v_s = W_{Q,K,V}[h] x_s`,
/// `a[q][k] = softmax_{k≤q}(q_q·k_k/√d_head)`, `z_q[h] = Σ_k a[q][k] v_k`;
/// `r_q = x_q + W_O concat_h z_q[h]`; `r'_q = r_q + W_out ReLU(W_in r_q)`; `logits = W_U^T r'_2`.
pub fn plain_forward<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    tokens: [u16; 3],
    scratch: &mut [T],
    logits: &mut [T],
) -> Result<(), Error> {
    cfg.validate()?;
    let need = plain_scratch_len(cfg);
    if scratch.len() < need || params.len() < cfg.n_params() || logits.len() < cfg.d_vocab {
        return Err(Error::BufferTooSmall {
            need,
            got: scratch.len(),
        });
    }
    let (d, h_n, dh, m_n, voc) = (cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_mlp, cfg.d_vocab);
    let hd = h_n * dh;
    let w = Weights::split(cfg, params);
    let [x, qkv, z, r, m] = carve_mut(scratch, [3 * d, 9 * hd, 3 * hd, 3 * d, m_n]);
    for (s, &t) in tokens.iter().enumerate() {
        if t as usize >= voc {
            return Err(Error::BadToken {
                token: t as u32,
                d_vocab: voc,
            });
        }
        for c in 0..d {
            x[s * d + c] = w.w_e[c * voc + t as usize];
        }
    }
    for (which, w_x) in [w.w_q, w.w_k, w.w_v].into_iter().enumerate() {
        for s in 0..3 {
            for row in 0..hd {
                qkv[(which * 3 + s) * hd + row] =
                    dot(&w_x[row * d..(row + 1) * d], &x[s * d..(s + 1) * d]);
            }
        }
    }
    let sqrt_dh = T::from_f64(libm::sqrt(dh as f64));
    let head = |which: usize, s: usize, h: usize| (which * 3 + s) * hd + h * dh;
    for qpos in 0..3 {
        for h in 0..h_n {
            let mut score = [T::ZERO; 3];
            for kpos in 0..=qpos {
                let (qi, ki) = (head(0, qpos, h), head(1, kpos, h));
                score[kpos] = dot(&qkv[qi..qi + dh], &qkv[ki..ki + dh]) / sqrt_dh;
            }
            let mut mx = score[0];
            for &s in &score[1..=qpos] {
                if s > mx {
                    mx = s;
                }
            }
            let mut a = [T::ZERO; 3];
            let mut sum = T::ZERO;
            for kpos in 0..=qpos {
                a[kpos] = (score[kpos] - mx).exp();
                sum += a[kpos];
            }
            for j in 0..dh {
                let mut acc = T::ZERO;
                for kpos in 0..=qpos {
                    acc += a[kpos] / sum * qkv[head(2, kpos, h) + j];
                }
                z[qpos * hd + h * dh + j] = acc;
            }
        }
    }
    for s in 0..3 {
        for c in 0..d {
            r[s * d + c] =
                x[s * d + c] + dot(&w.w_o[c * hd..(c + 1) * hd], &z[s * hd..(s + 1) * hd]);
        }
    }
    let r2 = &mut r[2 * d..3 * d];
    for (i, mi) in m.iter_mut().enumerate() {
        let pre = dot(&w.w_in[i * d..(i + 1) * d], r2);
        *mi = if pre > T::ZERO { pre } else { T::ZERO };
    }
    for (c, rc) in r2.iter_mut().enumerate() {
        *rc += dot(&w.w_out[c * m_n..(c + 1) * m_n], m);
    }
    for (zc, l) in logits[..voc].iter_mut().enumerate() {
        let mut acc = T::ZERO;
        for c in 0..d {
            acc += r2[c] * w.w_u[c * voc + zc];
        }
        *l = acc;
    }
    Ok(())
}
