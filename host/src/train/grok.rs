//! Memorisation and grokking milestones, and the early-stopping rule (SPEC §4), as a function
//! of the logged rows alone, so a resumed run rebuilds the same state by replaying the rows of
//! `metrics.csv` it keeps.

/// State over the logged rows seen so far, in step order.
#[derive(Debug, Clone, PartialEq)]
pub struct GrokWatch {
    threshold: f64,
    patience: u64,
    /// First logged step with mean train accuracy 1.0.
    pub memorised_at: Option<u64>,
    /// First logged step of the current stretch of mean test accuracy ≥ threshold.
    pub stretch_start: Option<u64>,
}

impl GrokWatch {
    pub fn new(threshold: f64, patience: u64) -> Self {
        GrokWatch {
            threshold,
            patience,
            memorised_at: None,
            stretch_start: None,
        }
    }

    /// Takes one logged row's mean accuracies.
    pub fn observe(&mut self, step: u64, train_acc: f64, test_acc: f64) {
        if self.memorised_at.is_none() && train_acc >= 1.0 {
            self.memorised_at = Some(step);
        }
        if test_acc >= self.threshold {
            self.stretch_start.get_or_insert(step);
        } else {
            self.stretch_start = None;
        }
    }

    /// True once test accuracy has held ≥ threshold for `patience` steps, as of `step`.
    pub fn has_held(&self, step: u64) -> bool {
        self.stretch_start
            .is_some_and(|s| step - s >= self.patience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_restarts_when_test_accuracy_dips() {
        let mut w = GrokWatch::new(0.999, 200);
        w.observe(0, 0.1, 0.0);
        w.observe(100, 1.0, 0.5);
        w.observe(200, 1.0, 1.0);
        w.observe(300, 1.0, 0.99);
        w.observe(400, 1.0, 0.9995);
        w.observe(500, 1.0, 1.0);
        assert_eq!(w.memorised_at, Some(100));
        assert_eq!(w.stretch_start, Some(400));
        assert!(!w.has_held(500));
        w.observe(600, 1.0, 1.0);
        assert!(w.has_held(600));
    }
}
