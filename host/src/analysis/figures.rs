//! SVG figures of an analysis (SPEC §7): the embedding and neuron-logit-map spectra as grouped
//! bars (paper Fig. 3), in the additive and the multiplicative basis, the 2-D logit-norm map
//! of each task, and the progress measures over a run ([`write_over_training_figures`]).
use std::path::{Path, PathBuf};

use super::bases::Bases;
use super::compute::{Analysis, Spectrum};
use super::over_training::OverTraining;
use crate::config::RunConfig;
use crate::error::HostError;
use crate::plot::{self, Series};

/// File name of task `t`'s 2-D logit map: `logit_spectrum_2d.svg` for a single task,
/// `logit_spectrum_2d_task<t>.svg` in a mixture.
pub fn logit_map_name(a: &Analysis, t: usize) -> String {
    if a.tasks.len() == 1 {
        "logit_spectrum_2d.svg".into()
    } else {
        format!("logit_spectrum_2d_task{t}.svg")
    }
}

/// Writes into `out` the spectra of the bases in `basis`: `embedding_spectrum.svg` and
/// `neuron_logit_spectrum.svg` (additive), `embedding_spectrum_multiplicative.svg` and
/// `neuron_logit_spectrum_multiplicative.svg` (multiplicative, when `a` holds them); then the
/// logit maps. Returns their paths.
pub fn write_figures(out: &Path, a: &Analysis, basis: Bases) -> Result<Vec<PathBuf>, HostError> {
    let run = format!("{} mod {}, step {}", a.op, a.p, a.step);
    let mut written = Vec::new();
    let mut spectra = Vec::new();
    if basis.additive() {
        spectra.extend([
            (
                "embedding_spectrum.svg",
                "embedding W_E".to_string(),
                &a.embedding,
                "frequency k".to_string(),
            ),
            (
                "neuron_logit_spectrum.svg",
                "neuron-logit map W_L".to_string(),
                &a.neuron_logit_map,
                "frequency k".to_string(),
            ),
        ]);
    }
    if let Some(m) = a.multiplicative.as_ref().filter(|_| basis.multiplicative()) {
        let g = m.generator;
        let k_label = format!(
            "frequency k of i = log_{g} x (k = {} has no sine)",
            a.p.saturating_sub(1) / 2
        );
        spectra.extend([
            (
                "embedding_spectrum_multiplicative.svg",
                format!("embedding W_E, x = {g}^i"),
                &m.embedding,
                k_label.clone(),
            ),
            (
                "neuron_logit_spectrum_multiplicative.svg",
                format!("neuron-logit map W_L, x = {g}^i"),
                &m.neuron_logit_map,
                k_label,
            ),
        ]);
    }
    for (file, what, s, k_label) in spectra {
        let path = out.join(file);
        let title = format!(
            "{what}, {run}: FFS {:.3} (ε = {}), FCR {:.3}",
            s.ffs, a.ffs_eps, s.fcr
        );
        spectrum_figure(&path, &title, s, &k_label)?;
        written.push(path);
    }
    for (t, task) in a.tasks.iter().enumerate() {
        let path = out.join(logit_map_name(a, t));
        let p = a.p as usize;
        let data: Vec<f64> = task.logit_spectrum_2d.iter().flatten().copied().collect();
        let title = format!(
            "‖logit spectrum‖ over z, {} mod {}, step {}",
            task.task, a.p, a.step
        );
        plot::heatmap(
            &path,
            &title,
            &data,
            p,
            p,
            "y basis: c0, c1, s1, c2, s2, …",
            "x basis: c0, c1, s1, …",
        )
        .map_err(HostError::plot)?;
        written.push(path);
    }
    Ok(written)
}

fn spectrum_figure(path: &Path, title: &str, s: &Spectrum, k_label: &str) -> Result<(), HostError> {
    let bars = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .skip(1)
            .map(|(k, &x)| (k as f64, x))
            .collect()
    };
    let (cos, sin) = (bars(&s.alpha), bars(&s.beta));
    plot::spectrum_bars(
        path,
        title,
        k_label,
        "norm",
        &[
            Series {
                name: "cos α_k",
                points: &cos,
            },
            Series {
                name: "sin β_k",
                points: &sin,
            },
        ],
        &s.key_frequencies,
    )
    .map_err(HostError::plot)
}

/// File name of task `t`'s progress-measure figure: `over_training.svg` for a single task,
/// `over_training_task<t>.svg` in a mixture.
pub fn over_training_name(n_tasks: usize, t: usize) -> String {
    if n_tasks == 1 {
        "over_training.svg".into()
    } else {
        format!("over_training_task{t}.svg")
    }
}

/// Draws, per task, the progress measures of `ot` over a log-step axis: the restricted,
/// excluded, train and test losses and the weight norm, each divided by its largest value over
/// the run, and the FFS of the embedding and of the neuron-logit map (left axis, all in [0, 1]),
/// with the task's test accuracy (right axis). Returns the paths written.
pub fn write_over_training_figures(
    out: &Path,
    ot: &OverTraining,
    cfg: &RunConfig,
) -> Result<Vec<PathBuf>, HostError> {
    let mut written = Vec::new();
    let n_tasks = ot.task_names.len();
    let step = |r: &super::over_training::CheckpointMeasures| r.step as f64;
    for t in 0..n_tasks {
        let curve = |f: &dyn Fn(&super::over_training::CheckpointMeasures) -> f64| {
            ot.rows.iter().map(|r| (step(r), f(r))).collect::<Vec<_>>()
        };
        let mut left: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let normalised = [
            ("restricted loss", curve(&|r| r.tasks[t].restricted_loss)),
            ("excluded loss", curve(&|r| r.tasks[t].excluded_loss)),
            ("train loss", curve(&|r| r.tasks[t].train_loss)),
            ("test loss", curve(&|r| r.tasks[t].test_loss)),
            ("weight norm", curve(&|r| r.weight_norm)),
        ];
        for (name, points) in normalised {
            let max = points
                .iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .fold(f64::NAN, f64::max);
            let scaled = points.iter().map(|&(x, y)| (x, y / max)).collect();
            left.push((format!("{name} ÷ {max:.3}"), scaled));
        }
        left.push(("embedding FFS".into(), curve(&|r| r.fourier.emb_ffs)));
        left.push(("W_L FFS".into(), curve(&|r| r.fourier.nlm_ffs)));
        let acc = curve(&|r| r.tasks[t].test_acc);
        let left: Vec<Series<'_>> = left
            .iter()
            .map(|(name, points)| Series { name, points })
            .collect();
        let right = [Series {
            name: "test accuracy",
            points: &acc,
        }];
        let keys = ot.key_frequencies[t]
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let title = format!(
            "{} mod {}, frac {}, seed {}: key frequencies {{{keys}}} of step {}",
            ot.task_names[t], cfg.p, cfg.frac, cfg.seed, ot.final_step
        );
        let path = out.join(over_training_name(n_tasks, t));
        plot::lines_twin_y(
            &path,
            &title,
            "step",
            ("÷ max over the run; FFS", &left),
            ("test accuracy", &right),
            true,
        )
        .map_err(HostError::plot)?;
        written.push(path);
    }
    Ok(written)
}
