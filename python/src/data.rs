//! The split of a run (SPEC §1–2), as the trainer builds it.
use modgrok_core::data::Example;
use modgrok_host::commands::ops;
use modgrok_host::commands::train::TrainArgs;
use modgrok_host::step::dataset::Dataset;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::to_py;

/// `modgrok ops --json`: every named operation with its formula, expression, op token, family,
/// admitted pairs and whether the paper's grid runs it.
#[pyfunction]
pub fn ops_json() -> String {
    ops::json()
}

/// One side of the split: tokens `[n, 3]` (`x, op, y`), labels `[n]` and task indices `[n]`,
/// each as little-endian i64 bytes.
type Side<'py> = (
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
);

/// The train and test examples of the run that these `modgrok train` flags describe, task-major
/// as the trainer holds them.
#[pyfunction]
pub fn split<'py>(py: Python<'py>, flags: Vec<String>) -> PyResult<(Side<'py>, Side<'py>)> {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let cfg = TrainArgs::from_flags(&flags)
        .and_then(|a| a.spec().derived())
        .map_err(to_py)?;
    let data = py.detach(|| Dataset::build(&cfg)).map_err(to_py)?;
    Ok((side(py, &data.train), side(py, &data.test)))
}

fn side<'py>(py: Python<'py>, examples: &[Example]) -> Side<'py> {
    let le = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&i64::from(x).to_le_bytes());
    let (mut tokens, mut labels, mut tasks) = (Vec::new(), Vec::new(), Vec::new());
    for e in examples {
        e.tokens.iter().for_each(|&t| le(&mut tokens, t));
        le(&mut labels, e.label);
        le(&mut tasks, u16::from(e.task));
    }
    (
        PyBytes::new(py, &tokens),
        PyBytes::new(py, &labels),
        PyBytes::new(py, &tasks),
    )
}
