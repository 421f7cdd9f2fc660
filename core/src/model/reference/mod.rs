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

/// One example's buffers in the caller's scratch, in this order: what [`reference_forward`]
/// keeps, then the backward's scratch. D = d_model, HD = n_heads·d_head, M = d_mlp. `S` is a
/// length or a `&mut [T]`.
struct Buffers<S> {
    /// The embedded tokens [3, D].
    x: S,
    /// Queries, keys and values [3, HD] each.
    q: S,
    k: S,
    v: S,
    /// Attention weights [n_heads, 3, 3].
    a: S,
    /// The heads' mixed values z [3, HD].
    z: S,
    /// The attention's output `W_O z` [3, D].
    attn_out: S,
    /// The residual after attention, r [3, D].
    r: S,
    /// The MLP's activations at the last position [M].
    m: S,
    /// The MLP's output `W_out m` [D].
    mlp_out: S,
    /// The residual at the last position after the MLP, r' [D].
    r_out: S,
    /// Gradients of r' [D] and of the MLP's pre-activations [M].
    d_r_out: S,
    dm_pre: S,
    /// Gradient of r [3, D].
    dr: S,
    /// Gradients of z, q, k, v [3, HD] each.
    dz: S,
    dq: S,
    dk: S,
    dv: S,
    /// Gradient of x [3, D].
    dx: S,
}

impl Buffers<usize> {
    fn lens(cfg: &ModelConfig) -> Self {
        let (d, hd, m) = (cfg.d_model, cfg.n_heads * cfg.d_head, cfg.d_mlp);
        Buffers {
            x: 3 * d,
            q: 3 * hd,
            k: 3 * hd,
            v: 3 * hd,
            a: cfg.n_heads * 9,
            z: 3 * hd,
            attn_out: 3 * d,
            r: 3 * d,
            m,
            mlp_out: d,
            r_out: d,
            d_r_out: d,
            dm_pre: m,
            dr: 3 * d,
            dz: 3 * hd,
            dq: 3 * hd,
            dk: 3 * hd,
            dv: 3 * hd,
            dx: 3 * d,
        }
    }

    fn total(&self) -> usize {
        self.x
            + self.q
            + self.k
            + self.v
            + self.a
            + self.z
            + self.attn_out
            + self.r
            + self.m
            + self.mlp_out
            + self.r_out
            + self.d_r_out
            + self.dm_pre
            + self.dr
            + self.dz
            + self.dq
            + self.dk
            + self.dv
            + self.dx
    }
}

impl<'a, T> Buffers<&'a mut [T]> {
    /// `scratch` cut into the buffers, in field order.
    fn carve(cfg: &ModelConfig, scratch: &'a mut [T]) -> Self {
        let n = Buffers::lens(cfg);
        let mut rest = scratch;
        let mut take = |len: usize| {
            let (head, tail) = core::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            head
        };
        Buffers {
            x: take(n.x),
            q: take(n.q),
            k: take(n.k),
            v: take(n.v),
            a: take(n.a),
            z: take(n.z),
            attn_out: take(n.attn_out),
            r: take(n.r),
            m: take(n.m),
            mlp_out: take(n.mlp_out),
            r_out: take(n.r_out),
            d_r_out: take(n.d_r_out),
            dm_pre: take(n.dm_pre),
            dr: take(n.dr),
            dz: take(n.dz),
            dq: take(n.dq),
            dk: take(n.dk),
            dv: take(n.dv),
            dx: take(n.dx),
        }
    }
}

/// Scratch length of [`reference_forward`] and [`reference_backward`].
pub fn reference_scratch_len(cfg: &ModelConfig) -> usize {
    Buffers::lens(cfg).total()
}

/// Scratch length of [`reference_gradients`]: one example's scratch and its logits and their
/// gradient [2, d_vocab].
pub fn reference_batch_scratch_len(cfg: &ModelConfig) -> usize {
    reference_scratch_len(cfg) + 2 * cfg.d_vocab
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
    let Buffers {
        x,
        q,
        k,
        v,
        a,
        z,
        attn_out,
        r,
        m: mh,
        mlp_out,
        r_out,
        ..
    } = Buffers::carve(cfg, scratch);
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
    let Buffers {
        x,
        q,
        k,
        v,
        a,
        z,
        r,
        m: mh,
        r_out,
        d_r_out: dr_out,
        dm_pre,
        dr,
        dz,
        dq,
        dk,
        dv,
        dx,
        ..
    } = Buffers::carve(cfg, scratch);
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
    let (one, rest) = scratch.split_at_mut(reference_scratch_len(cfg));
    let (logits, rest) = rest.split_at_mut(voc);
    let dlogits = &mut rest[..voc];
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
