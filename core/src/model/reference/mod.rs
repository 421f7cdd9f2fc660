//! The model of SPEC §3 as the paper writes it, one example at a time: every layer a forward
//! and a backward over plain loops, chained here into the forward of one example, the backward
//! of one example, and the loss and gradients of a batch. Slow and plain: the oracle the fast
//! step (`fast`) is tested against.
//!
//! One example `t = [x, op, y]`:
//! `x_s = W_E[:, t_s]` (embed); `r_s = x_s + W_O concat_h z_s[h]` (attention, causal, every
//! position); `r'_2 = r_2 + W_out ReLU(W_in r_2)` (MLP, last position only: nothing else reads
//! the other positions); `logits = W_U^T r'_2` (unembed); cross-entropy (loss).
mod attention;
mod embed;
mod loss;
mod mlp;
mod unembed;

pub use attention::{attention_backward, attention_forward};
pub use embed::{embed_backward, embed_forward};
pub use loss::{loss_backward, loss_forward};
pub use mlp::{mlp_backward, mlp_forward};
pub use unembed::{unembed_backward, unembed_forward};

use super::config::{ModelConfig, Weights, WeightsMut};
use super::stats::{BlockStats, EvalStats, task_scales};
use crate::data::Example;
use crate::{Error, Real};

/// The activations [`reference_forward`] keeps, then the backward's scratch:
/// x [3, D], q, k, v [3, H·d_head], a [H, 3, 3], z [3, H·d_head], attention out [3, D],
/// r [3, D], m [M], MLP out [D], r' [D]; dr' [D], dm_pre [M], dr [3, D], dz, dq, dk, dv
/// [3, H·d_head], dx [3, D].
fn parts(cfg: &ModelConfig) -> [usize; 19] {
    let (d, hd, m) = (cfg.d_model, cfg.n_heads * cfg.d_head, cfg.d_mlp);
    [
        3 * d,
        3 * hd,
        3 * hd,
        3 * hd,
        cfg.n_heads * 9,
        3 * hd,
        3 * d,
        3 * d,
        m,
        d,
        d,
        d,
        m,
        3 * d,
        3 * hd,
        3 * hd,
        3 * hd,
        3 * hd,
        3 * d,
    ]
}

/// Scratch length of [`reference_forward`] and [`reference_backward`].
pub fn reference_scratch_len(cfg: &ModelConfig) -> usize {
    parts(cfg).iter().sum()
}

/// Scratch length of [`reference_gradients`]: one example's scratch and its logits and their
/// gradient [2, d_vocab].
pub fn reference_batch_scratch_len(cfg: &ModelConfig) -> usize {
    reference_scratch_len(cfg) + 2 * cfg.d_vocab
}

/// `buf` cut into consecutive pieces of the given lengths.
fn carve<T, const N: usize>(mut buf: &mut [T], lens: [usize; N]) -> [&mut [T]; N] {
    lens.map(|n| {
        let (head, tail) = core::mem::take(&mut buf).split_at_mut(n);
        buf = tail;
        head
    })
}

fn check(cfg: &ModelConfig, params: usize, scratch: usize, tokens: [u16; 3]) -> Result<(), Error> {
    cfg.validate()?;
    let need = reference_scratch_len(cfg);
    if scratch < need || params < cfg.n_params() {
        return Err(Error::BufferTooSmall { need, got: scratch });
    }
    for t in tokens {
        if t as usize >= cfg.d_vocab {
            return Err(Error::BadToken {
                token: t as u32,
                d_vocab: cfg.d_vocab,
            });
        }
    }
    Ok(())
}

/// Logits [d_vocab] at the last position for `tokens`, keeping the activations in `scratch`
/// ([`reference_scratch_len`]) for [`reference_backward`].
pub fn reference_forward<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    tokens: [u16; 3],
    scratch: &mut [T],
    logits: &mut [T],
) -> Result<(), Error> {
    check(cfg, params.len(), scratch.len(), tokens)?;
    if logits.len() < cfg.d_vocab {
        return Err(Error::BufferTooSmall {
            need: cfg.d_vocab,
            got: logits.len(),
        });
    }
    let (d, m, voc) = (cfg.d_model, cfg.d_mlp, cfg.d_vocab);
    let w = Weights::split(cfg, params);
    let [x, q, k, v, a, z, attn_out, r, mh, mlp_out, r_out, ..] = carve(scratch, parts(cfg));
    embed_forward(w.w_e, tokens, x, [d, voc]);
    let attn_w = [w.w_q, w.w_k, w.w_v, w.w_o];
    attention_forward(cfg, attn_w, x, [q, k, v, a, z], attn_out);
    for i in 0..3 * d {
        r[i] = x[i] + attn_out[i];
    }
    let r2 = &r[2 * d..3 * d];
    mlp_forward(r2, [w.w_in, w.w_out], mh, mlp_out, [d, m]);
    for c in 0..d {
        r_out[c] = r2[c] + mlp_out[c];
    }
    unembed_forward(r_out, w.w_u, logits, [d, voc]);
    Ok(())
}

/// Adds one example's gradient into `grads` (n_params, the parameters' layout) from
/// `dlogits = dL/dlogits` [d_vocab], with `scratch` as [`reference_forward`] of the same
/// parameters and tokens left it: unembed, MLP (dr_2 = dr'_2 + its share), the residual
/// (dx = dr + attention's share), attention, embed.
pub fn reference_backward<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    tokens: [u16; 3],
    scratch: &mut [T],
    dlogits: &[T],
    grads: &mut [T],
) -> Result<(), Error> {
    check(cfg, params.len(), scratch.len(), tokens)?;
    if grads.len() < cfg.n_params() || dlogits.len() < cfg.d_vocab {
        return Err(Error::BufferTooSmall {
            need: cfg.n_params(),
            got: grads.len(),
        });
    }
    let (d, m, voc) = (cfg.d_model, cfg.d_mlp, cfg.d_vocab);
    let w = Weights::split(cfg, params);
    let g = WeightsMut::split(cfg, grads);
    let [
        x,
        q,
        k,
        v,
        a,
        z,
        _attn_out,
        r,
        mh,
        _mlp_out,
        r_out,
        dr_out,
        dm_pre,
        dr,
        dz,
        dq,
        dk,
        dv,
        dx,
    ] = carve(scratch, parts(cfg));
    dr_out.fill(T::ZERO);
    unembed_backward(dlogits, r_out, w.w_u, g.w_u, dr_out, [d, voc]);
    dr.fill(T::ZERO);
    let dr2 = &mut dr[2 * d..3 * d];
    dr2.copy_from_slice(dr_out);
    let r2 = &r[2 * d..3 * d];
    mlp_backward(
        dr_out,
        r2,
        mh,
        [w.w_in, w.w_out],
        dm_pre,
        [g.w_in, g.w_out],
        dr2,
        [d, m],
    );
    dx.copy_from_slice(dr);
    attention_backward(
        cfg,
        [w.w_q, w.w_k, w.w_v, w.w_o],
        x,
        [q, k, v, a, z],
        dr,
        [dz, dq, dk, dv],
        [g.w_q, g.w_k, g.w_v, g.w_o],
        dx,
    );
    embed_backward(dx, tokens, g.w_e, [d, voc]);
    Ok(())
}

/// Loss and accuracy per task of `examples` and the gradient of the training objective (Σ over
/// tasks of the mean cross-entropy, SPEC §4) into `grads` (n_params, written): each example's
/// forward, loss, and backward with weight `1/N_task`, added in example order.
/// scratch: [`reference_batch_scratch_len`].
pub fn reference_gradients<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    examples: &[Example],
    n_tasks: usize,
    scratch: &mut [T],
    grads: &mut [T],
) -> Result<EvalStats, Error> {
    let need = reference_batch_scratch_len(cfg);
    if scratch.len() < need || grads.len() < cfg.n_params() {
        return Err(Error::BufferTooSmall {
            need,
            got: scratch.len(),
        });
    }
    let scales = task_scales(cfg, examples, n_tasks)?;
    let voc = cfg.d_vocab;
    let [one, logits, dlogits] = carve(scratch, [reference_scratch_len(cfg), voc, voc]);
    grads[..cfg.n_params()].fill(T::ZERO);
    let mut sums = BlockStats::default();
    for ex in examples {
        let (task, label) = (ex.task as usize, ex.label as usize);
        reference_forward(cfg, params, ex.tokens, one, logits)?;
        let (loss, correct) = loss_forward(logits, label);
        sums.loss_sum[task] += loss;
        sums.correct[task] += correct as u32;
        sums.count[task] += 1;
        loss_backward(logits, label, scales[task], dlogits);
        reference_backward(cfg, params, ex.tokens, one, dlogits, grads)?;
    }
    Ok(EvalStats::from_sums(&sums, n_tasks))
}
