//! The one progress bar of `modgrok train`, on stderr so stdout stays machine-readable, and the
//! same figures for a [`Control`]'s observer.
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::run::metrics::MetricsRow;
use crate::train::control::Control;

pub struct Progress {
    bar: ProgressBar,
    control: Option<Arc<Control>>,
}

impl Progress {
    /// A bar over `0..=steps` starting at `start`; hidden unless `visible`.
    pub fn new(steps: u64, start: u64, visible: bool, control: Option<Arc<Control>>) -> Self {
        let bar = if visible {
            let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
            // Figures first and the bar last, so it fits any terminal width.
            let style =
                ProgressStyle::with_template("step {pos}/{len} {msg} {rate} eta {eta} {wide_bar}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} steps/s", s.per_sec());
                    });
            bar.set_style(style);
            bar
        } else {
            ProgressBar::hidden()
        };
        bar.set_position(start);
        bar.reset_eta();
        if let Some(c) = &control {
            c.begin(start, steps);
        }
        Progress { bar, control }
    }

    pub fn set_step(&self, step: u64) {
        self.bar.set_position(step);
        if let Some(c) = &self.control {
            c.set_step(step);
        }
    }

    /// Whether the observer asked the session to stop.
    pub fn stop_requested(&self) -> bool {
        self.control.as_ref().is_some_and(|c| c.stop_requested())
    }

    /// Shows a logged row's mean losses and accuracies.
    pub fn show(&self, row: &MetricsRow) {
        self.bar.set_message(format!(
            "loss {:.2e}/{:.2e} acc {:.3}/{:.3} (train/test)",
            row.train.mean_loss(),
            row.test.mean_loss(),
            row.train.mean_acc(),
            row.test.mean_acc()
        ));
        if let Some(c) = &self.control {
            c.show(row);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
