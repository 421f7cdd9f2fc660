//! The fixed list of dispatches of a step: the token tables, the examples' forward, the backward
//! and gradient sums, and AdamW per tensor.
use modgrok_core::model::{ModelConfig, N_TENSORS};

use super::arena::{Arena, batched, tensor_offsets, view};
use super::ids::{Ids, max_chunks};
use super::kernel::{Kernel, SLOT_WORDS};
use super::recorder::{Epilogue, Op, Recorder};

fn attn_words(cfg: &ModelConfig, a: &Arena, tok: usize, n: usize) -> [usize; 16] {
    let sqrt_dh = ((cfg.d_head as f64).sqrt() as f32).to_bits() as usize;
    [
        n,
        tok,
        cfg.n_heads,
        cfg.d_head,
        cfg.d_vocab,
        cfg.d_mlp,
        a.q,
        a.k,
        a.a,
        a.g,
        a.mlp_table,
        a.logit_table,
        a.dpre,
        a.dl,
        sqrt_dh,
        0,
    ]
}

/// The arena of a run of `n_train` and `n_test` examples, its split scratch as long as the
/// largest split product of its train and test passes needs. A product's cut depends only on
/// its shape, so the passes are recorded here with the ids' offsets left at zero.
pub(super) fn arena(cfg: &ModelConfig, n_train: usize, n_test: usize, filter: usize) -> Arena {
    let mut a = Arena::new(cfg, n_train, n_test, filter);
    let mut rec = Recorder {
        split_scratch: a.split,
        ..Recorder::default()
    };
    let mut ops = Vec::new();
    record_train(&mut rec, &mut ops, cfg, &a, &Ids::default(), n_train);
    record_test(&mut rec, &mut ops, cfg, &a, [0, n_train, n_test]);
    a.len += rec.split_need;
    a
}

/// The test examples' forward, their logits [N_test, V] into `test_logits`: in pieces of at
/// most N_train examples, so that the per-example regions the train pass uses hold each piece.
pub(super) fn record_test(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    [test_tok, n_train, n_test]: [usize; 3],
) {
    let piece = n_train.max(1);
    for start in (0..n_test).step_by(piece) {
        let n = piece.min(n_test - start);
        let logits = a.test_logits + start * cfg.d_vocab;
        record_examples_forward(rec, ops, cfg, a, [test_tok + 3 * start, n, logits]);
    }
}

/// `out [n, width] = T[t_2, 0] + Σ_h Σ_s a[h, s] T[t_s, 1 + h]` for the table T at `table`.
fn fold(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    [tok, n, width, table, out, relu]: [usize; 6],
) {
    let words = [n, tok, cfg.n_heads, width, table, a.a, out, relu];
    rec.flat(ops, Kernel::Fold, &words, n * width);
}

/// Step 1: the token tables and maps of the current θ.
fn record_tables(rec: &mut Recorder, ops: &mut Vec<Op>, cfg: &ModelConfig, a: &Arena) {
    let (voc, d, h, dh, m) = (cfg.d_vocab, cfg.d_model, cfg.n_heads, cfg.d_head, cfg.d_mlp);
    let hd = h * dh;
    let rows = 1 + h;
    let w = tensor_offsets(cfg, a.params);

    // q, k, v [V, H·d_head] = W_E^T W^T. W_Q, W_K, W_V follow each other in θ, as q, k, v do
    // in the arena: one batch of three.
    rec.matmul(
        ops,
        [voc, hd, d, 3],
        view(w.w_e, 1, voc),
        batched(w.w_q, 1, d, w.w_k - w.w_q),
        batched(a.q, hd, 1, a.k - a.q),
        Epilogue::Store,
    );
    // The head-output maps W_in W_O [M, HD] and W_U^T W_O [V, HD]; the neuron-logit map
    // W_U^T W_out [V, M].
    rec.matmul(
        ops,
        [m, hd, d, 1],
        view(w.w_in, d, 1),
        view(w.w_o, hd, 1),
        view(a.head_in, hd, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [voc, hd, d, 1],
        view(w.w_u, 1, voc),
        view(w.w_o, hd, 1),
        view(a.head_u, hd, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [voc, m, d, 1],
        view(w.w_u, 1, voc),
        view(w.w_out, m, 1),
        view(a.neuron_logit_map, m, 1),
        Epilogue::Store,
    );
    // p[t, 0] = W_in e[t]; p[t, 1 + h] = (W_in W_O[:, h]) v[t, h]; the same for l with W_U^T.
    for (table, width, e_map, head_map) in [
        (a.mlp_table, m, view(w.w_in, 1, d), a.head_in),
        (a.logit_table, voc, view(w.w_u, voc, 1), a.head_u),
    ] {
        rec.matmul(
            ops,
            [voc, width, d, 1],
            view(w.w_e, 1, voc),
            e_map,
            view(table, rows * width, 1),
            Epilogue::Store,
        );
        rec.matmul(
            ops,
            [voc, width, dh, h],
            batched(a.vv, hd, 1, dh),
            batched(head_map, 1, hd, dh),
            batched(table + width, rows * width, 1, width),
            Epilogue::Store,
        );
    }
}

/// Step 2 for `n` ≤ N_train examples whose tokens start at `tok` in the u32 arena, their logits
/// [n, V] into `logits` (the token tables must hold the current θ's).
fn record_examples_forward(
    rec: &mut Recorder,
    ops: &mut Vec<Op>,
    cfg: &ModelConfig,
    a: &Arena,
    [tok, n, logits]: [usize; 3],
) {
    let (voc, h, m) = (cfg.d_vocab, cfg.n_heads, cfg.d_mlp);
    rec.flat(ops, Kernel::AttnScores, &attn_words(cfg, a, tok, n), n * h);
    fold(rec, ops, cfg, a, [tok, n, m, a.mlp_table, a.mh, 1]);
    fold(rec, ops, cfg, a, [tok, n, voc, a.logit_table, logits, 0]);
    rec.matmul(
        ops,
        [n, voc, m, 1],
        view(a.mh, m, 1),
        view(a.neuron_logit_map, 1, m),
        view(logits, voc, 1),
        Epilogue::Add(view(logits, voc, 1)),
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
    let rows = 1 + h;
    let w = tensor_offsets(cfg, a.params);
    let gw = tensor_offsets(cfg, a.grads);

    // 1–3.
    record_tables(rec, ops, cfg, a);
    record_examples_forward(rec, ops, cfg, a, [id.train_tok, n, a.logits]);
    let ce = [n, voc, a.logits, a.dl, a.scale, id.train_label];
    rec.flat(ops, Kernel::CeGrad, &ce, n);

    // 4. d neuron_logit_map = dl^T m, a sum over n; then dpre = (dl · neuron_logit_map) ⊙ [m > 0]
    // in m's place (each element reads its m and writes its dpre in one invocation).
    rec.matmul(
        ops,
        [voc, m, n, 1],
        view(a.dl, 1, voc),
        view(a.mh, m, 1),
        view(a.d_neuron_logit_map, m, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [n, m, voc, 1],
        view(a.dl, voc, 1),
        view(a.neuron_logit_map, m, 1),
        view(a.dpre, m, 1),
        Epilogue::Mask(view(a.mh, m, 1)),
    );

    // 5. Attention backward per example; the token tables' sums and dq, dk per token.
    // One workgroup of 64 invocations per example, or one invocation per (example, head).
    let words = attn_words(cfg, a, id.train_tok, n);
    if rec.direct {
        rec.flat(ops, Kernel::AttnBwdDirect, &words, n * h);
    } else {
        rec.flat(ops, Kernel::AttnBwd, &words, n * 64);
    }
    let chunks = max_chunks(voc, n);
    // Two blocks a pass: the two tables' sums (d_logit_table follows d_mlp_table), then dq and
    // dk (dk follows dq).
    assert_eq!(
        a.d_logit_table,
        a.d_mlp_table + voc * rows * m,
        "the tables' sums adjoin"
    );
    assert_eq!(a.dk, a.dq + voc * hd, "dk follows dq");
    let tok = |[width, width1]: [usize; 2], out: usize| {
        [
            voc,
            h,
            dh,
            width,
            id.entries,
            id.chunk_starts,
            id.token_chunks,
            id.train_tok,
            a.a,
            a.g,
            a.q,
            a.k,
            a.dpre,
            a.part,
            out,
            chunks,
            width1,
            a.dl,
        ]
    };
    let part = tok([m, voc], a.d_mlp_table);
    rec.flat(ops, Kernel::TokSumPart, &part, chunks * rows * (m + voc));
    let reduce = tok([rows * m, rows * voc], a.d_mlp_table);
    rec.flat(ops, Kernel::TokReduce, &reduce, voc * rows * (m + voc));
    let words = tok([hd, hd], a.dq);
    rec.flat(ops, Kernel::TokQkPart, &words, 2 * chunks * hd);
    rec.flat(ops, Kernel::TokReduce, &words, 2 * voc * hd);

    // 6. From the table sums G (dp, dl) to the maps and v: for each head h,
    // d head_map[:, h] = Σ_t G[t, 1 + h]^T v[t, h] and dv[t, h] = Σ_G Σ_x G[t, 1 + h] head_map[:, h].
    let tables = [
        (a.d_mlp_table, m, a.head_in, a.d_head_in),
        (a.d_logit_table, voc, a.head_u, a.d_head_u),
    ];
    for &(g, width, _, d_head_map) in &tables {
        rec.matmul(
            ops,
            [width, dh, voc, h],
            batched(g + width, 1, rows * width, width),
            batched(a.vv, hd, 1, dh),
            batched(d_head_map, hd, 1, dh),
            Epilogue::Store,
        );
    }
    let dv_terms = tables.map(|(g, width, head_map, _)| {
        (
            batched(g + width, rows * width, 1, width),
            batched(head_map, hd, 1, dh),
            width,
        )
    });
    rec.products(
        ops,
        [voc, dh, h],
        &dv_terms,
        batched(a.dv, hd, 1, dh),
        Epilogue::Store,
    );

    // 7. The weights' gradients, each one product over the tables' and maps' uses of it:
    // dW_in = dp[:, 0]^T W_E^T + d head_in W_O^T;
    // dW_O = W_in^T d head_in + W_U d head_u;
    // dW_U = W_E dl[:, 0] + W_O d head_u^T + W_out d neuron_logit_map^T;
    // dW_out = W_U d neuron_logit_map;
    // dW_{Q,K,V}[h·d_head + j, c] = Σ_t d{q,k,v}[t, h, j] W_E[c, t];
    // dW_E[c, t] = (W_in^T dp[t, 0] + W_U dl[t, 0] + Σ_{x = q, k, v} Σ_{h, j} dx[t, h, j] W_X[h, j, c]),
    // the residual path and the three projections.
    let dp0 = (a.d_mlp_table, rows * m);
    let dl0 = (a.d_logit_table, rows * voc);
    rec.products(
        ops,
        [m, d, 1],
        &[
            (view(dp0.0, 1, dp0.1), view(w.w_e, 1, voc), voc),
            (view(a.d_head_in, hd, 1), view(w.w_o, 1, hd), hd),
        ],
        view(gw.w_in, d, 1),
        Epilogue::Store,
    );
    rec.products(
        ops,
        [d, hd, 1],
        &[
            (view(w.w_in, 1, d), view(a.d_head_in, hd, 1), m),
            (view(w.w_u, voc, 1), view(a.d_head_u, hd, 1), voc),
        ],
        view(gw.w_o, hd, 1),
        Epilogue::Store,
    );
    rec.products(
        ops,
        [d, voc, 1],
        &[
            (view(w.w_e, voc, 1), view(dl0.0, dl0.1, 1), voc),
            (view(w.w_o, hd, 1), view(a.d_head_u, 1, hd), hd),
            (view(w.w_out, m, 1), view(a.d_neuron_logit_map, 1, m), m),
        ],
        view(gw.w_u, voc, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [d, m, voc, 1],
        view(w.w_u, voc, 1),
        view(a.d_neuron_logit_map, m, 1),
        view(gw.w_out, m, 1),
        Epilogue::Store,
    );
    rec.matmul(
        ops,
        [hd, d, voc, 3],
        batched(a.dq, 1, hd, a.dk - a.dq),
        view(w.w_e, 1, voc),
        batched(gw.w_q, d, 1, gw.w_k - gw.w_q),
        Epilogue::Store,
    );
    rec.products(
        ops,
        [voc, d, 1],
        &[
            (view(dp0.0, dp0.1, 1), view(w.w_in, d, 1), m),
            (view(dl0.0, dl0.1, 1), view(w.w_u, 1, voc), voc),
            (view(a.dq, hd, 1), view(w.w_q, d, 1), hd),
            (view(a.dk, hd, 1), view(w.w_k, d, 1), hd),
            (view(a.dv, hd, 1), view(w.w_v, d, 1), hd),
        ],
        view(gw.w_e, 1, voc),
        Epilogue::Store,
    );
}

/// Step 8: one AdamW dispatch per run of adjacent tensors not frozen. Returns their uniform
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
