//! The fixed list of dispatches of a step: the examples' forward, the backward and gradient
//! sums, and AdamW per tensor.
use modgrok_core::model::{ModelConfig, N_TENSORS};

use super::arena::{Arena, View, tensor_offsets, view};
use super::ids::Ids;
use super::kernel::{Kernel, SLOT_WORDS};
use super::recorder::{Epilogue, Op, Recorder};

pub(super) fn attn_words(cfg: &ModelConfig, a: &Arena, tok: usize, n: usize) -> [usize; 16] {
    let w = tensor_offsets(cfg, a.params);
    let sqrt_dh = ((cfg.d_head as f64).sqrt() as f32).to_bits() as usize;
    [
        n,
        tok,
        cfg.d_model,
        cfg.n_heads,
        cfg.d_head,
        cfg.d_vocab,
        a.q,
        a.k,
        a.o,
        w.w_e,
        a.a,
        a.r,
        a.dr,
        a.g,
        sqrt_dh,
        0,
    ]
}

/// Step 2 for `n` examples whose tokens start at `tok` in the u32 arena (the token cache must
/// hold the current θ's q, k, o).
pub(super) fn record_examples_forward(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    tok: usize,
    n: usize,
) {
    let (voc, d, h, m) = (cfg.d_vocab, cfg.d_model, cfg.n_heads, cfg.d_mlp);
    let w = tensor_offsets(cfg, a.params);
    let aw = attn_words(cfg, a, tok, n);
    rec.flat(ops, Kernel::AttnScores, &aw, n * h);
    rec.flat(ops, Kernel::AttnResid, &aw, n * d);
    rec.matmul(
        ops,
        [n, m, d, 1],
        view(a.r, d, 1),
        view(w.w_in, 1, d),
        view(a.mh, m, 1),
        Epilogue::Relu,
    );
    rec.matmul(
        ops,
        [n, d, m, 1],
        view(a.mh, m, 1),
        view(w.w_out, 1, m),
        view(a.rr, d, 1),
        Epilogue::Add(view(a.r, d, 1)),
    );
    rec.matmul(
        ops,
        [n, voc, d, 1],
        view(a.rr, d, 1),
        view(w.w_u, voc, 1),
        view(a.logits, voc, 1),
        Epilogue::Store,
    );
}

/// Steps 1–5 over the `n` train examples.
pub(super) fn record_train(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    id: &Ids,
    n: usize,
) {
    let (voc, d, h, dh, m) = (cfg.d_vocab, cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_mlp);
    let hd = h * dh;
    let w = tensor_offsets(cfg, a.params);
    let gw = tensor_offsets(cfg, a.grads);

    // 1. q, k, v [V, H·d_head] = W_E^T W^T; o[t, h, :] = W_O[:, h·d_head..] v[t, h, :].
    // W_Q, W_K, W_V follow each other in θ, as q, k, v do in the arena: one batch of three.
    rec.matmul(
        ops,
        [voc, hd, d, 3],
        view(w.w_e, 1, voc),
        View {
            off: w.w_q,
            s0: 1,
            s1: d,
            sb: w.w_k - w.w_q,
        },
        View {
            off: a.q,
            s0: hd,
            s1: 1,
            sb: a.k - a.q,
        },
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [voc, d, dh, h],
        View {
            off: a.vv,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        View {
            off: w.w_o,
            s0: 1,
            s1: hd,
            sb: dh,
        },
        View {
            off: a.o,
            s0: h * d,
            s1: 1,
            sb: d,
        },
        Epilogue::Store,
    );

    // 2–3.
    record_examples_forward(rec, ops, cfg, a, id.train_tok, n);
    let ce = [n, voc, a.logits, a.dl, a.scale, id.train_label];
    rec.flat(ops, Kernel::CeGrad, &ce, n);

    // 4. dr' = dl W_U^T; dpre = (dr' W_out) ⊙ [m > 0]; dr = dr' + dpre W_in.
    rec.matmul(
        ops,
        [n, d, voc, 1],
        view(a.dl, voc, 1),
        view(w.w_u, 1, voc),
        view(a.drr, d, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [n, m, d, 1],
        view(a.drr, d, 1),
        view(w.w_out, m, 1),
        view(a.dpre, m, 1),
        Epilogue::Mask(view(a.mh, m, 1)),
    );
    rec.matmul(
        ops,
        [n, d, m, 1],
        view(a.dpre, m, 1),
        view(w.w_in, d, 1),
        view(a.dr, d, 1),
        Epilogue::Add(view(a.drr, d, 1)),
    );
    // dW_U = r'^T dl [D, V]; dW_out = dr'^T m [D, M]; dW_in = dpre^T r [M, D]: sums over n.
    rec.matmul(
        ops,
        [d, voc, n, 1],
        view(a.rr, 1, d),
        view(a.dl, voc, 1),
        view(gw.w_u, voc, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [d, m, n, 1],
        view(a.drr, 1, d),
        view(a.mh, m, 1),
        view(gw.w_out, m, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [m, d, n, 1],
        view(a.dpre, 1, m),
        view(a.r, d, 1),
        view(gw.w_in, d, 1),
        Epilogue::Store,
    );

    // 5. Attention backward per example, then per token.
    let aw = attn_words(cfg, a, id.train_tok, n);
    rec.flat(ops, Kernel::AttnBwd, &aw, n * h);
    let tw = [
        voc,
        d,
        h,
        dh,
        id.starts,
        id.entries,
        id.train_tok,
        a.a,
        a.g,
        a.dr,
        a.q,
        a.k,
        a.d_o,
        a.dq,
        a.dk,
        a.de,
    ];
    rec.flat(ops, Kernel::TokDo, &tw, voc * h * d);
    rec.flat(ops, Kernel::TokDq, &tw, voc * hd);
    rec.flat(ops, Kernel::TokDk, &tw, voc * hd);
    rec.flat(ops, Kernel::TokDe, &tw, voc * d);
    // dv[t, h, :] = W_O[:, h·d_head..]^T d_o[t, h, :]; dW_O[:, h·d_head + j] = Σ_t d_o[t, h, :] v[t, h, j].
    rec.matmul(
        ops,
        [voc, dh, d, h],
        View {
            off: a.d_o,
            s0: h * d,
            s1: 1,
            sb: d,
        },
        View {
            off: w.w_o,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        View {
            off: a.dv,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [d, dh, voc, h],
        View {
            off: a.d_o,
            s0: 1,
            s1: h * d,
            sb: d,
        },
        View {
            off: a.vv,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        View {
            off: gw.w_o,
            s0: hd,
            s1: 1,
            sb: dh,
        },
        Epilogue::Store,
    );
    // dW_{Q,K,V}[h·d_head + j, c] = Σ_t d{q,k,v}[t, h, j] W_E[c, t].
    rec.matmul(
        ops,
        [hd, d, voc, 3],
        View {
            off: a.dq,
            s0: 1,
            s1: hd,
            sb: a.dk - a.dq,
        },
        view(w.w_e, 1, voc),
        View {
            off: gw.w_q,
            s0: d,
            s1: 1,
            sb: gw.w_k - gw.w_q,
        },
        Epilogue::Store,
    );
    // dW_E[c, t] = de[t, c] + Σ_{x = q, k, v} Σ_{h, j} dx[t, h, j] W_X[h, j, c].
    let dwe = view(gw.w_e, 1, voc);
    for (i, (dx, w_x)) in [(a.dq, w.w_q), (a.dk, w.w_k), (a.dv, w.w_v)]
        .into_iter()
        .enumerate()
    {
        let base = if i == 0 { view(a.de, d, 1) } else { dwe };
        rec.matmul(
            ops,
            [voc, d, hd, 1],
            view(dx, hd, 1),
            view(w_x, d, 1),
            dwe,
            Epilogue::Add(base),
        );
    }
}

/// Step 6: one AdamW dispatch per run of adjacent tensors not frozen. Returns their uniform
/// slots, which take the optimizer's constant scalars.
pub(super) fn record_adamw(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    frozen: &[bool; N_TENSORS],
    ema: bool,
) -> Vec<usize> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for info in cfg.tensors() {
        if frozen[info.param as usize] {
            continue;
        }
        match ranges.last_mut() {
            Some((start, len)) if *start + *len == info.offset => *len += info.len(),
            _ => ranges.push((info.offset, info.len())),
        }
    }
    let mut slots = Vec::new();
    for (o, len) in ranges {
        let mut words = [0; 18];
        words[..6].copy_from_slice(&[len, a.params + o, a.grads + o, a.m + o, a.v + o, a.sc]);
        if ema {
            words[16..].copy_from_slice(&[a.filter + o, 1]);
        }
        slots.push(rec.words.len() / SLOT_WORDS);
        rec.flat(ops, Kernel::AdamW, &words, len);
    }
    slots
}
