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
//! - **One writer.** Each run holds its directory's lock ([`crate::run::lock`]) while it looks
//!   inside and trains; a run another process holds (a second sweep on the same shard, a
//!   resubmitted array job) is reported `busy` and left to it.
//! - **Cores.** `--jobs J` trains J runs at once, each on `--threads` threads (default: cores / J,
//!   at least 1); threads never change a run's bytes.
//! - **One GPU.** `--backend gpu --batch-runs K` trains K runs at once on one device, the runs of
//!   one shape in the same dispatches ([`crate::step::batch`]); a run's bytes are those it has
//!   trained alone on that device. A gpu sweep of one job (`--jobs 1`, the default) batches as
//!   many as fit (`auto`). A batched sweep starts its runs shape by shape (the shapes in the
//!   order of their first run, each shape's runs in grid order), so the runs in flight share
//!   their dispatches; results and reports keep grid order.
mod args;
mod grid;
mod on_disk;
mod pool;
mod progress;
mod shard;
mod summary;

use crate::error::HostError;
use crate::run::dir::RunDir;
use std::sync::Arc;

use crate::step::batch::GpuBatch;
use crate::train::TrainOptions;
use crate::train::control::Control;

pub use args::{BatchRuns, SweepArgs};
pub use grid::{GridRun, MAX_GRID_RUNS, run_name};
pub use shard::{Shard, groups, select};
pub use summary::{RunResult, SweepSummary};

use on_disk::inspect;
use progress::Bar;

/// Trains the runs of this shard; refuses before training anything if a run directory holds
/// another run.
pub fn run(args: &SweepArgs) -> Result<SweepSummary, HostError> {
    run_with(args, None)
}

/// [`run`], every run sharing `control`: stopping it halts the runs in flight after their step
/// in progress (each resumes to its bytes when the sweep runs again) and starts no more.
pub fn run_with(
    args: &SweepArgs,
    control: Option<Arc<Control>>,
) -> Result<SweepSummary, HostError> {
    let grid = args.grid()?;
    let shard = args.shard()?;
    let in_flight = args.in_flight()?;
    if let Some(jobs) = in_flight {
        args.run_threads(jobs)?;
    }
    RunDir::check_out_not_a_file(&args.out)?;
    let batch = open_batch(args.batching())?;
    if !args.run.backend.is_cpu() && batch.is_none() {
        crate::step::backend::open_gpu()?;
    }
    let picked = select(&grid, shard);
    // Refuse a grid whose directories hold other runs before training anything; each run looks
    // again once it holds its directory's lock.
    for &i in &picked {
        inspect(&args.out.join(&grid[i].name), &grid[i].cfg)?;
    }
    let jobs = match (in_flight, &batch) {
        (Some(jobs), _) => jobs,
        (None, Some(b)) => batch_size(b, &grid, &picked)?,
        (None, None) => 1,
    };
    let opts = TrainOptions {
        threads: args.run_threads(jobs)?,
        progress: false,
        halt_after: args.halt_after,
        control,
        batch,
    };
    let order = match &opts.batch {
        Some(_) => start_order(&grid, &picked)?,
        None => (0..picked.len()).collect(),
    };
    let bar = Bar::new(picked.len(), !args.quiet && !args.json);
    let runs = pool::train(&grid, &picked, &order, &args.out, jobs, &opts, &bar);
    bar.bar.finish_and_clear();
    Ok(SweepSummary {
        out: args.out.display().to_string(),
        shard: format!("{}/{}", shard.index, shard.count),
        grid_runs: grid.len(),
        runs,
    })
}

/// The GPU batch of `--batch-runs K` for K > 1 or `auto`.
#[cfg(feature = "gpu")]
fn open_batch(k: BatchRuns) -> Result<Option<Arc<GpuBatch>>, HostError> {
    match k {
        BatchRuns::Fixed(0 | 1) => Ok(None),
        _ => Ok(Some(GpuBatch::open()?)),
    }
}

#[cfg(not(feature = "gpu"))]
fn open_batch(k: BatchRuns) -> Result<Option<Arc<GpuBatch>>, HostError> {
    match k {
        BatchRuns::Fixed(0 | 1) => Ok(None),
        _ => Err(HostError::NoGpuFeature),
    }
}

/// `--batch-runs auto`: as many runs as the adapter's largest buffer holds of the largest run
/// picked, and no more than are picked.
#[cfg(feature = "gpu")]
fn batch_size(batch: &GpuBatch, grid: &[GridRun], picked: &[usize]) -> Result<usize, HostError> {
    let mut largest = 1u64;
    for &i in picked {
        let cfg = &grid[i].cfg;
        let (n_train, n_test) = crate::step::dataset::Dataset::sizes(cfg)?;
        let bytes =
            modgrok_gpu::GpuTrainer::run_bytes(&cfg.model, n_train, n_test, cfg.grokfast.is_some());
        largest = largest.max(bytes);
    }
    let fits = (batch.max_binding_bytes() / largest) as usize;
    Ok(fits.clamp(1, picked.len().max(1)))
}

/// A batched sweep starts its runs in shape order ([`crate::step::batch::shape_order`]), so
/// the runs in flight share few sets of dispatches: positions in `picked`.
#[cfg(feature = "gpu")]
fn start_order(grid: &[GridRun], picked: &[usize]) -> Result<Vec<usize>, HostError> {
    let cfgs: Vec<_> = picked.iter().map(|&i| &grid[i].cfg).collect();
    crate::step::batch::shape_order(&cfgs)
}

#[cfg(not(feature = "gpu"))]
fn start_order(_: &[GridRun], picked: &[usize]) -> Result<Vec<usize>, HostError> {
    Ok((0..picked.len()).collect())
}

#[cfg(not(feature = "gpu"))]
fn batch_size(batch: &GpuBatch, _: &[GridRun], _: &[usize]) -> Result<usize, HostError> {
    match *batch {}
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
    use super::grid::parse_seeds;
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
        assert_eq!(
            (t.steps, t.model.d_model, t.grok_threshold),
            (500, 128, 0.99)
        );
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
