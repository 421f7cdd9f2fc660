//! Transfer settings of a run (SPEC §4; paper §4 and App. F): which model file a run starts
//! from (`--init-from`), which tensors it copies (`--load GROUPS`) and which it never updates
//! (`--freeze GROUPS`). The groups are the reference's (`train_emb_ft.py`): `embed` =
//! `embed.W_E`; `transformer` = every `blocks.0.*` tensor (attention and MLP); `unembed` =
//! `unembed.W_U`; `full` = all eight. A tensor name (`blocks.0.attn.W_Q`) selects that tensor
//! alone.
//!
//! - PT-E: `--init-from A --load embed --freeze embed`
//! - PT-T: `--init-from A --load transformer --freeze transformer` (W_E, W_U from a fresh init)
//! - frozen random embedding: `--freeze embed`
use modgrok_core::model::{N_TENSORS, Param};
use serde::{Deserialize, Serialize};

use crate::error::HostError;

/// The groups `--load` and `--freeze` take, besides single tensor names.
pub const GROUPS: [&str; 4] = ["embed", "transformer", "unembed", "full"];

/// Transfer settings of a run (`transfer` in config.json).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// The model file (or run directory, meaning its `final.safetensors`) the run starts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<String>,
    /// Groups or tensor names copied from `init_from`.
    #[serde(default)]
    pub load: Vec<String>,
    /// Groups or tensor names never updated (no gradient step, no weight decay).
    #[serde(default)]
    pub freeze: Vec<String>,
    /// What `init_from` held when the run started; filled in by the trainer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The run and step of the model a transfer run loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The model file read.
    pub file: String,
    pub op: String,
    pub p: u32,
    pub frac: f64,
    pub seed: u64,
    /// The source run's operands; absent for `field`, as in its config.
    #[serde(
        default = "super::pairs_of_older_runs",
        skip_serializing_if = "super::is_field",
        with = "super::pairs_serde"
    )]
    pub pairs: modgrok_core::data::Pairs,
    /// Updates the source had applied.
    pub step: u64,
}

/// The tensors a group or tensor name stands for.
pub fn params_of(item: &str) -> Option<Vec<Param>> {
    let blocks = [
        Param::WQ,
        Param::WK,
        Param::WV,
        Param::WO,
        Param::WIn,
        Param::WOut,
    ];
    match item {
        "embed" => Some(vec![Param::WE]),
        "transformer" => Some(blocks.to_vec()),
        "unembed" => Some(vec![Param::WU]),
        "full" => Some(Param::ALL.to_vec()),
        name => Param::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .map(|p| vec![p]),
    }
}

/// The items of a comma list, trimmed, empty ones dropped.
pub fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `mask[i]` is true for every tensor an item of `items` names.
pub fn mask(flag: &str, items: &[String]) -> Result<[bool; N_TENSORS], HostError> {
    let mut mask = [false; N_TENSORS];
    for item in items {
        let params = params_of(item).ok_or_else(|| {
            HostError::Usage(format!(
                "{flag} {item:?} is not a group ({}) or a tensor name (e.g. blocks.0.attn.W_Q)",
                GROUPS.join(", ")
            ))
        })?;
        for p in params {
            mask[p as usize] = true;
        }
    }
    Ok(mask)
}

impl Transfer {
    /// Groups are known, and `--load` goes with `--init-from`.
    pub fn validate(&self) -> Result<(), HostError> {
        mask("--load", &self.load)?;
        mask("--freeze", &self.freeze)?;
        match (&self.init_from, self.load.is_empty()) {
            (Some(path), true) => Err(HostError::Usage(format!(
                "--init-from {path} loads nothing: give --load GROUPS ({})",
                GROUPS.join(", ")
            ))),
            (None, false) => Err(HostError::Usage(
                "--load needs --init-from CHECKPOINT to load from".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Nothing loaded and nothing frozen.
    pub fn is_noop(&self) -> bool {
        self.init_from.is_none() && self.load.is_empty() && self.freeze.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_name_the_reference_tensors() {
        let m = mask("--freeze", &split_list("embed, unembed")).unwrap();
        assert_eq!(m, [true, false, false, false, false, false, false, true]);
        let m = mask("--load", &["transformer".into()]).unwrap();
        assert_eq!(m, [false, true, true, true, true, true, true, false]);
        assert_eq!(mask("--load", &["full".into()]).unwrap(), [true; N_TENSORS]);
        let m = mask("--freeze", &["blocks.0.attn.W_Q".into()]).unwrap();
        assert_eq!(m.iter().filter(|&&b| b).count(), 1);
        let e = mask("--freeze", &["embedding".into()]).unwrap_err();
        assert!(e.to_string().contains("\"embedding\""), "{e}");
    }

    #[test]
    fn load_needs_init_from_and_init_from_needs_load() {
        let t = Transfer {
            load: vec!["embed".into()],
            ..Transfer::default()
        };
        assert!(t.validate().is_err());
        let t = Transfer {
            init_from: Some("x".into()),
            ..Transfer::default()
        };
        assert!(t.validate().is_err());
        let t = Transfer {
            freeze: vec!["embed".into()],
            ..Transfer::default()
        };
        t.validate().unwrap();
    }
}
