//! Per-task loss and accuracy (SPEC §4): the sums of a pass over examples, their means, and
//! the weight `1/N_task` of each example in the training objective.
use super::config::ModelConfig;
use crate::data::Example;
use crate::{Error, MAX_TASKS};

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
    /// Per-task means of the sums `s` of `n_tasks` tasks.
    pub fn from_sums(s: &BlockStats, n_tasks: usize) -> Self {
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

/// Checks tokens, labels and task indices, and returns each task's weight `1/N_task`.
pub fn task_scales(
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
