//! A run config checked and completed: [`RunConfig::derived`] fills in what the flags do not
//! give, and a stored config is checked by deriving it again ([`RunConfig::check`]).
use modgrok_core::data::Tasks;
use modgrok_core::grokfast::Grokfast;

use super::run::task_infos;
use super::{FORMAT_VERSION, RunConfig};
use crate::error::HostError;

/// Most parameters a run may have: the flat buffers (θ, m, v, gradients, caches) stay within a
/// few GiB.
pub const MAX_PARAMS: usize = 1 << 27;
/// Most examples (pairs × tasks) a run may hold: a full batch is evaluated every step.
pub const MAX_EXAMPLES: usize = 1 << 26;

impl RunConfig {
    /// This config with its derived fields filled in (tasks, `d_vocab`, `d_head`, the format
    /// version), every value checked, and transfer settings that do nothing dropped.
    pub fn derived(mut self) -> Result<RunConfig, HostError> {
        let tasks = Tasks::parse(self.p, &self.op)?;
        let m = &mut self.model;
        if m.n_heads == 0 || !m.d_model.is_multiple_of(m.n_heads) {
            return Err(HostError::Usage(format!(
                "--d-model {} is not divisible by --n-heads {}: pick sizes with d_model = n_heads * d_head",
                m.d_model, m.n_heads
            )));
        }
        m.d_head = m.d_model / m.n_heads;
        m.d_vocab = tasks.d_vocab();
        self.tasks = task_infos(&tasks);
        self.format_version = FORMAT_VERSION;
        self.transfer = self.transfer.filter(|t| !t.is_noop());
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
        self.model.validate()?;
        let n_params = self.model.n_params();
        if n_params > MAX_PARAMS {
            return Err(HostError::Usage(format!(
                "the model would have {n_params} parameters, more than {MAX_PARAMS} fit in memory here: lower --d-model or --d-mlp"
            )));
        }
        self.adamw.validate()?;
        if let Some(gf) = &self.grokfast {
            super::check_grokfast(gf)?;
            if gf.state_len(n_params) > MAX_PARAMS {
                return Err(HostError::Usage(format!(
                    "--grokfast keeps {} values per parameter, {} in all, more than {MAX_PARAMS} fit in memory here: lower its window",
                    gf.per_element(),
                    gf.state_len(n_params)
                )));
            }
            if !self.backend.is_cpu() && !matches!(gf, Grokfast::Ema { .. }) {
                return Err(HostError::Usage(
                    "--backend gpu has no Grokfast ma filter: use --grokfast ema there, or --backend cpu".into(),
                ));
            }
        }
        if let Some(t) = &self.transfer {
            t.validate()?;
        }
        let n_pairs = tasks.n_pairs(self.pairs);
        let n_examples = n_pairs.saturating_mul(tasks.len());
        if n_examples > MAX_EXAMPLES {
            return Err(HostError::Usage(format!(
                "p = {} gives {n_examples} examples, more than {MAX_EXAMPLES} for full-batch training: choose a smaller --p",
                self.p
            )));
        }
        modgrok_core::data::n_train(self.frac, n_pairs)?;
        Ok(self)
    }

    /// A config read from disk passes the same checks as the flags, and its derived fields
    /// (tasks, tokens, d_vocab, d_head, format version) are what this modgrok derives.
    pub fn check(&self) -> Result<(), HostError> {
        if self.clone().derived()? != *self {
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
    use modgrok_core::model::ModelConfig;

    use super::*;
    use crate::config::TaskInfo;

    #[test]
    fn default_spec_gives_paper_config_and_round_trips_json() {
        let cfg = RunConfig::default().derived().unwrap();
        assert_eq!((cfg.model.d_vocab, cfg.model.d_head), (102, 32));
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
        let cfg = RunConfig {
            op: "add,x^2 + y".into(),
            p: 11,
            ..RunConfig::default()
        }
        .derived()
        .unwrap();
        cfg.check().unwrap();
        let edited = RunConfig {
            model: ModelConfig {
                d_vocab: cfg.model.d_vocab + 1,
                ..cfg.model
            },
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
        let spec = RunConfig {
            model: ModelConfig {
                d_model: 10,
                n_heads: 4,
                ..RunConfig::default().model
            },
            ..RunConfig::default()
        };
        let err = spec.derived().unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("not divisible"), "{err}");
    }

    #[test]
    fn a_modulus_too_large_for_full_batch_is_refused_before_allocating() {
        let spec = RunConfig {
            p: 65521,
            ..RunConfig::default()
        };
        let err = spec.derived().unwrap_err();
        assert!(err.to_string().contains("--p"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn expression_out_dir_uses_file_name_characters() {
        let spec = RunConfig {
            op: "x^2 + y,add".into(),
            p: 11,
            ..RunConfig::default()
        };
        let cfg = spec.derived().unwrap();
        assert_eq!(
            cfg.default_out(),
            std::path::PathBuf::from("runs/x2py-add_p11_f0.3_s0")
        );
        assert_eq!(cfg.task_names().len(), 2);
    }
}
