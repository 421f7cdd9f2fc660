//! What a sweep did: one result per run, the summary printed (text or JSON) and its exit status.
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::HostError;
use crate::run::report::Report;

/// How one run of the sweep ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub name: String,
    /// `trained`, `resumed`, `skipped` (already finished), `busy` (another process holds its
    /// directory), `halted` or `failed`.
    pub status: &'static str,
    pub final_step: Option<u64>,
    pub steps_to_grok: Option<u64>,
    pub final_test_acc: Option<f64>,
    pub error: Option<String>,
}

/// What `modgrok sweep` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSummary {
    pub out: String,
    pub shard: String,
    pub grid_runs: usize,
    pub runs: Vec<RunResult>,
}

impl SweepSummary {
    fn count(&self, status: &str) -> usize {
        self.runs.iter().filter(|r| r.status == status).count()
    }

    /// An error (exit 1) when a run failed, naming the first.
    pub fn check(&self) -> Result<(), HostError> {
        match self.runs.iter().find(|r| r.status == "failed") {
            None => Ok(()),
            Some(first) => Err(HostError::BadRunDir {
                path: PathBuf::from(&self.out),
                reason: format!(
                    "{} of {} runs failed, first {}: {}; fix that and run the same command again to retry them",
                    self.count("failed"),
                    self.runs.len(),
                    first.name,
                    first.error.as_deref().unwrap_or_default()
                ),
            }),
        }
    }

    pub fn text(&self) -> String {
        let mut s = format!(
            "sweep {} (shard {}): {} of the grid's {} runs: {} trained, {} resumed, {} already finished",
            self.out,
            self.shard,
            self.runs.len(),
            self.grid_runs,
            self.count("trained"),
            self.count("resumed"),
            self.count("skipped"),
        );
        for status in ["busy", "halted", "failed"] {
            if self.count(status) > 0 {
                let _ = write!(s, ", {} {status}", self.count(status));
            }
        }
        let grokked = self
            .runs
            .iter()
            .filter(|r| r.steps_to_grok.is_some())
            .count();
        let _ = write!(
            s,
            "; {grokked} grokked\ntabulate with: modgrok report {}\n",
            self.out
        );
        for r in self.runs.iter().filter(|r| r.status == "failed") {
            let _ = writeln!(
                s,
                "failed: {}: {}",
                r.name,
                r.error.as_deref().unwrap_or("")
            );
        }
        s
    }
}

pub(super) fn result_of(name: &str, status: &'static str, report: Option<&Report>) -> RunResult {
    RunResult {
        name: name.to_string(),
        status,
        final_step: report.map(|r| r.final_step),
        steps_to_grok: report.and_then(|r| r.steps_to_grok),
        final_test_acc: report.map(|r| r.final_test_acc),
        error: None,
    }
}

pub(super) fn describe(r: &RunResult, secs: f64) -> String {
    match (r.status, r.steps_to_grok) {
        ("failed", _) => format!(
            "failed   {}: {}",
            r.name,
            r.error.as_deref().unwrap_or_default()
        ),
        ("skipped", _) => format!("finished {} (already)", r.name),
        ("busy", _) => format!("busy     {} (another process trains it)", r.name),
        ("halted", _) => format!("halted   {}", r.name),
        (_, Some(g)) => format!(
            "grokked  {} at step {g}, test acc {:.4} ({secs:.0} s)",
            r.name,
            r.final_test_acc.unwrap_or(f64::NAN)
        ),
        (_, None) => format!(
            "no grok  {} in {} steps, test acc {:.4} ({secs:.0} s)",
            r.name,
            r.final_step.unwrap_or(0),
            r.final_test_acc.unwrap_or(f64::NAN)
        ),
    }
}
