//! Where an analysis comes from and goes: a model loaded with the config of its run, and
//! `analysis.json` with the figures written beside it, after training or by `modgrok analyze`.
use std::path::{Path, PathBuf};

use modgrok_core::fourier::DEFAULT_KEY_THRESHOLD;

use super::bases::Bases;
use super::compute::{Analysis, AnalysisOptions, analyse};
use super::figures::write_figures;
use crate::config::RunConfig;
use crate::error::HostError;
use crate::fsio;
use crate::run::checkpoint;
use crate::run::curves;
use crate::run::dir::RunDir;

/// Name of the analysis file in the output directory.
pub const ANALYSIS_FILE: &str = "analysis.json";

/// A model read for analysis, with the config of its run.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub cfg: RunConfig,
    pub params: Vec<f32>,
    pub step: u64,
    /// The model file.
    pub model: PathBuf,
    /// The run directory holding it, if any.
    pub run: Option<RunDir>,
    /// Where the output goes without `--out`.
    pub default_out: PathBuf,
}

/// The run directory a model file sits in: `RUN/final.safetensors` or
/// `RUN/checkpoints/step_XXXXXXX.safetensors`, RUN holding `config.json`.
fn run_of(file: &Path) -> Option<RunDir> {
    let parent = file.parent()?;
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let candidates = [
        Some(parent),
        parent
            .parent()
            .filter(|_| parent.file_name().is_some_and(|n| n == "checkpoints")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("config.json").is_file())
        .map(|d| RunDir {
            root: d.to_path_buf(),
        })
}

/// Reads the model at `target` (a run directory or a model file) and the config of its run.
/// A file inside a run directory must carry that run's config in its metadata.
pub fn load(target: &Path) -> Result<Loaded, HostError> {
    if !target.exists() {
        return Err(HostError::Usage(format!(
            "{} does not exist: pass a run directory (the --out of `modgrok train`) or a .safetensors model file",
            target.display()
        )));
    }
    if target.is_dir() {
        let dir = RunDir::open(target)?;
        let cfg = dir.read_config()?;
        let model = dir.final_model();
        if !model.is_file() {
            let hint = match dir.complete_checkpoints()?.first() {
                Some(&step) => format!(
                    "analyse a checkpoint instead, e.g. {}",
                    dir.model_checkpoint(step).display()
                ),
                None => "finish the run with `modgrok train --resume` first".into(),
            };
            return Err(HostError::BadRunDir {
                path: dir.root.clone(),
                reason: format!("has no final.safetensors (the run did not finish): {hint}"),
            });
        }
        let file = checkpoint::read_model_of(&model, Some(&cfg))?;
        return Ok(Loaded {
            cfg,
            params: file.params,
            step: file.step,
            model,
            default_out: dir.root.clone(),
            run: Some(dir),
        });
    }
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".optim.safetensors") {
        return Err(HostError::BadCheckpoint {
            path: target.to_path_buf(),
            reason: "is an optimizer file (AdamW moments): pass the model file beside it".into(),
        });
    }
    let run = run_of(target);
    let run_cfg = match &run {
        Some(r) => Some(r.read_config()?),
        None => None,
    };
    let file = checkpoint::read_model_of(target, run_cfg.as_ref())?;
    let is_final = run.as_ref().is_some_and(|r| {
        r.final_model()
            .canonicalize()
            .ok()
            .zip(target.canonicalize().ok())
            .is_some_and(|(a, b)| a == b)
    });
    let base = match &run {
        Some(r) => r.root.clone(),
        None => target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    };
    let default_out = if is_final {
        base
    } else {
        base.join(format!("analysis_step_{:07}", file.step))
    };
    Ok(Loaded {
        cfg: file.config,
        params: file.params,
        step: file.step,
        model: target.to_path_buf(),
        run,
        default_out,
    })
}

/// What one `modgrok analyze` produced.
#[derive(Debug, Clone)]
pub struct AnalyzeOutput {
    pub analysis: Analysis,
    pub out: PathBuf,
    /// Every file written, analysis.json first.
    pub files: Vec<PathBuf>,
    /// The bases it reported.
    pub basis: Bases,
}

/// Analyses `params` of the run `cfg` and writes `analysis.json`, the figures and (given the
/// run's `metrics.csv`) `ffs_fcr.svg` into `out`, creating it.
pub fn write_analysis(
    cfg: &RunConfig,
    params: &[f32],
    step: u64,
    model: &Path,
    metrics: Option<&Path>,
    out: &Path,
    opts: &AnalysisOptions,
) -> Result<AnalyzeOutput, HostError> {
    let analysis = analyse(cfg, params, step, &model.display().to_string(), opts)?;
    std::fs::create_dir_all(out).map_err(HostError::io(out))?;
    let json = analysis_json(&analysis);
    let path = out.join(ANALYSIS_FILE);
    fsio::write_atomic(&path, json.as_bytes())?;
    let mut files = vec![path];
    files.extend(write_figures(out, &analysis, opts.basis)?);
    if let Some(m) = metrics.filter(|m| m.is_file()) {
        let svg = out.join(format!("{}.svg", curves::FOURIER_PLOT));
        if curves::write_fourier(m, &svg, cfg)? {
            files.push(svg);
        }
    }
    Ok(AnalyzeOutput {
        analysis,
        out: out.to_path_buf(),
        files,
        basis: opts.basis,
    })
}

/// Most `n_tasks · p⁴` for which `modgrok train` analyses its final model itself: p = 113 with
/// one task, p = 97 with two (about a second per task at p = 97 on two cores). Larger runs
/// leave it to `modgrok analyze`.
pub const AUTO_ANALYSIS_BUDGET: u64 = 200_000_000;

/// The final analysis `modgrok train` writes into its run directory: `analysis.json` and the
/// spectrum and logit-map figures (`ffs_fcr.svg` is drawn with the training curves), with the
/// run's ε, the default key threshold and the bases `basis`. `None` when the run is above
/// [`AUTO_ANALYSIS_BUDGET`].
pub fn after_training(
    dir: &RunDir,
    cfg: &RunConfig,
    params: &[f32],
    step: u64,
    threads: usize,
    basis: Bases,
) -> Result<Option<AnalyzeOutput>, HostError> {
    let p = cfg.p as u64;
    if cfg.tasks.len() as u64 * p.pow(4) > AUTO_ANALYSIS_BUDGET {
        return Ok(None);
    }
    let opts = AnalysisOptions {
        ffs_eps: cfg.ffs_eps,
        key_threshold: DEFAULT_KEY_THRESHOLD,
        threads,
        basis,
    };
    // Named relative to the run directory, so equal runs write equal bytes wherever they are.
    let model = Path::new("final.safetensors");
    let out = write_analysis(cfg, params, step, model, None, &dir.root, &opts)?;
    Ok(Some(out))
}

/// `analysis.json`'s bytes: pretty JSON and a newline.
pub fn analysis_json(a: &Analysis) -> String {
    let mut s = serde_json::to_string_pretty(a).unwrap_or_default();
    s.push('\n');
    s
}
