//! The verbs of `modgrok`, each with its flags and what it prints.
pub mod analyze;
pub mod export_fixed;
pub mod label_stats;
pub mod ops;
pub mod report;
pub mod sweep;
pub mod train;

use clap::{Args, FromArgMatches};

use crate::error::HostError;

/// Parses the flags of verb `name` (without the program and verb) into its arguments, for
/// running a verb in-process; a bad flag is [`HostError::Usage`] with clap's first line.
pub(crate) fn parse_flags<T: Args + FromArgMatches>(
    name: &str,
    flags: &[&str],
) -> Result<T, HostError> {
    let cmd = T::augment_args(clap::Command::new(name.to_string()));
    let argv = std::iter::once(name).chain(flags.iter().copied());
    cmd.try_get_matches_from(argv)
        .and_then(|m| T::from_arg_matches(&m))
        .map_err(|e| {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            HostError::Usage(first.trim_start_matches("error: ").to_string())
        })
}
