//! A training session seen from another thread: its step and latest logged row, and a request
//! to stop. The Python module trains on a worker thread and reads progress through this; the
//! CLI does not use it.
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::run::metrics::MetricsRow;

/// The mean figures of one logged row (`metrics.csv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowSummary {
    pub step: u64,
    pub train_loss: f64,
    pub test_loss: f64,
    pub train_acc: f64,
    pub test_acc: f64,
}

impl RowSummary {
    pub fn of(row: &MetricsRow) -> Self {
        RowSummary {
            step: row.step,
            train_loss: row.train.mean_loss(),
            test_loss: row.test.mean_loss(),
            train_acc: row.train.mean_acc(),
            test_acc: row.test.mean_acc(),
        }
    }
}

/// Shared between a session ([`crate::train::TrainOptions::control`]) and its observers.
/// Stopping ends the session after the step in progress, exactly as a kill there would: the
/// run resumes from its newest checkpoint to the bytes of one never stopped.
#[derive(Debug, Default)]
pub struct Control {
    stop: AtomicBool,
    step: AtomicU64,
    steps: AtomicU64,
    row: Mutex<Option<RowSummary>>,
}

impl Control {
    /// Asks the session to stop after the step in progress.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Updates applied so far.
    pub fn step(&self) -> u64 {
        self.step.load(Ordering::Relaxed)
    }

    /// The run's last step (`--steps`), 0 until the session has started.
    pub fn steps(&self) -> u64 {
        self.steps.load(Ordering::Relaxed)
    }

    /// The newest logged row of this session.
    pub fn last_row(&self) -> Option<RowSummary> {
        *self.row.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn begin(&self, start: u64, steps: u64) {
        self.steps.store(steps, Ordering::Relaxed);
        self.step.store(start, Ordering::Relaxed);
    }

    pub(crate) fn set_step(&self, step: u64) {
        self.step.store(step, Ordering::Relaxed);
    }

    pub(crate) fn show(&self, row: &MetricsRow) {
        *self.row.lock().unwrap_or_else(|e| e.into_inner()) = Some(RowSummary::of(row));
    }
}
