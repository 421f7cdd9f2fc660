//! The run-defining values as the flags give them, with the paper's defaults, checked and
//! derived into a [`RunConfig`]; and back ([`RunConfig::spec`]), so a stored config is checked
//! by deriving it again.
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Pairs, Tasks};

use super::run::{default_ffs_eps, task_infos};
use super::{Backend, FORMAT_VERSION, RunConfig, Transfer};
use crate::error::HostError;

/// Most parameters a run may have: the flat buffers (θ, m, v, gradients, caches) stay within a
/// few GiB.
pub const MAX_PARAMS: usize = 1 << 27;
/// Most examples (pairs × tasks) a run may hold: a full batch is evaluated every step.
pub const MAX_EXAMPLES: usize = 1 << 26;

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

impl RunConfig {
    /// The flag values this config was made from.
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
            stop_after_grok: self.stop_after_grok,
            patience: self.patience,
            grok_threshold: self.grok_threshold,
            ffs_eps: self.ffs_eps,
            transfer: self.transfer.clone(),
            backend: self.backend,
        }
    }

    /// A config read from disk passes the same checks as the flags, and its derived fields
    /// (tasks, tokens, d_vocab, d_head) are what this modgrok derives.
    pub fn check(&self) -> Result<(), HostError> {
        let mut fresh = self.spec().into_config()?;
        fresh.crate_version.clone_from(&self.crate_version);
        fresh.adapter.clone_from(&self.adapter);
        if fresh != *self {
            return Err(HostError::Usage(format!(
                "config op {:?} with p = {} derives different tasks, tokens or sizes than stored (format_version {}): edit it back, or use the modgrok that wrote it",
                self.op, self.p, self.format_version
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TaskInfo;

    #[test]
    fn default_spec_gives_paper_config_and_round_trips_json() {
        let cfg = RunSpec::default().into_config().unwrap();
        assert_eq!((cfg.d_vocab, cfg.d_head), (102, 32));
        assert_eq!(
            cfg.tasks,
            vec![TaskInfo {
                op: "add".into(),
                token: 98
            }]
        );
        let back: RunConfig = serde_json::from_str(&cfg.to_json_pretty()).unwrap();
        assert_eq!(back, cfg);
        assert_eq!(
            cfg.default_out(),
            std::path::PathBuf::from("runs/add_p97_f0.3_s0")
        );
    }

    #[test]
    fn check_accepts_a_derived_config_and_refuses_edited_derived_fields() {
        let cfg = RunSpec {
            op: "add,x^2 + y".into(),
            p: 11,
            ..RunSpec::default()
        }
        .into_config()
        .unwrap();
        cfg.check().unwrap();
        let edited = RunConfig {
            d_vocab: cfg.d_vocab + 1,
            ..cfg.clone()
        };
        assert!(edited.check().is_err());
        let edited = RunConfig {
            format_version: FORMAT_VERSION + 1,
            ..cfg
        };
        assert!(edited.check().is_err());
    }

    #[test]
    fn heads_not_dividing_d_model_is_a_usage_error() {
        let spec = RunSpec {
            d_model: 10,
            n_heads: 4,
            ..RunSpec::default()
        };
        let err = spec.into_config().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("not divisible"), "{err}");
    }

    #[test]
    fn a_modulus_too_large_for_full_batch_is_refused_before_allocating() {
        let spec = RunSpec {
            p: 65521,
            ..RunSpec::default()
        };
        let err = spec.into_config().unwrap_err();
        assert!(err.to_string().contains("--p"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn expression_out_dir_uses_file_name_characters() {
        let spec = RunSpec {
            op: "x^2 + y,add".into(),
            p: 11,
            ..RunSpec::default()
        };
        let cfg = spec.into_config().unwrap();
        assert_eq!(
            cfg.default_out(),
            std::path::PathBuf::from("runs/x2py-add_p11_f0.3_s0")
        );
        assert_eq!(cfg.task_names().len(), 2);
    }
}
