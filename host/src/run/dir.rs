//! The layout of a run directory (SPEC §7):
//!
//! ```text
//! RUN/config.json                               everything needed to rerun
//! RUN/metrics.csv                               one row per logged step
//! RUN/checkpoints/step_XXXXXXX.safetensors      parameters after XXXXXXX updates
//! RUN/checkpoints/step_XXXXXXX.optim.safetensors  AdamW moments of that step
//! RUN/final.safetensors                         parameters at the last step
//! RUN/report.json                               the summary
//! RUN/loss.svg, RUN/accuracy.svg                curves on a log step axis
//! RUN/modgrok.lock                              the writer's lock and pid (crate::run::lock)
//! ```
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::config::RunConfig;
use crate::error::HostError;
use crate::fsio;

#[derive(Debug, Clone)]
pub struct RunDir {
    pub root: PathBuf,
}

const MODEL_EXT: &str = ".safetensors";
const OPTIM_EXT: &str = ".optim.safetensors";

impl RunDir {
    /// Refuses an `--out` that names an existing file (a directory, or nothing yet, passes).
    pub fn check_out_not_a_file(out: &Path) -> Result<(), HostError> {
        if out.exists() && !out.is_dir() {
            return Err(HostError::Usage(format!(
                "--out {} is a file, not a directory: choose another --out",
                out.display()
            )));
        }
        Ok(())
    }

    /// Creates a new, empty run directory; an existing one is an error.
    pub fn create(root: &Path) -> Result<RunDir, HostError> {
        Self::check_out_not_a_file(root)?;
        if root.exists() {
            return Err(HostError::OutExists(root.to_path_buf()));
        }
        if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
            // create_dir_all on an existing file says "File exists"; say what is wrong.
            if parent.exists() && !parent.is_dir() {
                return Err(HostError::Io {
                    path: parent.to_path_buf(),
                    source: std::io::ErrorKind::NotADirectory.into(),
                });
            }
            fs::create_dir_all(parent).map_err(HostError::io(parent))?;
        }
        fs::create_dir(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => HostError::OutExists(root.to_path_buf()),
            _ => HostError::Io {
                path: root.to_path_buf(),
                source: e,
            },
        })?;
        let dir = RunDir {
            root: root.to_path_buf(),
        };
        if let Err(e) = fs::create_dir(dir.checkpoints()) {
            let _ = fs::remove_dir(&dir.root);
            return Err(HostError::io(dir.checkpoints())(e));
        }
        Ok(dir)
    }

    /// The existing directory `root`, whose lock the caller holds, emptied of everything but
    /// the lock file (what a run killed before its first checkpoint left), with a fresh
    /// `checkpoints/`.
    pub fn emptied(root: &Path) -> Result<RunDir, HostError> {
        for entry in fs::read_dir(root).map_err(HostError::io(root))? {
            let entry = entry.map_err(HostError::io(root))?;
            if entry.file_name() == crate::run::lock::LOCK_FILE {
                continue;
            }
            let path = entry.path();
            let removed = if entry.file_type().map_err(HostError::io(&path))?.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            removed.map_err(HostError::io(&path))?;
        }
        let dir = RunDir {
            root: root.to_path_buf(),
        };
        fs::create_dir(dir.checkpoints()).map_err(HostError::io(dir.checkpoints()))?;
        Ok(dir)
    }

    /// Whether the existing directory `root` holds only what a run stopped before it wrote its
    /// config leaves: an empty `checkpoints/`, the lock file, temporary files.
    pub fn is_leftover(root: &Path) -> Result<bool, HostError> {
        for entry in fs::read_dir(root).map_err(HostError::io(root))? {
            let name = entry.map_err(HostError::io(root))?.file_name();
            let ok = if name == "checkpoints" {
                fs::read_dir(root.join("checkpoints"))
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(false)
            } else {
                name == crate::run::lock::LOCK_FILE
                    || name.to_string_lossy().starts_with(fsio::TMP_PREFIX)
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// An existing run directory, for `--resume`.
    pub fn open(root: &Path) -> Result<RunDir, HostError> {
        let dir = RunDir {
            root: root.to_path_buf(),
        };
        if !dir.config().is_file() {
            let started = root.is_dir()
                && fs::read_dir(root)
                    .map_err(HostError::io(root))?
                    .next()
                    .is_some()
                && RunDir::is_leftover(root)?;
            let what = if started {
                format!(
                    "{} holds no run yet (it was stopped before it wrote config.json): start it with `modgrok train --out {}` and its flags",
                    root.display(),
                    root.display()
                )
            } else {
                format!(
                    "{} is not a run directory (no config.json): pass the --out of an earlier `modgrok train`",
                    root.display()
                )
            };
            return Err(HostError::Usage(what));
        }
        Ok(dir)
    }

    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }

    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.csv")
    }

    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    pub fn model_checkpoint(&self, step: u64) -> PathBuf {
        self.checkpoints()
            .join(format!("step_{step:07}{MODEL_EXT}"))
    }

    pub fn optim_checkpoint(&self, step: u64) -> PathBuf {
        self.checkpoints()
            .join(format!("step_{step:07}{OPTIM_EXT}"))
    }

    pub fn final_model(&self) -> PathBuf {
        self.root.join("final.safetensors")
    }

    pub fn report(&self) -> PathBuf {
        self.root.join("report.json")
    }

    pub fn plot(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.svg"))
    }

    pub fn read_config(&self) -> Result<RunConfig, HostError> {
        let path = self.config();
        let text = fs::read_to_string(&path).map_err(HostError::io(&path))?;
        let cfg: RunConfig = serde_json::from_str(&text).map_err(|e| HostError::BadRunDir {
            path: path.clone(),
            reason: format!("not a modgrok run config ({e}): was it edited by hand?"),
        })?;
        cfg.check().map_err(|e| HostError::BadRunDir {
            path,
            reason: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// Steps of the checkpoint files present: `(model, optim)` step sets.
    fn checkpoint_files(&self) -> Result<(BTreeSet<u64>, BTreeSet<u64>), HostError> {
        let dir = self.checkpoints();
        let (mut models, mut optims) = (BTreeSet::new(), BTreeSet::new());
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((models, optims)),
            Err(e) => {
                return Err(HostError::Io {
                    path: dir,
                    source: e,
                });
            }
        };
        for entry in entries {
            let name = entry.map_err(HostError::io(&dir))?.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("step_")) else {
                continue;
            };
            let step_of = |ext: &str| rest.strip_suffix(ext).and_then(|s| s.parse::<u64>().ok());
            if let Some(step) = step_of(OPTIM_EXT) {
                optims.insert(step);
            } else if let Some(step) = step_of(MODEL_EXT) {
                models.insert(step);
            }
        }
        Ok((models, optims))
    }

    /// Steps for which both checkpoint files exist, newest first.
    pub fn complete_checkpoints(&self) -> Result<Vec<u64>, HostError> {
        let (models, optims) = self.checkpoint_files()?;
        let mut both: Vec<u64> = models.intersection(&optims).copied().collect();
        both.reverse();
        Ok(both)
    }

    /// Steps of the model checkpoint files present (with or without their optimizer file),
    /// oldest first.
    pub fn model_checkpoints(&self) -> Result<Vec<u64>, HostError> {
        Ok(self.checkpoint_files()?.0.into_iter().collect())
    }

    /// After the checkpoint at `current` is fully written: deletes the files of every step
    /// older than the `keep` newest complete ones up to `current` (0 keeps all). Files of later
    /// steps (left by an earlier session) are not touched; they are overwritten when reached.
    pub fn prune(&self, keep: usize, current: u64) -> Result<(), HostError> {
        if keep == 0 {
            return Ok(());
        }
        let complete: Vec<u64> = self
            .complete_checkpoints()?
            .into_iter()
            .filter(|&s| s <= current)
            .collect();
        let Some(&oldest_kept) = complete.get(keep - 1) else {
            return Ok(());
        };
        let (models, optims) = self.checkpoint_files()?;
        let mut removed = false;
        for step in models.union(&optims).filter(|&&s| s < oldest_kept) {
            for path in [self.model_checkpoint(*step), self.optim_checkpoint(*step)] {
                match fs::remove_file(&path) {
                    Ok(()) => removed = true,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(HostError::Io { path, source: e }),
                }
            }
        }
        if removed {
            fsio::sync_dir(&self.checkpoints())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_newest_complete_pairs_and_ignores_later_steps() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = RunDir::create(&tmp.path().join("run")).unwrap();
        for step in [100, 200, 300, 400, 500] {
            fs::write(dir.model_checkpoint(step), b"m").unwrap();
            if step != 400 {
                fs::write(dir.optim_checkpoint(step), b"o").unwrap();
            }
        }
        assert_eq!(dir.complete_checkpoints().unwrap(), [500, 300, 200, 100]);
        assert_eq!(dir.model_checkpoints().unwrap(), [100, 200, 300, 400, 500]);
        dir.prune(2, 300).unwrap();
        assert_eq!(dir.complete_checkpoints().unwrap(), [500, 300, 200]);
        assert!(dir.model_checkpoint(400).exists());
        assert!(!dir.model_checkpoint(100).exists());
        assert!(matches!(
            RunDir::create(&dir.root),
            Err(HostError::OutExists(_))
        ));
    }
}
