//! The files of `modgrok analyze --over-training`: `over_training.csv` and its figures.
use std::path::{Path, PathBuf};

use super::compute::AnalysisOptions;
use super::figures::write_over_training_figures;
use super::over_training::{OVER_TRAINING_FILE, OverTraining, over_training};
use crate::error::HostError;
use crate::fsio;
use crate::run::dir::RunDir;

/// What one `modgrok analyze --over-training` produced.
#[derive(Debug, Clone)]
pub struct OverTrainingOutput {
    pub table: OverTraining,
    pub out: PathBuf,
    /// Every file written, the CSV first.
    pub files: Vec<PathBuf>,
}

/// Measures `run` ([`over_training`]) and writes `over_training.csv` and the figures into `out`,
/// creating it.
pub fn write_over_training(
    run: &RunDir,
    out: &Path,
    opts: &AnalysisOptions,
) -> Result<OverTrainingOutput, HostError> {
    let table = over_training(run, opts)?;
    let cfg = run.read_config()?;
    std::fs::create_dir_all(out).map_err(HostError::io(out))?;
    let path = out.join(OVER_TRAINING_FILE);
    fsio::write_atomic(&path, table.csv().as_bytes())?;
    let mut files = vec![path];
    files.extend(write_over_training_figures(out, &table, &cfg)?);
    Ok(OverTrainingOutput {
        table,
        out: out.to_path_buf(),
        files,
    })
}
