//! The `modgrok` command line: one subcommand per verb, defaults shown in `--help`.
use std::io::Write;

use clap::{Parser, Subcommand};

use crate::commands::train::TrainArgs;
use crate::error::HostError;
use crate::train::Outcome;

#[derive(Debug, Parser)]
#[command(
    name = "modgrok",
    version,
    about = "Grokking in modular arithmetic: train and inspect one-layer transformers on x∘y mod p"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on one operation or a mixture, writing a run directory
    Train(TrainArgs),
    /// List every named operation: formula, op token, the paper's family
    Ops(crate::commands::ops::OpsArgs),
    /// Train a grid of runs (ops × p × fracs × seeds, or a preset), sharded, resumable
    Sweep(crate::commands::sweep::SweepArgs),
    /// Tabulate a sweep's runs as the paper's Table 5: report.md, report.csv, report.svg
    Report(crate::commands::report::ReportArgs),
    /// Fourier analysis of a trained model: spectra, FFS, FCR, key frequencies, logit
    /// components, restricted / excluded / Table 4 losses; writes analysis.json and figures
    Analyze(crate::commands::analyze::AnalyzeArgs),
    /// KL divergence between train and test label distributions, and their entropies, over
    /// split seeds (paper App. K)
    LabelStats(crate::commands::label_stats::LabelStatsArgs),
    /// Quantise a model to the fixed-point file that core's no_std path and the C interface
    /// load (weights I4F12), and check its answers against the f32 model on every input
    ExportFixed(crate::commands::export_fixed::ExportFixedArgs),
}

/// Runs a parsed command, printing its summary to stdout.
pub fn run(cli: &Cli) -> Result<(), HostError> {
    match &cli.command {
        Command::Train(args) => {
            let outcome = args.train()?;
            let text = match (&outcome, args.json) {
                (Outcome::Finished(report), true) => {
                    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
                }
                (Outcome::Finished(report), false) if !args.quiet => report.text(),
                (Outcome::Halted { step }, true) => format!("{{\"halted_after\": {step}}}\n"),
                (Outcome::Halted { step }, false) if !args.quiet => {
                    format!("halted after step {step}; continue with --resume\n")
                }
                _ => String::new(),
            };
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(HostError::io("<stdout>"))
        }
        Command::Ops(args) => print_stdout(&args.output()),
        Command::Sweep(args) => {
            if args.list {
                return print_stdout(&crate::commands::sweep::list(args)?);
            }
            let summary = crate::commands::sweep::run(args)?;
            if args.json {
                let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
                print_stdout(&(json + "\n"))?;
            } else if !args.quiet {
                print_stdout(&summary.text())?;
            }
            summary.check()
        }
        Command::Report(args) => {
            let md = crate::commands::report::run(args)?;
            if args.quiet {
                Ok(())
            } else {
                print_stdout(&md)
            }
        }
        Command::Analyze(args) => print_stdout(&args.run()?),
        Command::LabelStats(args) => print_stdout(&args.run()?),
        Command::ExportFixed(args) => print_stdout(&args.stdout(&args.run()?)),
    }
}

/// Writes `text` to stdout and flushes it.
fn print_stdout(text: &str) -> Result<(), HostError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(HostError::io("<stdout>"))
}
