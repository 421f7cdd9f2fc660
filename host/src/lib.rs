//! modgrok-host: the `modgrok` CLI, the batched trainer on rayon, runs, checkpoints and reports.
//!
//! The trainer is a library so tests can run it in-process:
//! [`commands::train::TrainArgs::train`] (the parsed `modgrok train` flags), or [`train::train_new`] /
//! [`train::resume`] with a [`config::RunConfig`] and [`train::TrainOptions`].
pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod paper;
pub mod plot;
pub mod presets;
pub mod run;
pub mod step;
pub mod train;
