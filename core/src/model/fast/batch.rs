//! Phase 2 of the step, the batch pass: forward, loss and backward of each group of examples,
//! chunk by chunk, over the token cache; and the forward-only passes built on it.
use super::attention::{TokenGrads, attention_backward, attention_forward, attention_mix};
use super::layout::{Acts, BLOCK, Cache, StepLayout, groups, mh_ld};
use super::linalg::{aligned, carve_aligned_mut, pack_a_blocks};
use super::runner::BlockRunner;
use super::token_sums::Kept;
use super::unembed::{neuron_logit_map_grad, unembed_backward, unembed_forward};
use crate::data::Example;
use crate::error::check_len;
use crate::model::config::ModelConfig;
use crate::model::loss::{EXP_BUF, cross_entropy_in};
use crate::model::stats::{BlockStats, EvalStats, task_scales};
use crate::{Error, MAX_TASKS, Real};

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
    let Cache {
        q,
        k,
        p,
        l,
        neuron_logit_map_t_packed: nlm_t_packed,
        neuron_logit_map_packed: nlm_packed,
        l_t,
        p_t,
        ..
    } = Cache::carve(lay, cache);
    let Acts {
        a: a_own,
        m: mh,
        logits,
        dlogits: dl_own,
        dm_pre: dm_own,
        da,
        m_t_packed: mh_t,
    } = Acts::carve_mut(lay, acts);
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
pub(super) fn run_group<T: Real>(
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

/// Loss and accuracy per task at `params` (cache filled by [`prepare`](super::prepare)),
/// forward only.
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

/// Logits of every example ([n, d_vocab] into `logits`) at `params`, whose cache
/// [`prepare`](super::prepare) has filled; `acts` is one chunk's activations (`acts_len`). Each
/// example's logits depend on it alone, so callers may split `examples` anywhere and run the
/// pieces in parallel with the same result.
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
    for (b, chunk) in examples.chunks(BLOCK).enumerate() {
        run_block(&lay, cache, chunk, &scales, acts, None, false);
        let out = &mut logits[b * BLOCK * voc..(b * BLOCK + chunk.len()) * voc];
        out.copy_from_slice(&Acts::carve_mut(&lay, acts).logits[..chunk.len() * voc]);
    }
    Ok(())
}
