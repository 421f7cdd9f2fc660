//! The job pool: `--jobs` threads take the shard's runs in a given order (grid order, or a
//! batched sweep's shape order), a run once the run it loads from has finished well; each trains
//! (or resumes) under its directory's lock.
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::error::HostError;
use crate::run::dir::RunDir;
use crate::run::report::Report;
use crate::train::{self, Outcome, TrainOptions};

use super::grid::GridRun;
use super::on_disk::{OnDisk, inspect};
use super::progress::Bar;
use super::summary::{RunResult, describe, result_of};

fn read_report(dir: &Path) -> Option<Report> {
    let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Trains (or resumes) one run, holding its directory's lock; a run another process holds is
/// left to it ("busy").
fn execute(run: &GridRun, dir: &Path, opts: &TrainOptions) -> Result<RunResult, HostError> {
    let _lock = match crate::run::lock::claim(dir) {
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

/// Trains the runs `picked` of `grid` under `out` on `jobs` threads, starting them in the order
/// `order` (positions in `picked`), and returns their results in the order of `picked`.
pub(super) fn train(
    grid: &[GridRun],
    picked: &[usize],
    order: &[usize],
    out: &Path,
    jobs: usize,
    opts: &TrainOptions,
    bar: &Bar,
) -> Vec<RunResult> {
    let slot_of: HashMap<usize, usize> = picked.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let state = Mutex::new(vec![Slot::Pending; picked.len()]);
    let results: Mutex<Vec<Option<RunResult>>> = Mutex::new(vec![None; picked.len()]);
    let wake = Condvar::new();
    let fail = |k: usize, error: String| RunResult {
        error: Some(error),
        ..result_of(&grid[picked[k]].name, "failed", None)
    };

    // Next runnable slot: pending, and its source (if any) finished well. A slot whose source
    // failed fails too.
    let next = || -> Option<usize> {
        let mut slots = state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if opts.control.as_ref().is_some_and(|c| c.stop_requested()) {
                return None;
            }
            let mut waiting = false;
            for &k in order {
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
            let r =
                execute(run, &out.join(&run.name), opts).unwrap_or_else(|e| fail(k, e.to_string()));
            let ok = matches!(r.status, "trained" | "resumed" | "skipped");
            bar.end(&run.name, &describe(&r, clock.elapsed().as_secs_f64()));
            results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(r);
            state.lock().unwrap_or_else(|e| e.into_inner())[k] = Slot::Done { ok };
            wake.notify_all();
        }
    };
    std::thread::scope(|s| {
        for _ in 0..jobs.min(picked.len()).max(1) {
            s.spawn(worker);
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .enumerate()
        .map(|(k, r)| r.unwrap_or_else(|| fail(k, "not run".into())))
        .collect()
}
