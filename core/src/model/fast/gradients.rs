//! Phases 2–4 of the step: the batch pass over the groups, the token tables' gradient sums,
//! and the GEMMs that turn them into the weights' gradients.
use super::attention::{
    attention_tokens_de, attention_tokens_dv, attention_w_o_grad_t, attention_w_qkv_grad,
    head_map_grad_t,
};
use super::batch::run_group;
use super::embed::embed_backward;
use super::layout::{Cache, StepLayout, groups};
use super::linalg::{aligned_len, carve_aligned_mut, transpose_rows};
use super::mlp::{mlp_tokens_backward, mlp_weight_grads_t};
use super::runner::{BlockRunner, run_balanced, run_rows};
use super::token_sums::{Kept, e_sum_row, token_sums, token_touches, token_unit};
use super::unembed::{mlp_out_weight_grads_t, unembed_tokens_backward, unembed_weight_grads};
use crate::data::Example;
use crate::error::check_len;
use crate::model::config::{ModelConfig, Weights, WeightsMut};
use crate::model::stats::{BlockStats, EvalStats, task_scales};
use crate::{Error, Real};
use core::ops::Range;

/// Buffers of [`gradients`]: the accumulator (`acc_len`), what the batch pass keeps of each
/// example (`kept_len(n)`) and the token-touch index (`touches_len(n)`), for n examples.
pub struct Sums<'a, T> {
    pub acc: &'a mut [T],
    pub kept: &'a mut [T],
    pub touches: &'a mut [u32],
}

/// Phases 2–4: loss, accuracy and the gradient of the training objective (Σ over tasks of the
/// mean cross-entropy) at `params`, whose cache [`prepare`](super::prepare) has filled. `grads`
/// gets every tensor's gradient (`n_params`).
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
    let Cache {
        e,
        v,
        w_u_t,
        dv,
        de_in,
        d_w_out_t,
        de,
        w_in_o,
        w_u_o,
        d_w_in_o_t,
        d_w_u_o_t,
        d_w_in_t,
        d_w_o_t,
        ..
    } = Cache::carve_mut(&lay, cache);
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
