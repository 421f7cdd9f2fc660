//! Crash-safe file writes (SPEC §7): write a temporary file in the same directory, fsync it,
//! rename it over the target, then fsync the directory so the rename itself is durable. An
//! interrupted write leaves the old file (or none), never a truncated one.
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::HostError;

/// Prefix of temporary files, so a resume can sweep ones left by a crash.
pub const TMP_PREFIX: &str = ".tmp.";

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!("{TMP_PREFIX}{name}.{}", std::process::id()));
    // Errors name the file being written, not the temporary one.
    let result = (|| {
        let mut f = File::create(&tmp).map_err(HostError::io(path))?;
        f.write_all(bytes).map_err(HostError::io(path))?;
        f.sync_all().map_err(HostError::io(path))?;
        fs::rename(&tmp, path).map_err(HostError::io(path))?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes renames and removals in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), HostError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(HostError::io(dir))
}

/// Removes temporary files a crashed writer left in `dir`.
pub fn sweep_tmp(dir: &Path) -> Result<(), HostError> {
    for entry in fs::read_dir(dir).map_err(HostError::io(dir))? {
        let entry = entry.map_err(HostError::io(dir))?;
        if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            fs::remove_file(entry.path()).map_err(HostError::io(entry.path()))?;
        }
    }
    Ok(())
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
