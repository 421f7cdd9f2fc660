//! One writer per run directory: `train`, `train --resume` and each run of a sweep hold an
//! exclusive advisory lock on `RUN/modgrok.lock` (the OS's file lock, released when the process
//! exits, however it dies) from before they write anything until they are done. The holder
//! writes its pid into the file, so a second writer can say who holds it.
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::HostError;

/// The lock file's name inside a run directory.
pub const LOCK_FILE: &str = "modgrok.lock";

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of the existing directory `root`, or fails with [`HostError::Busy`]
    /// naming the process that holds it.
    pub fn acquire(root: &Path) -> Result<RunLock, HostError> {
        let path = root.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(HostError::io(&path))?;
        match file.try_lock() {
            Ok(()) => {
                // One fixed-width write over the last holder's pid, never an empty file in
                // between, so a process that finds the lock held reads one pid or the other.
                let pid = format!("{:>10}\n", std::process::id());
                file.rewind()
                    .and_then(|()| file.write_all(pid.as_bytes()))
                    .and_then(|()| file.set_len(pid.len() as u64))
                    .map_err(HostError::io(&path))?;
                Ok(RunLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Err(HostError::Busy {
                    dir: root.to_path_buf(),
                    pid: text.trim().parse().ok(),
                })
            }
            Err(TryLockError::Error(e)) => Err(HostError::Io { path, source: e }),
        }
    }
}

/// `root`, created if missing (with its parents), and its lock: how a sweep claims a run
/// directory before it looks inside.
pub fn claim(root: &Path) -> Result<RunLock, HostError> {
    std::fs::create_dir_all(root).map_err(HostError::io(root))?;
    RunLock::acquire(root)
}

/// The lock file of run directory `root`.
pub fn lock_path(root: &Path) -> PathBuf {
    root.join(LOCK_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_held_directory_names_the_holder_and_a_dropped_one_is_free() {
        let tmp = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(tmp.path()).unwrap();
        let text = std::fs::read_to_string(lock_path(tmp.path())).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        match RunLock::acquire(tmp.path()) {
            Err(HostError::Busy { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Busy, got {other:?}"),
        }
        drop(first);
        let _again = RunLock::acquire(tmp.path()).unwrap();
    }
}
