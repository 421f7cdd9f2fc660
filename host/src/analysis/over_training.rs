//! Progress measures over a whole run (SPEC §5; Nanda et al. 2023, "Progress measures for
//! grokking via mechanistic interpretability"): `modgrok analyze --over-training RUN_DIR`
//! evaluates every model checkpoint of the run, and its final model, with the key frequencies of
//! the final model's logits, and writes `over_training.csv` and the figure.
//!
//! Per checkpoint θ_t (t updates applied) and per task, with L the logits `[p, p, p]` over the p
//! number classes, L_c = L − mean_z L, comp_k its frequency-k component and KEY the key
//! frequencies of the final model's logits (the set `modgrok analyze` restricts to):
//! - `restricted_loss`: the loss of `Σ_{k ∈ KEY} comp_k` on the train pairs;
//! - `excluded_loss`: the loss of `L_c − Σ_{k ∈ KEY} comp_k` on the train pairs (Nanda's
//!   excluded loss, every key frequency removed at once);
//! - `excluded_loss_k<k>`: the loss of `L_c − comp_k` on the train pairs, for each k ∈ KEY (the
//!   `excluded_loss.train[k]` of `analysis.json`);
//! - `train_loss`, `test_loss`, `train_acc`, `test_acc`: cross-entropy and argmax accuracy over
//!   the p number classes, on the run's train and test pairs with both operands in Z_p (as
//!   `analysis.json`'s). They differ from `metrics.csv`'s, which score all d_vocab classes and,
//!   under `--pairs reference`, also the pairs with a special-token operand that the Fourier
//!   analysis leaves out (at p = 97, frac 0.3, seed 0: test accuracy 0.344 here against 0.367
//!   in `metrics.csv` at step 2000);
//!
//! and per model, the columns of `metrics.csv` at the same parameters: `emb_ffs`, `emb_fcr`,
//! `nlm_ffs`, `nlm_fcr`, `emb_ffs_mult` ([`FourierProbe`], with the analysis' ε) and
//! `weight_norm` = `sqrt(Σ θ²)` ([`metrics::weight_norm`]).
//!
//! Each checkpoint is measured on its own by the same core functions as `modgrok analyze`, in
//! the same order, so the row of the final step equals the final analysis bit for bit;
//! checkpoints run in parallel and are collected in step order, so the file is the same bytes
//! for any thread count.
use std::path::Path;

use modgrok_core::fourier::{
    Basis, Pairs, component_loss, component_partials, component_partials_len, excluded_loss,
    key_frequencies, logit_freq_norms, logit_loss, loss_work_len, restricted_loss, twiddles_len,
};
use rayon::prelude::*;

use super::compute::{
    AnalysisOptions, Inputs, accuracy, all_logits, check_options, inputs, number_logits,
    thread_pool,
};
use super::live::FourierProbe;
use crate::config::RunConfig;
use crate::error::HostError;
use crate::run::checkpoint;
use crate::run::dir::RunDir;
use crate::run::metrics::{self, Cell, FourierMeasures};

/// Name of the table in the output directory.
pub const OVER_TRAINING_FILE: &str = "over_training.csv";

/// The measures of one task at one checkpoint (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskMeasures {
    pub train_loss: f64,
    pub test_loss: f64,
    pub train_acc: f64,
    pub test_acc: f64,
    pub restricted_loss: f64,
    pub excluded_loss: f64,
    /// `[i]`: the excluded loss of the i-th key frequency alone.
    pub excluded_by_key: Vec<f64>,
}

/// One row of `over_training.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointMeasures {
    /// Updates applied to the model.
    pub step: u64,
    /// One entry per task of the mixture, in order.
    pub tasks: Vec<TaskMeasures>,
    pub fourier: FourierMeasures,
    pub weight_norm: f64,
}

/// The progress measures of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct OverTraining {
    pub task_names: Vec<String>,
    /// Per task, the key frequencies of the final model's logits.
    pub key_frequencies: Vec<Vec<usize>>,
    /// The step of `final.safetensors`.
    pub final_step: u64,
    /// One row per model checkpoint, ascending step, and one for the final model when no
    /// checkpoint has its step.
    pub rows: Vec<CheckpointMeasures>,
}

/// The fixed inputs of every checkpoint's measures.
struct Setup<'a> {
    cfg: &'a RunConfig,
    basis: Basis<'a>,
    inputs: Inputs,
    /// Per task, `[p²]` labels.
    labels: Vec<Vec<u16>>,
    /// Per task, `[K + 1]` the final key frequencies.
    key: Vec<Vec<bool>>,
    eps: f64,
}

/// A task's logits over the p number classes `[p, p, p]`, their component partials
/// `[p, K, 2, p]` and frequency norms `[K + 1]`.
struct LogitParts {
    logits: Vec<f32>,
    partials: Vec<f64>,
    norms: Vec<f64>,
}

/// The parts of task `t` from the model's logits `[n_tasks·p², d_vocab]`.
fn logit_parts(basis: Basis, all: &[f32], t: usize, voc: usize) -> Result<LogitParts, HostError> {
    let p = basis.p();
    let (logits, coef) = number_logits(basis, &all[t * p * p * voc..(t + 1) * p * p * voc], voc)?;
    let mut norms = vec![0.0f64; basis.n_freqs() + 1];
    logit_freq_norms(basis, &coef, &mut norms)?;
    let mut partials = vec![0.0f64; component_partials_len(p)];
    component_partials(basis, &coef, &mut partials)?;
    Ok(LogitParts {
        logits,
        partials,
        norms,
    })
}

fn check_params(cfg: &RunConfig, params: &[f32], path: &Path) -> Result<(), HostError> {
    let need = cfg.model.n_params();
    if params.len() != need {
        return Err(HostError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: format!(
                "has {} parameters, the run's config needs {need}",
                params.len()
            ),
        });
    }
    Ok(())
}

/// Per task, the `[K + 1]` key-frequency mask of the logits of `params`.
fn final_keys(
    cfg: &RunConfig,
    basis: Basis,
    inputs: &Inputs,
    params: &[f32],
    threshold: f64,
) -> Result<Vec<Vec<bool>>, HostError> {
    let logits = all_logits(&cfg.model, params, &inputs.examples)?;
    (0..cfg.tasks.len())
        .map(|t| {
            let parts = logit_parts(basis, &logits, t, cfg.model.d_vocab)?;
            let n = parts.norms.len();
            let mut key = vec![false; n];
            key_frequencies(&parts.norms, &vec![0.0; n], threshold, &mut key)?;
            Ok(key)
        })
        .collect()
}

/// The row of the model `params` after `step` updates.
fn measure(s: &Setup, params: &[f32], step: u64) -> Result<CheckpointMeasures, HostError> {
    let mcfg = &s.cfg.model;
    let p = s.basis.p();
    let logits = all_logits(mcfg, params, &s.inputs.examples)?;
    let (train, test) = (&s.inputs.train, &s.inputs.test);
    let mut work = vec![0.0f64; loss_work_len(p)];
    let mut tasks = Vec::with_capacity(s.key.len());
    for (t, key) in s.key.iter().enumerate() {
        let LogitParts {
            logits: l,
            partials,
            ..
        } = logit_parts(s.basis, &logits, t, mcfg.d_vocab)?;
        let labels = &s.labels[t];
        let on_train = Pairs::List(train);
        let others: Vec<bool> = key
            .iter()
            .enumerate()
            .map(|(k, &on)| k > 0 && !on)
            .collect();
        let excluded_by_key = (1..key.len())
            .filter(|&k| key[k])
            .map(|k| excluded_loss(s.basis, &l, &partials, k, labels, on_train, &mut work))
            .collect::<Result<Vec<f64>, _>>()?;
        tasks.push(TaskMeasures {
            train_loss: logit_loss(p, &l, labels, on_train)?,
            test_loss: logit_loss(p, &l, labels, Pairs::List(test))?,
            train_acc: accuracy(&l, p, labels, train),
            test_acc: accuracy(&l, p, labels, test),
            restricted_loss: restricted_loss(s.basis, &partials, key, labels, on_train, &mut work)?,
            excluded_loss: component_loss(
                s.basis, &l, &partials, &others, true, labels, on_train, &mut work,
            )?,
            excluded_by_key,
        });
    }
    Ok(CheckpointMeasures {
        step,
        tasks,
        fourier: FourierProbe::new(mcfg, p, s.eps)?.measure(params)?,
        weight_norm: metrics::weight_norm(params),
    })
}

/// Measures every model checkpoint of `run` and its final model with `opts` (its `basis` is not
/// used). A run without model checkpoints or without `final.safetensors` is a usage error.
pub fn over_training(run: &RunDir, opts: &AnalysisOptions) -> Result<OverTraining, HostError> {
    let cfg = run.read_config()?;
    check_options(&cfg, opts)?;
    let steps = run.model_checkpoints()?;
    if steps.is_empty() {
        return Err(HostError::Usage(format!(
            "{} holds no checkpoints: train with `--keep-checkpoints 0 --checkpoint-every N` to keep one every N steps",
            run.checkpoints().display()
        )));
    }
    let final_path = run.final_model();
    if !final_path.is_file() {
        return Err(HostError::Usage(format!(
            "{} has no final.safetensors, whose key frequencies the measures use: finish the run with `modgrok train --resume` first",
            run.root.display()
        )));
    }
    let fin = checkpoint::read_model_of(&final_path, Some(&cfg))?;
    check_params(&cfg, &fin.params, &final_path)?;
    let tasks = cfg.tasks()?;
    let p = cfg.p as usize;
    let pool = thread_pool(opts.threads)?;
    let mut tw = vec![0.0; twiddles_len(p)];
    let basis = Basis::new(p, &mut tw)?;
    let inputs = inputs(&cfg, &tasks)?;
    let labels = inputs
        .examples
        .chunks_exact(p * p)
        .map(|ex| ex.iter().map(|e| e.label).collect())
        .collect();
    let key = pool.install(|| final_keys(&cfg, basis, &inputs, &fin.params, opts.key_threshold))?;
    let setup = Setup {
        cfg: &cfg,
        basis,
        inputs,
        labels,
        key,
        eps: opts.ffs_eps,
    };
    let rows = pool.install(|| {
        steps
            .par_iter()
            .map(|&step| {
                let path = run.model_checkpoint(step);
                let file = checkpoint::read_model_of(&path, Some(&cfg))?;
                check_params(&cfg, &file.params, &path)?;
                measure(&setup, &file.params, file.step)
            })
            .collect::<Result<Vec<_>, HostError>>()
    })?;
    let mut rows = rows;
    if !rows.iter().any(|r| r.step == fin.step) {
        rows.push(pool.install(|| measure(&setup, &fin.params, fin.step))?);
        rows.sort_by_key(|r| r.step);
    }
    let key_frequencies = setup
        .key
        .iter()
        .map(|m| (1..m.len()).filter(|&k| m[k]).collect())
        .collect();
    Ok(OverTraining {
        task_names: cfg.task_names(),
        key_frequencies,
        final_step: fin.step,
        rows,
    })
}

impl OverTraining {
    /// `(column, value)` of row `i` in CSV order: `step`; per task `train_loss`, `test_loss`,
    /// `train_acc`, `test_acc`, `restricted_loss`, `excluded_loss`, `excluded_loss_k<k>` for
    /// each key frequency k (each name suffixed `.<task>` in a mixture); then `emb_ffs`,
    /// `emb_fcr`, `nlm_ffs`, `nlm_fcr`, `emb_ffs_mult`, `weight_norm`.
    pub fn cells(&self, i: usize) -> Vec<(String, Cell)> {
        let r = &self.rows[i];
        let mut c = vec![("step".to_string(), Cell::Int(r.step))];
        let mixture = self.task_names.len() > 1;
        for (t, m) in r.tasks.iter().enumerate() {
            let suffix = match mixture {
                true => format!(".{}", self.task_names[t]),
                false => String::new(),
            };
            for (name, v) in [
                ("train_loss", m.train_loss),
                ("test_loss", m.test_loss),
                ("train_acc", m.train_acc),
                ("test_acc", m.test_acc),
                ("restricted_loss", m.restricted_loss),
                ("excluded_loss", m.excluded_loss),
            ] {
                c.push((format!("{name}{suffix}"), Cell::Float(v)));
            }
            for (k, &v) in self.key_frequencies[t].iter().zip(&m.excluded_by_key) {
                c.push((format!("excluded_loss_k{k}{suffix}"), Cell::Float(v)));
            }
        }
        let f = &r.fourier;
        for (name, v) in [
            ("emb_ffs", f.emb_ffs),
            ("emb_fcr", f.emb_fcr),
            ("nlm_ffs", f.nlm_ffs),
            ("nlm_fcr", f.nlm_fcr),
        ] {
            c.push((name.to_string(), Cell::Float(v)));
        }
        if let Some(v) = f.emb_ffs_mult {
            c.push(("emb_ffs_mult".to_string(), Cell::Float(v)));
        }
        c.push(("weight_norm".to_string(), Cell::Float(r.weight_norm)));
        c
    }

    /// The CSV: a header and one line per row, floats in shortest round-trip form.
    pub fn csv(&self) -> String {
        let mut s = String::new();
        for i in 0..self.rows.len() {
            let cells = self.cells(i);
            if i == 0 {
                s += &join(cells.iter().map(|(k, _)| k.clone()));
                s.push('\n');
            }
            s += &join(cells.iter().map(|(_, v)| v.to_string()));
            s.push('\n');
        }
        s
    }

    /// The rows as a JSON array of objects keyed by column, and a newline.
    pub fn json(&self) -> String {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = (0..self.rows.len())
            .map(|i| {
                self.cells(i)
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Cell::Int(n) => serde_json::Value::from(n),
                            Cell::Float(x) => serde_json::Value::from(x),
                        };
                        (k, v)
                    })
                    .collect()
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}
