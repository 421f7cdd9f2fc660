//! Train and test examples of a run, built by core's tasks and reference split (SPEC §1–2).
use modgrok_core::data::{Example, Tasks};

use crate::config::RunConfig;
use crate::error::HostError;

pub struct Dataset {
    pub tasks: Tasks,
    pub train: Vec<Example>,
    pub test: Vec<Example>,
}

impl Dataset {
    /// The shared split of `cfg.seed`, then every task's examples of each side, task-major.
    pub fn build(cfg: &RunConfig) -> Result<Dataset, HostError> {
        let tasks = cfg.tasks()?;
        let mut pairs = vec![(0u16, 0u16); tasks.n_pairs(cfg.pairs)];
        let n_train = tasks.split(cfg.pairs, cfg.frac, cfg.seed, &mut pairs)?;
        let (train_pairs, test_pairs) = pairs.split_at(n_train);
        let examples = |side: &[(u16, u16)]| -> Result<Vec<Example>, HostError> {
            let mut out = vec![Example::default(); tasks.n_examples(side.len())];
            tasks.fill_examples(side, &mut out)?;
            Ok(out)
        };
        let train = examples(train_pairs)?;
        let test = examples(test_pairs)?;
        Ok(Dataset { tasks, train, test })
    }
}
