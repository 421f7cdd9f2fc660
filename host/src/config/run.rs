//! The run config: every field that decides a run's bytes (SPEC §4: a run is a pure function of
//! it), stored as `config.json` and in every checkpoint's metadata. Field names are the CLI
//! flags' names with `_` for `-`.
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Pairs, Tasks};
use modgrok_core::grokfast::Grokfast;
use modgrok_core::model::{ModelConfig, N_TENSORS};
use serde::{Deserialize, Serialize};

use super::{Backend, Transfer, mask};
use crate::error::HostError;

/// Version of the run-directory and checkpoint format written by this crate.
pub const FORMAT_VERSION: u32 = 1;

/// One task of the mixture as the run saw it: the operation (reference name or canonical
/// expression) and its op token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub op: String,
    pub token: u16,
}

/// Everything that decides a run's bytes. [`Default`] is the paper's setup (SPEC §3–4): addition
/// mod 97, 30% train, seed 0, the App. A model and AdamW. `op`, `p`, `frac`, `seed` and the
/// flags' values are set by the caller; the rest (`tasks`, `model.d_vocab`, `model.d_head`,
/// `format_version`) is filled and everything checked by [`RunConfig::derived`]. Stored as
/// `config.json` in the key order `config/file.rs` fixes.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub format_version: u32,
    /// Version of modgrok-host that started the run.
    pub crate_version: String,
    /// The `--op` text as given: a name, an expression, or a comma list.
    pub op: String,
    pub p: u32,
    pub frac: f64,
    pub seed: u64,
    /// Which operands the split draws from (SPEC §2).
    pub pairs: Pairs,
    /// Maximum number of updates.
    pub steps: u64,
    /// `d_vocab` and `d_head` are derived from the tasks and `d_model / n_heads`.
    pub model: ModelConfig,
    pub adamw: AdamWConfig,
    /// The Grokfast filter on the gradient before AdamW (`--grokfast`, SPEC §4); `None` for
    /// plain AdamW.
    pub grokfast: Option<Grokfast>,
    pub log_every: u64,
    pub checkpoint_every: u64,
    /// Newest checkpoints kept; 0 keeps all.
    pub keep_checkpoints: usize,
    pub stop_after_grok: bool,
    pub patience: u64,
    pub grok_threshold: f64,
    /// ε of the FFS columns of `metrics.csv` (SPEC §5).
    pub ffs_eps: f64,
    /// Where the run's initial weights came from and which tensors are frozen (SPEC §4); `None`
    /// for a plain run.
    pub transfer: Option<Transfer>,
    /// Where the step runs (`--backend`).
    pub backend: Backend,
    /// The GPU adapter a `gpu` run trains on, recorded when the run starts: its rounding decides
    /// the bytes, so a resume must find the same one.
    pub adapter: Option<String>,
    /// Derived from `op` and `p`, stored so a checkpoint is self-describing (SPEC §1).
    pub tasks: Vec<TaskInfo>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").into(),
            op: "add".into(),
            p: 97,
            frac: 0.3,
            seed: 0,
            pairs: Pairs::Reference,
            steps: 300_000,
            model: ModelConfig {
                d_vocab: 0,
                d_model: 128,
                n_heads: 4,
                d_head: 0,
                d_mlp: 512,
            },
            adamw: AdamWConfig::default(),
            grokfast: None,
            log_every: 100,
            checkpoint_every: 1000,
            keep_checkpoints: 3,
            stop_after_grok: true,
            patience: 1000,
            grok_threshold: 0.999,
            ffs_eps: default_ffs_eps(),
            transfer: None,
            backend: Backend::Cpu,
            adapter: None,
            tasks: Vec::new(),
        }
    }
}

pub(super) fn default_ffs_eps() -> f64 {
    modgrok_core::fourier::DEFAULT_FFS_EPS
}

pub(super) fn task_infos(tasks: &Tasks) -> Vec<TaskInfo> {
    tasks
        .tasks()
        .iter()
        .map(|t| TaskInfo {
            op: t.op.to_string(),
            token: t.token,
        })
        .collect()
}

impl RunConfig {
    /// The frozen tensors of the run (none without transfer settings). The config was validated
    /// when it was made or read.
    pub fn frozen(&self) -> [bool; N_TENSORS] {
        self.transfer
            .as_ref()
            .and_then(|t| mask("--freeze", &t.freeze).ok())
            .unwrap_or([false; N_TENSORS])
    }

    /// The tasks of `op`, checked against the stored tokens and vocabulary.
    pub fn tasks(&self) -> Result<Tasks, HostError> {
        let tasks = Tasks::parse(self.p, &self.op)?;
        if task_infos(&tasks) != self.tasks || tasks.d_vocab() != self.model.d_vocab {
            return Err(HostError::Usage(format!(
                "config op {:?} gives different tokens than the stored `tasks`/`d_vocab`: the run was made by another modgrok version",
                self.op
            )));
        }
        Ok(tasks)
    }

    /// Name of each task for metrics columns and plots: its op, with `#token` added where two
    /// tasks share a name.
    pub fn task_names(&self) -> Vec<String> {
        self.tasks
            .iter()
            .map(|t| {
                if self.tasks.iter().filter(|u| u.op == t.op).count() > 1 {
                    format!("{}#{}", t.op, t.token)
                } else {
                    t.op.clone()
                }
            })
            .collect()
    }

    /// Pretty JSON, as written to `config.json`.
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Compact JSON, as stored in checkpoint metadata.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Default run directory: `runs/<op>_p<p>_f<frac>_s<seed>`, the op reduced to file-name
    /// characters.
    pub fn default_out(&self) -> std::path::PathBuf {
        let op: String = self
            .op
            .chars()
            .filter_map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => Some(c),
                ',' => Some('-'),
                '+' => Some('p'),
                '-' => Some('m'),
                '*' => None,
                '/' => Some('d'),
                _ => None,
            })
            .collect();
        format!("runs/{op}_p{}_f{}_s{}", self.p, self.frac, self.seed).into()
    }
}
