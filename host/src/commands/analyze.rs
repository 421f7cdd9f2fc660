//! `modgrok analyze RUN_DIR|CHECKPOINT`: loads a model with the config of its run, analyses it
//! ([`crate::analysis::analyse`]), writes `analysis.json` and the figures, and prints a summary;
//! `modgrok analyze --over-training RUN_DIR` measures every checkpoint of the run instead
//! ([`crate::analysis::over_training`]).
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use modgrok_core::fourier::DEFAULT_KEY_THRESHOLD;

use crate::analysis::{
    AnalysisOptions, AnalyzeOutput, Bases, OverTrainingOutput, Spectrum, TrainAll, analysis_json,
    check_options, load, write_analysis, write_over_training,
};
use crate::error::HostError;
use crate::run::dir::RunDir;

const ANALYZE_EXAMPLES: &str = "\
Examples:
  modgrok analyze runs/add_p97_f0.3_s0                 the run's final model, into the run dir
  modgrok analyze runs/add_p97_f0.3_s0/checkpoints/step_0005000.safetensors
  modgrok analyze model.safetensors --out /tmp/a --json
  modgrok analyze runs/multiply_p97_f0.3_s0 --basis both   also in the discrete-log basis
  modgrok analyze --over-training runs/add_all          every checkpoint of a run trained with
                                                        --keep-checkpoints 0 --checkpoint-every 200

Writes analysis.json, embedding_spectrum.svg, neuron_logit_spectrum.svg, logit_spectrum_2d.svg
(one per task in a mixture, logit_spectrum_2d_task<t>.svg) and, for a model inside a run
directory, ffs_fcr.svg from its metrics.csv. With the multiplicative basis, analysis.json gains
a `multiplicative` key and embedding_spectrum_multiplicative.svg and
neuron_logit_spectrum_multiplicative.svg are drawn (--basis multiplicative leaves out the
additive spectrum figures and summary lines, not analysis.json's keys). A mixture is analysed
task by task: each task's logits, key frequencies and losses use its own op token and labels.
--over-training writes over_training.csv (one row per checkpoint: restricted and excluded losses
with the final model's key frequencies, train/test loss and accuracy, FFS, FCR, weight norm) and
over_training.svg (over_training_task<t>.svg per task in a mixture) instead.
Exit status: 0 done, 1 failed (unreadable or foreign checkpoint), 2 bad usage (no such run
directory).";

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
    /// Bases of the embedding and neuron-logit-map spectra: additive (Z_p), multiplicative
    /// (Z_p^*, the tokens 1..p by their discrete log) or both [default: both when the run has a
    /// multiply, multiply_non_zero, division or c*x^a*y^b (a, b >= 1) task, else additive]
    #[arg(long, value_enum)]
    pub basis: Option<Bases>,
    /// Measure every model checkpoint of the run directory (restricted and excluded loss with the
    /// final model's key frequencies, losses, accuracies, FFS, FCR, weight norm) into
    /// over_training.csv and over_training.svg, instead of analysing one model
    #[arg(long)]
    pub over_training: bool,
    /// Print analysis.json on stdout instead of the summary (with --over-training, the rows as
    /// a JSON array)
    #[arg(long)]
    pub json: bool,
    /// Print nothing
    #[arg(long, short)]
    pub quiet: bool,
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

    /// Runs the command; returns what it prints on stdout.
    pub fn run(&self) -> Result<String, HostError> {
        if self.over_training {
            let o = self.over_training()?;
            return Ok(self.over_training_stdout(&o));
        }
        Ok(self.stdout(&self.analyze()?))
    }

    /// Loads, analyses and writes; prints nothing.
    pub fn analyze(&self) -> Result<AnalyzeOutput, HostError> {
        if self.over_training {
            return Err(HostError::Usage(
                "--over-training writes over_training.csv, not analysis.json".into(),
            ));
        }
        let loaded = load(&self.target)?;
        let basis = match self.basis {
            Some(b) => b,
            None => Bases::default_for(&loaded.cfg.tasks()?),
        };
        let opts = AnalysisOptions {
            ffs_eps: self.ffs_eps.unwrap_or(loaded.cfg.ffs_eps),
            key_threshold: self.key_threshold,
            threads: self.threads.unwrap_or_else(crate::train::default_threads),
            basis,
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

    /// Measures every checkpoint of the run directory `target` and writes the table and figures
    /// into `--out` or the run directory; prints nothing.
    pub fn over_training(&self) -> Result<OverTrainingOutput, HostError> {
        if !self.target.is_dir() {
            return Err(HostError::Usage(format!(
                "--over-training takes a run directory, and {} is not one",
                self.target.display()
            )));
        }
        if self.basis.is_some() {
            return Err(HostError::Usage(
                "--basis does not apply to --over-training: its FFS columns are those of metrics.csv"
                    .into(),
            ));
        }
        let run = RunDir::open(&self.target)?;
        let cfg = run.read_config()?;
        let opts = AnalysisOptions {
            ffs_eps: self.ffs_eps.unwrap_or(cfg.ffs_eps),
            key_threshold: self.key_threshold,
            threads: self.threads.unwrap_or_else(crate::train::default_threads),
            basis: Bases::Additive,
        };
        let out = self.out.clone().unwrap_or(run.root.clone());
        write_over_training(&run, &out, &opts)
    }

    /// What `modgrok analyze --over-training` prints on stdout for this result.
    pub fn over_training_stdout(&self, o: &OverTrainingOutput) -> String {
        if self.json {
            o.table.json()
        } else if self.quiet {
            String::new()
        } else {
            over_training_summary(o)
        }
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
    if o.basis.additive() {
        s += &spectrum_line("embedding", &a.embedding, a.ffs_eps);
        s += &spectrum_line("neuron-logit map", &a.neuron_logit_map, a.ffs_eps);
    }
    if let Some(m) = &a.multiplicative {
        let _ = writeln!(
            s,
            "multiplicative basis: tokens 1..{} as {}^i, i = 0..{} (token 0 left out)",
            a.p.saturating_sub(1),
            m.generator,
            a.p.saturating_sub(2)
        );
        s += &spectrum_line("embedding", &m.embedding, a.ffs_eps);
        s += &spectrum_line("neuron-logit map", &m.neuron_logit_map, a.ffs_eps);
    }
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

/// One line: the steps measured, and per task the final key frequencies and the restricted
/// loss, excluded loss and test accuracy at the first and last step; then the files.
pub fn over_training_summary(o: &OverTrainingOutput) -> String {
    let t = &o.table;
    let (Some(first), Some(last)) = (t.rows.first(), t.rows.last()) else {
        return String::new();
    };
    let mut s = format!(
        "over training: {} models, steps {}..{}",
        t.rows.len(),
        first.step,
        last.step
    );
    for (i, name) in t.task_names.iter().enumerate() {
        let (a, b) = (&first.tasks[i], &last.tasks[i]);
        let _ = write!(
            s,
            "; {name}: key frequencies {}, restricted loss {} → {}, excluded loss {} → {}, test accuracy {:.4} → {:.4}",
            ks(&t.key_frequencies[i]),
            num(a.restricted_loss),
            num(b.restricted_loss),
            num(a.excluded_loss),
            num(b.excluded_loss),
            a.test_acc,
            b.test_acc
        );
    }
    let names: Vec<String> = o
        .files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let _ = writeln!(s, "; wrote {} in {}", names.join(", "), o.out.display());
    s
}
