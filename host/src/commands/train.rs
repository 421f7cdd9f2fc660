//! `modgrok train`: one run from flags, or `--resume` of a run directory.
use std::path::PathBuf;

use clap::Args;

use crate::config::{RunConfig, RunFlags, Transfer};
use crate::error::HostError;
use crate::train::{self, Outcome, TrainOptions};

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

/// What `--resume` may not be given with: every run-defining flag, since the run's config.json
/// holds them.
fn resume_conflicts() -> Vec<clap::Id> {
    let run = RunFlags::augment_args(clap::Command::new("run"));
    [
        "op",
        "p",
        "frac",
        "seed",
        "out",
        "init_from",
        "load",
        "freeze",
    ]
    .into_iter()
    .map(clap::Id::from)
    .chain(run.get_arguments().map(|a| a.get_id().clone()))
    .collect()
}

#[derive(Debug, Clone, Args)]
#[command(after_help = TRAIN_EXAMPLES)]
pub struct TrainArgs {
    /// Operation: a reference name (e.g. add, x2_y), an expression in x and y
    /// ("x^3 + 2*x*y^2 - y", x/y), or a comma list for a mixture (add,subtract)
    #[arg(long, default_value_t = RunConfig::default().op)]
    pub op: String,
    /// Prime modulus
    #[arg(long, default_value_t = RunConfig::default().p)]
    pub p: u32,
    /// Fraction of the pairs used for training, in (0, 1)
    #[arg(long, default_value_t = RunConfig::default().frac)]
    pub frac: f64,
    /// Seed of the split and of the initial weights
    #[arg(long, default_value_t = RunConfig::default().seed)]
    pub seed: u64,
    #[command(flatten)]
    pub run: RunFlags,
    /// Worker threads for the batch [default: all cores]; the results are the same for any count
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run directory [default: runs/<op>_p<p>_f<frac>_s<seed>]; must not exist
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the run in RUN_DIR from its newest checkpoint, with its own config.json
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = resume_conflicts())]
    pub resume: Option<PathBuf>,
    /// Stop once mean test accuracy has held >= --grok-threshold for --patience steps [default]
    #[arg(long, overrides_with = "no_stop")]
    pub stop_after_grok: bool,
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
        super::parse_flags("modgrok train", flags)
    }

    /// The run-defining values of the flags.
    pub fn spec(&self) -> RunConfig {
        RunConfig {
            op: self.op.clone(),
            p: self.p,
            frac: self.frac,
            seed: self.seed,
            transfer: self.transfer(),
            ..self.run.apply(RunConfig::default())
        }
    }

    /// The transfer settings of `--init-from`, `--load` and `--freeze`, checked by
    /// [`RunConfig::derived`].
    pub fn transfer(&self) -> Option<Transfer> {
        use crate::config::split_list;
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
            control: None,
            batch: None,
        })
    }

    /// Starts or resumes the run the flags describe.
    pub fn train(&self) -> Result<Outcome, HostError> {
        let opts = self.options()?;
        match &self.resume {
            Some(dir) => train::resume(dir, &opts),
            None => {
                let cfg = self.spec().derived()?;
                let out = self.out.clone().unwrap_or_else(|| cfg.default_out());
                train::train_new(&cfg, &out, &opts)
            }
        }
    }
}
