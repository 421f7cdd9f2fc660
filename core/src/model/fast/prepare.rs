//! Phase 1 of the step: the per-token tables and the weights in the layouts the step reads,
//! once per step, into the token cache ([`Cache`]).
use super::attention::{
    attention_tokens_heads_inner, attention_tokens_o_table, attention_tokens_qkv, head_map_t,
};
use super::embed::embed_forward;
use super::layout::{Cache, StepLayout};
use super::linalg::{pack_b_blocks, packed_block_len, transpose, transpose_rows};
use super::mlp::mlp_tokens_forward;
use super::runner::{BlockRunner, Serial, run_rows};
use super::unembed::{neuron_logit_map_forward, unembed_tokens_forward};
use crate::error::check_len;
use crate::model::config::{ModelConfig, Weights};
use crate::{Error, Real};
use core::ops::Range;

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
    let Cache {
        e,
        q,
        k,
        v,
        w_in_t,
        w_u_t,
        p,
        l,
        neuron_logit_map: nlm,
        neuron_logit_map_t_packed: nlm_t_packed,
        neuron_logit_map_packed: nlm_packed,
        w_q_t,
        w_k_t,
        w_v_t,
        w_o_t,
        l_t,
        p_t,
        w_in_o_t,
        w_in_o,
        w_u_o_t,
        w_u_o,
        ..
    } = Cache::carve_mut(&lay, cache);
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
