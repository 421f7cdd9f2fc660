//! `modgrok analyze`'s numbers (SPEC §5) as `analysis.json` text, without writing files.
use std::path::PathBuf;

use clap::ValueEnum;
use modgrok_core::fourier::DEFAULT_KEY_THRESHOLD;
use modgrok_host::analysis::{self, AnalysisOptions, Bases};
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::config::RunConfig;
use modgrok_host::error::HostError;
use modgrok_host::run::dir::RunDir;
use pyo3::prelude::*;

use crate::errors::{to_py, value_error};
use crate::model::{Tensor, flat_params};

/// The analysis settings, with `modgrok analyze`'s defaults for those not given.
fn options(
    cfg: &RunConfig,
    ffs_eps: Option<f64>,
    key_threshold: Option<f64>,
    basis: Option<&str>,
    threads: Option<usize>,
) -> PyResult<AnalysisOptions> {
    let basis = match basis {
        Some(b) => Bases::from_str(b, true).map_err(|_| {
            value_error(format!(
                "basis {b:?} is not one of additive, multiplicative, both"
            ))
        })?,
        None => Bases::default_for(&cfg.tasks().map_err(to_py)?),
    };
    let opts = AnalysisOptions {
        ffs_eps: ffs_eps.unwrap_or(cfg.ffs_eps),
        key_threshold: key_threshold.unwrap_or(DEFAULT_KEY_THRESHOLD),
        threads: modgrok_host::train::check_threads(
            threads.unwrap_or_else(modgrok_host::train::default_threads),
        )
        .map_err(to_py)?,
        basis,
    };
    analysis::check_options(cfg, &opts).map_err(to_py)?;
    Ok(opts)
}

fn run(
    py: Python<'_>,
    cfg: &RunConfig,
    params: &[f32],
    step: u64,
    model: &str,
    opts: &AnalysisOptions,
) -> PyResult<String> {
    py.detach(|| analysis::analyse(cfg, params, step, model, opts))
        .map(|a| analysis::analysis_json(&a))
        .map_err(to_py)
}

/// Analyses a run directory's final model or a model file, with the config of its run.
#[pyfunction]
#[pyo3(signature = (path, ffs_eps=None, key_threshold=None, basis=None, threads=None))]
pub fn analyze_file(
    py: Python<'_>,
    path: PathBuf,
    ffs_eps: Option<f64>,
    key_threshold: Option<f64>,
    basis: Option<String>,
    threads: Option<usize>,
) -> PyResult<String> {
    let loaded = py.detach(|| analysis::load(&path)).map_err(to_py)?;
    let opts = options(
        &loaded.cfg,
        ffs_eps,
        key_threshold,
        basis.as_deref(),
        threads,
    )?;
    let name = loaded.model.display().to_string();
    run(py, &loaded.cfg, &loaded.params, loaded.step, &name, &opts)
}

/// Analyses named tensors as a model of the task these `modgrok train` flags describe (op, p,
/// and frac, seed, pairs for the train set of the restricted and excluded losses); the
/// dimensions are the tensors' own.
#[pyfunction]
#[pyo3(signature = (tensors, flags, ffs_eps=None, key_threshold=None, basis=None, threads=None))]
pub fn analyze_weights(
    py: Python<'_>,
    tensors: Vec<Tensor<'_>>,
    flags: Vec<String>,
    ffs_eps: Option<f64>,
    key_threshold: Option<f64>,
    basis: Option<String>,
    threads: Option<usize>,
) -> PyResult<String> {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut cfg = TrainArgs::from_flags(&flags).map_err(to_py)?.spec();
    let dims = crate::model::dims_of(&tensors)?;
    cfg.model.d_model = dims.d_model;
    cfg.model.n_heads = dims.n_heads;
    cfg.model.d_mlp = dims.d_mlp;
    let cfg = cfg.derived().map_err(to_py)?;
    if cfg.model != dims {
        return Err(to_py(HostError::Usage(format!(
            "the weights have d_vocab {} and d_head {}, and op {:?} at p = {} needs d_vocab {} and d_head {}",
            dims.d_vocab, dims.d_head, cfg.op, cfg.p, cfg.model.d_vocab, cfg.model.d_head
        ))));
    }
    let params = flat_params(&cfg.model, &tensors)?;
    let opts = options(&cfg, ffs_eps, key_threshold, basis.as_deref(), threads)?;
    run(py, &cfg, &params, 0, "weights", &opts)
}

/// `modgrok analyze --over-training`'s table of a run directory as `over_training.csv` text,
/// without writing files: every model checkpoint and the final model measured with the final
/// model's key frequencies.
#[pyfunction]
#[pyo3(signature = (path, ffs_eps=None, key_threshold=None, threads=None))]
pub fn over_training(
    py: Python<'_>,
    path: PathBuf,
    ffs_eps: Option<f64>,
    key_threshold: Option<f64>,
    threads: Option<usize>,
) -> PyResult<String> {
    let run = RunDir::open(&path).map_err(to_py)?;
    let cfg = run.read_config().map_err(to_py)?;
    let mut opts = options(&cfg, ffs_eps, key_threshold, Some("additive"), threads)?;
    opts.basis = Bases::Additive;
    py.detach(|| analysis::over_training(&run, &opts))
        .map(|t| t.csv())
        .map_err(to_py)
}

/// `modgrok report DIR`'s report.csv text for the runs under `dir`, writing nothing.
#[pyfunction]
#[pyo3(signature = (dir, grok_at=None))]
pub fn report_csv(py: Python<'_>, dir: PathBuf, grok_at: Option<f64>) -> PyResult<String> {
    py.detach(|| modgrok_host::commands::report::csv_of(&dir, grok_at))
        .map_err(to_py)
}
