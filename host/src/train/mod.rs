//! The host trainer: core's full-batch step (SPEC §4) with the batch blocks on rayon threads,
//! or with `--backend gpu` the same step on the GPU ([`crate::step::backend`]).
//!
//! Step t (t updates applied so far, t = 0 the init):
//! 1. if t is a multiple of `checkpoint_every` (and not where this session started), write
//!    checkpoint `step_t` = parameters and moments after t updates;
//! 2. core's `prepare_with` and `gradients` at θ_t ([`Stepper::gradients`]): train loss,
//!    accuracy and gradient;
//! 3. at a logged step (t % log_every == 0, or the last step) evaluate the test set at the
//!    same θ_t, measure FFS and FCR of θ_t ([`FourierProbe`]) and append row t; metrics of
//!    epoch t come before its update (SPEC §4);
//! 4. stop if t is the last step, or if a logged step finds test accuracy has held ≥ the
//!    threshold for `patience` steps; otherwise AdamW update t + 1.
//!
//! Every reduction runs in core's order whatever the thread count
//! ([`crate::step::parallel::Parallel`]; on the gpu, in the shaders' one order), so the run is a
//! pure function of its config; resuming reloads θ, m, v (and the Grokfast state) from a checkpoint and the early-stopping
//! state from the metrics rows before it, and continues to the same bytes.
//!
//! At the end: `final.safetensors`, the final Fourier analysis when the run is small enough
//! ([`crate::analysis::after_training`]: `analysis.json` and figures), `report.json`, curves.
pub mod control;
pub mod grok;
pub mod progress;
pub mod transfer;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use modgrok_core::model::init_params;

use crate::analysis::{Bases, FourierProbe};
use crate::config::RunConfig;
use crate::error::HostError;
use crate::fsio;
use crate::run::checkpoint::{self, ModelFile, OptimFile};
use crate::run::curves;
use crate::run::dir::RunDir;
use crate::run::lock::RunLock;
use crate::run::metrics::{self, Columns, MetricsLog, MetricsRow};
use crate::run::report::Report;
use crate::step::backend::{self, GpuContext, Stepper};
use crate::step::batch::GpuBatch;
use crate::step::dataset::Dataset;
use crate::train::control::Control;
use crate::train::grok::GrokWatch;
use crate::train::progress::Progress;

/// How one session runs; nothing here changes the run's bytes.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Worker threads for the batch blocks (≥ 1).
    pub threads: usize,
    /// Draw the progress bar on stderr.
    pub progress: bool,
    /// Ends the session right after step t is processed (checkpoint and row written, no
    /// update), without `final.safetensors` or a report, as if the process were killed there.
    /// For testing `--resume`.
    pub halt_after: Option<u64>,
    /// Progress for another thread, which may also stop the session after any step as
    /// `halt_after` does.
    pub control: Option<Arc<Control>>,
    /// For a gpu run: the batch of runs it steps in, on the batch's device.
    pub batch: Option<Arc<GpuBatch>>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            threads: default_threads(),
            progress: false,
            halt_after: None,
            control: None,
            batch: None,
        }
    }
}

/// Most worker threads a run may ask for: far past any machine's cores, and few enough that
/// starting them cannot fail.
pub const MAX_THREADS: usize = 1024;

/// `--threads` checked against 1..=[`MAX_THREADS`].
pub fn check_threads(threads: usize) -> Result<usize, HostError> {
    if (1..=MAX_THREADS).contains(&threads) {
        Ok(threads)
    } else {
        Err(HostError::Usage(format!(
            "--threads {threads} must lie in 1..={MAX_THREADS}; the results are the same for any count"
        )))
    }
}

/// All cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per session; boxing the report buys nothing
pub enum Outcome {
    Finished(Report),
    /// Stopped by [`TrainOptions::halt_after`] or the [`Control`] after this step.
    Halted {
        step: u64,
    },
}

/// Parameters, AdamW moments and the Grokfast filter's state (empty without a filter) after
/// `step` updates (AdamW's own step count is `step`: one update per epoch).
struct State {
    step: u64,
    params: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    filter: Vec<f32>,
}

/// Starts a new run in `out`, which must not exist.
pub fn train_new(cfg: &RunConfig, out: &Path, opts: &TrainOptions) -> Result<Outcome, HostError> {
    train_fresh(cfg, Fresh::Create(out), opts)
}

/// Where a fresh run goes: a directory to create, or one the caller has emptied and locked.
pub(crate) enum Fresh<'a> {
    Create(&'a Path),
    Claimed(&'a Path),
}

/// Checks everything, then writes the run directory and trains.
pub(crate) fn train_fresh(
    cfg: &RunConfig,
    into: Fresh<'_>,
    opts: &TrainOptions,
) -> Result<Outcome, HostError> {
    train_fresh_with(cfg, into, opts, Columns::CURRENT)
}

/// [`train_fresh`] writing the metrics columns `columns`.
fn train_fresh_with(
    cfg: &RunConfig,
    into: Fresh<'_>,
    opts: &TrainOptions,
    columns: Columns,
) -> Result<Outcome, HostError> {
    let data = Dataset::build(cfg)?;
    let model = cfg.model;
    let mut params = vec![0.0; model.n_params()];
    init_params(&model, cfg.seed, &mut params)?;
    // A transfer run overwrites the tensors it loads and records its source in the config.
    let loaded = crate::train::transfer::load_init(cfg, &mut params)?;
    let cfg = loaded.as_ref().unwrap_or(cfg);
    let (cfg, gpu) = backend::open(cfg, opts.batch.as_deref())?;
    let cfg = &cfg;
    let (dir, _lock) = match into {
        // What a run stopped before it wrote its config left is no run: train into it.
        Fresh::Create(out) if out.is_dir() && RunDir::is_leftover(out)? => {
            let lock = RunLock::acquire(out)?;
            // Another process may have started a run there before the lock was ours.
            if !RunDir::is_leftover(out)? {
                return Err(HostError::OutExists(out.to_path_buf()));
            }
            (RunDir::emptied(out)?, Some(lock))
        }
        Fresh::Create(out) => {
            let dir = RunDir::create(out)?;
            let lock = RunLock::acquire(&dir.root)?;
            (dir, Some(lock))
        }
        Fresh::Claimed(root) => (RunDir::emptied(root)?, None),
    };
    // A directory with no config is not a run: if the disk fills before both files exist,
    // take the directory away again rather than leave something `--resume` cannot use.
    let started =
        fsio::write_atomic(&dir.config(), cfg.to_json_pretty().as_bytes()).and_then(|()| {
            let header = metrics::header_for(&cfg.task_names(), columns);
            MetricsLog::create(&dir.metrics(), &header)
        });
    let log = match started {
        Ok(log) => log,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir.root);
            return Err(e);
        }
    };
    let n = params.len();
    let state = State {
        step: 0,
        params,
        m: vec![0.0; n],
        v: vec![0.0; n],
        filter: vec![0.0; cfg.grokfast.map_or(0, |gf| gf.state_len(n))],
    };
    let watch = GrokWatch::new(cfg.grok_threshold, cfg.patience);
    let session = Session {
        resumed_from: None,
        columns,
    };
    run(cfg, &dir, &data, state, log, watch, opts, session, gpu)
}

/// Continues the run in `root` from its newest checkpoint that loads cleanly, holding its lock.
pub fn resume(root: &Path, opts: &TrainOptions) -> Result<Outcome, HostError> {
    let dir = RunDir::open(root)?;
    let _lock = RunLock::acquire(root)?;
    resume_locked(&dir, opts)
}

/// [`resume`] for a caller that holds the directory's lock.
pub(crate) fn resume_locked(dir: &RunDir, opts: &TrainOptions) -> Result<Outcome, HostError> {
    let root = &dir.root;
    let cfg = dir.read_config()?;
    let data = Dataset::build(&cfg)?;
    let gpu = backend::reopen(&cfg, opts.batch.as_deref())?;
    let steps = dir.complete_checkpoints()?;
    // The run keeps the metrics columns it started with (all current ones if it never wrote
    // its header).
    let columns = match dir.metrics().is_file() {
        true => Columns::read(&dir.metrics())?,
        false => Columns::CURRENT,
    };
    if steps.is_empty() {
        // Stopped before its first checkpoint: nothing trained is lost by starting over, and a
        // run is a function of its config, so this ends with the bytes of one that never
        // stopped.
        return train_fresh_with(&cfg, Fresh::Claimed(root), opts, columns);
    }
    let mut skipped = Vec::new();
    let mut state = None;
    for &step in &steps {
        match load_checkpoint(dir, &cfg, step) {
            Ok(s) => {
                state = Some(s);
                break;
            }
            Err(e) => skipped.push(e.to_string()),
        }
    }
    let Some(state) = state else {
        return Err(HostError::NoUsableCheckpoint {
            dir: dir.checkpoints(),
            reason: skipped.into_iter().next().unwrap_or_default(),
        });
    };
    for reason in &skipped {
        // The newer checkpoint is rewritten, atomically, when the run reaches its step again.
        eprintln!(
            "warning: {reason}; resuming from the checkpoint at step {} instead",
            state.step
        );
    }
    // The last check, and the first write: metrics.csv is left alone if its rows are damaged.
    let header = metrics::header_for(&cfg.task_names(), columns);
    let rows = MetricsLog::truncate_before(&dir.metrics(), &header, state.step, cfg.log_every)?;
    fsio::sweep_tmp(&dir.root)?;
    fsio::sweep_tmp(&dir.checkpoints())?;
    // A kill between writing checkpoint `state.step` and pruning left older ones behind.
    dir.prune(cfg.keep_checkpoints, state.step)?;
    let mut watch = GrokWatch::new(cfg.grok_threshold, cfg.patience);
    for r in &rows {
        watch.observe(r.step, r.train_acc, r.test_acc);
    }
    let log = MetricsLog::open(&dir.metrics())?;
    let session = Session {
        resumed_from: Some(state.step),
        columns,
    };
    run(&cfg, dir, &data, state, log, watch, opts, session, gpu)
}

/// What one session of a run continues from.
#[derive(Debug, Clone, Copy)]
struct Session {
    /// The checkpoint step it resumed from, if it did.
    resumed_from: Option<u64>,
    /// The optional metrics columns of the run.
    columns: Columns,
}

/// Loads checkpoint `step` and checks it belongs to this run.
fn load_checkpoint(dir: &RunDir, cfg: &RunConfig, step: u64) -> Result<State, HostError> {
    let model_path = dir.model_checkpoint(step);
    let optim_path = dir.optim_checkpoint(step);
    let ModelFile {
        step: m_step,
        config: m_cfg,
        params,
    } = checkpoint::read_model(&model_path)?;
    let OptimFile {
        step: o_step,
        adamw_step,
        config: o_cfg,
        m,
        v,
        filter,
    } = checkpoint::read_optim(&optim_path)?;
    let foreign = |path: &Path, what: &str| HostError::BadCheckpoint {
        path: path.to_path_buf(),
        reason: format!("{what} does not match this run's config.json: it belongs to another run"),
    };
    if &m_cfg != cfg {
        return Err(foreign(&model_path, "its config"));
    }
    if &o_cfg != cfg {
        return Err(foreign(&optim_path, "its config"));
    }
    if m_step != step || o_step != step || adamw_step != step {
        return Err(foreign(&optim_path, "its step"));
    }
    Ok(State {
        step,
        params,
        m,
        v,
        filter,
    })
}

/// Writes checkpoint `state.step`: model file, then optimizer file, each atomically.
fn write_checkpoint(dir: &RunDir, cfg: &RunConfig, st: &State) -> Result<(), HostError> {
    let model = checkpoint::model_bytes(cfg, &st.params, st.step)?;
    fsio::write_atomic(&dir.model_checkpoint(st.step), &model)?;
    let optim = checkpoint::optim_bytes(cfg, &st.m, &st.v, &st.filter, st.step, st.step)?;
    fsio::write_atomic(&dir.optim_checkpoint(st.step), &optim)
}

#[allow(clippy::too_many_arguments)]
fn run(
    cfg: &RunConfig,
    dir: &RunDir,
    data: &Dataset,
    mut st: State,
    mut log: MetricsLog,
    mut watch: GrokWatch,
    opts: &TrainOptions,
    session: Session,
    gpu: Option<GpuContext>,
) -> Result<Outcome, HostError> {
    let Session {
        resumed_from,
        columns,
    } = session;
    let model = cfg.model;
    let threads = opts.threads.max(1);
    let mut stepper = Stepper::new(
        cfg,
        data,
        gpu.as_ref(),
        opts.batch.as_ref(),
        threads,
        [&st.params, &st.m, &st.v],
        &st.filter,
    )?;
    let names = cfg.task_names();
    let mut probe = FourierProbe::with_columns(&model, cfg.p as usize, cfg.ffs_eps, columns)?;
    let start = st.step;
    let clock = Instant::now();
    let progress = Progress::new(cfg.steps, start, opts.progress, opts.control.clone());
    let last = loop {
        let t = st.step;
        if t > start && t.is_multiple_of(cfg.checkpoint_every) {
            log.sync()?;
            stepper.sync(&mut st.params, Some((&mut st.m, &mut st.v, &mut st.filter)))?;
            write_checkpoint(dir, cfg, &st)?;
            dir.prune(cfg.keep_checkpoints, t)?;
        }
        let is_last = t >= cfg.steps;
        let log_now = t.is_multiple_of(cfg.log_every) || is_last;
        let mut row = None;
        if let Some((train, test)) = stepper.gradients(cfg, data, &st.params, t, log_now)? {
            stepper.sync(&mut st.params, None)?;
            let r = MetricsRow {
                step: t,
                train,
                test,
                fourier: probe.measure(&st.params)?,
                weight_norm: metrics::weight_norm(&st.params),
            };
            log.append(&r.line(&names))?;
            watch.observe(t, r.train.mean_acc(), r.test.mean_acc());
            progress.show(&r);
            row = Some(r);
        }
        let grokked = row.is_some() && cfg.stop_after_grok && watch.has_held(t);
        if let Some(r) = row.filter(|_| is_last || grokked) {
            break (r, grokked);
        }
        if opts.halt_after == Some(t) || progress.stop_requested() {
            log.sync()?;
            progress.finish();
            return Ok(Outcome::Halted { step: t });
        }
        stepper.update(
            cfg,
            t + 1,
            [&mut st.params, &mut st.m, &mut st.v],
            &mut st.filter,
        )?;
        st.step = t + 1;
        progress.set_step(st.step);
    };
    progress.finish();
    log.sync()?;
    stepper.sync(&mut st.params, None)?;
    // A run in a gpu batch leaves it here, not after its analysis: the runs beside it step on
    // without waiting for that.
    drop(stepper);
    let (row, stopped_early) = last;
    let final_bytes = checkpoint::model_bytes(cfg, &st.params, st.step)?;
    fsio::write_atomic(&dir.final_model(), &final_bytes)?;
    let wall = clock.elapsed().as_secs_f64();
    // A run from before the multiplicative basis keeps the additive analysis it would have had.
    let basis = match columns.emb_ffs_mult {
        true => Bases::default_for(&cfg.tasks()?),
        false => Bases::Additive,
    };
    let analysis = crate::analysis::after_training(dir, cfg, &st.params, st.step, threads, basis)?;
    let report = Report {
        run_dir: dir.root.display().to_string(),
        op: cfg.op.clone(),
        p: cfg.p,
        frac: cfg.frac,
        seed: cfg.seed,
        pairs: cfg.pairs,
        final_step: st.step,
        steps_to_memorise: watch.memorised_at,
        steps_to_grok: watch.stretch_start,
        stopped_early,
        final_train_loss: row.train.mean_loss(),
        final_test_loss: row.test.mean_loss(),
        final_train_acc: row.train.mean_acc(),
        final_test_acc: row.test.mean_acc(),
        wall_time_s: wall,
        steps_per_s: if wall > 0.0 {
            (st.step - start) as f64 / wall
        } else {
            0.0
        },
        threads,
        adapter: cfg.adapter.clone(),
        resumed_from,
        ffs_eps: cfg.ffs_eps,
        final_fourier: row.fourier,
        key_frequencies: analysis.map(|a| a.analysis.embedding.key_frequencies),
    };
    let mut json = serde_json::to_string_pretty(&report).unwrap_or_default();
    json.push('\n');
    fsio::write_atomic(&dir.report(), json.as_bytes())?;
    curves::write(dir, cfg)?;
    Ok(Outcome::Finished(report))
}
