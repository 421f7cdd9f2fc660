//! Training curves of a run, drawn from its `metrics.csv`: `loss.svg` (log step, log loss) and
//! `accuracy.svg` (log step), train and test means, plus each task's test curve in a mixture;
//! `ffs_fcr.svg`, the Fourier progress measures with test accuracy on one linear step axis.
use std::path::Path;

use crate::config::RunConfig;
use crate::error::HostError;
use crate::plot::{self, Axes, Series};
use crate::run::dir::RunDir;

/// The header and the numeric rows of a CSV file (complete lines only).
pub fn read_table(path: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>), HostError> {
    let text = std::fs::read_to_string(path).map_err(HostError::io(path))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect::<Vec<f64>>()
        })
        .filter(|r| r.len() == header.len())
        .collect();
    Ok((header, rows))
}

/// Writes `loss.svg`, `accuracy.svg` and `ffs_fcr.svg` into the run directory.
pub fn write(dir: &RunDir, cfg: &RunConfig) -> Result<(), HostError> {
    let (header, rows) = read_table(&dir.metrics())?;
    let column = |name: &str| -> Vec<(f64, f64)> {
        match header.iter().position(|h| h == name) {
            Some(i) => rows.iter().map(|r| (r[0], r[i])).collect(),
            None => Vec::new(),
        }
    };
    let tasks = if cfg.tasks.len() > 1 {
        cfg.task_names()
    } else {
        Vec::new()
    };
    for (file, metric, axes) in [
        (
            "loss",
            "loss",
            Axes {
                log_x: true,
                log_y: true,
            },
        ),
        (
            "accuracy",
            "acc",
            Axes {
                log_x: true,
                log_y: false,
            },
        ),
    ] {
        // (legend, column)
        let mut curves = vec![
            ("train".to_string(), format!("train_{metric}")),
            ("test".to_string(), format!("test_{metric}")),
        ];
        curves.extend(
            tasks
                .iter()
                .map(|t| (format!("test {t}"), format!("test_{metric}.{t}"))),
        );
        let points: Vec<Vec<(f64, f64)>> = curves.iter().map(|(_, c)| column(c)).collect();
        let series: Vec<Series<'_>> = curves
            .iter()
            .zip(&points)
            .map(|((legend, _), p)| Series {
                name: legend.as_str(),
                points: p,
            })
            .collect();
        let title = format!(
            "{file}, {} mod {}, frac {}, seed {}",
            cfg.op, cfg.p, cfg.frac, cfg.seed
        );
        let path = dir.plot(file);
        plot::lines(&path, &title, "step", metric, &series, axes).map_err(HostError::plot)?;
    }
    write_fourier(&dir.metrics(), &dir.plot(FOURIER_PLOT), cfg)?;
    Ok(())
}

/// Stem of the FFS/FCR plot in a run directory.
pub const FOURIER_PLOT: &str = "ffs_fcr";

/// Draws the four Fourier columns of `metrics` (embedding and neuron-logit-map FFS and FCR, left
/// axis), and the embedding's multiplicative FFS where the file has it, with the mean test
/// accuracy (right axis) over a linear step axis, the grokking transition being where FFS falls
/// (addition) or FCR falls (multiplication; its multiplicative FFS falls). Returns false and
/// writes nothing when the file lacks the four columns (a run from before they existed).
pub fn write_fourier(metrics: &Path, path: &Path, cfg: &RunConfig) -> Result<bool, HostError> {
    let (header, rows) = read_table(metrics)?;
    let column = |name: &str| -> Option<Vec<(f64, f64)>> {
        let i = header.iter().position(|h| h == name)?;
        Some(rows.iter().map(|r| (r[0], r[i])).collect())
    };
    let names = [
        ("emb_ffs", "embedding FFS"),
        ("emb_fcr", "embedding FCR"),
        ("nlm_ffs", "W_L FFS"),
        ("nlm_fcr", "W_L FCR"),
    ];
    let Some(mut left) = names
        .iter()
        .map(|(c, _)| column(c))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(false);
    };
    let mut names = names.to_vec();
    if let Some(points) = column("emb_ffs_mult") {
        names.push(("emb_ffs_mult", "embedding FFS, multiplicative"));
        left.push(points);
    }
    let acc = column("test_acc").unwrap_or_default();
    let left: Vec<Series<'_>> = names
        .iter()
        .zip(&left)
        .map(|((_, legend), points)| Series {
            name: legend,
            points,
        })
        .collect();
    let right = [Series {
        name: "test accuracy",
        points: &acc,
    }];
    let title = format!(
        "FFS (ε = {}) and FCR, {} mod {}, frac {}, seed {}",
        cfg.ffs_eps, cfg.op, cfg.p, cfg.frac, cfg.seed
    );
    plot::lines_twin_y(
        path,
        &title,
        "step",
        ("FFS / FCR", &left),
        ("test accuracy", &right),
        false,
    )
    .map_err(HostError::plot)?;
    Ok(true)
}
