//! `modgrok label-stats`: how far the train labels' distribution is from the test labels' over
//! split seeds (paper App. K), with core's [`label_stats`] on each split.
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use modgrok_core::data::Tasks;
use modgrok_core::fourier::{LabelStats, label_counts, label_stats};

use crate::error::HostError;
use crate::fsio;

const LABEL_STATS_EXAMPLES: &str = "\
Examples:
  modgrok label-stats --op add --p 97 --frac 0.3 --seeds 5
  modgrok label-stats --op x2_y,multiply --p 97 --frac 0.5 --seeds 20 --csv labels.csv

Split seeds are 0..N; each split is the one `modgrok train --seed S` uses. KL and entropies are
in nats; the table ends with each task's mean and (population) standard deviation over seeds.
With --smoothing 0 a label that never occurs in the test set makes the KL inf.";

#[derive(Debug, Clone, Args)]
#[command(after_help = LABEL_STATS_EXAMPLES)]
pub struct LabelStatsArgs {
    /// Operation, expression or comma list (a mixture gives one row per task and seed)
    #[arg(long, default_value = "add")]
    pub op: String,
    /// Prime modulus
    #[arg(long, default_value_t = 97)]
    pub p: u32,
    /// Fraction of the pairs in the train set, in (0, 1)
    #[arg(long, default_value_t = 0.3)]
    pub frac: f64,
    /// Operands of the split: reference (every token id 0..p+5) or field (x, y in 0..p), as
    /// `modgrok train --pairs`
    #[arg(long, default_value = "reference", value_parser = crate::config::pairs_value_parser())]
    pub pairs: modgrok_core::data::Pairs,
    /// Number of split seeds: 0, 1, …, N − 1
    #[arg(long, default_value_t = 10)]
    pub seeds: u64,
    /// Additive smoothing λ of both distributions, P(z) = (count + λ) / (N + λ·p)
    #[arg(long, default_value_t = 0.0)]
    pub smoothing: f64,
    /// Also write the rows as CSV to FILE
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

/// Most split seeds one call averages over.
pub const MAX_SEEDS: u64 = 100_000;

/// The statistics of one task under one split seed.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelStatsRow {
    pub seed: u64,
    pub task: String,
    pub n_train: usize,
    pub n_test: usize,
    pub stats: LabelStats,
}

/// Column names of the CSV and the table.
pub const CSV_HEADER: &str = "seed,task,n_train,n_test,kl_train_test,entropy_train,entropy_test";

impl LabelStatsArgs {
    /// One row per seed and task, seeds ascending, tasks in mixture order.
    pub fn rows(&self) -> Result<Vec<LabelStatsRow>, HostError> {
        if self.seeds == 0 || self.seeds > MAX_SEEDS {
            return Err(HostError::Usage(format!(
                "--seeds {} must lie in 1..={MAX_SEEDS}",
                self.seeds
            )));
        }
        if !(self.smoothing.is_finite() && self.smoothing >= 0.0) {
            return Err(HostError::Usage(format!(
                "--smoothing {} must be a finite number >= 0 (0: none)",
                self.smoothing
            )));
        }
        let tasks = Tasks::parse(self.p, &self.op)?;
        let n_pairs = tasks.n_pairs(self.pairs);
        if n_pairs > crate::config::MAX_EXAMPLES {
            return Err(HostError::Usage(format!(
                "p = {} gives {n_pairs} pairs, more than {} fit here: choose a smaller --p",
                self.p,
                crate::config::MAX_EXAMPLES
            )));
        }
        let p = self.p as usize;
        let mut pairs = vec![(0u16, 0u16); tasks.n_pairs(self.pairs)];
        let (mut train, mut test) = (vec![0u32; p], vec![0u32; p]);
        let (mut lab_train, mut lab_test) = (Vec::new(), Vec::new());
        let mut rows = Vec::new();
        for seed in 0..self.seeds {
            let n_train = tasks.split(self.pairs, self.frac, seed, &mut pairs)?;
            let (tr, te) = pairs.split_at(n_train);
            for task in tasks.tasks() {
                let label = |&(x, y): &(u16, u16)| task.op.eval(x as u32, y as u32, self.p) as u16;
                lab_train.clear();
                lab_train.extend(tr.iter().map(label));
                lab_test.clear();
                lab_test.extend(te.iter().map(label));
                label_counts(&lab_train, &mut train)?;
                label_counts(&lab_test, &mut test)?;
                rows.push(LabelStatsRow {
                    seed,
                    task: task.op.to_string(),
                    n_train: tr.len(),
                    n_test: te.len(),
                    stats: label_stats(&train, &test, self.smoothing)?,
                });
            }
        }
        Ok(rows)
    }

    /// Computes the rows, writes the CSV if asked, and returns the text for stdout: a table of
    /// the rows, then mean and standard deviation over seeds of each task.
    pub fn run(&self) -> Result<String, HostError> {
        let rows = self.rows()?;
        if let Some(path) = &self.csv {
            fsio::write_atomic(path, csv(&rows).as_bytes())?;
        }
        Ok(table(&rows, self))
    }
}

/// The rows as CSV (header, then one line per row; floats in shortest round-trip form).
pub fn csv(rows: &[LabelStatsRow]) -> String {
    let mut s = format!("{CSV_HEADER}\n");
    for r in rows {
        let task = if r.task.contains([',', '"']) {
            format!("\"{}\"", r.task.replace('"', "\"\""))
        } else {
            r.task.clone()
        };
        let _ = writeln!(
            s,
            "{},{task},{},{},{:?},{:?},{:?}",
            r.seed,
            r.n_train,
            r.n_test,
            r.stats.kl_train_test,
            r.stats.entropy_train,
            r.stats.entropy_test
        );
    }
    s
}

fn table(rows: &[LabelStatsRow], args: &LabelStatsArgs) -> String {
    let mut s = format!(
        "label statistics of {} mod {}, frac {}, {} split seeds (nats; smoothing {})\n",
        args.op, args.p, args.frac, args.seeds, args.smoothing
    );
    let _ = writeln!(
        s,
        "{:>5}  {:<12} {:>8} {:>8} {:>14} {:>14} {:>14}",
        "seed", "task", "n_train", "n_test", "KL(train‖test)", "H(train)", "H(test)"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>5}  {:<12} {:>8} {:>8} {:>14.6e} {:>14.6} {:>14.6}",
            r.seed,
            r.task,
            r.n_train,
            r.n_test,
            r.stats.kl_train_test,
            r.stats.entropy_train,
            r.stats.entropy_test
        );
    }
    let mut tasks: Vec<&str> = Vec::new();
    for r in rows {
        if !tasks.contains(&r.task.as_str()) {
            tasks.push(&r.task);
        }
    }
    for task in tasks {
        let of = |f: fn(&LabelStats) -> f64| -> (f64, f64) {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| r.task == task)
                .map(|r| f(&r.stats))
                .collect();
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
            (mean, var.sqrt())
        };
        let (kl, ht, hs) = (
            of(|s| s.kl_train_test),
            of(|s| s.entropy_train),
            of(|s| s.entropy_test),
        );
        let _ = writeln!(
            s,
            "{:>5}  {:<12} {:>8} {:>8} {:>14.6e} {:>14.6} {:>14.6}",
            "mean", task, "", "", kl.0, ht.0, hs.0
        );
        let _ = writeln!(
            s,
            "{:>5}  {:<12} {:>8} {:>8} {:>14.6e} {:>14.6} {:>14.6}",
            "std", task, "", "", kl.1, ht.1, hs.1
        );
    }
    s
}
