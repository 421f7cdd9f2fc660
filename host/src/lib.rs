//! modgrok-host: the `modgrok` CLI, the batched trainer on rayon, runs, checkpoints and reports.
//!
//! Layers, each importing only those above it:
//! - [`error`], [`fsio`] (crash-safe writes), [`presets`], [`paper`], [`plot`];
//! - [`config`]: the run config and the run flags, plain data;
//! - [`step`]: one training step on the CPU or the GPU;
//! - [`run`]: a run directory and its files;
//! - [`analysis`]: the Fourier measures of a model;
//! - [`train`]: the trainer, from a config to a finished run directory;
//! - [`commands`] and [`cli`]: the verbs of `modgrok`.
//!
//! The trainer is a library so tests can run it in-process:
//! [`commands::train::TrainArgs::train`] (the parsed `modgrok train` flags), or
//! [`train::train_new`] / [`train::resume`] with a [`config::RunConfig`] and
//! [`train::TrainOptions`].
pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod fsio;
pub mod paper;
pub mod plot;
pub mod presets;
pub mod run;
pub mod step;
pub mod train;
