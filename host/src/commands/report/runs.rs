//! A sweep's run directories read into one [`RunRow`] each: config.json, report.json and
//! metrics.csv by field and column name, so runs of other modgrok versions mix.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::HostError;

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
pub(super) fn transfer_label(op: &str, t: &Value) -> Option<String> {
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

/// Whether the runs trained on both kinds of pairs; their rows then say which.
pub(super) fn mixes_pairs(runs: &[RunRow]) -> bool {
    runs.windows(2).any(|w| w[0].pairs != w[1].pairs)
}
