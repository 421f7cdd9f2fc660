//! What a run directory of the sweep holds before a run trains in it: nothing, a finished run, a
//! run to resume, a leftover to start again, or another run (an error).
use std::path::Path;

use crate::config::RunConfig;
use crate::error::HostError;
use crate::run::dir::RunDir;

/// What is on disk for a run before the sweep touches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnDisk {
    /// No directory.
    New,
    /// `report.json` exists.
    Finished,
    /// A complete checkpoint to resume from.
    Resumable,
    /// Killed before its first checkpoint (or before writing config.json): start again.
    Restart,
}

/// The fields of two configs that differ, as `field (there) vs (here)`, ignoring the version of
/// modgrok that wrote them.
fn config_diff(stored: &RunConfig, wanted: &RunConfig) -> Vec<String> {
    // Where a transfer run's source was found (the path as --out spelled it, and what the
    // trainer recorded of it) does not make it another run; its load and freeze groups do.
    let mut wanted = wanted.clone();
    if let (Some(w), Some(s)) = (wanted.transfer.as_mut(), stored.transfer.as_ref()) {
        w.init_from.clone_from(&s.init_from);
        w.source.clone_from(&s.source);
    }
    // Which adapter a gpu run was trained on is recorded by the trainer, not asked for; resuming
    // an unfinished one on another adapter is refused by `train::resume`.
    wanted.adapter.clone_from(&stored.adapter);
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(stored), serde_json::to_value(&wanted))
    else {
        return vec!["config".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| k.as_str() != "crate_version" && a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&serde_json::Value>| v.map_or("-".into(), |v| v.to_string());
            format!("{k} {} there, {} here", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

pub(super) fn inspect(dir: &Path, wanted: &RunConfig) -> Result<OnDisk, HostError> {
    if !dir.exists() {
        return Ok(OnDisk::New);
    }
    let run = RunDir {
        root: dir.to_path_buf(),
    };
    if !run.config().is_file() {
        // `RunDir::create` makes the directory and `checkpoints/` before config.json: a run
        // killed in between left nothing else.
        if !RunDir::is_leftover(dir)? {
            return Err(HostError::Usage(format!(
                "{} exists but is not a run directory (no config.json): move it out of --out",
                dir.display()
            )));
        }
        return Ok(OnDisk::Restart);
    }
    let stored = run.read_config()?;
    let diff = config_diff(&stored, wanted);
    if !diff.is_empty() {
        let hint = if stored.pairs != wanted.pairs {
            format!(
                "--pairs {} (a run without `pairs` in config.json trained on field)",
                stored.pairs.as_str()
            )
        } else {
            "the flags it was made with".into()
        };
        return Err(HostError::Usage(format!(
            "{} holds a run with other settings ({}): use another --out, or {hint}",
            dir.display(),
            diff.join("; ")
        )));
    }
    if run.report().is_file() {
        Ok(OnDisk::Finished)
    } else if run.complete_checkpoints()?.is_empty() {
        Ok(OnDisk::Restart)
    } else {
        Ok(OnDisk::Resumable)
    }
}
