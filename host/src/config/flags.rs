//! The run-defining flags that `modgrok train` and `modgrok sweep` share, defined once and
//! flattened into both; their defaults are [`RunConfig::default`]'s. What only one verb takes
//! (train's single `--op`, `--p`, `--frac`, `--seed` and transfer flags; sweep's lists) stays
//! with that verb.
use clap::Args;
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::Pairs;
use modgrok_core::grokfast::Grokfast;
use modgrok_core::model::ModelConfig;

use super::{Backend, RunConfig};
use crate::presets::{PRESET_GROK_THRESHOLD, PRESET_STEPS};

#[derive(Debug, Clone, Args)]
pub struct RunFlags {
    /// Operands of the split: reference (every token id 0..p+5, as the published code) or field
    /// (x, y in 0..p); a run or sweep written before the flag existed is field
    #[arg(
        long,
        default_value = RunConfig::default().pairs.as_str(),
        value_parser = super::pairs_value_parser()
    )]
    pub pairs: Pairs,
    #[arg(long, help = format!(
        "Maximum number of full-batch AdamW steps; {} in a sweep preset [default: {}]",
        PRESET_STEPS,
        RunConfig::default().steps
    ))]
    pub steps: Option<u64>,
    /// Residual stream width
    #[arg(long, default_value_t = RunConfig::default().model.d_model)]
    pub d_model: usize,
    /// Attention heads; d_head = d_model / n_heads
    #[arg(long, visible_alias = "heads", default_value_t = RunConfig::default().model.n_heads)]
    pub n_heads: usize,
    /// MLP hidden width
    #[arg(long, default_value_t = RunConfig::default().model.d_mlp)]
    pub d_mlp: usize,
    /// AdamW learning rate
    #[arg(long, default_value = shown(RunConfig::default().adamw.lr))]
    pub lr: f64,
    /// AdamW weight decay
    #[arg(long, default_value = shown(RunConfig::default().adamw.weight_decay))]
    pub wd: f64,
    /// AdamW β1
    #[arg(long, default_value = shown(RunConfig::default().adamw.beta1))]
    pub beta1: f64,
    /// AdamW β2
    #[arg(long, default_value = shown(RunConfig::default().adamw.beta2))]
    pub beta2: f64,
    /// AdamW ε
    #[arg(long, default_value = shown(RunConfig::default().adamw.eps))]
    pub eps: f64,
    /// Grokfast filter on the gradient before AdamW: ema (alpha=0.98,lamb=2.0) or ma
    /// (window=100,lamb=5.0), with keys to change, e.g. ema:alpha=0.99,lamb=5; off by default
    #[arg(long, value_name = "FILTER", value_parser = super::parse_grokfast)]
    pub grokfast: Option<Grokfast>,
    /// Where the step runs: cpu (core, the same bytes everywhere) or gpu (wgpu compute shaders:
    /// close to cpu, the same bytes on the same adapter, which config.json records; in a sweep
    /// one device per run, shared by the --jobs runs in flight)
    #[arg(long, value_enum, default_value_t = RunConfig::default().backend)]
    pub backend: Backend,
    /// Write a metrics row every this many steps
    #[arg(long, default_value_t = RunConfig::default().log_every)]
    pub log_every: u64,
    /// Write a checkpoint every this many steps
    #[arg(long, default_value_t = RunConfig::default().checkpoint_every)]
    pub checkpoint_every: u64,
    /// Newest checkpoints to keep (of each run), 0 = all
    #[arg(long, default_value_t = RunConfig::default().keep_checkpoints)]
    pub keep_checkpoints: usize,
    /// Train all --steps, even after grokking
    #[arg(long)]
    pub no_stop: bool,
    /// Steps test accuracy must stay >= --grok-threshold before stopping
    #[arg(long, default_value_t = RunConfig::default().patience)]
    pub patience: u64,
    #[arg(long, help = format!(
        "Mean test accuracy that counts as grokked; {} in a sweep preset [default: {}]",
        PRESET_GROK_THRESHOLD,
        RunConfig::default().grok_threshold
    ))]
    pub grok_threshold: Option<f64>,
    /// ε of the FFS columns of metrics.csv: a frequency counts when its coefficient exceeds ε
    /// times the largest of its family (SPEC §5)
    #[arg(long, default_value = shown(RunConfig::default().ffs_eps))]
    pub ffs_eps: f64,
}

impl RunFlags {
    /// `base` with every value these flags set; `--steps` and `--grok-threshold` only where
    /// given, so a sweep preset's own values hold otherwise.
    pub fn apply(&self, base: RunConfig) -> RunConfig {
        RunConfig {
            pairs: self.pairs,
            steps: self.steps.unwrap_or(base.steps),
            model: ModelConfig {
                d_model: self.d_model,
                n_heads: self.n_heads,
                d_mlp: self.d_mlp,
                ..base.model
            },
            adamw: AdamWConfig {
                lr: self.lr,
                weight_decay: self.wd,
                beta1: self.beta1,
                beta2: self.beta2,
                eps: self.eps,
            },
            grokfast: self.grokfast,
            log_every: self.log_every,
            checkpoint_every: self.checkpoint_every,
            keep_checkpoints: self.keep_checkpoints,
            stop_after_grok: !self.no_stop,
            patience: self.patience,
            grok_threshold: self.grok_threshold.unwrap_or(base.grok_threshold),
            ffs_eps: self.ffs_eps,
            backend: self.backend,
            ..base
        }
    }
}

/// A number as `--help` shows its default: the shorter of `0.00000001` and `1e-8`.
fn shown(x: f64) -> String {
    let plain = x.to_string();
    let sci = format!("{x:e}");
    if sci.len() < plain.len() { sci } else { plain }
}
