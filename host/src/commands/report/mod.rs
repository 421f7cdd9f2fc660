//! `modgrok report DIR`: the runs of a sweep as the paper's Table 5 (rows: operations, columns:
//! train fractions), with steps to grok across seeds and the final FFS/FCR of the embedding.
//!
//! Writes `DIR/report.md` (also printed), `DIR/report.csv` (one row per run) and
//! `DIR/report.svg` (the grokked table as a colour grid). A run counts as grokked when its
//! `report.json` has `steps_to_grok`: the run ended inside a stretch of mean test accuracy
//! ≥ its `grok_threshold` (held for `patience` steps when it stopped early). Mixtures use the
//! mean test accuracy over their tasks. Every file is read by field and column name, so runs
//! written by other modgrok versions (with or without the `emb_ffs`/`emb_fcr` columns) mix.
mod files;
mod paper;
mod runs;
mod table;

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

pub use files::{csv, svg};
pub use paper::{PaperCell, paper_cells, paper_markdown};
pub use runs::{RunRow, Runs, read_run, read_runs};
pub use table::{Table, markdown};

use crate::error::HostError;
use crate::fsio;

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

/// report.csv's text for the runs under `dir` (one line per run that could be read), writing
/// nothing; `grok_at` as `--grok-at`.
pub fn csv_of(dir: &std::path::Path, grok_at: Option<f64>) -> Result<String, HostError> {
    check_grok_at(grok_at)?;
    Ok(csv(&read_runs(dir, grok_at)?.runs))
}

fn check_grok_at(grok_at: Option<f64>) -> Result<(), HostError> {
    match grok_at.filter(|t| !(0.0..=1.0).contains(t)) {
        Some(t) => Err(HostError::Usage(format!(
            "--grok-at {t} must lie in [0, 1]: a test accuracy"
        ))),
        None => Ok(()),
    }
}

/// Reads `args.dir`, writes report.md, report.csv and report.svg there, and returns the
/// Markdown.
pub fn run(args: &ReportArgs) -> Result<String, HostError> {
    check_grok_at(args.grok_at)?;
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
mod tests;
