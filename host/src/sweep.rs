//! `modgrok sweep`: a grid of runs (ops × p × fracs × seeds, or a preset) trained in-process with
//! early stopping, each in its own run directory `OUT/<op>_p<p>_f<frac>_s<seed>`.
//!
//! - **Order.** The grid is listed `p` outer, then rows (ops, then mixtures, in the order given),
//!   then fracs, then seeds. A transfer run (`--preset transfer`) comes after the run it loads
//!   from.
//! - **Shards.** Runs are gathered into groups: a run is its own group unless it loads another
//!   run's model, in which case it joins that run's group, so a shard never waits on another.
//!   `--shard i/n` takes group g (in grid order) when `g mod n == i`; the shards of any n
//!   partition the grid, and a run's bytes do not depend on which shard trained it.
//! - **Skip and resume.** A run whose `report.json` exists is skipped; one with a complete
//!   checkpoint is resumed (to the bytes of a run that never stopped); one killed before its first
//!   checkpoint starts again. An existing run directory with other settings is an error before
//!   anything trains.
//! - **One writer.** Each run holds its directory's lock ([`crate::lock`]) while it looks inside
//!   and trains; a run another process holds (a second sweep on the same shard, a resubmitted
//!   array job) is reported `busy` and left to it.
//! - **Cores.** `--jobs J` trains J runs at once, each on `--threads` threads (default: cores / J,
//!   at least 1); threads never change a run's bytes.
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::config::Backend;
use crate::config::{RunConfig, RunSpec};
use crate::error::HostError;
use crate::presets::{self, Preset};
use crate::report::Report;
use crate::run_dir::RunDir;
use crate::train::{self, Outcome, TrainOptions};

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
    /// Operands of every run's split: reference (every token id 0..p+5, as the published
    /// code) or field (x, y in 0..p); a sweep written before the flag existed is field
    #[arg(long, default_value = "reference", value_parser = crate::config::pairs_value_parser())]
    pub pairs: modgrok_core::data::Pairs,
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
    /// Where each run's step runs: cpu (core's bytes everywhere) or gpu (one device per run,
    /// shared by the --jobs runs in flight; the same bytes only on the same adapter)
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
    /// Print the runs of this shard, one directory name a line, and train nothing
    #[arg(long)]
    pub list: bool,
    /// Maximum steps of each run [default: 300000; presets: 100000]
    #[arg(long)]
    pub steps: Option<u64>,
    /// Residual stream width [default: 128]
    #[arg(long)]
    pub d_model: Option<usize>,
    /// Attention heads [default: 4]
    #[arg(long, visible_alias = "heads")]
    pub n_heads: Option<usize>,
    /// MLP hidden width [default: 512]
    #[arg(long)]
    pub d_mlp: Option<usize>,
    /// AdamW learning rate [default: 1e-3]
    #[arg(long)]
    pub lr: Option<f64>,
    /// AdamW weight decay [default: 1.0]
    #[arg(long)]
    pub wd: Option<f64>,
    /// AdamW β1 [default: 0.9]
    #[arg(long)]
    pub beta1: Option<f64>,
    /// AdamW β2 [default: 0.98]
    #[arg(long)]
    pub beta2: Option<f64>,
    /// AdamW ε [default: 1e-8]
    #[arg(long)]
    pub eps: Option<f64>,
    /// Metrics row every this many steps [default: 100]
    #[arg(long)]
    pub log_every: Option<u64>,
    /// Checkpoint every this many steps [default: 1000]
    #[arg(long)]
    pub checkpoint_every: Option<u64>,
    /// Newest checkpoints to keep per run, 0 = all [default: 3]
    #[arg(long)]
    pub keep_checkpoints: Option<usize>,
    /// Steps test accuracy must hold >= --grok-threshold before a run stops [default: 1000]
    #[arg(long)]
    pub patience: Option<u64>,
    /// Mean test accuracy that counts as grokked [default: 0.999]
    #[arg(long)]
    pub grok_threshold: Option<f64>,
    /// ε of the FFS columns of metrics.csv [default: 0.1]
    #[arg(long)]
    pub ffs_eps: Option<f64>,
    /// Train every run all --steps, even after grokking
    #[arg(long)]
    pub no_stop: bool,
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

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRun {
    /// Run directory name under `--out`.
    pub name: String,
    pub cfg: RunConfig,
    /// Index in the grid of the run whose `final.safetensors` this one starts from.
    pub source: Option<usize>,
}

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

fn parse_list<T: std::str::FromStr>(flag: &str, s: &str) -> Result<Vec<T>, HostError> {
    let items: Result<Vec<T>, _> = s
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::parse)
        .collect();
    match items {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(HostError::Usage(format!(
            "{flag} {s:?} is not a comma list of numbers"
        ))),
    }
}

/// Most runs a grid may list: far beyond any sweep one machine or cluster trains, and small
/// enough that listing it costs nothing.
pub const MAX_GRID_RUNS: usize = 100_000;

/// Seeds: numbers and inclusive ranges `a-b`, at most [`MAX_GRID_RUNS`] in all.
fn parse_seeds(s: &str) -> Result<Vec<u64>, HostError> {
    let mut seeds = Vec::new();
    let too_many = || {
        HostError::Usage(format!(
            "--seeds {s} lists more than {MAX_GRID_RUNS} seeds: give a shorter range"
        ))
    };
    for item in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u64, u64) =
                    (parse_list("--seeds", a)?[0], parse_list("--seeds", b)?[0]);
                if a > b {
                    return Err(HostError::Usage(format!(
                        "--seeds range {item} is empty: write low-high"
                    )));
                }
                if b - a >= (MAX_GRID_RUNS - seeds.len()) as u64 {
                    return Err(too_many());
                }
                seeds.extend(a..=b);
            }
            None => seeds.extend(parse_list::<u64>("--seeds", item)?),
        }
        if seeds.len() > MAX_GRID_RUNS {
            return Err(too_many());
        }
    }
    if seeds.is_empty() {
        return Err(HostError::Usage(format!("--seeds {s:?} lists no seed")));
    }
    Ok(seeds)
}

/// Directory name of a run: `<op>_p<p>_f<frac>_s<seed>`, as `modgrok train` names it.
pub fn run_name(cfg: &RunConfig) -> String {
    cfg.default_out()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl SweepArgs {
    /// The run-defining values shared by every run: train's defaults, then the preset's, then
    /// the flags given.
    pub fn template(&self) -> RunSpec {
        let mut s = RunSpec::default();
        if self.preset.is_some() {
            s.steps = presets::PRESET_STEPS;
            s.grok_threshold = presets::PRESET_GROK_THRESHOLD;
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { s.$f = v; } )* };
        }
        set!(
            steps,
            d_model,
            n_heads,
            d_mlp,
            lr,
            wd,
            beta1,
            beta2,
            eps,
            log_every,
            checkpoint_every,
            keep_checkpoints,
            patience,
            grok_threshold,
            ffs_eps
        );
        if self.no_stop {
            s.stop_after_grok = false;
        }
        s.backend = self.backend;
        s.pairs = self.pairs;
        s
    }

    /// The whole grid, in its fixed order, every config checked.
    pub fn grid(&self) -> Result<Vec<GridRun>, HostError> {
        let preset = self.preset;
        let ops: Option<Vec<String>> = self.ops.as_ref().map(|ops| {
            let mut rows = Vec::new();
            for item in ops.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if item == "paper" {
                    rows.extend(presets::PAPER_OPS.iter().map(|s| s.to_string()));
                } else {
                    rows.push(item.to_string());
                }
            }
            rows
        });
        let fracs: Vec<f64> = match (&self.fracs, preset) {
            (Some(f), _) => parse_list("--fracs", f)?,
            (None, Some(Preset::PSweep)) => presets::P_SWEEP_FRACS.to_vec(),
            (None, Some(Preset::Transfer)) => presets::TRANSFER_TARGET_FRACS.to_vec(),
            (None, Some(_)) => presets::TABLE5_FRACS.to_vec(),
            (None, None) => vec![RunSpec::default().frac],
        };
        let seeds: Vec<u64> = match (&self.seeds, preset) {
            (Some(s), _) => parse_seeds(s)?,
            (None, Some(_)) => presets::PRESET_SEEDS.to_vec(),
            (None, None) => vec![RunSpec::default().seed],
        };
        let ps: Vec<u32> = match (&self.p, preset) {
            (Some(p), _) => parse_list("--p", p)?,
            (None, Some(Preset::PSweep)) => presets::P_SWEEP_PRIMES.to_vec(),
            (None, _) => vec![RunSpec::default().p],
        };
        let template = self.template();
        let grid_size = |per_point: usize| {
            [ps.len(), fracs.len(), seeds.len(), per_point]
                .into_iter()
                .try_fold(1usize, usize::checked_mul)
                .filter(|&n| n <= MAX_GRID_RUNS)
                .map(|_| ())
                .ok_or_else(|| {
                    HostError::Usage(format!(
                        "the grid would list more than {MAX_GRID_RUNS} runs: give fewer ops, fracs, seeds or primes"
                    ))
                })
        };
        if preset == Some(Preset::Transfer) {
            // Sources, baselines, PT-E and PT-T of every target, frozen embeddings: a few dozen
            // runs for each p, frac and seed.
            grid_size(ops.as_ref().map_or(64, |o| 8 * o.len() + 8))?;
            let grid = transfer_grid(&self.out, &template, ops, &fracs, &seeds, &ps)?;
            check_unique(&grid)?;
            return Ok(grid);
        }
        let mut rows: Vec<String> = match (ops, preset) {
            (Some(ops), _) => ops,
            (None, Some(Preset::Table5)) => {
                presets::PAPER_OPS.iter().map(|s| s.to_string()).collect()
            }
            (None, Some(Preset::PSweep)) => {
                presets::P_SWEEP_OPS.iter().map(|s| s.to_string()).collect()
            }
            (None, _) => Vec::new(),
        };
        let mixture_preset = preset == Some(Preset::Mixtures);
        if mixture_preset && self.ops.is_none() && self.mixture.is_empty() {
            rows.extend(presets::MIXTURES.iter().map(|s| s.to_string()));
        }
        rows.extend(self.mixture.iter().cloned());
        if rows.is_empty() {
            return Err(HostError::Usage(
                "no runs: give --ops LIST, --mixture LIST or --preset NAME (see `modgrok sweep --help`)"
                    .into(),
            ));
        }
        grid_size(rows.len())?;
        let mut grid = Vec::new();
        for &p in &ps {
            for op in &rows {
                for &frac in &fracs {
                    for &seed in &seeds {
                        grid.push(plain_run(&template, op, p, frac, seed)?);
                    }
                }
            }
        }
        check_unique(&grid)?;
        Ok(grid)
    }

    pub fn shard(&self) -> Result<Shard, HostError> {
        self.shard.as_deref().map_or(Ok(Shard::ALL), Shard::parse)
    }

    /// Threads of each run.
    pub fn run_threads(&self) -> Result<usize, HostError> {
        if self.jobs == 0 {
            return Err(HostError::Usage("--jobs must be at least 1".into()));
        }
        match self.threads {
            Some(t) => train::check_threads(t),
            None => Ok((train::default_threads() / self.jobs).max(1)),
        }
    }
}

fn plain_run(
    template: &RunSpec,
    op: &str,
    p: u32,
    frac: f64,
    seed: u64,
) -> Result<GridRun, HostError> {
    let cfg = RunSpec {
        op: op.to_string(),
        p,
        frac,
        seed,
        ..template.clone()
    }
    .into_config()?;
    Ok(GridRun {
        name: run_name(&cfg),
        cfg,
        source: None,
    })
}

/// The `transfer` preset (paper §4, App. F), for each p: the sources (add, subtract, multiply
/// at frac 0.3, one per seed); scratch baselines of every target not already a source; PT-E and
/// PT-T from each source into its targets (`--ops`, else add, subtract, multiply, plus the
/// polynomials for add) with the source's seed; a frozen random `W_E` on each elementary
/// target (or each of `--ops`).
fn transfer_grid(
    out: &Path,
    template: &RunSpec,
    ops: Option<Vec<String>>,
    fracs: &[f64],
    seeds: &[u64],
    ps: &[u32],
) -> Result<Vec<GridRun>, HostError> {
    use crate::config::Transfer;
    let targets = |src: &str| -> Vec<String> {
        match &ops {
            Some(ops) => ops.clone(),
            None => {
                let mut t: Vec<&str> = presets::TRANSFER_ELEMENTARY.to_vec();
                if src == "add" {
                    t.extend(presets::TRANSFER_POLYNOMIALS);
                }
                t.into_iter().map(String::from).collect()
            }
        }
    };
    let frozen_targets: Vec<String> = ops.clone().unwrap_or_else(|| {
        presets::TRANSFER_ELEMENTARY
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let modes = [("pt-e", "embed"), ("pt-t", "transformer")];
    let mut grid: Vec<GridRun> = Vec::new();
    for &p in ps {
        let mut source_of: HashMap<(&str, u64), usize> = HashMap::new();
        for src in presets::TRANSFER_SOURCES {
            for &seed in seeds {
                source_of.insert((src, seed), grid.len());
                let mut run = plain_run(template, src, p, presets::TRANSFER_SOURCE_FRAC, seed)?;
                run.cfg = RunSpec {
                    steps: presets::transfer_source_steps(src),
                    stop_after_grok: false,
                    ..run.cfg.spec()
                }
                .into_config()?;
                run.name = format!("{}_source", run.name);
                grid.push(run);
            }
        }
        let mut all_targets: Vec<String> = Vec::new();
        for src in presets::TRANSFER_SOURCES {
            for t in targets(src) {
                if !all_targets.contains(&t) {
                    all_targets.push(t);
                }
            }
        }
        for target in &all_targets {
            for &frac in fracs {
                for &seed in seeds {
                    let run = plain_run(template, target, p, frac, seed)?;
                    if !grid.iter().any(|g| g.name == run.name) {
                        grid.push(run);
                    }
                }
            }
        }
        for src in presets::TRANSFER_SOURCES {
            for target in targets(src) {
                for (mode, group) in modes {
                    for &frac in fracs {
                        for &seed in seeds {
                            let source = source_of[&(src, seed)];
                            let file = out.join(&grid[source].name).join("final.safetensors");
                            let transfer = Transfer {
                                init_from: Some(file.display().to_string()),
                                load: vec![group.into()],
                                freeze: vec![group.into()],
                                source: None,
                            };
                            let mut run = plain_run(template, &target, p, frac, seed)?;
                            run.cfg = RunSpec {
                                transfer: Some(transfer),
                                ..run.cfg.spec()
                            }
                            .into_config()?;
                            run.name = format!("{}_{mode}_{src}", run.name);
                            run.source = Some(source);
                            grid.push(run);
                        }
                    }
                }
            }
        }
        for target in &frozen_targets {
            for &frac in fracs {
                for &seed in seeds {
                    let mut run = plain_run(template, target, p, frac, seed)?;
                    run.cfg = RunSpec {
                        transfer: Some(Transfer {
                            freeze: vec!["embed".into()],
                            ..Transfer::default()
                        }),
                        ..run.cfg.spec()
                    }
                    .into_config()?;
                    run.name = format!("{}_frozen-e", run.name);
                    grid.push(run);
                }
            }
        }
    }
    Ok(grid)
}

fn check_unique(grid: &[GridRun]) -> Result<(), HostError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, run) in grid.iter().enumerate() {
        if let Some(j) = seen.insert(&run.name, i) {
            return Err(HostError::Usage(format!(
                "the grid lists {} twice ({:?} and {:?}): list each op, frac, seed and p once",
                run.name, grid[j].cfg.op, run.cfg.op
            )));
        }
    }
    Ok(())
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

/// What is on disk for a run before the sweep touches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnDisk {
    /// No directory.
    New,
    /// `report.json` exists.
    Finished,
    /// A complete checkpoint to resume from.
    Resumable,
    /// Killed before its first checkpoint (or before writing config.json): start again.
    Restart,
}

/// The fields of two configs that differ, as `field (there) vs (here)`, ignoring the version of
/// modgrok that wrote them.
fn config_diff(stored: &RunConfig, wanted: &RunConfig) -> Vec<String> {
    // Where a transfer run's source was found (the path as --out spelled it, and what the
    // trainer recorded of it) does not make it another run; its load and freeze groups do.
    let mut wanted = wanted.clone();
    if let (Some(w), Some(s)) = (wanted.transfer.as_mut(), stored.transfer.as_ref()) {
        w.init_from.clone_from(&s.init_from);
        w.source.clone_from(&s.source);
    }
    // Which adapter a gpu run was trained on is recorded by the trainer, not asked for; resuming
    // an unfinished one on another adapter is refused by `train::resume`.
    wanted.adapter.clone_from(&stored.adapter);
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(stored), serde_json::to_value(&wanted))
    else {
        return vec!["config".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| k.as_str() != "crate_version" && a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&serde_json::Value>| v.map_or("-".into(), |v| v.to_string());
            format!("{k} {} there, {} here", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

fn inspect(dir: &Path, wanted: &RunConfig) -> Result<OnDisk, HostError> {
    if !dir.exists() {
        return Ok(OnDisk::New);
    }
    let run = RunDir {
        root: dir.to_path_buf(),
    };
    if !run.config().is_file() {
        // `RunDir::create` makes the directory and `checkpoints/` before config.json: a run
        // killed in between left nothing else.
        if !RunDir::is_leftover(dir)? {
            return Err(HostError::Usage(format!(
                "{} exists but is not a run directory (no config.json): move it out of --out",
                dir.display()
            )));
        }
        return Ok(OnDisk::Restart);
    }
    let stored = run.read_config()?;
    let diff = config_diff(&stored, wanted);
    if !diff.is_empty() {
        let hint = if stored.pairs != wanted.pairs {
            format!(
                "--pairs {} (a run without `pairs` in config.json trained on field)",
                stored.pairs.as_str()
            )
        } else {
            "the flags it was made with".into()
        };
        return Err(HostError::Usage(format!(
            "{} holds a run with other settings ({}): use another --out, or {hint}",
            dir.display(),
            diff.join("; ")
        )));
    }
    if run.report().is_file() {
        Ok(OnDisk::Finished)
    } else if run.complete_checkpoints()?.is_empty() {
        Ok(OnDisk::Restart)
    } else {
        Ok(OnDisk::Resumable)
    }
}

/// How one run of the sweep ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub name: String,
    /// `trained`, `resumed`, `skipped` (already finished), `busy` (another process holds its
    /// directory), `halted` or `failed`.
    pub status: &'static str,
    pub final_step: Option<u64>,
    pub steps_to_grok: Option<u64>,
    pub final_test_acc: Option<f64>,
    pub error: Option<String>,
}

/// What `modgrok sweep` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSummary {
    pub out: String,
    pub shard: String,
    pub grid_runs: usize,
    pub runs: Vec<RunResult>,
}

impl SweepSummary {
    fn count(&self, status: &str) -> usize {
        self.runs.iter().filter(|r| r.status == status).count()
    }

    /// An error (exit 1) when a run failed, naming the first.
    pub fn check(&self) -> Result<(), HostError> {
        match self.runs.iter().find(|r| r.status == "failed") {
            None => Ok(()),
            Some(first) => Err(HostError::BadRunDir {
                path: PathBuf::from(&self.out),
                reason: format!(
                    "{} of {} runs failed, first {}: {}; fix that and run the same command again to retry them",
                    self.count("failed"),
                    self.runs.len(),
                    first.name,
                    first.error.as_deref().unwrap_or_default()
                ),
            }),
        }
    }

    pub fn text(&self) -> String {
        let mut s = format!(
            "sweep {} (shard {}): {} of the grid's {} runs: {} trained, {} resumed, {} already finished",
            self.out,
            self.shard,
            self.runs.len(),
            self.grid_runs,
            self.count("trained"),
            self.count("resumed"),
            self.count("skipped"),
        );
        for status in ["busy", "halted", "failed"] {
            if self.count(status) > 0 {
                let _ = write!(s, ", {} {status}", self.count(status));
            }
        }
        let grokked = self
            .runs
            .iter()
            .filter(|r| r.steps_to_grok.is_some())
            .count();
        let _ = write!(
            s,
            "; {grokked} grokked\ntabulate with: modgrok report {}\n",
            self.out
        );
        for r in self.runs.iter().filter(|r| r.status == "failed") {
            let _ = writeln!(
                s,
                "failed: {}: {}",
                r.name,
                r.error.as_deref().unwrap_or("")
            );
        }
        s
    }
}

fn result_of(name: &str, status: &'static str, report: Option<&Report>) -> RunResult {
    RunResult {
        name: name.to_string(),
        status,
        final_step: report.map(|r| r.final_step),
        steps_to_grok: report.and_then(|r| r.steps_to_grok),
        final_test_acc: report.map(|r| r.final_test_acc),
        error: None,
    }
}

fn read_report(dir: &Path) -> Option<Report> {
    let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Trains (or resumes) one run, holding its directory's lock; a run another process holds is
/// left to it ("busy").
fn execute(run: &GridRun, dir: &Path, opts: &TrainOptions) -> Result<RunResult, HostError> {
    let _lock = match crate::lock::claim(dir) {
        Ok(lock) => lock,
        Err(e @ HostError::Busy { .. }) => {
            return Ok(RunResult {
                error: Some(e.to_string()),
                ..result_of(&run.name, "busy", None)
            });
        }
        Err(e) => return Err(e),
    };
    // Under the lock the directory is what another process left when it let go.
    let (outcome, status) = match inspect(dir, &run.cfg)? {
        OnDisk::Finished => {
            return Ok(result_of(&run.name, "skipped", read_report(dir).as_ref()));
        }
        OnDisk::Resumable => {
            let run_dir = RunDir {
                root: dir.to_path_buf(),
            };
            (train::resume_locked(&run_dir, opts)?, "resumed")
        }
        OnDisk::Restart | OnDisk::New => (
            train::train_fresh(&run.cfg, train::Fresh::Claimed(dir), opts)?,
            "trained",
        ),
    };
    Ok(match outcome {
        Outcome::Finished(report) => result_of(&run.name, status, Some(&report)),
        Outcome::Halted { step } => RunResult {
            final_step: Some(step),
            ..result_of(&run.name, "halted", None)
        },
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Pending,
    Running,
    Done { ok: bool },
}

/// The sweep's one progress bar (stderr): runs done of the shard's, and the runs in flight.
struct Bar {
    bar: ProgressBar,
    running: Mutex<Vec<String>>,
}

impl Bar {
    fn new(n: usize, visible: bool) -> Bar {
        let bar = if visible {
            let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("runs {pos}/{len} [{elapsed_precise}] {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Bar {
            bar,
            running: Mutex::new(Vec::new()),
        }
    }

    fn start(&self, name: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.push(name.to_string());
        self.bar
            .set_message(format!("training {}", running.join(", ")));
    }

    fn end(&self, name: &str, line: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|n| n != name);
        self.bar.println(line);
        self.bar.inc(1);
        self.bar
            .set_message(format!("training {}", running.join(", ")));
    }
}

fn describe(r: &RunResult, secs: f64) -> String {
    match (r.status, r.steps_to_grok) {
        ("failed", _) => format!(
            "failed   {}: {}",
            r.name,
            r.error.as_deref().unwrap_or_default()
        ),
        ("skipped", _) => format!("finished {} (already)", r.name),
        ("busy", _) => format!("busy     {} (another process trains it)", r.name),
        ("halted", _) => format!("halted   {}", r.name),
        (_, Some(g)) => format!(
            "grokked  {} at step {g}, test acc {:.4} ({secs:.0} s)",
            r.name,
            r.final_test_acc.unwrap_or(f64::NAN)
        ),
        (_, None) => format!(
            "no grok  {} in {} steps, test acc {:.4} ({secs:.0} s)",
            r.name,
            r.final_step.unwrap_or(0),
            r.final_test_acc.unwrap_or(f64::NAN)
        ),
    }
}

/// Trains the runs of this shard; refuses before training anything if a run directory holds
/// another run.
pub fn run(args: &SweepArgs) -> Result<SweepSummary, HostError> {
    let grid = args.grid()?;
    let shard = args.shard()?;
    let threads = args.run_threads()?;
    RunDir::check_out_not_a_file(&args.out)?;
    if !args.backend.is_cpu() {
        modgrok_gpu::GpuContext::new()?;
    }
    let picked = select(&grid, shard);
    // Refuse a grid whose directories hold other runs before training anything; each run looks
    // again once it holds its directory's lock.
    for &i in &picked {
        inspect(&args.out.join(&grid[i].name), &grid[i].cfg)?;
    }
    let opts = TrainOptions {
        threads,
        progress: false,
        halt_after: args.halt_after,
    };
    let slot_of: HashMap<usize, usize> = picked.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let state = Mutex::new(vec![Slot::Pending; picked.len()]);
    let results: Mutex<Vec<Option<RunResult>>> = Mutex::new(vec![None; picked.len()]);
    let wake = Condvar::new();
    let bar = Bar::new(picked.len(), !args.quiet && !args.json);
    let fail = |k: usize, error: String| RunResult {
        error: Some(error),
        ..result_of(&grid[picked[k]].name, "failed", None)
    };

    // Next runnable slot: pending, and its source (if any) finished well. A slot whose source
    // failed fails too.
    let next = || -> Option<usize> {
        let mut slots = state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let mut waiting = false;
            for k in 0..slots.len() {
                if slots[k] != Slot::Pending {
                    continue;
                }
                // A source outside this shard's picks cannot be waited for: go ahead, and the
                // run fails to load it if it is not on disk.
                let source = grid[picked[k]].source;
                let source_slot = source.and_then(|s| slot_of.get(&s)).map(|&j| slots[j]);
                match source_slot {
                    None | Some(Slot::Done { ok: true }) => {
                        slots[k] = Slot::Running;
                        return Some(k);
                    }
                    Some(Slot::Done { ok: false }) => {
                        slots[k] = Slot::Done { ok: false };
                        let name = source.map_or("", |s| grid[s].name.as_str());
                        let r = fail(
                            k,
                            format!(
                                "its source {name} did not finish here: run the sweep again once it has"
                            ),
                        );
                        bar.end(&r.name, &describe(&r, 0.0));
                        results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(r);
                    }
                    Some(_) => waiting = true,
                }
            }
            if !waiting {
                return None;
            }
            slots = wake.wait(slots).unwrap_or_else(|e| e.into_inner());
        }
    };
    let worker = || {
        while let Some(k) = next() {
            let run = &grid[picked[k]];
            bar.start(&run.name);
            let clock = Instant::now();
            let r = execute(run, &args.out.join(&run.name), &opts)
                .unwrap_or_else(|e| fail(k, e.to_string()));
            let ok = matches!(r.status, "trained" | "resumed" | "skipped");
            bar.end(&run.name, &describe(&r, clock.elapsed().as_secs_f64()));
            results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(r);
            state.lock().unwrap_or_else(|e| e.into_inner())[k] = Slot::Done { ok };
            wake.notify_all();
        }
    };
    std::thread::scope(|s| {
        for _ in 0..args.jobs.min(picked.len()).max(1) {
            s.spawn(worker);
        }
    });
    bar.bar.finish_and_clear();
    let runs = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .enumerate()
        .map(|(k, r)| r.unwrap_or_else(|| fail(k, "not run".into())))
        .collect();
    Ok(SweepSummary {
        out: args.out.display().to_string(),
        shard: format!("{}/{}", shard.index, shard.count),
        grid_runs: grid.len(),
        runs,
    })
}

/// The `--list` output: this shard's run directory names, one a line.
pub fn list(args: &SweepArgs) -> Result<String, HostError> {
    let grid = args.grid()?;
    let shard = args.shard()?;
    Ok(select(&grid, shard)
        .into_iter()
        .map(|i| format!("{}\n", grid[i].name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> SweepArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            a: SweepArgs,
        }
        let argv = std::iter::once("sweep").chain(flags.iter().copied());
        Wrap::try_parse_from(argv).unwrap().a
    }

    #[test]
    fn shards_partition_the_grid_in_order() {
        let a = args(&[
            "--ops",
            "add,subtract",
            "--fracs",
            "0.3,0.5",
            "--seeds",
            "0-2",
            "--p",
            "7,11",
            "--out",
            "x",
        ]);
        let grid = a.grid().unwrap();
        assert_eq!(grid.len(), 24);
        assert_eq!(grid[0].name, "add_p7_f0.3_s0");
        assert_eq!(grid[1].name, "add_p7_f0.3_s1");
        assert_eq!(grid[3].name, "add_p7_f0.5_s0");
        assert_eq!(grid[23].name, "subtract_p11_f0.5_s2");
        for n in [1, 2, 5, 16, 40] {
            let mut all: Vec<usize> = (0..n)
                .flat_map(|i| select(&grid, Shard { index: i, count: n }))
                .collect();
            all.sort();
            assert_eq!(all, (0..24).collect::<Vec<_>>(), "n = {n}");
        }
        assert_eq!(
            select(&grid, Shard { index: 1, count: 5 }),
            [1, 6, 11, 16, 21]
        );
    }

    #[test]
    fn a_dependent_run_lands_in_its_source_shard() {
        let a = args(&["--ops", "add,subtract,multiply", "--out", "x"]);
        let mut grid = a.grid().unwrap();
        grid[2].source = Some(0);
        assert_eq!(groups(&grid), [0, 1, 0]);
        assert_eq!(select(&grid, Shard { index: 0, count: 2 }), [0, 2]);
    }

    #[test]
    fn presets_have_their_documented_sizes() {
        let size = |p: &str| args(&["--preset", p, "--out", "x"]).grid().unwrap().len();
        assert_eq!(size("table5"), 756);
        assert_eq!(size("mixtures"), 63);
        assert_eq!(size("p-sweep"), 126);
        let t = args(&["--preset", "transfer", "--out", "x"])
            .grid()
            .unwrap();
        assert_eq!(t.len(), 144);
        let pte = t
            .iter()
            .find(|r| r.name == "x2_y2_p97_f0.3_s1_pt-e_add")
            .unwrap();
        let src = &t[pte.source.unwrap()];
        assert_eq!(src.name, "add_p97_f0.3_s1_source");
        assert_eq!((src.cfg.steps, src.cfg.stop_after_grok), (10_000, false));
        let sub_src = t.iter().find(|r| r.name == "subtract_p97_f0.3_s2_source");
        assert_eq!(sub_src.map(|r| r.cfg.steps), Some(40_000));
        // The scratch baselines of the elementary targets are runs of their own.
        let scratch = t.iter().find(|r| r.name == "add_p97_f0.3_s1").unwrap();
        assert_eq!(
            (scratch.cfg.steps, scratch.cfg.stop_after_grok),
            (100_000, true)
        );
        let tr = pte.cfg.transfer.as_ref().unwrap();
        assert_eq!(
            tr.init_from.as_deref(),
            Some("x/add_p97_f0.3_s1_source/final.safetensors")
        );
        assert_eq!(
            (tr.load.as_slice(), tr.freeze.as_slice()),
            (&["embed".to_string()][..], &["embed".to_string()][..])
        );
        assert!(t.iter().any(|r| r.name == "multiply_p97_f0.3_s2_frozen-e"));
        assert!(
            t.iter()
                .any(|r| r.name == "subtract_p97_f0.3_s0_pt-t_multiply")
        );
        let t = args(&["--preset", "table5", "--steps", "500", "--out", "x"]).template();
        assert_eq!((t.steps, t.d_model, t.grok_threshold), (500, 128, 0.99));
        let t = args(&[
            "--preset",
            "table5",
            "--grok-threshold",
            "0.5",
            "--out",
            "x",
        ])
        .template();
        assert_eq!(t.grok_threshold, 0.5);
        assert_eq!(
            args(&["--ops", "add", "--out", "x"])
                .template()
                .grok_threshold,
            0.999
        );
        assert_eq!(
            args(&["--preset", "table5", "--out", "x"]).template().steps,
            100_000
        );
    }

    #[test]
    fn bad_lists_and_shards_are_usage_errors() {
        assert!(Shard::parse("2/2").is_err());
        assert!(Shard::parse("1").is_err());
        assert_eq!(
            Shard::parse("3/16").unwrap(),
            Shard {
                index: 3,
                count: 16
            }
        );
        assert_eq!(parse_seeds("0-2,5").unwrap(), [0, 1, 2, 5]);
        for flags in [
            &["--ops", "add", "--fracs", "0.3,x", "--out", "x"][..],
            &["--ops", "add,add", "--out", "x"],
            &["--out", "x"],
            &["--ops", "nonsense", "--out", "x"],
        ] {
            let e = args(flags).grid().unwrap_err();
            assert_eq!(e.exit_code(), 2, "{flags:?}: {e}");
        }
    }
}
