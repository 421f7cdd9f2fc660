//! The `modgrok` command line: one subcommand per verb, defaults shown in `--help`.
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::RunSpec;
use crate::error::HostError;
use crate::train::{self, Outcome, TrainOptions};

#[derive(Debug, Parser)]
#[command(
    name = "modgrok",
    version,
    about = "Grokking in modular arithmetic: train and inspect one-layer transformers on x∘y mod p"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on one operation or a mixture, writing a run directory
    Train(TrainArgs),
    /// List every named operation: formula, op token, the paper's family
    Ops(crate::commands::ops::OpsArgs),
    /// Train a grid of runs (ops × p × fracs × seeds, or a preset), sharded, resumable
    Sweep(crate::commands::sweep::SweepArgs),
    /// Tabulate a sweep's runs as the paper's Table 5: report.md, report.csv, report.svg
    Report(crate::commands::report_table::ReportArgs),
    /// Fourier analysis of a trained model: spectra, FFS, FCR, key frequencies, logit
    /// components, restricted / excluded / Table 4 losses; writes analysis.json and figures
    Analyze(crate::analysis::AnalyzeArgs),
    /// KL divergence between train and test label distributions, and their entropies, over
    /// split seeds (paper App. K)
    LabelStats(crate::commands::label_stats::LabelStatsArgs),
    /// Quantise a model to the fixed-point file that core's no_std path and the C interface
    /// load (weights I4F12), and check its answers against the f32 model on every input
    ExportFixed(crate::commands::export_fixed::ExportFixedArgs),
}

const TRAIN_EXAMPLES: &str = "\
Examples:
  modgrok train                                     addition mod 97, frac 0.3, until grokked
  modgrok train --op \"x^2 + y\" --frac 0.4 --seed 1
  modgrok train --pairs field                       x, y in 0..p only, not the published split
  modgrok train --op add,subtract,multiply --steps 50000 --json
  modgrok train --resume runs/add_p97_f0.3_s0       continue from the newest checkpoint
  modgrok train --op x2_y2 --init-from runs/add_p97_f0.3_s0 --load embed --freeze embed
                                                    PT-E: grokked add's W_E, frozen (paper §4)
  modgrok train --op x2_y2 --init-from runs/add_p97_f0.3_s0 --load transformer --freeze transformer
                                                    PT-T: its attention and MLP, frozen
  modgrok train --freeze embed                      a frozen random embedding (paper App. F)
  modgrok train --p 31 --backend gpu                the step on the GPU (Vulkan, Metal, DX12)

The run directory holds config.json, metrics.csv, checkpoints/, final.safetensors, report.json
and loss/accuracy plots. Exit status: 0 done, 1 failed while running, 2 bad usage.";

/// Run-defining flags; none may be given with --resume, which reads them from config.json.
const RUN_FLAGS: [&str; 26] = [
    "op",
    "p",
    "frac",
    "seed",
    "pairs",
    "steps",
    "d_model",
    "n_heads",
    "d_mlp",
    "lr",
    "wd",
    "beta1",
    "beta2",
    "eps",
    "log_every",
    "checkpoint_every",
    "keep_checkpoints",
    "out",
    "patience",
    "grok_threshold",
    "no_stop",
    "init_from",
    "load",
    "freeze",
    "ffs_eps",
    "backend",
];

#[derive(Debug, Clone, Args)]
#[command(after_help = TRAIN_EXAMPLES)]
pub struct TrainArgs {
    /// Operation: a reference name (e.g. add, x2_y), an expression in x and y
    /// ("x^3 + 2*x*y^2 - y", x/y), or a comma list for a mixture (add,subtract)
    #[arg(long, default_value = "add")]
    pub op: String,
    /// Prime modulus
    #[arg(long, default_value_t = 97)]
    pub p: u32,
    /// Fraction of the pairs used for training, in (0, 1)
    #[arg(long, default_value_t = 0.3)]
    pub frac: f64,
    /// Seed of the split and of the initial weights
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Operands of the split: reference (every token id 0..p+5, as the published code) or field
    /// (x, y in 0..p)
    #[arg(long, default_value = "reference", value_parser = crate::config::pairs_value_parser())]
    pub pairs: modgrok_core::data::Pairs,
    /// Maximum number of full-batch AdamW steps
    #[arg(long, default_value_t = 300_000)]
    pub steps: u64,
    /// Residual stream width
    #[arg(long, default_value_t = 128)]
    pub d_model: usize,
    /// Attention heads; d_head = d_model / n_heads
    #[arg(long, visible_alias = "heads", default_value_t = 4)]
    pub n_heads: usize,
    /// MLP hidden width
    #[arg(long, default_value_t = 512)]
    pub d_mlp: usize,
    /// AdamW learning rate
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// AdamW weight decay
    #[arg(long, default_value_t = 1.0)]
    pub wd: f64,
    /// AdamW β1
    #[arg(long, default_value_t = 0.9)]
    pub beta1: f64,
    /// AdamW β2
    #[arg(long, default_value_t = 0.98)]
    pub beta2: f64,
    /// AdamW ε
    #[arg(long, default_value = "1e-8")]
    pub eps: f64,
    /// Worker threads for the batch [default: all cores]; the results are the same for any count
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where the step runs: cpu (core, the same bytes everywhere) or gpu (wgpu compute shaders:
    /// close to cpu, the same bytes on the same adapter, which config.json records)
    #[arg(long, value_enum, default_value_t = crate::config::Backend::Cpu)]
    pub backend: crate::config::Backend,
    /// Write a metrics row every this many steps
    #[arg(long, default_value_t = 100)]
    pub log_every: u64,
    /// Write a checkpoint every this many steps
    #[arg(long, default_value_t = 1000)]
    pub checkpoint_every: u64,
    /// Newest checkpoints to keep, 0 = all
    #[arg(long, default_value_t = 3)]
    pub keep_checkpoints: usize,
    /// Run directory [default: runs/<op>_p<p>_f<frac>_s<seed>]; must not exist
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run in RUN_DIR from its newest checkpoint, with its own config.json
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = RUN_FLAGS)]
    pub resume: Option<PathBuf>,
    /// Stop once mean test accuracy has held >= --grok-threshold for --patience steps [default]
    #[arg(long, overrides_with = "no_stop")]
    pub stop_after_grok: bool,
    /// Train all --steps, even after grokking
    #[arg(long, overrides_with = "stop_after_grok")]
    pub no_stop: bool,
    /// Steps test accuracy must stay >= --grok-threshold before stopping
    #[arg(long, default_value_t = 1000)]
    pub patience: u64,
    /// Mean test accuracy that counts as grokked
    #[arg(long, default_value_t = 0.999)]
    pub grok_threshold: f64,
    /// ε of the FFS columns of metrics.csv: a frequency counts when its coefficient exceeds ε
    /// times the largest of its family (SPEC §5)
    #[arg(long, default_value_t = modgrok_core::fourier::DEFAULT_FFS_EPS)]
    pub ffs_eps: f64,
    /// Start from this model file (final.safetensors, checkpoints/step_*.safetensors, or a run
    /// directory); same p, dims and vocabulary. PT-E: --load embed --freeze embed
    #[arg(long, value_name = "CHECKPOINT")]
    pub init_from: Option<PathBuf>,
    /// What --init-from loads: comma list of embed, transformer, unembed, full, or tensor names
    /// [default: full]
    #[arg(long, value_name = "GROUPS", requires = "init_from")]
    pub load: Option<String>,
    /// Tensors never updated (no gradient step, no weight decay): groups as for --load. Alone,
    /// --freeze embed keeps the random initial embedding
    #[arg(long, value_name = "GROUPS")]
    pub freeze: Option<String>,
    /// No progress bar and no summary
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summary as JSON on stdout, and nothing else there
    #[arg(long)]
    pub json: bool,
    /// Stop the session after this step as if killed (for testing --resume)
    #[arg(long, hide = true)]
    pub halt_after: Option<u64>,
}

impl TrainArgs {
    /// Parses the flags of `modgrok train` (without the program and verb), for running the
    /// trainer in-process: `TrainArgs::from_flags(&["--p", "11", "--out", "runs/x"])`.
    pub fn from_flags(flags: &[&str]) -> Result<TrainArgs, HostError> {
        let argv = ["modgrok", "train"]
            .into_iter()
            .chain(flags.iter().copied());
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Train(args),
            }) => Ok(args),
            Ok(_) => unreachable!("the verb is train"),
            Err(e) => {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                Err(HostError::Usage(
                    first.trim_start_matches("error: ").to_string(),
                ))
            }
        }
    }

    /// The run-defining values of the flags.
    pub fn spec(&self) -> RunSpec {
        RunSpec {
            op: self.op.clone(),
            p: self.p,
            frac: self.frac,
            seed: self.seed,
            pairs: self.pairs,
            steps: self.steps,
            d_model: self.d_model,
            n_heads: self.n_heads,
            d_mlp: self.d_mlp,
            lr: self.lr,
            wd: self.wd,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            log_every: self.log_every,
            checkpoint_every: self.checkpoint_every,
            keep_checkpoints: self.keep_checkpoints,
            stop_after_grok: !self.no_stop,
            patience: self.patience,
            grok_threshold: self.grok_threshold,
            ffs_eps: self.ffs_eps,
            transfer: self.transfer(),
            backend: self.backend,
        }
    }

    /// The transfer settings of `--init-from`, `--load` and `--freeze`, checked by
    /// [`RunSpec::into_config`].
    pub fn transfer(&self) -> Option<crate::config::Transfer> {
        use crate::config::{Transfer, split_list};
        let t = Transfer {
            init_from: self.init_from.as_ref().map(|p| p.display().to_string()),
            load: match (&self.load, &self.init_from) {
                (Some(l), _) => split_list(l),
                (None, Some(_)) => vec!["full".into()],
                (None, None) => Vec::new(),
            },
            freeze: self.freeze.as_deref().map(split_list).unwrap_or_default(),
            source: None,
        };
        (!t.is_noop()).then_some(t)
    }

    pub fn options(&self) -> Result<TrainOptions, HostError> {
        let threads = train::check_threads(self.threads.unwrap_or_else(train::default_threads))?;
        Ok(TrainOptions {
            threads,
            progress: !self.quiet && !self.json,
            halt_after: self.halt_after,
        })
    }

    /// Starts or resumes the run the flags describe.
    pub fn train(&self) -> Result<Outcome, HostError> {
        let opts = self.options()?;
        match &self.resume {
            Some(dir) => train::resume(dir, &opts),
            None => {
                let cfg = self.spec().into_config()?;
                let out = self.out.clone().unwrap_or_else(|| cfg.default_out());
                train::train_new(&cfg, &out, &opts)
            }
        }
    }
}

/// Runs a parsed command, printing its summary to stdout.
pub fn run(cli: &Cli) -> Result<(), HostError> {
    match &cli.command {
        Command::Train(args) => {
            let outcome = args.train()?;
            let text = match (&outcome, args.json) {
                (Outcome::Finished(report), true) => {
                    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
                }
                (Outcome::Finished(report), false) if !args.quiet => report.text(),
                (Outcome::Halted { step }, true) => format!("{{\"halted_after\": {step}}}\n"),
                (Outcome::Halted { step }, false) if !args.quiet => {
                    format!("halted after step {step}; continue with --resume\n")
                }
                _ => String::new(),
            };
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(HostError::io("<stdout>"))
        }
        Command::Ops(args) => print_stdout(&args.output()),
        Command::Sweep(args) => {
            if args.list {
                return print_stdout(&crate::commands::sweep::list(args)?);
            }
            let summary = crate::commands::sweep::run(args)?;
            if args.json {
                let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
                print_stdout(&(json + "\n"))?;
            } else if !args.quiet {
                print_stdout(&summary.text())?;
            }
            summary.check()
        }
        Command::Report(args) => {
            let md = crate::commands::report_table::run(args)?;
            if args.quiet {
                Ok(())
            } else {
                print_stdout(&md)
            }
        }
        Command::Analyze(args) => print_stdout(&args.stdout(&args.analyze()?)),
        Command::LabelStats(args) => print_stdout(&args.run()?),
        Command::ExportFixed(args) => print_stdout(&args.stdout(&args.run()?)),
    }
}

/// Writes `text` to stdout and flushes it.
fn print_stdout(text: &str) -> Result<(), HostError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(HostError::io("<stdout>"))
}
