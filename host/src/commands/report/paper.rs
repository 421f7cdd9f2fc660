//! Each Table 5 cell the paper's text names without guessing (the elementary block) beside
//! modgrok's verdict, and the count that agree.
use std::fmt::Write as _;

use super::runs::RunRow;
use crate::paper::{self, Verdict};

/// One cell of the paper's Table 5 beside the runs of the same cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperCell {
    pub op: &'static str,
    pub frac: f64,
    pub paper: Verdict,
    /// The cell's runs (plain runs at p = 97 of `op` and `frac`), by seed.
    pub runs: Vec<RunRow>,
}

impl PaperCell {
    /// modgrok's verdict once every run of the cell has finished (or, under `--grok-at`,
    /// reached it): grokked when most seeds did.
    pub fn grokked(&self) -> Option<bool> {
        let done = !self.runs.is_empty() && self.runs.iter().all(|r| r.finished || r.grokked());
        let n = self.runs.iter().filter(|r| r.grokked()).count();
        done.then_some(2 * n > self.runs.len())
    }

    /// Whether modgrok and the paper agree on grokked or not; `None` while runs are missing or
    /// unfinished.
    pub fn agrees(&self) -> Option<bool> {
        self.grokked().map(|g| g == self.paper.grokked())
    }
}

/// Every cell of the encoded Table 5 for which `runs` holds at least one plain run.
pub fn paper_cells(runs: &[RunRow]) -> Vec<PaperCell> {
    let mut cells = Vec::new();
    for (op, row) in paper::ELEMENTARY {
        for (&frac, &verdict) in paper::FRACS.iter().zip(&row) {
            let mut same: Vec<RunRow> = runs
                .iter()
                .filter(|r| r.op == op && r.p == paper::P && r.frac == frac)
                .filter(|r| r.label == r.op || r.label.starts_with(&format!("{op} (")))
                .cloned()
                .collect();
            // The paper trained on the published code's pairs: where a cell has both kinds, only
            // its reference runs are compared.
            if same.iter().any(|r| r.pairs == "reference") {
                same.retain(|r| r.pairs == "reference");
            }
            same.sort_by_key(|r| r.seed);
            if !same.is_empty() {
                cells.push(PaperCell {
                    op,
                    frac,
                    paper: verdict,
                    runs: same,
                });
            }
        }
    }
    cells
}

/// The `--paper` section: one line per cell and the count of cells that agree.
pub fn paper_markdown(cells: &[PaperCell]) -> String {
    let mut s = String::from(
        "\n## Against the paper (Table 5, elementary block)\n\n\
         The paper's verdict (✔ grokked, else its best test accuracy) beside each seed of ours \
         (✔ grokked, else the best mean test accuracy). A cell of ours is grokked when most of \
         its seeds grokked. Table 5 lost its headers in extraction: its rows are read as the \
         fractions 0.3 … 0.9 and its elementary columns as x+y, x−y, x·y, x/y.\n\n\
         | op | frac | paper | modgrok (per seed) | agree |\n|---|---|---|---|---|\n",
    );
    for c in cells {
        let marks: Vec<String> = c
            .runs
            .iter()
            .map(|r| {
                if r.grokked() {
                    "✔".to_string()
                } else {
                    let acc = r
                        .best_test_acc
                        .map_or("?".into(), |a| format!("{:.1}%", 100.0 * a));
                    if r.finished { acc } else { format!("…{acc}") }
                }
            })
            .collect();
        let agree = match c.agrees() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "pending",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {agree} |",
            c.op,
            c.frac,
            c.paper.text(),
            marks.join(" ")
        );
    }
    let decided: Vec<bool> = cells.iter().filter_map(PaperCell::agrees).collect();
    let agree = decided.iter().filter(|&&a| a).count();
    let _ = writeln!(
        s,
        "\n{agree} of {} finished cells agree with the paper; {} pending.",
        decided.len(),
        cells.len() - decided.len()
    );
    s
}
