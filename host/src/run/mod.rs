//! A run on disk (SPEC §7): its directory layout and lock, the crash-safe writes, the model and
//! optimizer files, `metrics.csv`, `report.json` and the curves drawn from them.
pub mod checkpoint;
pub mod curves;
pub mod dir;
pub mod lock;
pub mod metrics;
pub mod report;
pub mod tensor_file;
