//! One full-batch AdamW step on core alone: phases 1–4 on one thread ([`Serial`]), then the
//! optional Grokfast filter and the update (SPEC §4).
use super::batch::evaluate;
use super::gradients::{Sums, gradients};
use super::layout::StepLayout;
use super::linalg::carve_aligned_mut;
use super::prepare::prepare;
use super::runner::Serial;
use crate::Error;
use crate::adamw::{AdamWConfig, adamw_step};
use crate::data::Example;
use crate::error::check_len;
use crate::grokfast::{Grokfast, grokfast_step};
use crate::model::config::{ModelConfig, N_TENSORS};
use crate::model::stats::EvalStats;

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
    train_step_filtered(
        cfg, hyper, None, frozen, params, opt, train, test, n_tasks, workspace, touches,
    )
}

/// [`train_step`] with the gradient passed through a Grokfast filter before AdamW:
/// `filter` is the filter and its state ([`Grokfast::state_len`] of `cfg.n_params()`).
#[allow(clippy::too_many_arguments)]
pub fn train_step_filtered(
    cfg: &ModelConfig,
    hyper: &AdamWConfig,
    filter: Option<(&Grokfast, &mut [f32])>,
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
    if let Some((gf, state)) = &filter {
        gf.validate()?;
        check_len(state.len(), gf.state_len(n))?;
    }
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
    if let Some((gf, state)) = filter {
        grokfast_step(cfg, gf, opt.step, frozen, grads, state)?;
    }
    adamw_step(cfg, hyper, opt.step, frozen, params, grads, opt.m, opt.v);
    Ok(StepStats {
        train: train_stats,
        test: test_stats,
    })
}
