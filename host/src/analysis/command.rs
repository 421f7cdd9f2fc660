//! `modgrok analyze RUN_DIR|CHECKPOINT`: loads a model with the config of its run, analyses it
//! ([`analyse`]), writes `analysis.json` and the figures, and prints a summary.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use modgrok_core::fourier::DEFAULT_KEY_THRESHOLD;

use super::compute::{Analysis, AnalysisOptions, Spectrum, TrainAll, analyse, check_options};
use super::figures::write_figures;
use crate::config::RunConfig;
use crate::error::HostError;
use crate::run::checkpoint::{self, ModelFile};
use crate::run::curves;
use crate::run::dir::RunDir;
use crate::run::fsio;

/// Name of the analysis file in the output directory.
pub const ANALYSIS_FILE: &str = "analysis.json";

const ANALYZE_EXAMPLES: &str = "\
Examples:
  modgrok analyze runs/add_p97_f0.3_s0                 the run's final model, into the run dir
  modgrok analyze runs/add_p97_f0.3_s0/checkpoints/step_0005000.safetensors
  modgrok analyze model.safetensors --out /tmp/a --json

Writes analysis.json, embedding_spectrum.svg, neuron_logit_spectrum.svg, logit_spectrum_2d.svg
(one per task in a mixture, logit_spectrum_2d_task<t>.svg) and, for a model inside a run
directory, ffs_fcr.svg from its metrics.csv. A mixture is analysed task by task: each task's
logits, key frequencies and losses use its own op token and labels. Exit status: 0 done,
1 failed (unreadable or foreign checkpoint), 2 bad usage (no such run directory).";

#[derive(Debug, Clone, Args)]
#[command(after_help = ANALYZE_EXAMPLES)]
pub struct AnalyzeArgs {
    /// A run directory (its final.safetensors) or a model file (.safetensors) written by
    /// modgrok; the run's config.json, or a bare file's `config` metadata, gives op, p, frac, seed
    #[arg(value_name = "RUN_DIR|CHECKPOINT")]
    pub target: PathBuf,
    /// Directory for analysis.json and the figures [default: the run directory for its final
    /// model; RUN/analysis_step_XXXXXXX for a checkpoint; beside a bare file]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// ε of FFS: a frequency counts when its norm exceeds ε times its family's largest
    /// [default: the run's ffs_eps, 0.1 unless set at training]
    #[arg(long)]
    pub ffs_eps: Option<f64>,
    /// A frequency is key when its share of the squared norm exceeds this
    #[arg(long, default_value_t = DEFAULT_KEY_THRESHOLD)]
    pub key_threshold: f64,
    /// Worker threads [default: all cores]; the results are the same for any count
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print analysis.json on stdout instead of the summary
    #[arg(long)]
    pub json: bool,
    /// Print nothing
    #[arg(long, short)]
    pub quiet: bool,
}

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
        let file = read_model_checked(&model, Some(&cfg))?;
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
    let file = read_model_checked(target, run_cfg.as_ref())?;
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

/// Reads a model file (whose config [`checkpoint::read_model`] checks); it must equal
/// `run_cfg`.
fn read_model_checked(path: &Path, run_cfg: Option<&RunConfig>) -> Result<ModelFile, HostError> {
    let file = checkpoint::read_model(path)?;
    if let Some(cfg) = run_cfg
        && &file.config != cfg
    {
        return Err(HostError::BadCheckpoint {
            path: path.to_path_buf(),
            reason: "its config metadata differs from the run's config.json: the file belongs to another run".into(),
        });
    }
    Ok(file)
}

/// What one `modgrok analyze` produced.
#[derive(Debug, Clone)]
pub struct AnalyzeOutput {
    pub analysis: Analysis,
    pub out: PathBuf,
    /// Every file written, analysis.json first.
    pub files: Vec<PathBuf>,
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
    files.extend(write_figures(out, &analysis)?);
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
    })
}

/// Most `n_tasks · p⁴` for which `modgrok train` analyses its final model itself: p = 113 with
/// one task, p = 97 with two (about a second per task at p = 97 on two cores). Larger runs
/// leave it to `modgrok analyze`.
pub const AUTO_ANALYSIS_BUDGET: u64 = 200_000_000;

/// The final analysis `modgrok train` writes into its run directory: `analysis.json` and the
/// spectrum and logit-map figures (`ffs_fcr.svg` is drawn with the training curves), with the
/// run's ε and the default key threshold. `None` when the run is above
/// [`AUTO_ANALYSIS_BUDGET`].
pub fn after_training(
    dir: &RunDir,
    cfg: &RunConfig,
    params: &[f32],
    step: u64,
    threads: usize,
) -> Result<Option<AnalyzeOutput>, HostError> {
    let p = cfg.p as u64;
    if cfg.tasks.len() as u64 * p.pow(4) > AUTO_ANALYSIS_BUDGET {
        return Ok(None);
    }
    let opts = AnalysisOptions {
        ffs_eps: cfg.ffs_eps,
        key_threshold: DEFAULT_KEY_THRESHOLD,
        threads,
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

impl AnalyzeArgs {
    /// Parses the flags of `modgrok analyze` (without the program and verb), for running it
    /// in-process.
    pub fn from_flags(flags: &[&str]) -> Result<AnalyzeArgs, HostError> {
        use clap::Parser;
        #[derive(Parser)]
        struct One {
            #[command(flatten)]
            args: AnalyzeArgs,
        }
        let argv = ["modgrok analyze"].into_iter().chain(flags.iter().copied());
        One::try_parse_from(argv).map(|o| o.args).map_err(|e| {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            HostError::Usage(first.trim_start_matches("error: ").to_string())
        })
    }

    /// Loads, analyses and writes; prints nothing.
    pub fn analyze(&self) -> Result<AnalyzeOutput, HostError> {
        let loaded = load(&self.target)?;
        let opts = AnalysisOptions {
            ffs_eps: self.ffs_eps.unwrap_or(loaded.cfg.ffs_eps),
            key_threshold: self.key_threshold,
            threads: self.threads.unwrap_or_else(crate::train::default_threads),
        };
        check_options(&loaded.cfg, &opts)?;
        let out = self.out.clone().unwrap_or(loaded.default_out.clone());
        let metrics = loaded.run.as_ref().map(RunDir::metrics);
        write_analysis(
            &loaded.cfg,
            &loaded.params,
            loaded.step,
            &loaded.model,
            metrics.as_deref(),
            &out,
            &opts,
        )
    }

    /// What `modgrok analyze` prints on stdout for this result.
    pub fn stdout(&self, o: &AnalyzeOutput) -> String {
        if self.json {
            analysis_json(&o.analysis)
        } else if self.quiet {
            String::new()
        } else {
            summary(o)
        }
    }
}

fn ks(v: &[usize]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter().map(usize::to_string).collect::<Vec<_>>().join(" ")
    }
}

fn spectrum_line(name: &str, s: &Spectrum, eps: f64) -> String {
    format!(
        "{name:<17} FFS {:.4} (ε = {eps})  FCR {:.4}  key frequencies {}\n",
        s.ffs,
        s.fcr,
        ks(&s.key_frequencies)
    )
}

/// Four decimals for ordinary losses, scientific for tiny (grokked) and huge ones.
fn num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e4).contains(&v.abs()) || !v.is_finite() {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

fn loss_row(out: &mut String, name: &str, v: &TrainAll<f64>) {
    let _ = writeln!(out, "  {name:<24} {:>12} {:>12}", num(v.train), num(v.all));
}

/// The readable summary: spectra, FFS and FCR with ε, key frequencies, and per task the losses,
/// restricted and excluded losses and Table 4.
pub fn summary(o: &AnalyzeOutput) -> String {
    let a = &o.analysis;
    let mut s = format!(
        "{} mod {}, frac {}, seed {}: {} at step {}\n",
        a.op, a.p, a.frac, a.seed, a.model, a.step
    );
    s += &spectrum_line("embedding", &a.embedding, a.ffs_eps);
    s += &spectrum_line("neuron-logit map", &a.neuron_logit_map, a.ffs_eps);
    for t in &a.tasks {
        let _ = writeln!(
            s,
            "task {} (op token {}): logit key frequencies {} (share > {})",
            t.task,
            t.op_token,
            ks(&t.key_frequencies),
            a.key_threshold
        );
        let _ = writeln!(s, "  {:<24} {:>12} {:>12}", "", "train", "all pairs");
        let _ = writeln!(
            s,
            "  {:<24} {:>12.4} {:>12.4}",
            "accuracy", t.accuracy.train, t.accuracy.all
        );
        loss_row(&mut s, "loss", &t.loss);
        loss_row(&mut s, "restricted loss", &t.restricted_loss);
        for &k in &t.key_frequencies {
            let v = TrainAll {
                train: t.excluded_loss.train[k],
                all: t.excluded_loss.all[k],
            };
            loss_row(&mut s, &format!("excluded loss k = {k}"), &v);
        }
        let others = |v: &[f64]| {
            (1..v.len())
                .filter(|k| !t.key_frequencies.contains(k))
                .map(|k| v[k])
                .fold(f64::NAN, f64::max)
        };
        let v = TrainAll {
            train: others(&t.excluded_loss.train),
            all: others(&t.excluded_loss.all),
        };
        loss_row(&mut s, "excluded, max non-key", &v);
        let _ = writeln!(s, "  Table 4, loss with the logits of:");
        let (tr, al) = (&t.table4.train, &t.table4.all);
        for (name, x, y) in [
            ("key", tr.key, al.key),
            ("non-key", tr.non_key, al.non_key),
            ("residual", tr.residual, al.residual),
            ("key + non-key", tr.key_non_key, al.key_non_key),
            ("key + residual", tr.key_residual, al.key_residual),
            (
                "non-key + residual",
                tr.non_key_residual,
                al.non_key_residual,
            ),
            ("all", tr.all, al.all),
        ] {
            loss_row(&mut s, &format!("  {name}"), &TrainAll { train: x, all: y });
        }
    }
    let names: Vec<String> = o
        .files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let _ = writeln!(s, "wrote {} in {}", names.join(", "), o.out.display());
    s
}
