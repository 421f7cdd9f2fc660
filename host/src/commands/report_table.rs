//! `modgrok report DIR`: the runs of a sweep as the paper's Table 5 (rows: operations, columns:
//! train fractions), with steps to grok across seeds and the final FFS/FCR of the embedding.
//!
//! Writes `DIR/report.md` (also printed), `DIR/report.csv` (one row per run) and
//! `DIR/report.svg` (the grokked table as a colour grid). A run counts as grokked when its
//! `report.json` has `steps_to_grok`: the run ended inside a stretch of mean test accuracy
//! ≥ its `grok_threshold` (held for `patience` steps when it stopped early). Mixtures use the
//! mean test accuracy over their tasks. Every file is read by field and column name, so runs
//! written by other modgrok versions (with or without the `emb_ffs`/`emb_fcr` columns) mix.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use modgrok_core::data::ALL_OPS;
use serde_json::Value;

use crate::error::HostError;
use crate::fsio;
use crate::paper::{self, Verdict};

const REPORT_EXAMPLES: &str = "\
Examples:
  modgrok report sweeps/table5          print the tables; write report.md, report.csv, report.svg
  modgrok report sweeps/table5 --quiet  only write the files
  modgrok report sweeps/table5 --paper  also set the paper's Table 5 verdicts beside each cell
                                        of its elementary block (add, subtract, multiply,
                                        division at p = 97, fracs 0.3..0.9) and count agreement

Cells of the grokked table: one mark per seed, ✔ where the run grokked, else its best mean test
accuracy; ✔✔✔ when every seed grokked; …0.42 is a run still going (best so far); · a seed not run.";

#[derive(Debug, Clone, Args)]
#[command(after_help = REPORT_EXAMPLES)]
pub struct ReportArgs {
    /// A `modgrok sweep --out` directory (one run directory per grid point)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write the files without printing the Markdown
    #[arg(long, short)]
    pub quiet: bool,
    /// Add a section comparing each cell with the paper's Table 5 verdict, where the paper's
    /// text names the cell's column (the elementary block)
    #[arg(long)]
    pub paper: bool,
    /// Count a run as grokked once its mean test accuracy reached T at a logged step (steps to
    /// grok: the first such step), finished or not [default: the run's own criterion, test
    /// accuracy held >= its --grok-threshold to its end]
    #[arg(long, value_name = "T")]
    pub grok_at: Option<f64>,
}

/// One run directory, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub run: String,
    pub op: String,
    /// The table row: the op, plus the transfer setting if any (`subtract ← add PT-E`).
    pub label: String,
    pub p: u64,
    pub frac: f64,
    pub seed: u64,
    /// The split's operands, `reference` or `field` (a config without the field).
    pub pairs: String,
    /// `report.json` exists.
    pub finished: bool,
    /// Judged by `report --grok-at`: `steps_to_grok` is the first step that reached it.
    pub by_threshold: bool,
    pub final_step: Option<u64>,
    pub steps_to_memorise: Option<u64>,
    pub steps_to_grok: Option<u64>,
    pub final_test_acc: Option<f64>,
    /// Largest mean test accuracy in `metrics.csv`.
    pub best_test_acc: Option<f64>,
    /// Last finite value of the `emb_ffs` / `emb_fcr` columns, if the run has them.
    pub emb_ffs: Option<f64>,
    pub emb_fcr: Option<f64>,
}

impl RunRow {
    pub fn grokked(&self) -> bool {
        (self.finished || self.by_threshold) && self.steps_to_grok.is_some()
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The label of a transfer run (SPEC §4): PT-E, PT-T, a frozen random embedding, or the groups.
fn transfer_label(op: &str, t: &Value) -> Option<String> {
    let groups = |k: &str| -> Vec<&str> {
        t[k].as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let (load, freeze) = (groups("load"), groups("freeze"));
    if load.is_empty() && freeze.is_empty() {
        return None;
    }
    let source = t["source"]["op"].as_str().unwrap_or("?");
    Some(match (load.as_slice(), freeze.as_slice()) {
        (["embed"], ["embed"]) => format!("{op} ← {source} PT-E"),
        (["transformer"], ["transformer"]) => format!("{op} ← {source} PT-T"),
        ([], ["embed"]) => format!("{op} frozen random W_E"),
        ([], f) => format!("{op} frozen {}", f.join("+")),
        (l, f) => format!(
            "{op} ← {source} load {} freeze {}",
            l.join("+"),
            f.join("+")
        ),
    })
}

/// What `read_run` takes from `metrics.csv`.
#[derive(Default)]
struct MetricsSummary {
    best_test_acc: Option<f64>,
    emb_ffs: Option<f64>,
    emb_fcr: Option<f64>,
    /// First step whose `test_acc` reached the `--grok-at` threshold.
    reached: Option<u64>,
}

/// Last finite value of each named column, the largest `test_acc`, and the first step whose
/// `test_acc` reached `grok_at`.
fn read_metrics(path: &Path, grok_at: Option<f64>) -> MetricsSummary {
    let Ok(text) = std::fs::read_to_string(path) else {
        return MetricsSummary::default();
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| header.iter().position(|&h| h == name);
    let (acc, ffs, fcr) = (col("test_acc"), col("emb_ffs"), col("emb_fcr"));
    let (mut best, mut last_ffs, mut last_fcr) = (None::<f64>, None, None);
    let mut reached = None;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != header.len() {
            continue;
        }
        let get = |i: Option<usize>| {
            i.and_then(|i| cells[i].parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        if let Some(a) = get(acc) {
            best = Some(best.map_or(a, |b| b.max(a)));
            if reached.is_none() && grok_at.is_some_and(|t| a >= t) {
                reached = cells[0].parse::<u64>().ok();
            }
        }
        last_ffs = get(ffs).or(last_ffs);
        last_fcr = get(fcr).or(last_fcr);
    }
    MetricsSummary {
        best_test_acc: best,
        emb_ffs: last_ffs,
        emb_fcr: last_fcr,
        reached,
    }
}

/// Reads one run directory, or says why its config.json cannot be read. With `grok_at`, the
/// run is judged by the first logged step whose mean test accuracy reached it.
pub fn read_run(dir: &Path, grok_at: Option<f64>) -> Result<RunRow, String> {
    let cfg = read_json(&dir.join("config.json"))
        .ok_or("config.json is not readable JSON (damaged or edited by hand)")?;
    let missing = |k: &str| format!("config.json has no valid `{k}`");
    let op = cfg["op"].as_str().ok_or_else(|| missing("op"))?.to_string();
    let report = read_json(&dir.join("report.json"));
    let field = |k: &str| report.as_ref().and_then(|r| r[k].as_u64());
    let m = read_metrics(&dir.join("metrics.csv"), grok_at);
    Ok(RunRow {
        run: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        label: transfer_label(&op, &cfg["transfer"]).unwrap_or_else(|| op.clone()),
        op,
        p: cfg["p"].as_u64().ok_or_else(|| missing("p"))?,
        frac: cfg["frac"].as_f64().ok_or_else(|| missing("frac"))?,
        seed: cfg["seed"].as_u64().ok_or_else(|| missing("seed"))?,
        pairs: cfg["pairs"].as_str().unwrap_or("field").to_string(),
        finished: report.is_some(),
        by_threshold: grok_at.is_some(),
        final_step: field("final_step"),
        steps_to_memorise: field("steps_to_memorise"),
        steps_to_grok: if grok_at.is_some() {
            m.reached
        } else {
            field("steps_to_grok")
        },
        final_test_acc: report.as_ref().and_then(|r| r["final_test_acc"].as_f64()),
        best_test_acc: m.best_test_acc,
        emb_ffs: m.emb_ffs,
        emb_fcr: m.emb_fcr,
    })
}

/// The run directories under a report's directory: those read, and those whose config.json
/// could not be read (name, reason).
pub struct Runs {
    pub runs: Vec<RunRow>,
    pub unreadable: Vec<(String, String)>,
}

/// Every run directory directly under `dir` (one with a config.json), sorted by name (see
/// [`read_run`] for `grok_at`).
pub fn read_runs(dir: &Path, grok_at: Option<f64>) -> Result<Runs, HostError> {
    if dir.exists() && !dir.is_dir() {
        return Err(HostError::Usage(format!(
            "{} is a file, not a directory: pass the --out of a `modgrok sweep`",
            dir.display()
        )));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => HostError::Usage(format!(
            "{} does not exist: pass the --out of a `modgrok sweep`",
            dir.display()
        )),
        _ => HostError::Io {
            path: dir.to_path_buf(),
            source: e,
        },
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("config.json").is_file())
        .collect();
    paths.sort();
    let (mut runs, mut unreadable) = (Vec::new(), Vec::new());
    for p in &paths {
        match read_run(p, grok_at) {
            Ok(r) => runs.push(r),
            Err(why) => {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                unreadable.push((name.into_owned(), why));
            }
        }
    }
    if mixes_pairs(&runs) {
        for r in &mut runs {
            let _ = write!(r.label, " ({} pairs)", r.pairs);
        }
    }
    if paths.is_empty() {
        return Err(HostError::Usage(format!(
            "{} holds no run directories (none with a config.json): pass the --out of a `modgrok sweep`",
            dir.display()
        )));
    }
    Ok(Runs { runs, unreadable })
}

/// The section listing the runs that could not be read.
fn unreadable_markdown(unreadable: &[(String, String)]) -> String {
    let mut s = String::from(
        "\n## Runs that could not be read\n\nLeft out of every table above; fix or move them.\n\n",
    );
    for (name, why) in unreadable {
        let _ = writeln!(s, "- `{name}`: {why}");
    }
    s
}

/// Whether the runs trained on both kinds of pairs; their rows then say which.
fn mixes_pairs(runs: &[RunRow]) -> bool {
    runs.windows(2).any(|w| w[0].pairs != w[1].pairs)
}

/// A row of the tables, in display order: p, the op's place in `ALL_OPS` (others after, by
/// text), the op, whether it is a transfer variant (after the plain op), the label.
type RowKey = (u64, usize, String, bool, String);

/// The runs arranged as a table: rows, fractions ascending, and the runs of each cell by seed.
pub struct Table {
    keys: Vec<RowKey>,
    pub fracs: Vec<f64>,
    cells: BTreeMap<(RowKey, u64), Vec<RunRow>>,
    /// More than one p: the tables get a p column.
    multi_p: bool,
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

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One line per run.
pub fn csv(runs: &[RunRow]) -> String {
    let mut s = String::from(
        "run,op,label,p,frac,seed,pairs,finished,grokked,final_step,steps_to_memorise,steps_to_grok,final_test_acc,best_test_acc,emb_ffs,emb_fcr\n",
    );
    let u = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:?}"));
    for r in runs {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.run),
            csv_field(&r.op),
            csv_field(&r.label),
            r.p,
            r.frac,
            r.seed,
            r.pairs,
            r.finished,
            r.grokked(),
            u(r.final_step),
            u(r.steps_to_memorise),
            u(r.steps_to_grok),
            f(r.final_test_acc),
            f(r.best_test_acc),
            f(r.emb_ffs),
            f(r.emb_fcr),
        );
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The grokked table as an SVG grid: one row per op, one column per fraction, each cell
/// coloured by the share of its seeds that grokked (grey none … green all) and labelled with
/// the Markdown cell.
pub fn svg(title: &str, runs: &[RunRow]) -> String {
    let t = Table::new(runs);
    let (cell_h, top, pad) = (22.0, 64.0, 10.0);
    let longest = (0..t.keys.len())
        .flat_map(|i| t.fracs.iter().map(move |&f| (i, f)))
        .map(|(i, f)| t.grok_cell(i, f).chars().count())
        .max()
        .unwrap_or(3);
    let cell_w = (7.5 * longest as f64 + 14.0).max(56.0);
    let label_w = 7.0
        * t.rows()
            .map(|(p, l)| {
                l.chars().count()
                    + if t.multi_p {
                        8 + p.to_string().len()
                    } else {
                        0
                    }
            })
            .max()
            .unwrap_or(4) as f64
        + 2.0 * pad;
    // Wide enough for the footnote.
    let width = (label_w + cell_w * t.fracs.len() as f64 + pad).max(440.0);
    let height = top + cell_h * t.keys.len() as f64 + 52.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{pad}\" y=\"20\" font-size=\"15\">{}</text>\n\
         <text x=\"{label_w:.0}\" y=\"{:.0}\" fill=\"#444\">train fraction →</text>\n",
        xml_escape(title),
        top - 26.0
    );
    for (j, f) in t.fracs.iter().enumerate() {
        let x = label_w + cell_w * (j as f64 + 0.5);
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.0}\" text-anchor=\"middle\">{f}</text>",
            top - 6.0
        );
    }
    // Grey (none grokked) to green (all grokked), linear in sRGB.
    let colour = |share: f64| {
        let (a, b) = ([0xe8, 0xe8, 0xe8], [0x1a, 0x98, 0x50]);
        let c: Vec<u8> = (0..3)
            .map(|k| (a[k] as f64 + (b[k] as f64 - a[k] as f64) * share).round() as u8)
            .collect();
        format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
    };
    for (i, (p, label)) in t.rows().enumerate() {
        let y = top + cell_h * i as f64;
        let name = if t.multi_p {
            format!("{label} (p = {p})")
        } else {
            label.to_string()
        };
        let _ = writeln!(
            s,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            label_w - pad,
            y + cell_h * 0.7,
            xml_escape(&name)
        );
        for (j, &f) in t.fracs.iter().enumerate() {
            let x = label_w + cell_w * j as f64;
            let share = t.grok_share(i, f);
            let fill = share.map_or("white".to_string(), colour);
            let ink = if share.unwrap_or(0.0) > 0.6 {
                "white"
            } else {
                "black"
            };
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w}\" height=\"{cell_h}\" fill=\"{fill}\" stroke=\"white\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                x + cell_w / 2.0,
                y + cell_h * 0.7,
                xml_escape(&t.grok_cell(i, f))
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{pad}\" y=\"{:.0}\" fill=\"#444\" font-size=\"11\">colour: share of seeds grokked \
         (grey none, green all)</text>\n<text x=\"{pad}\" y=\"{:.0}\" fill=\"#444\" font-size=\"11\">\
         ✔ a seed that grokked; a number: the best test accuracy of one that did not</text>\n</svg>",
        height - 26.0,
        height - 10.0
    );
    s
}

/// Reads `args.dir`, writes report.md, report.csv and report.svg there, and returns the
/// Markdown.
pub fn run(args: &ReportArgs) -> Result<String, HostError> {
    if let Some(t) = args.grok_at.filter(|t| !(0.0..=1.0).contains(t)) {
        return Err(HostError::Usage(format!(
            "--grok-at {t} must lie in [0, 1]: a test accuracy"
        )));
    }
    let Runs { runs, unreadable } = read_runs(&args.dir, args.grok_at)?;
    let mut md = markdown(&args.dir, &runs, args.grok_at);
    if args.paper {
        md.push_str(&paper_markdown(&paper_cells(&runs)));
    }
    if !unreadable.is_empty() {
        md.push_str(&unreadable_markdown(&unreadable));
    }
    fsio::write_atomic(&args.dir.join("report.md"), md.as_bytes())?;
    fsio::write_atomic(&args.dir.join("report.csv"), csv(&runs).as_bytes())?;
    let title = format!("grokked runs in {}", args.dir.display());
    fsio::write_atomic(&args.dir.join("report.svg"), svg(&title, &runs).as_bytes())?;
    if let Some((name, why)) = unreadable.first() {
        return Err(HostError::BadRunDir {
            path: args.dir.clone(),
            reason: format!(
                "{} run directories could not be read (first {name}: {why}); report.md lists them under the tables: fix or move them, then report again",
                unreadable.len()
            ),
        });
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(op: &str, frac: f64, seed: u64, grok: Option<u64>, finished: bool) -> RunRow {
        RunRow {
            run: format!("{op}_p97_f{frac}_s{seed}"),
            op: op.into(),
            label: op.into(),
            p: 97,
            frac,
            seed,
            pairs: "reference".into(),
            finished,
            by_threshold: false,
            final_step: Some(5000),
            steps_to_memorise: Some(300),
            steps_to_grok: grok,
            final_test_acc: Some(if grok.is_some() { 1.0 } else { 0.4 }),
            best_test_acc: Some(if grok.is_some() { 1.0 } else { 0.456 }),
            emb_ffs: None,
            emb_fcr: None,
        }
    }

    #[test]
    fn cells_mark_grokked_seeds_and_summarise_steps() {
        let runs = [
            row("multiply", 0.3, 0, Some(3000), true),
            row("add", 0.3, 0, Some(1000), true),
            row("add", 0.3, 1, Some(2000), true),
            row("add", 0.3, 2, Some(4000), true),
            row("add", 0.5, 0, Some(800), true),
            row("add", 0.5, 1, None, true),
            row("add", 0.5, 2, None, false),
        ];
        let t = Table::new(&runs);
        let rows: Vec<(u64, &str)> = t.rows().collect();
        assert_eq!(rows, [(97, "add"), (97, "multiply")], "ALL_OPS order");
        assert_eq!(t.fracs, [0.3, 0.5]);
        assert_eq!(t.grok_cell(0, 0.3), "✔✔✔");
        assert_eq!(t.grok_cell(0, 0.5), "✔ 0.46 …0.46");
        assert_eq!(t.grok_cell(1, 0.3), "✔ · ·");
        assert_eq!(t.grok_cell(1, 0.5), "·");
        assert_eq!(t.steps_cell(0, 0.3), "2333 (1000–4000)");
        assert_eq!(t.steps_cell(0, 0.5), "800 [1/3]");
        assert_eq!(t.grok_share(0, 0.5), Some(0.5));
        let md = markdown(Path::new("sweep"), &runs, None);
        assert!(md.contains("| op | 0.3 | 0.5 |\n"), "{md}");
        assert!(md.contains("| add | ✔✔✔ | ✔ 0.46 …0.46 |\n"), "{md}");
        assert!(!md.contains("FFS"), "no FFS table without the columns");
        let svg = svg("t", &runs);
        assert!(svg.starts_with("<svg") && svg.contains(">multiply<"));
        assert_eq!(csv(&runs).lines().count(), 8);
    }

    #[test]
    fn paper_cells_take_the_majority_of_seeds_and_count_agreement() {
        let mut runs = vec![
            // add 0.3: all grokked, the paper ✔: agree.
            row("add", 0.3, 0, Some(3000), true),
            row("add", 0.3, 1, Some(3000), true),
            row("add", 0.3, 2, Some(3000), true),
            // division 0.3: one of three grokked, the paper 3.1%: agree (not grokked).
            row("division", 0.3, 0, Some(9000), true),
            row("division", 0.3, 1, None, true),
            row("division", 0.3, 2, None, true),
            // division 0.4: two of three grokked, the paper 9.0%: disagree.
            row("division", 0.4, 0, Some(9000), true),
            row("division", 0.4, 1, Some(9000), true),
            row("division", 0.4, 2, None, true),
            // subtract 0.5: one run still going: pending.
            row("subtract", 0.5, 0, Some(2000), true),
            row("subtract", 0.5, 1, None, false),
            // Not in the encoded table.
            row("x2_y", 0.3, 0, Some(2000), true),
        ];
        let mut pte = row("add", 0.4, 0, None, true);
        pte.label = "add ← add PT-E".into();
        runs.push(pte);
        let mut field = row("add", 0.3, 3, None, true);
        field.pairs = "field".into();
        runs.push(field);
        let cells = paper_cells(&runs);
        let got: Vec<(&str, f64, Option<bool>)> =
            cells.iter().map(|c| (c.op, c.frac, c.agrees())).collect();
        assert_eq!(
            got,
            [
                ("add", 0.3, Some(true)),
                ("subtract", 0.5, None),
                ("division", 0.3, Some(true)),
                ("division", 0.4, Some(false)),
            ]
        );
        assert_eq!(
            cells[0].runs.len(),
            3,
            "the field run of the cell is left out"
        );
        let md = paper_markdown(&cells);
        assert!(
            md.contains("| division | 0.3 | 3.1% | ✔ 45.6% 45.6% | yes |"),
            "{md}"
        );
        assert!(
            md.contains("| division | 0.4 | 9.0% | ✔ ✔ 45.6% | **no** |"),
            "{md}"
        );
        assert!(
            md.contains("| subtract | 0.5 | ✔ | ✔ …45.6% | pending |"),
            "{md}"
        );
        assert!(
            md.contains("2 of 3 finished cells agree with the paper; 1 pending."),
            "{md}"
        );
    }

    #[test]
    fn a_directory_mixing_both_pairs_says_which_each_row_used() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, pairs: Option<&str>| {
            let d = dir.path().join(name);
            std::fs::create_dir(&d).unwrap();
            let mut cfg = serde_json::json!({"op": "add", "p": 97, "frac": 0.3, "seed": 0});
            if let Some(p) = pairs {
                cfg["pairs"] = p.into();
            }
            std::fs::write(d.join("config.json"), cfg.to_string()).unwrap();
        };
        write("a", Some("reference"));
        let runs = read_runs(dir.path(), None).unwrap().runs;
        assert_eq!(runs[0].label, "add");
        assert!(markdown(dir.path(), &runs, None).contains("pairs reference."));
        write("b", None);
        let runs = read_runs(dir.path(), None).unwrap().runs;
        // A damaged config: listed, with its reason, and the report fails after writing.
        let bad = dir.path().join("c");
        std::fs::create_dir(&bad).unwrap();
        std::fs::write(bad.join("config.json"), "{ not json").unwrap();
        let read = read_runs(dir.path(), None).unwrap();
        assert_eq!(read.runs.len(), 2);
        assert_eq!(read.unreadable.len(), 1);
        assert!(read.unreadable[0].1.contains("not readable JSON"));
        let args = ReportArgs {
            dir: dir.path().to_path_buf(),
            quiet: true,
            paper: false,
            grok_at: None,
        };
        let err = super::run(&args).unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(
            err.to_string()
                .contains("first c: config.json is not readable"),
            "{err}"
        );
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(md.contains("## Runs that could not be read\n") && md.contains("- `c`: "));
        std::fs::remove_dir_all(&bad).unwrap();
        let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["add (reference pairs)", "add (field pairs)"]);
        let t = Table::new(&runs);
        assert_eq!(t.rows().count(), 2);
    }

    #[test]
    fn grok_at_judges_runs_by_the_first_logged_step_that_reached_it() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("subtract_p97_f0.4_s0");
        std::fs::create_dir(&sub).unwrap();
        let cfg = serde_json::json!({"op": "subtract", "p": 97, "frac": 0.4, "seed": 0});
        std::fs::write(sub.join("config.json"), cfg.to_string()).unwrap();
        std::fs::write(
            sub.join("metrics.csv"),
            "step,train_loss,test_loss,train_acc,test_acc\n0,4,4,0.01,0.01\n\
             100,1,2,1,0.5\n200,0,0.1,1,0.991\n300,0,0.1,1,0.995\n",
        )
        .unwrap();
        // Unfinished, never held 0.999: running under the run's own criterion.
        let own = read_runs(dir.path(), None).unwrap().runs;
        assert!(!own[0].grokked() && own[0].steps_to_grok.is_none());
        assert_eq!(Table::new(&own).grok_cell(0, 0.4), "…0.99");
        let at = read_runs(dir.path(), Some(0.99)).unwrap().runs;
        assert!(at[0].grokked());
        assert_eq!(at[0].steps_to_grok, Some(200));
        assert_eq!(at[0].best_test_acc, Some(0.995));
        let cells = paper_cells(&at);
        assert_eq!(
            cells[0].agrees(),
            Some(true),
            "the paper marks subtract 0.4 grokked"
        );
        assert_eq!(
            read_runs(dir.path(), Some(0.999)).unwrap().runs[0].steps_to_grok,
            None
        );
        let args = ReportArgs {
            dir: dir.path().to_path_buf(),
            quiet: true,
            paper: true,
            grok_at: Some(1.5),
        };
        assert!(
            run(&args)
                .unwrap_err()
                .to_string()
                .contains("--grok-at 1.5")
        );
    }

    #[test]
    fn transfer_runs_get_their_own_rows_after_the_op() {
        let t =
            serde_json::json!({"load": ["embed"], "freeze": ["embed"], "source": {"op": "add"}});
        assert_eq!(transfer_label("x2_y2", &t).unwrap(), "x2_y2 ← add PT-E");
        let t = serde_json::json!({"load": [], "freeze": ["embed"]});
        assert_eq!(transfer_label("add", &t).unwrap(), "add frozen random W_E");
        assert_eq!(transfer_label("add", &Value::Null), None);
        let mut pte = row("add", 0.3, 0, None, true);
        pte.label = "add ← add PT-E".into();
        let runs = [
            pte,
            row("subtract", 0.3, 0, None, true),
            row("add", 0.3, 0, None, true),
        ];
        let t = Table::new(&runs);
        let labels: Vec<&str> = t.rows().map(|r| r.1).collect();
        assert_eq!(labels, ["add", "add ← add PT-E", "subtract"]);
    }
}
