//! The flags of `modgrok sweep` and what they give every run: the template config and the
//! threads of each run. The grid and the shard they select are built in `grid` and `shard`.
use std::path::PathBuf;

use clap::Args;

use crate::config::{RunConfig, RunFlags};
use crate::error::HostError;
use crate::presets::{self, Preset};
use crate::train;

const SWEEP_EXAMPLES: &str = "\
Presets (each trains at most 100000 steps and counts a run grokked at mean test accuracy 0.99;
flags given as well override the preset's values):
  table5    the 36 ops of `modgrok ops` marked TABLE5 (all 40 less 4 exact duplicates), p = 97,
            fracs 0.3,0.4,...,0.9, seeds 0,1,2, at most 100000 steps: 756 runs (paper Table 5)
  transfer  add, subtract, multiply pre-grokked at frac 0.3 (p = 97, seeds 0,1,2; trained 10000,
            40000 and 10000 steps without stopping early, as the reference's checkpoints); from
            each, PT-E (--load embed --freeze embed) and PT-T (--load transformer --freeze
            transformer) into add, subtract, multiply, and from add into x2_y2, x2_xy_y2, x_x_y,
            xy_y, x2_xy_y2_x, x3_xy, x3_xy2_y, at frac 0.3 with the source's seed; a frozen random
            W_E on add, subtract, multiply; scratch baselines of every target: 144 runs (paper §4,
            App. F)
  mixtures  add,multiply / add,subtract / add,subtract,multiply at p = 97, fracs 0.3..0.9,
            seeds 0,1,2, at most 100000 steps: 63 runs
  p-sweep   add, subtract, multiply at p = 31,47,59,71,83,97,113, fracs 0.3,0.5, seeds 0,1,2,
            at most 100000 steps: 126 runs

Examples:
  modgrok sweep --preset table5 --out sweeps/table5 --jobs 2
  modgrok sweep --preset table5 --out sweeps/table5 --shard 3/16      one Slurm array task
  modgrok sweep --ops add,subtract --fracs 0.3,0.5 --seeds 0-2 --p 59 --out sweeps/small
  modgrok sweep --mixture add,subtract --fracs 0.5 --out sweeps/mix
  modgrok sweep --preset table5 --out sweeps/table5 --list            the runs, one per line
  modgrok report sweeps/table5                                        the table

Run the same command again to continue a killed sweep: finished runs are skipped, interrupted
ones resume from their newest checkpoint. Exit status: 0 every run done, 1 a run failed, 2 bad
usage (nothing trained).";

#[derive(Debug, Clone, Args)]
#[command(after_help = SWEEP_EXAMPLES)]
pub struct SweepArgs {
    /// A named grid (see below); --ops, --fracs, --seeds, --p and the model flags override it
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Comma list of operations (names or expressions); `paper` stands for the 36 ops of Table 5
    #[arg(long, value_name = "LIST")]
    pub ops: Option<String>,
    /// A multi-task mixture as one row of the grid, e.g. add,subtract; repeat for more
    #[arg(long, value_name = "LIST")]
    pub mixture: Vec<String>,
    /// Comma list of train fractions [default: 0.3; presets: their own]
    #[arg(long, value_name = "LIST")]
    pub fracs: Option<String>,
    /// Comma list of seeds, ranges allowed (0-2) [default: 0; presets: 0-2]
    #[arg(long, value_name = "LIST")]
    pub seeds: Option<String>,
    /// Comma list of primes [default: 97]
    #[arg(long, value_name = "LIST")]
    pub p: Option<String>,
    /// Directory holding one run directory per grid point
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Train only shard i of n (0 <= i < n): run groups with index mod n == i
    #[arg(long, value_name = "i/n")]
    pub shard: Option<String>,
    /// Runs trained at once
    #[arg(long, short, default_value_t = 1)]
    pub jobs: usize,
    /// Threads of each run [default: cores / --jobs, at least 1]; never changes the results
    #[arg(long)]
    pub threads: Option<usize>,
    /// With --backend gpu: train K runs at once on one GPU, those of one shape (p, fraction,
    /// model, optimizer) in the same dispatches; a run that ends makes room for the next. Each
    /// run's bytes are those it has trained alone on that GPU. `auto`: as many as the adapter's
    /// largest buffer holds [default: auto with --backend gpu and --jobs 1, else 1]
    #[arg(long, value_name = "K|auto", value_parser = parse_batch_runs)]
    pub batch_runs: Option<BatchRuns>,
    /// Print the runs of this shard, one directory name a line, and train nothing
    #[arg(long)]
    pub list: bool,
    #[command(flatten)]
    pub run: RunFlags,
    /// No progress bar and no summary
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summary as JSON on stdout, and nothing else there
    #[arg(long)]
    pub json: bool,
    /// Stop every run after this step as if killed (for testing resume)
    #[arg(long, hide = true)]
    pub halt_after: Option<u64>,
}

impl SweepArgs {
    /// Parses the flags of `modgrok sweep` (without the program and verb), for running a sweep
    /// in-process.
    pub fn from_flags(flags: &[&str]) -> Result<SweepArgs, HostError> {
        crate::commands::parse_flags("modgrok sweep", flags)
    }

    /// The run-defining values shared by every run: train's defaults, then the preset's, then
    /// the flags given.
    pub fn template(&self) -> RunConfig {
        let mut base = RunConfig::default();
        if self.preset.is_some() {
            base.steps = presets::PRESET_STEPS;
            base.grok_threshold = presets::PRESET_GROK_THRESHOLD;
        }
        self.run.apply(base)
    }

    /// `--batch-runs`, or its default: `auto` for a gpu sweep of one job, else no batching.
    pub fn batching(&self) -> BatchRuns {
        match self.batch_runs {
            Some(b) => b,
            None if !self.run.backend.is_cpu() && self.jobs == 1 => BatchRuns::Auto,
            None => BatchRuns::Fixed(1),
        }
    }

    /// Runs trained at once: `--jobs`, or `--batch-runs` (None for `auto`, which the device
    /// decides).
    pub fn in_flight(&self) -> Result<Option<usize>, HostError> {
        let batching = self.batching();
        if self.jobs == 0 || batching == BatchRuns::Fixed(0) {
            return Err(HostError::Usage(
                "--jobs and --batch-runs must be at least 1".into(),
            ));
        }
        if batching == BatchRuns::Fixed(1) {
            return Ok(Some(self.jobs));
        }
        if self.run.backend.is_cpu() {
            return Err(HostError::Usage(
                "--batch-runs batches runs on a GPU: add --backend gpu, or use --jobs on the cpu"
                    .into(),
            ));
        }
        if self.jobs > 1 {
            return Err(HostError::Usage(
                "--batch-runs K already trains K runs at once: leave out --jobs".into(),
            ));
        }
        Ok(match batching {
            BatchRuns::Fixed(k) => Some(k),
            BatchRuns::Auto => None,
        })
    }

    /// Threads of each run when `jobs` runs train at once.
    pub fn run_threads(&self, jobs: usize) -> Result<usize, HostError> {
        match self.threads {
            Some(t) => train::check_threads(t),
            None => Ok((train::default_threads() / jobs).max(1)),
        }
    }
}

/// `--batch-runs`: a number of runs, or as many as the device holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchRuns {
    Fixed(usize),
    Auto,
}

fn parse_batch_runs(s: &str) -> Result<BatchRuns, String> {
    match s {
        "auto" => Ok(BatchRuns::Auto),
        _ => s
            .parse()
            .map(BatchRuns::Fixed)
            .map_err(|_| format!("{s:?} is neither a number of runs nor auto")),
    }
}
