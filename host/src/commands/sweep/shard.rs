//! Shards of a grid: a run joins the group of the run it loads from, so a shard never waits on
//! another; `--shard i/n` takes group g when `g mod n == i`.
use crate::error::HostError;

use super::args::SweepArgs;
use super::grid::GridRun;

/// Which part of the grid this process trains: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// `i/n` with `n >= 1`, `i < n`.
    pub fn parse(s: &str) -> Result<Shard, HostError> {
        let bad = || {
            HostError::Usage(format!(
                "--shard {s:?} is not i/n with 0 <= i < n (e.g. 0/16; Slurm: $SLURM_ARRAY_TASK_ID/16)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl SweepArgs {
    /// The shard `--shard` names; the whole grid without it.
    pub fn shard(&self) -> Result<Shard, HostError> {
        self.shard.as_deref().map_or(Ok(Shard::ALL), Shard::parse)
    }
}

/// Group of each run: the group of the run it loads from, else its own (numbered in grid order).
pub fn groups(grid: &[GridRun]) -> Vec<usize> {
    let mut group = vec![0; grid.len()];
    let mut next = 0;
    for i in 0..grid.len() {
        group[i] = match grid[i].source {
            Some(s) if s < i => group[s],
            _ => {
                next += 1;
                next - 1
            }
        };
    }
    group
}

/// Indices of the runs of `shard`, in grid order.
pub fn select(grid: &[GridRun], shard: Shard) -> Vec<usize> {
    groups(grid)
        .into_iter()
        .enumerate()
        .filter(|&(_, g)| g % shard.count == shard.index)
        .map(|(i, _)| i)
        .collect()
}
