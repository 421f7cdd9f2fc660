//! `metrics.csv`: one row per logged step (SPEC §7). The row for step t holds the metrics at the
//! parameters after t updates (t = 0 is the init), computed in the forward of update t + 1
//! (SPEC §4). Floats are written in Rust's shortest round-trip form, so the bytes are a pure
//! function of the values and parse back to the same f64.
//!
//! Columns: `step`, mean `train_loss`, `test_loss`, `train_acc`, `test_acc`, per-task
//! `train_loss.<task>` … for a mixture, then the Fourier progress measures of SPEC §5 (with the
//! run's `ffs_eps`) `emb_ffs`, `emb_fcr` (embedding) and `nlm_ffs`, `nlm_fcr` (neuron-logit map),
//! `weight_norm`, and `emb_ffs_mult` (the embedding's FFS in the multiplicative basis).
//!
//! A run keeps the columns it started with ([`Columns`]): a new run gets every current one, and a
//! resume reads them back from the file's header, so a run written before `emb_ffs_mult` existed
//! continues without it, to the bytes it would have had.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use modgrok_core::MAX_TASKS;
use modgrok_core::model::EvalStats;

use crate::error::HostError;
use crate::fsio;

/// The metrics of one logged step.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub step: u64,
    pub train: EvalStats,
    pub test: EvalStats,
    /// FFS and FCR of the embedding and the neuron-logit map at these parameters.
    pub fourier: FourierMeasures,
    /// L2 norm of all parameters, summed in f64 in layout order.
    pub weight_norm: f64,
}

/// The Fourier progress measures of one step (SPEC §5), each in [0, 1]: FFS (1 = dense) and
/// FCR (1 = cosine and sine balanced) of the embedding's number rows and of the neuron-logit
/// map `W_U^T[0..p] · W_out`, and the embedding's FFS in the multiplicative basis. Computed by
/// [`crate::analysis::FourierProbe`].
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct FourierMeasures {
    pub emb_ffs: f64,
    pub emb_fcr: f64,
    pub nlm_ffs: f64,
    pub nlm_fcr: f64,
    /// FFS of the number tokens 1..p of W_E in the multiplicative (discrete-log) basis; `None`
    /// for a run whose metrics.csv has no `emb_ffs_mult` column ([`Columns`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emb_ffs_mult: Option<f64>,
}

/// The optional columns of a run's `metrics.csv`, fixed when the run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// `emb_ffs_mult`, after `weight_norm`.
    pub emb_ffs_mult: bool,
}

impl Columns {
    /// The columns of a run started by this build.
    pub const CURRENT: Columns = Columns { emb_ffs_mult: true };

    /// The columns a header line names.
    pub fn of_header(header: &str) -> Columns {
        let header = header.trim_end_matches(['\n', '\r']);
        Columns {
            emb_ffs_mult: header.split(',').any(|c| c == "emb_ffs_mult"),
        }
    }

    /// The columns of the `metrics.csv` at `path`, read from its first line.
    pub fn read(path: &Path) -> Result<Columns, HostError> {
        let text = std::fs::read_to_string(path).map_err(HostError::io(path))?;
        Ok(Columns::of_header(text.lines().next().unwrap_or("")))
    }
}

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Int(u64),
    Float(f64),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Int(v) => write!(f, "{v}"),
            Cell::Float(v) => write!(f, "{v:?}"),
        }
    }
}

impl MetricsRow {
    /// `(column, value)` in CSV order. The header is built from this same list, so a new column
    /// is one field and one push here. Means are over tasks; per-task columns
    /// `train_loss.<task>` … appear only for a mixture, `emb_ffs_mult` only when measured.
    pub fn cells(&self, task_names: &[String]) -> Vec<(String, Cell)> {
        let mut c = vec![
            ("step".to_string(), Cell::Int(self.step)),
            (
                "train_loss".to_string(),
                Cell::Float(self.train.mean_loss()),
            ),
            ("test_loss".to_string(), Cell::Float(self.test.mean_loss())),
            ("train_acc".to_string(), Cell::Float(self.train.mean_acc())),
            ("test_acc".to_string(), Cell::Float(self.test.mean_acc())),
        ];
        if task_names.len() > 1 {
            for (i, name) in task_names.iter().enumerate() {
                c.push((
                    format!("train_loss.{name}"),
                    Cell::Float(self.train.loss[i]),
                ));
                c.push((format!("test_loss.{name}"), Cell::Float(self.test.loss[i])));
                c.push((format!("train_acc.{name}"), Cell::Float(self.train.acc[i])));
                c.push((format!("test_acc.{name}"), Cell::Float(self.test.acc[i])));
            }
        }
        let f = &self.fourier;
        for (name, v) in [
            ("emb_ffs", f.emb_ffs),
            ("emb_fcr", f.emb_fcr),
            ("nlm_ffs", f.nlm_ffs),
            ("nlm_fcr", f.nlm_fcr),
        ] {
            c.push((name.to_string(), Cell::Float(v)));
        }
        c.push(("weight_norm".to_string(), Cell::Float(self.weight_norm)));
        if let Some(v) = f.emb_ffs_mult {
            c.push(("emb_ffs_mult".to_string(), Cell::Float(v)));
        }
        c
    }

    /// The CSV line, without the newline.
    pub fn line(&self, task_names: &[String]) -> String {
        join(self.cells(task_names).iter().map(|(_, v)| v.to_string()))
    }
}

/// The header line of a new run with these tasks, without the newline.
pub fn header(task_names: &[String]) -> String {
    header_for(task_names, Columns::CURRENT)
}

/// The header line for a run with these tasks and optional columns, without the newline.
pub fn header_for(task_names: &[String], columns: Columns) -> String {
    let zero = EvalStats {
        n_tasks: task_names.len(),
        loss: [0.0; MAX_TASKS],
        acc: [0.0; MAX_TASKS],
        count: [0; MAX_TASKS],
    };
    let row = MetricsRow {
        step: 0,
        train: zero,
        test: zero,
        fourier: FourierMeasures {
            emb_ffs_mult: columns.emb_ffs_mult.then_some(0.0),
            ..FourierMeasures::default()
        },
        weight_norm: 0.0,
    };
    join(row.cells(task_names).into_iter().map(|(k, _)| k))
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}

/// `sqrt(Σ x²)` over all parameters, in f64, in layout order.
pub fn weight_norm(params: &[f32]) -> f64 {
    params
        .iter()
        .map(|&x| (x as f64) * (x as f64))
        .sum::<f64>()
        .sqrt()
}

/// The columns a resume needs from a kept row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoggedRow {
    pub step: u64,
    pub train_acc: f64,
    pub test_acc: f64,
}

/// The appendable `metrics.csv` of a run.
pub struct MetricsLog {
    path: PathBuf,
    file: File,
}

impl MetricsLog {
    /// A new file holding only the header.
    pub fn create(path: &Path, header: &str) -> Result<Self, HostError> {
        fsio::write_atomic(path, format!("{header}\n").as_bytes())?;
        Self::open(path)
    }

    /// Opens an existing file for appending.
    pub fn open(path: &Path) -> Result<Self, HostError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(HostError::io(path))?;
        Ok(MetricsLog {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends one row in a single write.
    pub fn append(&mut self, line: &str) -> Result<(), HostError> {
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .map_err(HostError::io(&self.path))
    }

    /// Makes every appended row durable; called before a checkpoint is written, so a
    /// checkpoint at step t implies all rows before t are on disk.
    pub fn sync(&self) -> Result<(), HostError> {
        self.file.sync_data().map_err(HostError::io(&self.path))
    }

    /// Keeps the header and the rows with step < `before` (a torn last line is dropped),
    /// rewrites the file atomically with exactly those bytes, and returns the kept rows. The
    /// header must be `header` and the kept rows the steps 0, `log_every`, 2·`log_every`, …
    /// below `before`, or the file is left as it was.
    pub fn truncate_before(
        path: &Path,
        header: &str,
        before: u64,
        log_every: u64,
    ) -> Result<Vec<LoggedRow>, HostError> {
        let text = std::fs::read_to_string(path).map_err(HostError::io(path))?;
        let bad = |reason: String| HostError::BadRunDir {
            path: path.to_path_buf(),
            reason,
        };
        let mut lines = text.split_inclusive('\n');
        match lines.next() {
            Some(h) if h.trim_end_matches('\n') == header => {}
            _ => {
                return Err(bad(format!(
                    "header is not `{header}`: the file belongs to another run"
                )));
            }
        }
        let names: Vec<&str> = header.split(',').collect();
        let col = |name: &str| names.iter().position(|&n| n == name).unwrap_or(0);
        let (i_train, i_test) = (col("train_acc"), col("test_acc"));
        let mut kept = format!("{header}\n");
        let mut rows = Vec::new();
        for line in lines {
            let Some(body) = line.strip_suffix('\n') else {
                break;
            };
            let cells: Vec<&str> = body.split(',').collect();
            if cells.len() != names.len() {
                break;
            }
            let parsed = (|| {
                Some(LoggedRow {
                    step: cells[0].parse().ok()?,
                    train_acc: cells[i_train].parse().ok()?,
                    test_acc: cells[i_test].parse().ok()?,
                })
            })();
            let Some(row) = parsed else { break };
            if row.step >= before {
                break;
            }
            kept.push_str(line);
            rows.push(row);
        }
        let expected = (0..before).step_by(log_every.max(1) as usize);
        if rows.iter().map(|r| r.step).ne(expected) {
            return Err(bad(format!(
                "rows before step {before} are missing or out of order, so the run cannot continue exactly: start it again"
            )));
        }
        fsio::write_atomic(path, kept.as_bytes())?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(n_tasks: usize, loss: f64, acc: f64) -> EvalStats {
        let mut s = EvalStats {
            n_tasks,
            loss: [0.0; MAX_TASKS],
            acc: [0.0; MAX_TASKS],
            count: [1; MAX_TASKS],
        };
        for i in 0..n_tasks {
            s.loss[i] = loss + i as f64;
            s.acc[i] = acc;
        }
        s
    }

    #[test]
    fn header_has_per_task_columns_only_for_a_mixture() {
        assert_eq!(
            header(&["add".into()]),
            "step,train_loss,test_loss,train_acc,test_acc,emb_ffs,emb_fcr,nlm_ffs,nlm_fcr,weight_norm,emb_ffs_mult"
        );
        let h = header(&["add".into(), "x^2 + y".into()]);
        assert!(h.starts_with(
            "step,train_loss,test_loss,train_acc,test_acc,train_loss.add,test_loss.add,"
        ));
        assert!(
            h.ends_with(
                "test_acc.x^2 + y,emb_ffs,emb_fcr,nlm_ffs,nlm_fcr,weight_norm,emb_ffs_mult"
            ),
            "{h}"
        );
    }

    #[test]
    fn a_header_from_before_emb_ffs_mult_keeps_its_columns() {
        let old = "step,train_loss,test_loss,train_acc,test_acc,emb_ffs,emb_fcr,nlm_ffs,nlm_fcr,weight_norm";
        let columns = Columns::of_header(old);
        assert_eq!(
            columns,
            Columns {
                emb_ffs_mult: false
            }
        );
        assert_eq!(header_for(&["add".into()], columns), old);
        let new = header(&["add".into()]);
        assert_eq!(Columns::of_header(&format!("{new}\n")), Columns::CURRENT);
        let row = MetricsRow {
            step: 10,
            train: stats(1, 1.0, 0.5),
            test: stats(1, 2.0, 0.25),
            fourier: FourierMeasures::default(),
            weight_norm: 3.0,
        };
        assert_eq!(
            row.line(&["add".into()]),
            "10,1.0,2.0,0.5,0.25,0.0,0.0,0.0,0.0,3.0"
        );
        let row = MetricsRow {
            fourier: FourierMeasures {
                emb_ffs_mult: Some(0.125),
                ..FourierMeasures::default()
            },
            ..row
        };
        assert_eq!(
            row.line(&["add".into()]),
            "10,1.0,2.0,0.5,0.25,0.0,0.0,0.0,0.0,3.0,0.125"
        );
    }

    #[test]
    fn row_floats_round_trip_exactly() {
        let row = MetricsRow {
            step: 300,
            train: stats(1, 0.1 + 0.2, 1.0),
            test: stats(1, 1e-17, 0.123_456_789_012_345_68),
            fourier: FourierMeasures {
                emb_ffs: 0.25,
                emb_fcr: 1.0,
                nlm_ffs: 0.0,
                nlm_fcr: 0.1,
                emb_ffs_mult: None,
            },
            weight_norm: 12.5,
        };
        let line = row.line(&["add".into()]);
        assert_eq!(
            line,
            "300,0.30000000000000004,1e-17,1.0,0.12345678901234568,0.25,1.0,0.0,0.1,12.5"
        );
        let back: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
        assert_eq!(back, row.test.acc[0]);
    }

    #[test]
    fn truncate_keeps_rows_before_step_and_drops_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        let names = ["add".to_string()];
        let h = header(&names);
        let mut log = MetricsLog::create(&path, &h).unwrap();
        for step in [0, 10, 20, 30] {
            let row = MetricsRow {
                step,
                train: stats(1, 1.0, 0.5),
                test: stats(1, 2.0, 0.25),
                fourier: FourierMeasures {
                    emb_ffs_mult: Some(0.5),
                    ..FourierMeasures::default()
                },
                weight_norm: 3.0,
            };
            log.append(&row.line(&names)).unwrap();
        }
        let full = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{full}40,0.1,0.")).unwrap();
        let before = std::fs::read(&path).unwrap();
        // Rows 0, 10, 20 are there, but not every 5: refused, and the file is left alone.
        assert!(MetricsLog::truncate_before(&path, &h, 25, 5).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let rows = MetricsLog::truncate_before(&path, &h, 25, 10).unwrap();
        assert_eq!(rows.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 10, 20]);
        assert_eq!(rows[1].test_acc, 0.25);
        let kept = std::fs::read_to_string(&path).unwrap();
        assert_eq!(kept.lines().count(), 4);
        assert!(full.starts_with(&kept));
        assert!(MetricsLog::truncate_before(&path, "step,other", 25, 10).is_err());
    }
}
