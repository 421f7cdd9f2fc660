//! The sweep's progress bar on stderr, so stdout stays machine-readable.
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The sweep's one progress bar (stderr): runs done of the shard's, and the runs in flight.
pub(super) struct Bar {
    pub(super) bar: ProgressBar,
    running: Mutex<Vec<String>>,
}

impl Bar {
    pub(super) fn new(n: usize, visible: bool) -> Bar {
        let bar = if visible {
            let bar = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("runs {pos}/{len} [{elapsed_precise}] {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Bar {
            bar,
            running: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn start(&self, name: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.push(name.to_string());
        self.bar
            .set_message(format!("training {}", running.join(", ")));
    }

    pub(super) fn end(&self, name: &str, line: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|n| n != name);
        self.bar.println(line);
        self.bar.inc(1);
        self.bar
            .set_message(format!("training {}", running.join(", ")));
    }
}
