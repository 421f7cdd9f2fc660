//! The full-batch training step (SPEC §3, §4, §6), split into phases so that any backend can run
//! the work its own way and still reproduce core bit for bit:
//!
//! 1. [`prepare`]: per-token tables, once per step. With the embedding `e[t]` and the head
//!    outputs `o[t][h] = W_O[:, h] v[t][h]`, the residual at position 2 is `r = e[t2] + Σ a·o`,
//!    so every linear map `W_X` of r is a mix of the same map of e's and o's rows: the tables
//!    `p = [W_in e; W_in o]` and `l = [W_U^T e; W_U^T o]` and the neuron-logit map
//!    `W_U^T W_out` replace the per-example products with `W_in`, `W_out` and `W_U` (about half
//!    the FLOPs of the step). The o rows are `(W_X W_O[:, h]) v[t][h]`, through the head-output
//!    maps `W_in W_O` and `W_U^T W_O`, so o itself is never formed.
//! 2. The examples in [`GROUPS`] groups of consecutive examples: forward, loss and backward of
//!    each group (in chunks of [`BLOCK`]) into a zeroed partial (the neuron-logit map's and q's
//!    and k's gradient sums); each example's dlogits, dm_pre and attention weights are kept in
//!    the group's region of [`Sums::kept`]. Groups are independent; a [`BlockRunner`] decides
//!    where they run.
//! 3. The partials are added into one accumulator in group order `((0 + p₀) + p₁) + …`; the token
//!    tables' gradient sums, which have the same group order, run token by token over the kept
//!    values (`token_sums`), so that each of their rows is written once.
//! 4. The per-token sums become weight gradients by GEMMs over the token tables and the
//!    head-output maps ([`gradients`] does 2–4).
//! 5. [`adamw_step`](crate::adamw::adamw_step).
//!
//! The once-per-step GEMMs of 1 and 4 may be cut into row chunks run anywhere ([`prepare_with`],
//! [`gradients`]): each output element is one sum in a fixed order, whatever the cut.
use super::attention::{
    TokenGrads, attention_backward, attention_forward, attention_mix, attention_tokens_de,
    attention_tokens_dv, attention_tokens_heads_inner, attention_tokens_o_table,
    attention_tokens_qkv, attention_w_o_grad_t, attention_w_qkv_grad, head_map_grad_t, head_map_t,
};
use super::embed::{embed_backward, embed_forward};
use super::linalg::{
    add_assign, aligned, aligned_len, carve_aligned, carve_aligned_mut, pack_a_blocks,
    pack_b_blocks, packed_a_len, packed_block_len, packed_len, transpose, transpose_rows,
};
use super::mlp::{mlp_tokens_backward, mlp_tokens_forward, mlp_weight_grads_t};
use super::token_sums::{Kept, e_sum_row, token_sums, token_touches, token_unit, touches_len};
use super::unembed::{
    mlp_out_weight_grads_t, neuron_logit_map_forward, neuron_logit_map_grad, unembed_backward,
    unembed_forward, unembed_tokens_backward, unembed_tokens_forward, unembed_weight_grads,
};
use crate::adamw::{AdamWConfig, adamw_step};
use crate::data::Example;
use crate::model::config::{ModelConfig, N_TENSORS, Weights, WeightsMut};
use crate::model::loss::{EXP_BUF, cross_entropy_in};
use crate::model::stats::{BlockStats, EvalStats, task_scales};
use crate::{Error, MAX_TASKS, Real};
use core::ops::Range;

/// Examples per chunk: the activations of one chunk live in one `acts` buffer.
pub const BLOCK: usize = 64;

/// The examples are cut into at most this many groups of `⌈n / GROUPS⌉` consecutive examples,
/// the unit of the batch reduction and of parallel work (SPEC §6). A function of the example
/// count only, never of the thread count.
pub const GROUPS: usize = 8;

/// Most row chunks per once-per-step GEMM output ([`BlockRunner::split`]).
const SPLIT: usize = 8;

/// Buffer sizes of the step for one model config.
#[derive(Debug, Clone, Copy)]
pub struct StepLayout {
    pub cfg: ModelConfig,
}

impl StepLayout {
    pub fn new(cfg: &ModelConfig) -> Result<Self, Error> {
        cfg.validate()?;
        Ok(StepLayout { cfg: *cfg })
    }

    /// Rows of the token tables: d_vocab for e, then d_vocab · n_heads for o.
    fn n_x(&self) -> usize {
        self.cfg.d_vocab * (1 + self.cfg.n_heads)
    }

    /// e [V, D], q, k, v [V, H, d_head], W_in^T [D, M], W_U^T [V, D], p [n_x, M],
    /// l [n_x, V], neuron_logit_map [V, M], and its transpose and itself packed as the
    /// per-example products read them as B (`gemm_acc_packed`), dv [V, H, d_head],
    /// W_Q^T, W_K^T, W_V^T [D, H·d_head], W_O^T [H·d_head, D], de through the residual [V, D],
    /// dW_out^T [M, D], de [V, D], the o parts of l and p with the heads innermost, l_t [V, V, H]
    /// and p_t [V, M, H], the head-output maps (W_in W_O)^T [H·d_head, M], W_in W_O [M, H·d_head],
    /// (W_U^T W_O)^T [H·d_head, V], W_U^T W_O [V, H·d_head], the maps' gradients transposed
    /// [H·d_head, M] and [H·d_head, V], dW_in^T [D, M] and dW_O^T [H·d_head, D].
    fn cache_parts(&self) -> [usize; 29] {
        let c = &self.cfg;
        let (v, d, hd, m, nx) = (
            c.d_vocab,
            c.d_model,
            c.n_heads * c.d_head,
            c.d_mlp,
            self.n_x(),
        );
        [
            v * d,
            v * hd,
            v * hd,
            v * hd,
            d * m,
            v * d,
            nx * m,
            nx * v,
            v * m,
            packed_len(m, v),
            packed_len(v, m),
            v * hd,
            d * hd,
            d * hd,
            d * hd,
            hd * d,
            v * d,
            m * d,
            v * d,
            nx * v - v * v,
            nx * m - v * m,
            hd * m,
            m * hd,
            hd * v,
            v * hd,
            hd * m,
            hd * v,
            d * m,
            hd * d,
        ]
    }

    /// a [B, H, 3], m [B, M], logits [B, V], dlogits [B, V], dm_pre [B, M], da [B, H, 3],
    /// m^T packed as the neuron-logit map's gradient reads it.
    fn acts_parts(&self) -> [usize; 7] {
        let c = &self.cfg;
        let (v, m) = (c.d_vocab, c.d_mlp);
        let b = BLOCK;
        [
            b * c.n_heads * 3,
            b * mh_ld(m),
            b * v,
            b * v,
            b * m,
            b * c.n_heads * 3,
            packed_a_len(m, b),
        ]
    }

    /// g [V, 1 + H, M], lg [V, 1 + H, V] (the token tables' sums, token-major, see
    /// `token_sums`), then the partial parts.
    fn acc_parts(&self) -> [usize; 5] {
        let c = &self.cfg;
        let (v, m, nx) = (c.d_vocab, c.d_mlp, self.n_x());
        let [d_nlm_t, dq, dk] = self.partial_parts();
        [nx * m, nx * v, d_nlm_t, dq, dk]
    }

    /// d neuron_logit_map^T [M, V], dq, dk [V, H, d_head] (see `TokenGrads`).
    fn partial_parts(&self) -> [usize; 3] {
        let c = &self.cfg;
        let (v, hd, m) = (c.d_vocab, c.n_heads * c.d_head, c.d_mlp);
        [m * v, v * hd, v * hd]
    }

    /// Length of the per-token sums that phases 2 and 3 add into.
    pub fn acc_len(&self) -> usize {
        aligned_len(&self.acc_parts())
    }

    /// Length of what the batch pass keeps of n examples for the token tables' sums: one
    /// `Kept` region per group.
    pub fn kept_len(&self, n: usize) -> usize {
        let (size, count) = groups(n);
        count * Kept::new(&self.cfg, size).group_len()
    }

    /// Length of the token-touch index of n examples (u32).
    pub fn touches_len(&self, n: usize) -> usize {
        touches_len(self.cfg.d_vocab, n)
    }

    /// Length of the per-step token cache.
    pub fn cache_len(&self) -> usize {
        aligned_len(&self.cache_parts())
    }

    /// Length of one chunk's activations.
    pub fn acts_len(&self) -> usize {
        aligned_len(&self.acts_parts())
    }

    /// Length of one group's partial sums.
    pub fn partial_len(&self) -> usize {
        aligned_len(&self.partial_parts())
    }

    /// Length of the single workspace that [`train_step`] carves up for `n_train` examples:
    /// cache, accumulator, gradients, one chunk's activations, one group's partial and what
    /// the batch pass keeps.
    pub fn workspace_len(&self, n_train: usize) -> usize {
        aligned_len(&[
            self.cache_len(),
            self.acc_len(),
            self.cfg.n_params(),
            self.acts_len(),
            self.partial_len(),
            self.kept_len(n_train),
        ])
    }
}

/// Row stride of a chunk's MLP activations m for d_mlp `m`: padded, so that a d_mlp of a large
/// power of two does not put the rows of a chunk in a few L1 sets for the GEMM that reads
/// them 5 at a time (`unembed_forward`).
fn mh_ld(m: usize) -> usize {
    m + 16
}

/// The groups of `n` examples: `(group size, number of groups)`.
fn groups(n: usize) -> (usize, usize) {
    let size = n.div_ceil(GROUPS).max(1);
    (size, n.div_ceil(size))
}

/// One block's work: `(block index, activations, partial gradient, the block's region of what
/// the pass keeps) → sums`.
pub type BlockWork<'a, T> = dyn Fn(usize, &mut [T], &mut [T], &mut [T]) -> BlockStats + Sync + 'a;

/// One piece of a once-per-step kernel's output: `(piece index, the piece)`; the piece is
/// written by this call only.
pub type PieceWork<'a, T> = dyn Fn(usize, &mut [T]) + Sync + 'a;

/// Where the blocks of a step run. An implementation may run `work` for many blocks at once on
/// its own buffers (each `acts_len` and `partial_len` long), but must hand every block's partial
/// and sums to `combine` in block order 0, 1, 2, …; that is what makes the result independent
/// of the thread count. `kept` is cut into `n_blocks` equal regions (empty when it is), block b
/// getting region b.
pub trait BlockRunner<T> {
    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        kept: &mut [T],
        combine: &mut dyn FnMut(&[T], &BlockStats),
    );

    /// Row chunks per output of a once-per-step kernel, at most [`SPLIT`]: more lets more
    /// threads share one output, fewer leaves each chunk a larger product. Never changes a bit.
    fn split(&self) -> usize {
        1
    }

    /// `work(i, pieces[i])` for every i, in any order and anywhere: the pieces are disjoint and
    /// each is written by its own call only.
    fn run_pieces(&mut self, pieces: &mut [&mut [T]], work: &PieceWork<'_, T>) {
        for (i, piece) in pieces.iter_mut().enumerate() {
            work(i, piece);
        }
    }

    /// [`run_blocks`](Self::run_blocks) whose combine is `acc[i] += partial[i]` for every i <
    /// acc.len(), block by block, then `stats` of the block. An implementation may add the
    /// partials of several finished blocks into different ranges of `acc` at once, as long as
    /// every element receives them in block order.
    fn run_blocks_summed(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        kept: &mut [T],
        acc: &mut [T],
        stats: &mut dyn FnMut(&BlockStats),
    ) where
        T: Real,
    {
        self.run_blocks(n_blocks, work, kept, &mut |partial, s| {
            add_assign(acc, &partial[..acc.len()]);
            stats(s);
        });
    }
}

/// Runs the blocks one after another on one set of buffers: the reference.
pub struct Serial<'a, T> {
    pub acts: &'a mut [T],
    pub partial: &'a mut [T],
}

impl<T> BlockRunner<T> for Serial<'_, T> {
    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        kept: &mut [T],
        combine: &mut dyn FnMut(&[T], &BlockStats),
    ) {
        let per = kept.len() / n_blocks.max(1);
        for b in 0..n_blocks {
            let s = work(
                b,
                self.acts,
                self.partial,
                &mut kept[b * per..(b + 1) * per],
            );
            combine(self.partial, &s);
        }
    }
}

/// Phase 1: fills the token cache from the parameters, on this thread.
pub fn prepare<T: Real>(cfg: &ModelConfig, params: &[T], cache: &mut [T]) -> Result<(), Error> {
    prepare_tables(cfg, params, cache, None::<&mut Serial<'_, T>>)
}

/// [`prepare`] with the large GEMMs cut into row chunks on `runner`; the same bits.
pub fn prepare_with<T: Real, R: BlockRunner<T>>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &mut [T],
    runner: &mut R,
) -> Result<(), Error> {
    prepare_tables(cfg, params, cache, Some(runner))
}

fn prepare_tables<T: Real, R: BlockRunner<T>>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &mut [T],
    runner: Option<&mut R>,
) -> Result<(), Error> {
    let lay = StepLayout::new(cfg)?;
    check_len(params.len(), cfg.n_params())?;
    check_len(cache.len(), lay.cache_len())?;
    let w = Weights::split(cfg, params);
    let [
        e,
        q,
        k,
        v,
        w_in_t,
        w_u_t,
        p,
        l,
        nlm,
        nlm_t_packed,
        nlm_packed,
        _dv,
        w_q_t,
        w_k_t,
        w_v_t,
        w_o_t,
        _de_in,
        _d_w_out_t,
        _de,
        l_t,
        p_t,
        w_in_o_t,
        w_in_o,
        w_u_o_t,
        w_u_o,
        ..,
    ] = carve_aligned_mut(cache, lay.cache_parts());
    let (d, m, voc, hd) = (
        cfg.d_model,
        cfg.d_mlp,
        cfg.d_vocab,
        cfg.n_heads * cfg.d_head,
    );
    embed_forward(w.w_e, e, d, voc);
    transpose(w.w_q, w_q_t, hd, d);
    transpose(w.w_k, w_k_t, hd, d);
    transpose(w.w_v, w_v_t, hd, d);
    transpose(w.w_o, w_o_t, d, hd);
    transpose(w.w_u, w_u_t, d, voc);
    let mut runner = runner;
    {
        let (e, w_qkv_t): (&[T], [&[T]; 3]) = (e, [w_q_t, w_k_t, w_v_t]);
        let first = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
            0..3 => attention_tokens_qkv(cfg, e, w_qkv_t[i], out, rows),
            _ => transpose_rows(w.w_in, out, m, d, rows),
        };
        run_rows(
            runner.as_deref_mut(),
            [&mut *q, &mut *k, &mut *v, &mut *w_in_t],
            [hd, hd, hd, m],
            [true, true, true, false],
            &first,
        );
    }
    let (p_e, p_o) = p.split_at_mut(voc * m);
    let (l_e, l_o) = l.split_at_mut(voc * voc);
    {
        let (e, w_in_t, w_o_t): (&[T], &[T], &[T]) = (e, w_in_t, w_o_t);
        let maps = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
            0 => head_map_t(w_o_t, w_in_t, out, rows, [d, m]),
            1 => head_map_t(w_o_t, w.w_u, out, rows, [d, voc]),
            2 => mlp_tokens_forward(e, w_in_t, out, rows, [d, m]),
            3 => unembed_tokens_forward(e, w.w_u, out, rows, [d, voc]),
            _ => neuron_logit_map_forward(w.w_u, w.w_out, out, rows, [d, m, voc]),
        };
        run_rows(
            runner.as_deref_mut(),
            [&mut *w_in_o_t, &mut *w_u_o_t, p_e, l_e, &mut *nlm],
            [m, voc, m, voc, m],
            [false; 5],
            &maps,
        );
    }
    {
        let (v, w_in_o_t, w_u_o_t): (&[T], &[T], &[T]) = (v, w_in_o_t, w_u_o_t);
        let o_tables = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
            0 => attention_tokens_o_table(cfg, v, w_in_o_t, out, rows, m),
            1 => attention_tokens_o_table(cfg, v, w_u_o_t, out, rows, voc),
            2 => transpose_rows(w_in_o_t, out, hd, m, rows),
            _ => transpose_rows(w_u_o_t, out, hd, voc, rows),
        };
        run_rows(
            runner.as_deref_mut(),
            [p_o, l_o, w_in_o, w_u_o],
            [cfg.n_heads * m, cfg.n_heads * voc, hd, hd],
            [false; 4],
            &o_tables,
        );
    }
    let (p, l, nlm): (&[T], &[T], &[T]) = (p, l, nlm);
    let copies = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
        0 => attention_tokens_heads_inner(cfg, l, out, voc, rows),
        1 => attention_tokens_heads_inner(cfg, p, out, m, rows),
        2 => pack_b_blocks(nlm, [1, m], m, voc, rows, out),
        _ => pack_b_blocks(nlm, [m, 1], voc, m, rows, out),
    };
    run_rows(
        runner,
        [l_t, p_t, nlm_t_packed, nlm_packed],
        [
            voc * cfg.n_heads,
            m * cfg.n_heads,
            packed_block_len(voc),
            packed_block_len(m),
        ],
        [false; 4],
        &copies,
    );
    Ok(())
}

/// Rows `rows` of output i written into its piece: `(i, rows, piece)`. The piece is zeroed
/// first where the caller says the work adds into it (`zeroed[i]`); otherwise the work writes
/// every element itself.
type RowWork<'a, T> = dyn Fn(usize, Range<usize>, &mut [T]) + Sync + 'a;

/// Fills `outs[i]` (rows of `cols[i]` values) with `compute(i, rows, out)`, which writes the
/// given rows into `out`, zeroed first where `zeroed[i]`. With a runner, each output is cut
/// into the runner's [`split`](BlockRunner::split) of row chunks that it may compute at once,
/// each in place; without, each
/// output is one call. Every element is the same sum either way, so the bits do not depend on
/// the cut.
fn run_rows<T: Real, R: BlockRunner<T>, const N: usize>(
    runner: Option<&mut R>,
    outs: [&mut [T]; N],
    cols: [usize; N],
    zeroed: [bool; N],
    compute: &RowWork<'_, T>,
) {
    let rows: [usize; N] = core::array::from_fn(|i| outs[i].len() / cols[i]);
    let Some(runner) = runner else {
        for (i, out) in outs.into_iter().enumerate() {
            if zeroed[i] {
                out.fill(T::ZERO);
            }
            compute(i, 0..rows[i], out);
        }
        return;
    };
    const { assert!(N * SPLIT <= MAX_PIECES) };
    let split = runner.split().clamp(1, SPLIT);
    let per: [usize; N] = core::array::from_fn(|i| rows[i].div_ceil(split).max(1));
    run_cut(
        runner,
        outs,
        cols,
        zeroed,
        &|i, r0| (r0 + per[i]).min(rows[i]),
        compute,
    );
}

/// [`run_rows`] cut into about [`BALANCED`] pieces of about equal cost, each a run of whole
/// units: `unit(r) = (rows, cost)` is the unit that starts at row r, its cost per column.
fn run_balanced<T: Real, R: BlockRunner<T>, const N: usize>(
    runner: &mut R,
    outs: [&mut [T]; N],
    cols: [usize; N],
    zeroed: [bool; N],
    unit: &dyn Fn(usize) -> (usize, usize),
    compute: &RowWork<'_, T>,
) {
    let rows: [usize; N] = core::array::from_fn(|i| outs[i].len() / cols[i]);
    let units = |i: usize, from: usize| {
        let mut r = from;
        core::iter::from_fn(move || {
            (r < rows[i]).then(|| {
                let (len, cost) = unit(r);
                r += len.clamp(1, rows[i] - r);
                (r, cost * cols[i])
            })
        })
    };
    let total: usize = (0..N)
        .map(|i| units(i, 0).map(|(_, c)| c).sum::<usize>())
        .sum();
    let target = total.div_ceil(BALANCED).max(1);
    // Every piece but an output's last costs at least `target`, so there are at most
    // BALANCED + N pieces.
    const { assert!(BALANCED + N <= MAX_PIECES) };
    let end = |i: usize, r0: usize| {
        let mut sum = 0;
        units(i, r0)
            .find(|&(_, cost)| {
                sum += cost;
                sum >= target
            })
            .map_or(rows[i], |(r1, _)| r1)
    };
    run_cut(runner, outs, cols, zeroed, &end, compute);
}

/// Cuts each output `outs[i]` into row pieces, the piece from row r0 ending at `end(i, r0)`
/// (> r0), and has the runner fill each: zeroed where `zeroed[i]`, then
/// `compute(i, rows, piece)` in place. The callers bound the number of pieces by
/// [`MAX_PIECES`].
fn run_cut<T: Real, R: BlockRunner<T>, const N: usize>(
    runner: &mut R,
    outs: [&mut [T]; N],
    cols: [usize; N],
    zeroed: [bool; N],
    end: &dyn Fn(usize, usize) -> usize,
    compute: &RowWork<'_, T>,
) {
    let mut pieces: heapless::Vec<&mut [T], MAX_PIECES> = heapless::Vec::new();
    let mut owner: heapless::Vec<(usize, usize), MAX_PIECES> = heapless::Vec::new();
    for (i, mut out) in outs.into_iter().enumerate() {
        let (rows, mut r0) = (out.len() / cols[i], 0);
        while r0 < rows {
            let r1 = end(i, r0);
            let (piece, rest) = core::mem::take(&mut out).split_at_mut((r1 - r0) * cols[i]);
            // Within the capacity the callers assert.
            let _ = owner.push((i, r0));
            let _ = pieces.push(piece);
            (out, r0) = (rest, r1);
        }
    }
    let work = |task: usize, piece: &mut [T]| {
        let (i, r0) = owner[task];
        if zeroed[i] {
            piece.fill(T::ZERO);
        }
        compute(i, r0..r0 + piece.len() / cols[i], piece);
    };
    runner.run_pieces(&mut pieces, &work);
}

/// Pieces of [`run_balanced`].
const BALANCED: usize = 32;

/// Capacity of [`run_cut`]'s piece list: [`SPLIT`] pieces of up to seven outputs
/// ([`run_rows`]), or [`BALANCED`] and one per output ([`run_balanced`]).
const MAX_PIECES: usize = 7 * SPLIT;

fn check_len(got: usize, need: usize) -> Result<(), Error> {
    if got < need {
        Err(Error::BufferTooSmall { need, got })
    } else {
        Ok(())
    }
}

/// The backward's outputs for one chunk: the partial to add into, and where the chunk's
/// dlogits, dm_pre and attention weights are kept for the token tables' sums.
struct Backward<'a, T> {
    partial: &'a mut [T],
    kept: [&'a mut [T]; 3],
}

/// Forward (and with `back`, backward) of one chunk of at most [`BLOCK`] examples; `first`
/// says it is its group's first, whose product writes the partial's d_nlm_t (a sum from zero)
/// rather than adding to it.
fn run_block<T: Real>(
    lay: &StepLayout,
    cache: &[T],
    examples: &[Example],
    scales: &[f64; MAX_TASKS],
    acts: &mut [T],
    back: Option<Backward<'_, T>>,
    first: bool,
) -> BlockStats {
    let cfg = &lay.cfg;
    let (d, m, voc, h3) = (cfg.d_model, cfg.d_mlp, cfg.d_vocab, cfg.n_heads * 3);
    let n = examples.len();
    let [
        _e,
        q,
        k,
        _v,
        _w_in_t,
        _w_u_t,
        p,
        l,
        _nlm,
        nlm_t_packed,
        nlm_packed,
        _dv,
        _w_q_t,
        _w_k_t,
        _w_v_t,
        _w_o_t,
        _de_in,
        _d_w_out_t,
        _de,
        l_t,
        p_t,
        ..,
    ] = carve_aligned(cache, lay.cache_parts());
    let [a_own, mh, logits, dl_own, dm_own, da, mh_t] = carve_aligned_mut(acts, lay.acts_parts());
    let (partial, [dlogits, dm, a]) = match back {
        Some(Backward { partial, kept }) => (Some(partial), kept),
        None => (None, [dl_own, dm_own, a_own]),
    };
    let (a, mh, logits, dlogits, dm) = (
        &mut a[..n * h3],
        &mut mh[..n * mh_ld(m)],
        &mut logits[..n * voc],
        &mut dlogits[..n * voc],
        &mut dm[..n * m],
    );
    let backward = partial.is_some();
    let mut stats = BlockStats::default();
    let mut exps = [0.0f64; EXP_BUF];
    for (i, ex) in examples.iter().enumerate() {
        attention_forward(cfg, ex.tokens, q, k, &mut a[i * h3..(i + 1) * h3]);
    }
    let ld = mh_ld(m);
    attention_mix(cfg, examples, a, p, mh, [m, ld], true);
    attention_mix(cfg, examples, a, l, logits, [voc, voc], false);
    unembed_forward(mh, ld, nlm_t_packed, logits, [n, d, m, voc]);
    for (i, ex) in examples.iter().enumerate() {
        let li = i * voc..(i + 1) * voc;
        let task = ex.task as usize;
        let dl = if backward {
            Some(&mut dlogits[li.clone()])
        } else {
            None
        };
        let label = ex.label as usize;
        let (loss, correct) = cross_entropy_in(&logits[li], label, scales[task], dl, &mut exps);
        stats.loss_sum[task] += loss;
        stats.correct[task] += correct as u32;
        stats.count[task] += 1;
    }
    let Some(partial) = partial else { return stats };
    let [d_nlm_t, dq, dk] = carve_aligned_mut(partial, lay.partial_parts());
    unembed_backward(dlogits, nlm_packed, (mh, ld), dm, [n, d, m, voc]);
    let mut tg = TokenGrads { dq, dk };
    attention_backward(cfg, examples, q, k, [l_t, p_t], a, dlogits, dm, da, &mut tg);
    pack_a_blocks(mh, [1, ld], m, n, mh_t);
    neuron_logit_map_grad(mh_t, dlogits, d_nlm_t, [n, d, m, voc], first);
    stats
}

/// Forward (and with `partial`, backward, keeping what the token tables' sums need in the
/// group's region `kept`) of group `gi` of `examples`, chunk by chunk.
#[allow(clippy::too_many_arguments)]
fn run_group<T: Real>(
    lay: &StepLayout,
    cache: &[T],
    examples: &[Example],
    gi: usize,
    scales: &[f64; MAX_TASKS],
    acts: &mut [T],
    mut partial: Option<&mut [T]>,
    kept: &mut [T],
) -> BlockStats {
    let (size, _) = groups(examples.len());
    let group = &examples[gi * size..((gi + 1) * size).min(examples.len())];
    let layout = Kept::new(&lay.cfg, size);
    if let Some(p) = partial.as_deref_mut() {
        // The first chunk's product writes d_nlm_t itself.
        p[aligned(lay.partial_parts()[0])..lay.partial_len()].fill(T::ZERO);
    }
    let mut stats = BlockStats::default();
    for (c, chunk) in group.chunks(BLOCK).enumerate() {
        let back = partial.as_deref_mut().map(|partial| Backward {
            partial,
            kept: layout.split(&mut *kept, c * BLOCK, chunk.len()),
        });
        let s = run_block(lay, cache, chunk, scales, acts, back, c == 0);
        stats.merge(&s);
    }
    stats
}

/// Buffers of [`gradients`]: the accumulator (`acc_len`), what the batch pass keeps of each
/// example (`kept_len(n)`) and the token-touch index (`touches_len(n)`), for n examples.
pub struct Sums<'a, T> {
    pub acc: &'a mut [T],
    pub kept: &'a mut [T],
    pub touches: &'a mut [u32],
}

/// Phases 2–4: loss, accuracy and the gradient of the training objective (Σ over tasks of the
/// mean cross-entropy) at `params`, whose cache [`prepare`] has filled. `grads` gets every
/// tensor's gradient (`n_params`).
#[allow(clippy::too_many_arguments)]
pub fn gradients<T: Real, R: BlockRunner<T>>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &mut [T],
    examples: &[Example],
    n_tasks: usize,
    sums_buf: Sums<'_, T>,
    grads: &mut [T],
    runner: &mut R,
) -> Result<EvalStats, Error> {
    let lay = StepLayout::new(cfg)?;
    let n_ex = examples.len();
    check_len(params.len(), cfg.n_params())?;
    check_len(cache.len(), lay.cache_len())?;
    check_len(sums_buf.acc.len(), lay.acc_len())?;
    check_len(sums_buf.kept.len(), lay.kept_len(n_ex))?;
    check_len(sums_buf.touches.len(), lay.touches_len(n_ex))?;
    check_len(grads.len(), cfg.n_params())?;
    let scales = task_scales(cfg, examples, n_tasks)?;
    let acc = &mut sums_buf.acc[..lay.acc_len()];
    let kept = &mut sums_buf.kept[..lay.kept_len(n_ex)];
    let touches = &mut sums_buf.touches[..lay.touches_len(n_ex)];
    let (token_acc, acc_partial) = acc.split_at_mut(aligned_len(&lay.acc_parts()[..2]));
    acc_partial.fill(T::ZERO);
    let mut sums = BlockStats::default();
    {
        let cache_ro: &[T] = cache;
        let work = |gi: usize, acts: &mut [T], partial: &mut [T], kept: &mut [T]| {
            run_group(
                &lay,
                cache_ro,
                examples,
                gi,
                &scales,
                acts,
                Some(partial),
                kept,
            )
        };
        let mut merge = |s: &BlockStats| sums.merge(s);
        let n_groups = groups(n_ex).1;
        runner.run_blocks_summed(n_groups, &work, kept, acc_partial, &mut merge);
    }
    token_touches(examples, cfg.d_vocab, touches);
    {
        let [g, lg] = carve_aligned_mut(token_acc, lay.acc_parts()[..2].try_into().expect("two"));
        let (layout, kept, touches): (Kept, &[T], &[u32]) =
            (Kept::new(cfg, groups(n_ex).0), kept, touches);
        let compute = |i: usize, rows: Range<usize>, out: &mut [T]| {
            token_sums(cfg, &layout, kept, touches, i == 0, rows, out)
        };
        let unit = |r: usize| token_unit(cfg, touches, r);
        let (outs, cols) = ([g, lg], [cfg.d_mlp, cfg.d_vocab]);
        run_balanced(runner, outs, cols, [true; 2], &unit, &compute);
    }
    let (d, m, voc) = (cfg.d_model, cfg.d_mlp, cfg.d_vocab);
    let hd = cfg.n_heads * cfg.d_head;
    let w = Weights::split(cfg, params);
    let [
        e,
        _q,
        _k,
        v,
        _w_in_t,
        w_u_t,
        _p,
        _l,
        _nlm,
        _,
        _,
        dv,
        _,
        _,
        _,
        _,
        de_in,
        d_w_out_t,
        de,
        _,
        _,
        _,
        w_in_o,
        _,
        w_u_o,
        d_w_in_o_t,
        d_w_u_o_t,
        d_w_in_t,
        d_w_o_t,
    ] = carve_aligned_mut(cache, lay.cache_parts());
    let [g_acc, lg_acc, d_nlm_t, dq, dk] = carve_aligned_mut(acc, lay.acc_parts());
    let gr = WeightsMut::split(cfg, grads);
    let (e, v, w_u_t): (&[T], &[T], &[T]) = (e, v, w_u_t);
    let (w_in_o, w_u_o): (&[T], &[T]) = (w_in_o, w_u_o);
    let (g_acc, lg_acc): (&[T], &[T]) = (g_acc, lg_acc);
    // The e rows of the token-major sums, one token apart.
    let e_ld = e_sum_row(cfg.n_heads, 1);
    let (g_e, lg_e) = ((g_acc, e_ld * m), (lg_acc, e_ld * voc));
    let (d_nlm_t, dq, dk): (&[T], &[T], &[T]) = (d_nlm_t, dq, dk);
    {
        let first = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
            0 => head_map_grad_t(cfg, v, g_acc, out, rows, m),
            1 => head_map_grad_t(cfg, v, lg_acc, out, rows, voc),
            2 => {
                mlp_tokens_backward(g_e, w.w_in, out, rows.clone(), [d, m]);
                unembed_tokens_backward(lg_e, w_u_t, out, rows, [d, voc]);
            }
            3 => mlp_out_weight_grads_t(d_nlm_t, w_u_t, out, rows, [d, voc]),
            _ => attention_tokens_dv(cfg, [g_acc, lg_acc], [w_in_o, w_u_o], out, rows, [m, voc]),
        };
        run_rows(
            Some(&mut *runner),
            [
                &mut *d_w_in_o_t,
                &mut *d_w_u_o_t,
                &mut *de_in,
                &mut *d_w_out_t,
                &mut *dv,
            ],
            [m, voc, d, d, hd],
            [false; 5],
            &first,
        );
    }
    let (d_w_in_o_t, d_w_u_o_t, d_w_out_t, dv): (&[T], &[T], &[T], &[T]) =
        (d_w_in_o_t, d_w_u_o_t, d_w_out_t, dv);
    {
        let second = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
            0 => mlp_weight_grads_t(e, g_e, w.w_o, d_w_in_o_t, out, rows, [voc, d, hd, m]),
            1 => attention_w_o_grad_t(
                [d_w_in_o_t, d_w_u_o_t],
                [w.w_in, w_u_t],
                out,
                rows,
                [d, m, voc],
            ),
            2 => unembed_weight_grads(
                e,
                lg_e,
                [w.w_out, d_nlm_t],
                [w.w_o, d_w_u_o_t],
                out,
                rows,
                [d, m, voc, hd],
            ),
            3 => attention_w_qkv_grad(cfg, dq, e, out, rows),
            4 => attention_w_qkv_grad(cfg, dk, e, out, rows),
            5 => attention_w_qkv_grad(cfg, dv, e, out, rows),
            _ => transpose_rows(d_w_out_t, out, m, d, rows),
        };
        run_rows(
            Some(&mut *runner),
            [
                &mut *d_w_in_t,
                &mut *d_w_o_t,
                &mut *gr.w_u,
                &mut *gr.w_q,
                &mut *gr.w_k,
                &mut *gr.w_v,
                &mut *gr.w_out,
            ],
            [m, d, voc, d, d, d, m],
            [false, false, false, true, true, true, false],
            &second,
        );
    }
    {
        let (de_in, d_w_in_t, d_w_o_t): (&[T], &[T], &[T]) = (de_in, d_w_in_t, d_w_o_t);
        let third = |i: usize, rows: Range<usize>, out: &mut [T]| match i {
            0 => attention_tokens_de(cfg, de_in, [w.w_q, w.w_k, w.w_v], [dq, dk, dv], out, rows),
            1 => transpose_rows(d_w_in_t, out, d, m, rows),
            _ => transpose_rows(d_w_o_t, out, hd, d, rows),
        };
        run_rows(
            Some(&mut *runner),
            [&mut *de, &mut *gr.w_in, &mut *gr.w_o],
            [d, d, hd],
            [false; 3],
            &third,
        );
    }
    embed_backward(de, gr.w_e, d, voc);
    Ok(EvalStats::from_sums(&sums, n_tasks))
}

/// Loss and accuracy per task at `params` (cache filled by [`prepare`]), forward only.
pub fn evaluate<T: Real, R: BlockRunner<T>>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &[T],
    examples: &[Example],
    n_tasks: usize,
    runner: &mut R,
) -> Result<EvalStats, Error> {
    let lay = StepLayout::new(cfg)?;
    check_len(params.len(), cfg.n_params())?;
    check_len(cache.len(), lay.cache_len())?;
    let scales = task_scales(cfg, examples, n_tasks)?;
    let mut sums = BlockStats::default();
    let work = |gi: usize, acts: &mut [T], _partial: &mut [T], _kept: &mut [T]| {
        run_group(&lay, cache, examples, gi, &scales, acts, None, &mut [])
    };
    let mut combine = |_: &[T], s: &BlockStats| sums.merge(s);
    runner.run_blocks(groups(examples.len()).1, &work, &mut [], &mut combine);
    Ok(EvalStats::from_sums(&sums, n_tasks))
}

/// Logits of every example ([n, d_vocab] into `logits`) at `params`, whose cache [`prepare`]
/// has filled; `acts` is one chunk's activations (`acts_len`). Each example's logits depend on
/// it alone, so callers may split `examples` anywhere and run the pieces in parallel with the
/// same result.
pub fn forward_logits<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &[T],
    examples: &[Example],
    acts: &mut [T],
    logits: &mut [T],
) -> Result<(), Error> {
    let lay = StepLayout::new(cfg)?;
    check_len(params.len(), cfg.n_params())?;
    check_len(cache.len(), lay.cache_len())?;
    check_len(acts.len(), lay.acts_len())?;
    check_len(logits.len(), examples.len() * cfg.d_vocab)?;
    let n_tasks = examples
        .iter()
        .map(|e| e.task as usize + 1)
        .max()
        .unwrap_or(1);
    let scales = task_scales(cfg, examples, n_tasks)?;
    let voc = cfg.d_vocab;
    let logits_at = aligned_len(&lay.acts_parts()[..2]);
    for (b, chunk) in examples.chunks(BLOCK).enumerate() {
        run_block(&lay, cache, chunk, &scales, acts, None, false);
        let out = &mut logits[b * BLOCK * voc..(b * BLOCK + chunk.len()) * voc];
        out.copy_from_slice(&acts[logits_at..logits_at + chunk.len() * voc]);
    }
    Ok(())
}

/// AdamW state: first and second moments (`n_params` each) and the number of steps taken.
pub struct OptimState<'a> {
    pub m: &'a mut [f32],
    pub v: &'a mut [f32],
    pub step: u64,
}

/// Metrics of one step, computed before its update (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepStats {
    pub train: EvalStats,
    pub test: Option<EvalStats>,
}

/// One full-batch AdamW step on core alone. `workspace` is `StepLayout::workspace_len(n)` and
/// `touches` `StepLayout::touches_len(n)` long, n the number of train examples.
/// With `test`, the test set is evaluated at the same parameters before the update.
#[allow(clippy::too_many_arguments)]
pub fn train_step(
    cfg: &ModelConfig,
    hyper: &AdamWConfig,
    frozen: &[bool; N_TENSORS],
    params: &mut [f32],
    opt: &mut OptimState<'_>,
    train: &[Example],
    test: Option<&[Example]>,
    n_tasks: usize,
    workspace: &mut [f32],
    touches: &mut [u32],
) -> Result<StepStats, Error> {
    let lay = StepLayout::new(cfg)?;
    hyper.validate()?;
    let n = cfg.n_params();
    check_len(workspace.len(), lay.workspace_len(train.len()))?;
    check_len(opt.m.len().min(opt.v.len()), n)?;
    let [cache, acc, grads, acts, partial, kept] = carve_aligned_mut(
        workspace,
        [
            lay.cache_len(),
            lay.acc_len(),
            n,
            lay.acts_len(),
            lay.partial_len(),
            lay.kept_len(train.len()),
        ],
    );
    prepare(cfg, params, cache)?;
    let mut serial = Serial { acts, partial };
    let bufs = Sums { acc, kept, touches };
    let train_stats = gradients(cfg, params, cache, train, n_tasks, bufs, grads, &mut serial)?;
    let test_stats = match test {
        Some(test) => Some(evaluate(cfg, params, cache, test, n_tasks, &mut serial)?),
        None => None,
    };
    opt.step += 1;
    adamw_step(cfg, hyper, opt.step, frozen, params, grads, opt.m, opt.v);
    Ok(StepStats {
        train: train_stats,
        test: test_stats,
    })
}
