//! The summary of a training run: `report.json`, the `--json` output, and the short text
//! printed at the end.
use serde::{Deserialize, Serialize};

use crate::run::metrics::FourierMeasures;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub run_dir: String,
    pub op: String,
    pub p: u32,
    pub frac: f64,
    pub seed: u64,
    /// The split's operands, as in config.json (absent for `field`).
    #[serde(
        default = "crate::config::pairs_of_older_runs",
        skip_serializing_if = "crate::config::is_field",
        with = "crate::config::pairs_serde"
    )]
    pub pairs: modgrok_core::data::Pairs,
    /// Updates applied when the run ended.
    pub final_step: u64,
    /// First logged step with mean train accuracy 1.0.
    pub steps_to_memorise: Option<u64>,
    /// First logged step of the final stretch of mean test accuracy ≥ grok_threshold.
    pub steps_to_grok: Option<u64>,
    /// The stretch lasted `patience` steps and the run stopped there.
    pub stopped_early: bool,
    pub final_train_loss: f64,
    pub final_test_loss: f64,
    pub final_train_acc: f64,
    pub final_test_acc: f64,
    /// Wall time and speed of this session (a resumed run counts from its resume step).
    pub wall_time_s: f64,
    pub steps_per_s: f64,
    pub threads: usize,
    /// The GPU adapter of a `--backend gpu` run; absent for cpu runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// The checkpoint step this session started from, if it resumed.
    pub resumed_from: Option<u64>,
    /// ε of the FFS values.
    #[serde(default = "default_ffs_eps")]
    pub ffs_eps: f64,
    /// FFS and FCR of the embedding and the neuron-logit map at the last logged step.
    #[serde(default)]
    pub final_fourier: FourierMeasures,
    /// Key frequencies of the final embedding (SPEC §5, default threshold), from the final
    /// analysis; `None` when the run was too large for it (see `modgrok analyze`).
    #[serde(default)]
    pub key_frequencies: Option<Vec<usize>>,
}

fn default_ffs_eps() -> f64 {
    modgrok_core::fourier::DEFAULT_FFS_EPS
}

impl Report {
    /// A few lines for a person.
    pub fn text(&self) -> String {
        let milestone =
            |s: Option<u64>| s.map_or("not reached".to_string(), |s| format!("step {s}"));
        let f = &self.final_fourier;
        let keys = match &self.key_frequencies {
            Some(k) if k.is_empty() => "none".to_string(),
            Some(k) => k.iter().map(usize::to_string).collect::<Vec<_>>().join(" "),
            None => "not analysed (run `modgrok analyze`)".to_string(),
        };
        let mult = match f.emb_ffs_mult {
            Some(v) => format!(", multiplicative embedding FFS {v:.3}"),
            None => String::new(),
        };
        let fourier = format!(
            "embedding FFS {:.3} FCR {:.3}, neuron-logit map FFS {:.3} FCR {:.3}{mult} (ε = {}); \
             key frequencies {keys}\n",
            f.emb_ffs, f.emb_fcr, f.nlm_ffs, f.nlm_fcr, self.ffs_eps
        );
        let text = format!(
            "{op} mod {p}, frac {frac} of the {pairs} pairs, seed {seed}: {outcome} at step {step}\n\
             memorised: {mem}; grokked: {grok}\n\
             final train loss {trl:.4e} acc {tra:.4}, test loss {tel:.4e} acc {tea:.4}\n\
             {wall:.1} s, {sps:.2} steps/s on {device}; run in {dir}\n",
            op = self.op,
            p = self.p,
            frac = self.frac,
            pairs = self.pairs.as_str(),
            seed = self.seed,
            outcome = if self.stopped_early {
                "stopped after grokking"
            } else {
                "finished"
            },
            step = self.final_step,
            mem = milestone(self.steps_to_memorise),
            grok = milestone(self.steps_to_grok),
            trl = self.final_train_loss,
            tra = self.final_train_acc,
            tel = self.final_test_loss,
            tea = self.final_test_acc,
            wall = self.wall_time_s,
            sps = self.steps_per_s,
            device = match &self.adapter {
                Some(a) => format!("GPU adapter {a}"),
                None => format!("{} threads", self.threads),
            },
            dir = self.run_dir,
        );
        text + &fourier
    }
}
