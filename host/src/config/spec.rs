//! The run-defining values as the flags give them, with the paper's defaults, checked and
//! derived into a [`RunConfig`].
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Pairs, Tasks};

use super::{
    Backend, FORMAT_VERSION, MAX_EXAMPLES, MAX_PARAMS, RunConfig, Transfer, default_ffs_eps,
    task_infos,
};
use crate::error::HostError;

/// The run-defining values before anything is derived (what the CLI flags give).
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    pub op: String,
    pub p: u32,
    pub frac: f64,
    pub seed: u64,
    pub pairs: Pairs,
    pub steps: u64,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_mlp: usize,
    pub lr: f64,
    pub wd: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub log_every: u64,
    pub checkpoint_every: u64,
    pub keep_checkpoints: usize,
    pub stop_after_grok: bool,
    pub patience: u64,
    pub grok_threshold: f64,
    pub ffs_eps: f64,
    /// `--init-from`, `--load`, `--freeze`; `None` for a plain run.
    pub transfer: Option<Transfer>,
    pub backend: Backend,
}

impl Default for RunSpec {
    /// The paper's setup: addition mod 97, 30% train, seed 0 (SPEC §3–4).
    fn default() -> Self {
        let adam = AdamWConfig::default();
        RunSpec {
            op: "add".into(),
            p: 97,
            frac: 0.3,
            seed: 0,
            pairs: Pairs::Reference,
            steps: 300_000,
            d_model: 128,
            n_heads: 4,
            d_mlp: 512,
            lr: adam.lr,
            wd: adam.weight_decay,
            beta1: adam.beta1,
            beta2: adam.beta2,
            eps: adam.eps,
            log_every: 100,
            checkpoint_every: 1000,
            keep_checkpoints: 3,
            stop_after_grok: true,
            patience: 1000,
            grok_threshold: 0.999,
            ffs_eps: default_ffs_eps(),
            transfer: None,
            backend: Backend::Cpu,
        }
    }
}

impl RunSpec {
    /// Checks every value and derives tasks, vocabulary and head size.
    pub fn into_config(self) -> Result<RunConfig, HostError> {
        let tasks = Tasks::parse(self.p, &self.op)?;
        if self.n_heads == 0 || !self.d_model.is_multiple_of(self.n_heads) {
            return Err(HostError::Usage(format!(
                "--d-model {} is not divisible by --n-heads {}: pick sizes with d_model = n_heads * d_head",
                self.d_model, self.n_heads
            )));
        }
        for (flag, v) in [
            ("--steps", self.steps),
            ("--log-every", self.log_every),
            ("--checkpoint-every", self.checkpoint_every),
        ] {
            if v == 0 {
                return Err(HostError::Usage(format!("{flag} must be at least 1")));
            }
        }
        if !(0.0..=1.0).contains(&self.grok_threshold) {
            return Err(HostError::Usage(format!(
                "--grok-threshold {} must lie in [0, 1]",
                self.grok_threshold
            )));
        }
        if !(0.0..1.0).contains(&self.ffs_eps) {
            return Err(HostError::Usage(format!(
                "--ffs-eps {} must lie in [0, 1): a frequency counts when its coefficient exceeds that fraction of the largest",
                self.ffs_eps
            )));
        }
        let cfg = RunConfig {
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").into(),
            tasks: task_infos(&tasks),
            d_vocab: tasks.d_vocab(),
            op: self.op,
            p: self.p,
            frac: self.frac,
            seed: self.seed,
            pairs: self.pairs,
            steps: self.steps,
            d_model: self.d_model,
            n_heads: self.n_heads,
            d_head: self.d_model / self.n_heads,
            d_mlp: self.d_mlp,
            lr: self.lr,
            wd: self.wd,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            log_every: self.log_every,
            checkpoint_every: self.checkpoint_every,
            keep_checkpoints: self.keep_checkpoints,
            stop_after_grok: self.stop_after_grok,
            patience: self.patience,
            grok_threshold: self.grok_threshold,
            ffs_eps: self.ffs_eps,
            transfer: self.transfer.filter(|t| !t.is_noop()),
            backend: self.backend,
            adapter: None,
        };
        let n_params = cfg.model()?.n_params();
        if n_params > MAX_PARAMS {
            return Err(HostError::Usage(format!(
                "the model would have {n_params} parameters, more than {MAX_PARAMS} fit in memory here: lower --d-model or --d-mlp"
            )));
        }
        cfg.adamw().validate()?;
        if let Some(t) = &cfg.transfer {
            t.validate()?;
        }
        let n_pairs = tasks.n_pairs(self.pairs);
        let n_examples = n_pairs.saturating_mul(tasks.len());
        if n_examples > MAX_EXAMPLES {
            return Err(HostError::Usage(format!(
                "p = {} gives {n_examples} examples, more than {MAX_EXAMPLES} for full-batch training: choose a smaller --p",
                cfg.p
            )));
        }
        modgrok_core::data::n_train(cfg.frac, n_pairs)?;
        Ok(cfg)
    }
}
