//! modgrok-host: the `modgrok` CLI, the batched trainer on rayon, runs, checkpoints and reports.
//!
//! The trainer is a library so tests can run it in-process:
//! [`cli::TrainArgs::train`] (the parsed `modgrok train` flags), or [`train::train_new`] /
//! [`train::resume`] with a [`config::RunConfig`] and [`train::TrainOptions`].
pub mod analysis;
pub mod backend;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod curves;
pub mod dataset;
pub mod error;
pub mod export_fixed;
pub mod fsio;
pub mod grok;
pub mod huge;
pub mod label_stats;
pub mod lock;
pub mod metrics;
pub mod ops_cmd;
pub mod paper;
pub mod parallel;
pub mod plot;
pub mod presets;
pub mod progress;
pub mod report;
pub mod report_table;
pub mod run_dir;
pub mod sweep;
pub mod tensor_file;
pub mod train;
pub mod transfer;
