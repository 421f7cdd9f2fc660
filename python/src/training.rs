//! A training session (one run, or a sweep) on a worker thread, so that Python keeps its
//! interpreter: the caller polls [`Training::wait`] with the GIL released, reads
//! [`Training::progress`] for its progress bar, and on Ctrl-C calls [`Training::stop`], which
//! ends every run after its step in progress as a kill there would (each resumes to the bytes
//! of a run never stopped).
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use modgrok_host::commands::sweep::{self, SweepArgs};
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::error::HostError;
use modgrok_host::train::control::Control;
use modgrok_host::train::{self, Outcome};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors::{to_py, value_error};

/// How the session ended: `(finished, step, summary)`. A run: finished false when it was
/// stopped, its last step, no summary. A sweep: finished false when a run did not finish, the
/// number of runs, and the summary of `modgrok sweep --json`.
type Ended = PyResult<(bool, u64, Option<String>)>;

/// A logged row for Python: `(step, train_loss, test_loss, train_acc, test_acc)`.
type Row = (u64, f64, f64, f64, f64);

enum State {
    Running(mpsc::Receiver<Ended>),
    Ended(Ended),
}

/// One session of `modgrok train`, started by [`start_training`].
#[pyclass(module = "modgrok._modgrok")]
pub struct Training {
    out: PathBuf,
    control: Arc<Control>,
    state: Mutex<State>,
}

/// Starts `modgrok train` with these flags (as on the command line, without the verb) on a
/// worker thread, without its progress bar. Bad flags raise here, before anything is written.
#[pyfunction]
pub fn start_training(flags: Vec<String>) -> PyResult<Training> {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let args = TrainArgs::from_flags(&flags).map_err(to_py)?;
    let mut opts = args.options().map_err(to_py)?;
    let control = Arc::new(Control::default());
    opts.progress = false;
    opts.control = Some(control.clone());
    type Job = Box<dyn FnOnce() -> Result<Outcome, HostError> + Send>;
    let (out, job): (PathBuf, Job) = match args.resume.clone() {
        Some(dir) => (dir.clone(), Box::new(move || train::resume(&dir, &opts))),
        None => {
            let cfg = args.spec().derived().map_err(to_py)?;
            let out = args.out.clone().unwrap_or_else(|| cfg.default_out());
            let to = out.clone();
            (out, Box::new(move || train::train_new(&cfg, &to, &opts)))
        }
    };
    let job = move || match job()? {
        Outcome::Finished(r) => Ok((true, r.final_step, None)),
        Outcome::Halted { step } => Ok((false, step, None)),
    };
    spawn(out, control, job)
}

/// Starts `modgrok sweep` with these flags (without the verb) on a worker thread, without its
/// progress bar. Bad flags raise here, before anything is trained.
#[pyfunction]
pub fn start_sweep(flags: Vec<String>) -> PyResult<Training> {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let args = SweepArgs::from_flags(&flags).map_err(to_py)?;
    args.grid().map_err(to_py)?;
    args.in_flight().map_err(to_py)?;
    let control = Arc::new(Control::default());
    let shared = control.clone();
    let out = args.out.clone();
    let job = move || {
        let summary = sweep::run_with(&args, Some(shared.clone()))?;
        let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
        if !shared.stop_requested() {
            summary.check()?;
        }
        let done = summary
            .runs
            .iter()
            .all(|r| matches!(r.status, "trained" | "resumed" | "skipped"));
        Ok((done, summary.runs.len() as u64, Some(json)))
    };
    spawn(out, control, job)
}

/// Runs `job` on a new thread; a panic in it becomes a `RuntimeError`.
fn spawn(
    out: PathBuf,
    control: Arc<Control>,
    job: impl FnOnce() -> Result<(bool, u64, Option<String>), HostError> + Send + 'static,
) -> PyResult<Training> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("modgrok-train".into())
        .spawn(move || {
            let ended = match catch_unwind(AssertUnwindSafe(job)) {
                Ok(r) => r.map_err(to_py),
                Err(_) => Err(PyRuntimeError::new_err(
                    "the trainer stopped on an internal error (a bug in modgrok); every run resumes from its newest checkpoint",
                )),
            };
            let _ = tx.send(ended);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the training thread: {e}")))?;
    Ok(Training {
        out,
        control,
        state: Mutex::new(State::Running(rx)),
    })
}

/// The run directory names of the sweep these flags describe (`modgrok sweep --list`).
#[pyfunction]
pub fn sweep_list(flags: Vec<String>) -> PyResult<Vec<String>> {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let args = SweepArgs::from_flags(&flags).map_err(to_py)?;
    let text = sweep::list(&args).map_err(to_py)?;
    Ok(text.lines().map(str::to_string).collect())
}

#[pymethods]
impl Training {
    /// The run directory.
    #[getter]
    fn out(&self) -> String {
        self.out.display().to_string()
    }

    /// Waits up to `timeout` seconds (forever if None) with the GIL released; True once the
    /// session has ended.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let limit = match timeout {
            Some(t) => Some(Duration::try_from_secs_f64(t).map_err(|_| {
                value_error(format!("timeout {t} must be a number of seconds ≥ 0"))
            })?),
            None => None,
        };
        Ok(py.detach(|| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let State::Running(rx) = &*state else {
                return true;
            };
            let got = match limit {
                Some(d) => match rx.recv_timeout(d) {
                    Ok(ended) => ended,
                    Err(mpsc::RecvTimeoutError::Timeout) => return false,
                    Err(mpsc::RecvTimeoutError::Disconnected) => Err(lost()),
                },
                None => rx.recv().unwrap_or_else(|_| Err(lost())),
            };
            *state = State::Ended(got);
            true
        }))
    }

    /// `(step, steps, row)`: updates applied so far, the run's `--steps` (0 until the session has
    /// started), and the newest logged row as `(step, train_loss, test_loss, train_acc,
    /// test_acc)` or None.
    fn progress(&self) -> (u64, u64, Option<Row>) {
        let row = self
            .control
            .last_row()
            .map(|r| (r.step, r.train_loss, r.test_loss, r.train_acc, r.test_acc));
        (self.control.step(), self.control.steps(), row)
    }

    /// Asks the session to stop after the step in progress.
    fn stop(&self) {
        self.control.request_stop();
    }

    /// `(finished, step, summary)` once the session has ended ([`Ended`]), or the error it
    /// ended with.
    fn result(&self, py: Python<'_>) -> PyResult<(bool, u64, Option<String>)> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match &*state {
            State::Ended(Ok(r)) => Ok(r.clone()),
            State::Ended(Err(e)) => Err(e.clone_ref(py)),
            State::Running(_) => Err(PyRuntimeError::new_err(
                "the session is still running: call wait() until it returns True",
            )),
        }
    }
}

fn lost() -> PyErr {
    PyRuntimeError::new_err("the training thread ended without a result (a bug in modgrok)")
}
