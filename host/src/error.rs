//! Everything the host can refuse or fail at. Each message is one line that says what was wrong
//! and what to do; [`HostError::exit_code`] is 2 for a command line that cannot work and 1 for a
//! failure while running.
use std::path::PathBuf;

/// Exit status for bad usage (the command line cannot work as given).
pub const EXIT_USAGE: i32 = 2;
/// Exit status for a failure while running (files, checkpoints, threads).
pub const EXIT_FAILURE: i32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Rejected by core while building tasks, split, model or optimizer from the flags.
    #[error("{0}")]
    Core(#[from] modgrok_core::Error),

    /// A flag value that core does not check itself.
    #[error("{0}")]
    Usage(String),

    #[error("run directory {} already exists: pass `--resume {}` to continue it, or choose another --out", .0.display(), .0.display())]
    OutExists(PathBuf),

    /// Another process holds the run directory's lock.
    #[error("{} is in use by {}: wait for it to finish, or stop it and run this again", .dir.display(), holder(.pid))]
    Busy { dir: PathBuf, pid: Option<u32> },

    #[error("no checkpoint in {} loads cleanly ({reason}): start a new run, or restore the checkpoints", .dir.display())]
    NoUsableCheckpoint { dir: PathBuf, reason: String },

    #[error("{}: {reason}", .path.display())]
    BadCheckpoint { path: PathBuf, reason: String },

    #[error("{}: {reason}", .path.display())]
    BadRunDir { path: PathBuf, reason: String },

    #[error("{}: {}{}", .path.display(), io_text(source), io_hint(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot start {threads} worker threads: {reason}; try a smaller --threads")]
    Threads { threads: usize, reason: String },

    /// A figure could not be drawn or written.
    #[error("{0}")]
    Plot(Box<dyn std::error::Error + Send + Sync>),

    /// No GPU adapter for `--backend gpu`, or the device failed.
    #[cfg(feature = "gpu")]
    #[error("{0}")]
    Gpu(#[from] modgrok_gpu::GpuError),

    #[error(
        "--backend gpu: this modgrok was built without the gpu feature; build it with default features, or use --backend cpu"
    )]
    NoGpuFeature,
}

fn holder(pid: &Option<u32>) -> String {
    match pid {
        Some(pid) => format!("process {pid}"),
        None => "another process".into(),
    }
}

/// An I/O failure in words, without the OS's error number.
pub(crate) fn io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let words = match e.kind() {
        ErrorKind::NotFound => "no such file or directory",
        ErrorKind::PermissionDenied => "permission denied",
        ErrorKind::AlreadyExists => "already exists",
        ErrorKind::NotADirectory => "a part of the path is a file, not a directory",
        ErrorKind::IsADirectory => "is a directory",
        ErrorKind::StorageFull => "the disk is full",
        ErrorKind::QuotaExceeded => "the disk quota is exceeded",
        ErrorKind::FileTooLarge => "the file is larger than the file-size limit allows",
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only",
        ErrorKind::UnexpectedEof => "the file ends early (truncated)",
        _ => return e.to_string(),
    };
    words.into()
}

/// What to do about the I/O failures a long run meets on a shared machine.
pub(crate) fn io_hint(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded => {
            ": free disk space (or raise the file-size limit), then continue the run with `modgrok train --resume RUN_DIR`"
        }
        ErrorKind::PermissionDenied
        | ErrorKind::ReadOnlyFilesystem
        | ErrorKind::NotADirectory
        | ErrorKind::NotFound => {
            ": check that every directory on that path exists and is writable, or choose another path"
        }
        _ => "",
    }
}

impl HostError {
    /// 2 when the user asked for something that cannot work, 1 when running failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            HostError::Core(e) => match e {
                modgrok_core::Error::BufferTooSmall { .. } => EXIT_FAILURE,
                _ => EXIT_USAGE,
            },
            HostError::Usage(_) | HostError::OutExists(_) | HostError::NoGpuFeature => EXIT_USAGE,
            HostError::NoUsableCheckpoint { .. }
            | HostError::BadCheckpoint { .. }
            | HostError::BadRunDir { .. }
            | HostError::Busy { .. }
            | HostError::Io { .. }
            | HostError::Threads { .. }
            | HostError::Plot(_) => EXIT_FAILURE,
            #[cfg(feature = "gpu")]
            HostError::Gpu(_) => EXIT_FAILURE,
        }
    }

    /// A figure that was not written is a failure while running.
    pub fn plot(e: impl std::error::Error + Send + Sync + 'static) -> HostError {
        HostError::Plot(Box::new(e))
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> HostError {
        let path = path.into();
        move |source| HostError::Io { path, source }
    }
}
