//! The one f32 buffer a run owns: the offsets of θ, gradients, m, v, the per-token tables
//! and maps, and the per-example activations, and the views of them the matmuls read.
use modgrok_core::model::{ModelConfig, Param};

use super::ids::max_chunks;

/// Offsets (in f32 elements) of the regions of the arena. The per-example regions have N_train
/// rows (the test set's forward runs in pieces of that many), the logits of the test set
/// N_test.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arena {
    pub(super) params: usize,
    pub(super) grads: usize,
    pub(super) m: usize,
    pub(super) v: usize,
    /// The Grokfast ema state h (`n_params` long with the filter, else empty).
    pub(super) filter: usize,
    /// The AdamW scalars of the run's step t: −lr/(1−β1^t), √(1−β2^t), 1.0 at t = 1 else 0.0,
    /// and a pad.
    pub(super) sc: usize,
    /// q, k, v [V, H·d_head]; dq, dk, dv [V, H·d_head].
    pub(super) q: usize,
    pub(super) k: usize,
    pub(super) vv: usize,
    pub(super) dq: usize,
    pub(super) dk: usize,
    pub(super) dv: usize,
    /// The head-output maps `W_in W_O` [M, H·d_head] and `W_U^T W_O` [V, H·d_head], the
    /// neuron-logit map `W_U^T W_out` [V, M], and their gradients.
    pub(super) head_in: usize,
    pub(super) head_u: usize,
    pub(super) neuron_logit_map: usize,
    pub(super) d_head_in: usize,
    pub(super) d_head_u: usize,
    pub(super) d_neuron_logit_map: usize,
    /// The token tables, token-major: the MLP's `p` [V, 1 + H, M] (row 0 of token t is
    /// `W_in e[t]`, row 1 + h is `W_in o[t, h]`), the unembedding's `l` [V, 1 + H, V] (the same
    /// with `W_U^T`), and their gradient sums.
    pub(super) mlp_table: usize,
    pub(super) logit_table: usize,
    pub(super) d_mlp_table: usize,
    pub(super) d_logit_table: usize,
    /// The per-chunk partial sums of the per-token gradients [chunks, ·] (see `tokens.wgsl`).
    pub(super) part: usize,
    /// The slices of a split product (`Recorder::products`), at the end of the arena: as long
    /// as the run's largest split needs ([`super::passes::arena`]).
    pub(super) split: usize,
    /// a [N_train, H, 3]; mh [N_train, M], whose place dpre [N_train, M] takes once m is used;
    /// g [N_train, H, 3]; logits, dl [N_train, V]; test_logits [N_test, V]; scale [N_train]
    /// (each example's weight 1/N_task).
    pub(super) a: usize,
    pub(super) g: usize,
    pub(super) mh: usize,
    pub(super) dpre: usize,
    pub(super) logits: usize,
    pub(super) test_logits: usize,
    pub(super) dl: usize,
    pub(super) scale: usize,
    pub(super) len: usize,
}

impl Arena {
    /// The layout of every region but the split scratch, which starts at `len`.
    pub(super) fn new(cfg: &ModelConfig, n_train: usize, n_test: usize, filter: usize) -> Arena {
        let (voc, h, m) = (cfg.d_vocab, cfg.n_heads, cfg.d_mlp);
        let hd = h * cfg.d_head;
        let p = cfg.n_params();
        let mut at = 0;
        let mut take = |n: usize| {
            let off = at;
            at += n;
            off
        };
        let mut a = Arena {
            params: take(p),
            grads: take(p),
            m: take(p),
            v: take(p),
            filter: take(filter),
            sc: take(4),
            q: take(voc * hd),
            k: take(voc * hd),
            vv: take(voc * hd),
            dq: take(voc * hd),
            dk: take(voc * hd),
            dv: take(voc * hd),
            head_in: take(m * hd),
            head_u: take(voc * hd),
            neuron_logit_map: take(voc * m),
            d_head_in: take(m * hd),
            d_head_u: take(voc * hd),
            d_neuron_logit_map: take(voc * m),
            mlp_table: take(voc * (1 + h) * m),
            logit_table: take(voc * (1 + h) * voc),
            d_mlp_table: take(voc * (1 + h) * m),
            d_logit_table: take(voc * (1 + h) * voc),
            part: take(max_chunks(voc, n_train) * ((1 + h) * (m + voc)).max(2 * hd)),
            a: take(n_train * h * 3),
            g: take(n_train * h * 3),
            mh: take(n_train * m),
            dpre: 0,
            logits: take(n_train * voc),
            test_logits: take(n_test * voc),
            dl: take(n_train * voc),
            scale: take(n_train),
            split: 0,
            len: 0,
        };
        a.dpre = a.mh;
        // The split products' scratch comes last, sized by `passes::arena`.
        a.split = at;
        a.len = at;
        a
    }
}

/// An operand of [`Recorder::matmul`]: element (b, x, y) at `off + b·sb + x·s0 + y·s1`.
#[derive(Debug, Clone, Copy)]
pub(super) struct View {
    pub(super) off: usize,
    pub(super) s0: usize,
    pub(super) s1: usize,
    pub(super) sb: usize,
}

pub(super) const fn view(off: usize, s0: usize, s1: usize) -> View {
    View { off, s0, s1, sb: 0 }
}

/// A view whose batch index b (a head, in the step) moves it by `sb`.
pub(super) const fn batched(off: usize, s0: usize, s1: usize, sb: usize) -> View {
    View { off, s0, s1, sb }
}

/// Parameter offsets in the arena.
pub(super) struct P {
    pub(super) w_e: usize,
    pub(super) w_q: usize,
    pub(super) w_k: usize,
    pub(super) w_v: usize,
    pub(super) w_o: usize,
    pub(super) w_in: usize,
    pub(super) w_out: usize,
    pub(super) w_u: usize,
}

pub(super) fn tensor_offsets(cfg: &ModelConfig, base: usize) -> P {
    let at = |p: Param| base + cfg.tensor(p).offset;
    P {
        w_e: at(Param::WE),
        w_q: at(Param::WQ),
        w_k: at(Param::WK),
        w_v: at(Param::WV),
        w_o: at(Param::WO),
        w_in: at(Param::WIn),
        w_out: at(Param::WOut),
        w_u: at(Param::WU),
    }
}
