//! [`HostError`] as Python exceptions, each with the message the CLI prints.
use modgrok_host::error::HostError;
use pyo3::PyErr;
use pyo3::exceptions::{PyFileExistsError, PyOSError, PyRuntimeError, PyValueError};

/// Bad arguments are `ValueError`; files and directories that are missing, damaged, foreign or
/// busy are `OSError` (`FileExistsError` for an `out` that exists); a failure of the machine
/// (threads, the GPU, a figure) is `RuntimeError`.
pub fn to_py(e: HostError) -> PyErr {
    let msg = e.to_string();
    match e {
        HostError::Core(_) | HostError::Usage(_) | HostError::NoGpuFeature => {
            PyValueError::new_err(msg)
        }
        HostError::OutExists(_) => PyFileExistsError::new_err(msg),
        HostError::Busy { .. }
        | HostError::NoUsableCheckpoint { .. }
        | HostError::BadCheckpoint { .. }
        | HostError::BadRunDir { .. }
        | HostError::Io { .. } => PyOSError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// A caller's argument that the host has no check for.
pub fn value_error(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}
