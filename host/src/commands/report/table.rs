//! The runs as the paper's Table 5: rows are operations (with their transfer setting),
//! columns train fractions; the grokked table, steps to grok and the final FFS/FCR.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use modgrok_core::data::ALL_OPS;

use super::runs::{RunRow, mixes_pairs};

/// A row of the tables, in display order: p, the op's place in `ALL_OPS` (others after, by
/// text), the op, whether it is a transfer variant (after the plain op), the label.
pub(super) type RowKey = (u64, usize, String, bool, String);

/// The runs arranged as a table: rows, fractions ascending, and the runs of each cell by seed.
pub struct Table {
    pub(super) keys: Vec<RowKey>,
    pub fracs: Vec<f64>,
    cells: BTreeMap<(RowKey, u64), Vec<RunRow>>,
    /// More than one p: the tables get a p column.
    pub(super) multi_p: bool,
    seeds: Vec<u64>,
}

fn op_rank(op: &str) -> usize {
    ALL_OPS
        .iter()
        .position(|r| r.name == op)
        .unwrap_or(ALL_OPS.len())
}

/// f64 fractions as map keys: their bits.
fn frac_key(f: f64) -> u64 {
    f.to_bits()
}

fn row_key(r: &RunRow) -> RowKey {
    (
        r.p,
        op_rank(&r.op),
        r.op.clone(),
        r.label != r.op,
        r.label.clone(),
    )
}

impl Table {
    pub fn new(runs: &[RunRow]) -> Table {
        let mut keys: Vec<RowKey> = runs.iter().map(row_key).collect();
        keys.sort();
        keys.dedup();
        let mut fracs: Vec<f64> = runs.iter().map(|r| r.frac).collect();
        fracs.sort_by(f64::total_cmp);
        fracs.dedup();
        let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
        seeds.sort();
        seeds.dedup();
        let mut cells: BTreeMap<(RowKey, u64), Vec<RunRow>> = BTreeMap::new();
        for r in runs {
            cells
                .entry((row_key(r), frac_key(r.frac)))
                .or_default()
                .push(r.clone());
        }
        for v in cells.values_mut() {
            v.sort_by_key(|r| r.seed);
        }
        let multi_p = keys.first().map(|k| k.0) != keys.last().map(|k| k.0);
        Table {
            keys,
            fracs,
            cells,
            multi_p,
            seeds,
        }
    }

    /// `(p, label)` of each row, in order.
    pub fn rows(&self) -> impl Iterator<Item = (u64, &str)> {
        self.keys.iter().map(|k| (k.0, k.4.as_str()))
    }

    fn runs(&self, row: usize, frac: f64) -> &[RunRow] {
        self.cells
            .get(&(self.keys[row].clone(), frac_key(frac)))
            .map_or(&[], Vec::as_slice)
    }

    /// ✔ per grokked seed, else best test accuracy (… while running, · when missing).
    pub fn grok_cell(&self, row: usize, frac: f64) -> String {
        let runs = self.runs(row, frac);
        if runs.is_empty() {
            return "·".into();
        }
        let marks: Vec<String> = self
            .seeds
            .iter()
            .map(|&s| match runs.iter().find(|r| r.seed == s) {
                None => "·".to_string(),
                Some(r) if r.grokked() => "✔".to_string(),
                Some(r) => {
                    let acc = r.best_test_acc.map_or("?".into(), |a| format!("{a:.2}"));
                    if r.finished { acc } else { format!("…{acc}") }
                }
            })
            .collect();
        if marks.iter().all(|m| m == "✔") {
            marks.concat()
        } else {
            marks.join(" ")
        }
    }

    /// Fraction of this cell's finished runs that grokked, `None` without a finished run.
    pub fn grok_share(&self, row: usize, frac: f64) -> Option<f64> {
        let runs: Vec<&RunRow> = self.runs(row, frac).iter().filter(|r| r.finished).collect();
        (!runs.is_empty())
            .then(|| runs.iter().filter(|r| r.grokked()).count() as f64 / runs.len() as f64)
    }

    /// Mean (min–max) steps to grok over the grokked seeds, with k/n when not all grokked.
    pub fn steps_cell(&self, row: usize, frac: f64) -> String {
        let runs = self.runs(row, frac);
        let steps: Vec<u64> = runs
            .iter()
            .filter(|r| r.grokked())
            .filter_map(|r| r.steps_to_grok)
            .collect();
        if steps.is_empty() {
            return "–".into();
        }
        let mean = steps.iter().sum::<u64>() as f64 / steps.len() as f64;
        let (min, max) = (steps.iter().min(), steps.iter().max());
        let mut s = match (min, max) {
            (Some(a), Some(b)) if a != b => format!("{mean:.0} ({a}–{b})"),
            _ => format!("{mean:.0}"),
        };
        if steps.len() < runs.len() {
            let _ = write!(s, " [{}/{}]", steps.len(), runs.len());
        }
        s
    }

    /// Mean final FFS / FCR of the embedding over the cell's runs that have them.
    pub fn fourier_cell(&self, row: usize, frac: f64) -> String {
        let runs = self.runs(row, frac);
        let mean = |f: fn(&RunRow) -> Option<f64>| {
            let v: Vec<f64> = runs.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        match (mean(|r| r.emb_ffs), mean(|r| r.emb_fcr)) {
            (None, None) => "–".into(),
            (a, b) => {
                let f = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.2}"));
                format!("{} / {}", f(a), f(b))
            }
        }
    }

    fn markdown_table(&self, cell: impl Fn(usize, f64) -> String) -> String {
        let mut head = String::from("| op |");
        let mut rule = String::from("|---|");
        if self.multi_p {
            head.push_str(" p |");
            rule.push_str("---|");
        }
        for f in &self.fracs {
            let _ = write!(head, " {f} |");
            rule.push_str("---|");
        }
        let mut s = format!("{head}\n{rule}\n");
        for (i, (p, label)) in self.rows().enumerate() {
            let _ = write!(s, "| {} |", label.replace('|', "\\|"));
            if self.multi_p {
                let _ = write!(s, " {p} |");
            }
            for &f in &self.fracs {
                let _ = write!(s, " {} |", cell(i, f));
            }
            s.push('\n');
        }
        s
    }
}

/// The Markdown report; `grok_at` as the runs were read with.
pub fn markdown(dir: &Path, runs: &[RunRow], grok_at: Option<f64>) -> String {
    let t = Table::new(runs);
    let finished = runs.iter().filter(|r| r.finished).count();
    let grokked = runs.iter().filter(|r| r.grokked()).count();
    let mut ps: Vec<u64> = runs.iter().map(|r| r.p).collect();
    ps.sort();
    ps.dedup();
    let list = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    let pairs = if mixes_pairs(runs) {
        "reference and field (each row says which)"
    } else {
        runs.first().map_or("", |r| r.pairs.as_str())
    };
    let mut s = format!(
        "# modgrok report: {}\n\n{} runs ({finished} finished, {grokked} grokked); p = {}; seeds {}; pairs {pairs}.\n\n",
        dir.display(),
        runs.len(),
        list(&ps),
        list(&t.seeds),
    );
    let criterion = match grok_at {
        Some(t) => format!("mean test accuracy reached {t} at a logged step"),
        None => "mean test accuracy held ≥ the run's grok threshold at its end".into(),
    };
    let _ = write!(
        s,
        "## Grokked (columns: train fraction)\n\n\
         One mark per seed: ✔ grokked ({criterion}), else the best mean test accuracy; …0.42 a \
         run not finished; · a seed not run.\n\n",
    );
    s.push_str(&t.markdown_table(|i, f| t.grok_cell(i, f)));
    s.push_str(
        "\n## Steps to grok\n\nMean (min–max) over the seeds that grokked; [k/n] when only k \
         of n did.\n\n",
    );
    s.push_str(&t.markdown_table(|i, f| t.steps_cell(i, f)));
    if runs
        .iter()
        .any(|r| r.emb_ffs.is_some() || r.emb_fcr.is_some())
    {
        s.push_str(
            "\n## Final FFS / FCR of the embedding\n\nMean over seeds of the last logged \
             `emb_ffs` / `emb_fcr` (SPEC §5; ε as in each run's config).\n\n",
        );
        s.push_str(&t.markdown_table(|i, f| t.fourier_cell(i, f)));
    }
    s
}
