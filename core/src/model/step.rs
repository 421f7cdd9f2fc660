//! The full-batch training step (SPEC §3, §4, §6), split into phases so that any backend can run
//! the batch blocks its own way and still reproduce core bit for bit:
//!
//! 1. [`prepare`]: per-token `e, q, k, v, o` and the transposed weights (once per step).
//! 2. Blocks of [`BLOCK`] examples: forward, loss and backward of each block into a zeroed
//!    partial gradient. Blocks are independent; a [`BlockRunner`] decides where they run.
//! 3. The partials are added into one accumulator in block order `((0 + p₀) + p₁) + …`.
//! 4. The per-token sums become weight gradients ([`gradients`] does 2–4).
//! 5. [`adamw_step`](crate::adamw::adamw_step).
use super::attention::{
    TokenGrads, attention_backward, attention_forward, attention_tokens_backward,
    attention_tokens_forward,
};
use super::config::{ModelConfig, N_TENSORS, Weights, WeightsMut};
use super::embed::{embed_backward, embed_forward};
use super::linalg::{add_assign, carve, carve_mut};
use super::loss::cross_entropy;
use super::mlp::{mlp_backward, mlp_forward, mlp_weight_grads};
use super::unembed::{unembed_backward, unembed_forward, unembed_weight_grads};
use crate::adamw::{AdamWConfig, adamw_step};
use crate::data::Example;
use crate::{Error, MAX_TASKS, Real};

/// Examples per block: the unit of the batch reduction and of parallel work (SPEC §6).
pub const BLOCK: usize = 64;

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

    /// e [V, D], q, k, v [V, H, d_head], o [V, H, D], W_in^T [D, M], W_out^T [M, D],
    /// W_U^T [V, D], dv [V, H, d_head], W_Q^T, W_K^T, W_V^T [D, H·d_head], W_O^T [H·d_head, D].
    fn cache_parts(&self) -> [usize; 13] {
        let c = &self.cfg;
        let (v, d, hd, m) = (c.d_vocab, c.d_model, c.n_heads * c.d_head, c.d_mlp);
        let o = v * c.n_heads * d;
        [
            v * d,
            v * hd,
            v * hd,
            v * hd,
            o,
            d * m,
            m * d,
            v * d,
            v * hd,
            d * hd,
            d * hd,
            d * hd,
            hd * d,
        ]
    }

    /// a [B, H, 3], r [B, D], m [B, M], r' [B, D], logits [B, V], dlogits [B, V], dr' [B, D],
    /// dm [B, M], dr [B, D].
    fn acts_parts(&self) -> [usize; 9] {
        let c = &self.cfg;
        let (v, d, m) = (c.d_vocab, c.d_model, c.d_mlp);
        let b = BLOCK;
        [
            b * c.n_heads * 3,
            b * d,
            b * m,
            b * d,
            b * v,
            b * v,
            b * d,
            b * m,
            b * d,
        ]
    }

    /// dW_U [D, V], dW_out [D, M], dW_in [M, D], de [V, D], dq, dk [V, H, d_head], d_o [V, H, D].
    fn partial_parts(&self) -> [usize; 7] {
        let c = &self.cfg;
        let (v, d, hd, m) = (c.d_vocab, c.d_model, c.n_heads * c.d_head, c.d_mlp);
        [
            d * v,
            d * m,
            m * d,
            v * d,
            v * hd,
            v * hd,
            v * c.n_heads * d,
        ]
    }

    /// Length of the per-step token cache.
    pub fn cache_len(&self) -> usize {
        self.cache_parts().iter().sum()
    }

    /// Length of one block's activations.
    pub fn acts_len(&self) -> usize {
        self.acts_parts().iter().sum()
    }

    /// Length of one block's partial gradient (and of the accumulator).
    pub fn partial_len(&self) -> usize {
        self.partial_parts().iter().sum()
    }

    /// Length of the single workspace that [`train_step`] carves up: cache, accumulator,
    /// gradients, and one block's activations and partial.
    pub fn workspace_len(&self) -> usize {
        self.cache_len() + 2 * self.partial_len() + self.cfg.n_params() + self.acts_len()
    }
}

/// Per-task sums of one block (or of many, merged in order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockStats {
    /// Σ of per-example cross-entropy, f64.
    pub loss_sum: [f64; MAX_TASKS],
    pub correct: [u32; MAX_TASKS],
    pub count: [u32; MAX_TASKS],
}

impl Default for BlockStats {
    fn default() -> Self {
        BlockStats {
            loss_sum: [0.0; MAX_TASKS],
            correct: [0; MAX_TASKS],
            count: [0; MAX_TASKS],
        }
    }
}

impl BlockStats {
    /// Adds a later block's sums into these.
    pub fn merge(&mut self, later: &BlockStats) {
        for i in 0..MAX_TASKS {
            self.loss_sum[i] += later.loss_sum[i];
            self.correct[i] += later.correct[i];
            self.count[i] += later.count[i];
        }
    }
}

/// Loss and accuracy per task of a whole example set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalStats {
    pub n_tasks: usize,
    /// Mean cross-entropy per task.
    pub loss: [f64; MAX_TASKS],
    /// Fraction of examples whose argmax over all d_vocab classes is the label, per task.
    pub acc: [f64; MAX_TASKS],
    pub count: [u32; MAX_TASKS],
}

impl EvalStats {
    fn from_sums(s: &BlockStats, n_tasks: usize) -> Self {
        let mut out = EvalStats {
            n_tasks,
            loss: [0.0; MAX_TASKS],
            acc: [0.0; MAX_TASKS],
            count: s.count,
        };
        for i in 0..n_tasks {
            if s.count[i] > 0 {
                out.loss[i] = s.loss_sum[i] / s.count[i] as f64;
                out.acc[i] = s.correct[i] as f64 / s.count[i] as f64;
            }
        }
        out
    }

    /// The training objective: Σ over tasks of each task's mean loss (SPEC §4).
    pub fn total_loss(&self) -> f64 {
        self.loss[..self.n_tasks].iter().sum()
    }

    /// Mean over tasks of the per-task mean loss.
    pub fn mean_loss(&self) -> f64 {
        self.total_loss() / self.n_tasks.max(1) as f64
    }

    /// Mean over tasks of the per-task accuracy.
    pub fn mean_acc(&self) -> f64 {
        self.acc[..self.n_tasks].iter().sum::<f64>() / self.n_tasks.max(1) as f64
    }
}

/// One block's work: `(block index, activations, partial gradient) → sums`.
pub type BlockWork<'a, T> = dyn Fn(usize, &mut [T], &mut [T]) -> BlockStats + Sync + 'a;

/// Where the blocks of a step run. An implementation may run `work` for many blocks at once on
/// its own buffers (each `acts_len` and `partial_len` long), but must hand every block's partial
/// and sums to `combine` in block order 0, 1, 2, …; that is what makes the result independent
/// of the thread count.
pub trait BlockRunner<T> {
    fn run_blocks(
        &mut self,
        n_blocks: usize,
        work: &BlockWork<'_, T>,
        combine: &mut dyn FnMut(&[T], &BlockStats),
    );
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
        combine: &mut dyn FnMut(&[T], &BlockStats),
    ) {
        for b in 0..n_blocks {
            let s = work(b, self.acts, self.partial);
            combine(self.partial, &s);
        }
    }
}

/// Phase 1: fills the token cache from the parameters.
pub fn prepare<T: Real>(cfg: &ModelConfig, params: &[T], cache: &mut [T]) -> Result<(), Error> {
    let lay = StepLayout::new(cfg)?;
    check_len(params.len(), cfg.n_params())?;
    check_len(cache.len(), lay.cache_len())?;
    let w = Weights::split(cfg, params);
    let [
        e,
        q,
        k,
        v,
        o,
        w_in_t,
        w_out_t,
        w_u_t,
        _dv,
        w_q_t,
        w_k_t,
        w_v_t,
        w_o_t,
    ] = carve_mut(cache, lay.cache_parts());
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
    attention_tokens_forward(cfg, e, [w_q_t, w_k_t, w_v_t], w_o_t, q, k, v, o);
    transpose(w.w_in, w_in_t, m, d);
    transpose(w.w_out, w_out_t, d, m);
    transpose(w.w_u, w_u_t, d, voc);
    Ok(())
}

/// `dst[j][i] = src[i][j]`; src: [rows, cols].
fn transpose<T: Real>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    for i in 0..rows {
        for j in 0..cols {
            dst[j * rows + i] = src[i * cols + j];
        }
    }
}

fn check_len(got: usize, need: usize) -> Result<(), Error> {
    if got < need {
        Err(Error::BufferTooSmall { need, got })
    } else {
        Ok(())
    }
}

/// Checks tokens, labels and task indices, and returns each task's weight `1/N_task`.
fn task_scales(
    cfg: &ModelConfig,
    examples: &[Example],
    n_tasks: usize,
) -> Result<[f64; MAX_TASKS], Error> {
    if n_tasks == 0 || n_tasks > MAX_TASKS {
        return Err(Error::BadTaskCount { n: n_tasks });
    }
    let mut count = [0u64; MAX_TASKS];
    for ex in examples {
        for &t in ex.tokens.iter().chain([&ex.label]) {
            if t as usize >= cfg.d_vocab {
                return Err(Error::BadToken {
                    token: t as u32,
                    d_vocab: cfg.d_vocab,
                });
            }
        }
        if ex.task as usize >= n_tasks {
            return Err(Error::BadTaskCount {
                n: ex.task as usize + 1,
            });
        }
        count[ex.task as usize] += 1;
    }
    Ok(count.map(|n| if n == 0 { 0.0 } else { 1.0 / n as f64 }))
}

/// Forward (and with `partial`, backward) of one block of at most [`BLOCK`] examples.
fn run_block<T: Real>(
    lay: &StepLayout,
    params: &[T],
    cache: &[T],
    examples: &[Example],
    scales: &[f64; MAX_TASKS],
    acts: &mut [T],
    partial: Option<&mut [T]>,
) -> BlockStats {
    let cfg = &lay.cfg;
    let (d, m, voc, h3) = (cfg.d_model, cfg.d_mlp, cfg.d_vocab, cfg.n_heads * 3);
    let n = examples.len();
    let w = Weights::split(cfg, params);
    let [e, q, k, _v, o, w_in_t, w_out_t, w_u_t, ..] = carve(cache, lay.cache_parts());
    let [a, r, mh, rr, logits, dlogits, drr, dm, dr] = carve_mut(acts, lay.acts_parts());
    let backward = partial.is_some();
    let mut stats = BlockStats::default();
    for (i, ex) in examples.iter().enumerate() {
        attention_forward(
            cfg,
            ex.tokens,
            e,
            q,
            k,
            o,
            &mut a[i * h3..(i + 1) * h3],
            &mut r[i * d..(i + 1) * d],
        );
    }
    mlp_forward(r, w_in_t, w_out_t, mh, rr, [n, d, m]);
    unembed_forward(rr, w.w_u, logits, [n, d, voc]);
    for (i, ex) in examples.iter().enumerate() {
        let li = i * voc..(i + 1) * voc;
        let task = ex.task as usize;
        let dl = if backward {
            Some(&mut dlogits[li.clone()])
        } else {
            None
        };
        let (loss, correct) = cross_entropy(&logits[li], ex.label as usize, scales[task], dl);
        stats.loss_sum[task] += loss;
        stats.correct[task] += correct as u32;
        stats.count[task] += 1;
    }
    let Some(partial) = partial else { return stats };
    let [d_w_u, d_w_out, d_w_in, de, dq, dk, d_o] = carve_mut(partial, lay.partial_parts());
    unembed_backward(dlogits, w_u_t, drr, [n, d, voc]);
    mlp_backward(drr, mh, w.w_in, w.w_out, dm, dr, [n, d, m]);
    let mut tg = TokenGrads { de, dq, dk, d_o };
    for (i, ex) in examples.iter().enumerate() {
        attention_backward(
            cfg,
            ex.tokens,
            q,
            k,
            o,
            &a[i * h3..(i + 1) * h3],
            &dr[i * d..(i + 1) * d],
            &mut tg,
        );
    }
    unembed_weight_grads(rr, dlogits, d_w_u, [n, d, voc]);
    mlp_weight_grads(drr, mh, dm, r, d_w_out, d_w_in, [n, d, m]);
    stats
}

/// Phases 2–4: loss, accuracy and the gradient of the training objective (Σ over tasks of the
/// mean cross-entropy) at `params`, whose cache [`prepare`] has filled. `acc` is the
/// accumulator (`partial_len`), `grads` gets every tensor's gradient (`n_params`).
#[allow(clippy::too_many_arguments)]
pub fn gradients<T: Real, R: BlockRunner<T>>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &mut [T],
    examples: &[Example],
    n_tasks: usize,
    acc: &mut [T],
    grads: &mut [T],
    runner: &mut R,
) -> Result<EvalStats, Error> {
    let lay = StepLayout::new(cfg)?;
    check_len(cache.len(), lay.cache_len())?;
    check_len(acc.len(), lay.partial_len())?;
    check_len(grads.len(), cfg.n_params())?;
    let scales = task_scales(cfg, examples, n_tasks)?;
    let acc = &mut acc[..lay.partial_len()];
    acc.fill(T::ZERO);
    let mut sums = BlockStats::default();
    {
        let cache_ro: &[T] = cache;
        let work = |b: usize, acts: &mut [T], partial: &mut [T]| {
            let partial = &mut partial[..lay.partial_len()];
            partial.fill(T::ZERO);
            let ex = &examples[b * BLOCK..((b + 1) * BLOCK).min(examples.len())];
            run_block(&lay, params, cache_ro, ex, &scales, acts, Some(partial))
        };
        let mut combine = |partial: &[T], s: &BlockStats| {
            add_assign(acc, &partial[..acc.len()]);
            sums.merge(s);
        };
        runner.run_blocks(examples.len().div_ceil(BLOCK), &work, &mut combine);
    }
    let w = Weights::split(cfg, params);
    let [e, _q, _k, v, _o, _, _, _, dv, ..] = carve_mut(cache, lay.cache_parts());
    let [d_w_u_acc, d_w_out_acc, d_w_in_acc, de, dq, dk, d_o] = carve_mut(acc, lay.partial_parts());
    let g = WeightsMut::split(cfg, grads);
    g.w_u.copy_from_slice(d_w_u_acc);
    g.w_out.copy_from_slice(d_w_out_acc);
    g.w_in.copy_from_slice(d_w_in_acc);
    let mut tg = TokenGrads { de, dq, dk, d_o };
    attention_tokens_backward(
        cfg,
        [w.w_q, w.w_k, w.w_v, w.w_o],
        e,
        v,
        &mut tg,
        dv,
        g.w_q,
        g.w_k,
        g.w_v,
        g.w_o,
    );
    embed_backward(tg.de, g.w_e, cfg.d_model, cfg.d_vocab);
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
    check_len(cache.len(), lay.cache_len())?;
    let scales = task_scales(cfg, examples, n_tasks)?;
    let mut sums = BlockStats::default();
    let work = |b: usize, acts: &mut [T], _partial: &mut [T]| {
        let ex = &examples[b * BLOCK..((b + 1) * BLOCK).min(examples.len())];
        run_block(&lay, params, cache, ex, &scales, acts, None)
    };
    let mut combine = |_: &[T], s: &BlockStats| sums.merge(s);
    runner.run_blocks(examples.len().div_ceil(BLOCK), &work, &mut combine);
    Ok(EvalStats::from_sums(&sums, n_tasks))
}

/// Logits of every example ([n, d_vocab] into `logits`) at `params`, whose cache [`prepare`]
/// has filled; `acts` is one block's activations (`acts_len`). Examples run in blocks of
/// [`BLOCK`], each independent of the others, so callers may split `examples` at any multiple of
/// [`BLOCK`] and run the pieces in parallel with the same result.
pub fn forward_logits<T: Real>(
    cfg: &ModelConfig,
    params: &[T],
    cache: &[T],
    examples: &[Example],
    acts: &mut [T],
    logits: &mut [T],
) -> Result<(), Error> {
    let lay = StepLayout::new(cfg)?;
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
    let logits_at = lay.acts_parts()[..4].iter().sum::<usize>();
    for (b, chunk) in examples.chunks(BLOCK).enumerate() {
        run_block(&lay, params, cache, chunk, &scales, acts, None);
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

/// One full-batch AdamW step on core alone. `workspace` is `StepLayout::workspace_len()` long.
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
) -> Result<StepStats, Error> {
    let lay = StepLayout::new(cfg)?;
    hyper.validate()?;
    let n = cfg.n_params();
    check_len(workspace.len(), lay.workspace_len())?;
    check_len(opt.m.len().min(opt.v.len()), n)?;
    let [cache, acc, grads, acts, partial] = carve_mut(
        workspace,
        [
            lay.cache_len(),
            lay.partial_len(),
            n,
            lay.acts_len(),
            lay.partial_len(),
        ],
    );
    prepare(cfg, params, cache)?;
    let mut serial = Serial { acts, partial };
    let train_stats = gradients(cfg, params, cache, train, n_tasks, acc, grads, &mut serial)?;
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
