//! Train and test examples of a run, built by core's tasks and reference split (SPEC §1–2).
use modgrok_core::data::{Example, Tasks, n_train};

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

    /// The train and test example counts of [`Dataset::build`], without building the split.
    pub fn sizes(cfg: &RunConfig) -> Result<(usize, usize), HostError> {
        let tasks = cfg.tasks()?;
        let n_pairs = tasks.n_pairs(cfg.pairs);
        let n_train = n_train(cfg.frac, n_pairs)?;
        Ok((
            tasks.n_examples(n_train),
            tasks.n_examples(n_pairs - n_train),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modgrok_core::data::Pairs;

    #[test]
    fn sizes_are_the_built_datasets_lengths() {
        // Both pair sets, a filter that drops pairs, a mixture (two tasks share one split), and
        // a fraction whose product is not exact.
        for (op, p, frac, pairs) in [
            ("add", 97, 0.3, Pairs::Reference),
            ("add", 97, 0.3, Pairs::Field),
            ("multiply_non_zero", 11, 0.7, Pairs::Reference),
            ("division", 13, 0.45, Pairs::Field),
            ("add,subtract", 7, 0.51, Pairs::Reference),
        ] {
            let cfg = RunConfig {
                op: op.into(),
                p,
                frac,
                pairs,
                ..RunConfig::default()
            }
            .derived()
            .unwrap();
            let data = Dataset::build(&cfg).unwrap();
            assert_eq!(
                Dataset::sizes(&cfg).unwrap(),
                (data.train.len(), data.test.len()),
                "{op} p {p} frac {frac}"
            );
        }
    }
}
