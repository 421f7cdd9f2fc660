//! SVG figures of an analysis (SPEC §7): the embedding and neuron-logit-map spectra as grouped
//! bars (paper Fig. 3), in the additive and the multiplicative basis, and the 2-D logit-norm map
//! of each task.
use std::path::{Path, PathBuf};

use super::bases::Bases;
use super::compute::{Analysis, Spectrum};
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
