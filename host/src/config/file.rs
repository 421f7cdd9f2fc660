//! The byte layout of `config.json` and of a checkpoint's `config` metadata (SPEC §7): one flat
//! object whose keys are the CLI flags' names with `_` for `-`, in this order. [`RunConfig`]
//! reads and writes itself through it, so the file keeps its order (`d_head` among the model
//! sizes, `wd` before the betas, `tasks` and `d_vocab` last) while the config holds typed
//! [`ModelConfig`] and [`AdamWConfig`]. `grokfast` follows the AdamW keys, only when set.
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::Pairs;
use modgrok_core::model::ModelConfig;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::grokfast::GrokfastFile;
use super::pairs::{is_field, pairs_of_older_runs, pairs_serde};
use super::run::default_ffs_eps;
use super::{Backend, RunConfig, TaskInfo, Transfer};

#[derive(Serialize, Deserialize)]
struct ConfigFile {
    format_version: u32,
    crate_version: String,
    op: String,
    p: u32,
    frac: f64,
    seed: u64,
    /// Absent for `field`, so a field run's files are those of the modgrok that had no choice,
    /// and a run directory written then reads as `field`.
    #[serde(
        default = "pairs_of_older_runs",
        skip_serializing_if = "is_field",
        with = "pairs_serde"
    )]
    pairs: Pairs,
    steps: u64,
    d_model: usize,
    n_heads: usize,
    d_head: usize,
    d_mlp: usize,
    lr: f64,
    wd: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    /// Absent without a filter, so those runs keep the bytes of the modgrok that had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grokfast: Option<GrokfastFile>,
    log_every: u64,
    checkpoint_every: u64,
    keep_checkpoints: usize,
    stop_after_grok: bool,
    patience: u64,
    grok_threshold: f64,
    /// Runs written before the column existed read as the default 0.1.
    #[serde(default = "default_ffs_eps")]
    ffs_eps: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transfer: Option<Transfer>,
    #[serde(default, skip_serializing_if = "Backend::is_cpu")]
    backend: Backend,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    adapter: Option<String>,
    tasks: Vec<TaskInfo>,
    d_vocab: usize,
}

impl From<RunConfig> for ConfigFile {
    fn from(c: RunConfig) -> Self {
        let (m, a) = (c.model, c.adamw);
        ConfigFile {
            format_version: c.format_version,
            crate_version: c.crate_version,
            op: c.op,
            p: c.p,
            frac: c.frac,
            seed: c.seed,
            pairs: c.pairs,
            steps: c.steps,
            d_model: m.d_model,
            n_heads: m.n_heads,
            d_head: m.d_head,
            d_mlp: m.d_mlp,
            lr: a.lr,
            wd: a.weight_decay,
            beta1: a.beta1,
            beta2: a.beta2,
            eps: a.eps,
            grokfast: c.grokfast.map(GrokfastFile::from),
            log_every: c.log_every,
            checkpoint_every: c.checkpoint_every,
            keep_checkpoints: c.keep_checkpoints,
            stop_after_grok: c.stop_after_grok,
            patience: c.patience,
            grok_threshold: c.grok_threshold,
            ffs_eps: c.ffs_eps,
            transfer: c.transfer,
            backend: c.backend,
            adapter: c.adapter,
            tasks: c.tasks,
            d_vocab: m.d_vocab,
        }
    }
}

impl From<ConfigFile> for RunConfig {
    fn from(f: ConfigFile) -> Self {
        RunConfig {
            format_version: f.format_version,
            crate_version: f.crate_version,
            op: f.op,
            p: f.p,
            frac: f.frac,
            seed: f.seed,
            pairs: f.pairs,
            steps: f.steps,
            model: ModelConfig {
                d_vocab: f.d_vocab,
                d_model: f.d_model,
                n_heads: f.n_heads,
                d_head: f.d_head,
                d_mlp: f.d_mlp,
            },
            adamw: AdamWConfig {
                lr: f.lr,
                beta1: f.beta1,
                beta2: f.beta2,
                eps: f.eps,
                weight_decay: f.wd,
            },
            grokfast: f.grokfast.map(Into::into),
            log_every: f.log_every,
            checkpoint_every: f.checkpoint_every,
            keep_checkpoints: f.keep_checkpoints,
            stop_after_grok: f.stop_after_grok,
            patience: f.patience,
            grok_threshold: f.grok_threshold,
            ffs_eps: f.ffs_eps,
            transfer: f.transfer,
            backend: f.backend,
            adapter: f.adapter,
            tasks: f.tasks,
        }
    }
}

impl Serialize for RunConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ConfigFile::from(self.clone()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for RunConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ConfigFile::deserialize(d).map(RunConfig::from)
    }
}
