//! `modgrok._modgrok`, the native half of the Python module `modgrok`: the host trainer on a
//! worker thread ([`training`]), the split ([`data`]), core's forward and the model files
//! ([`model`]), and the Fourier analysis ([`analysis`]). The Python package (`python/modgrok/`)
//! turns its bytes into numpy arrays and its JSON into dicts.
//!
//! Every [`HostError`] arrives in Python as an exception with the CLI's one-line message
//! ([`errors`]); nothing here panics on the caller's input.
mod analysis;
mod data;
mod errors;
mod model;
mod training;

use pyo3::prelude::*;

#[pymodule]
fn _modgrok(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<training::Training>()?;
    m.add_function(wrap_pyfunction!(training::start_training, m)?)?;
    m.add_function(wrap_pyfunction!(training::start_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(training::sweep_list, m)?)?;
    m.add_function(wrap_pyfunction!(data::split, m)?)?;
    m.add_function(wrap_pyfunction!(data::ops_json, m)?)?;
    m.add_function(wrap_pyfunction!(model::read_model, m)?)?;
    m.add_function(wrap_pyfunction!(model::forward, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::analyze_file, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::analyze_weights, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::over_training, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::report_csv, m)?)?;
    Ok(())
}
