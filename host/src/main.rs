//! `modgrok`: parses the command line, runs it, and maps errors to one line and an exit status
//! (0 done, 1 failed while running, 2 bad usage).
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use modgrok_host::cli::{self, Cli};
use modgrok_host::error::EXIT_USAGE;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => e.exit(),
            _ => {
                let rendered = e.render().to_string();
                let first = rendered
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("error");
                // Point at the help of the verb given, if any.
                let verb = std::env::args()
                    .nth(1)
                    .filter(|v| Cli::command().find_subcommand(v).is_some())
                    .map_or(String::new(), |v| format!(" {v}"));
                eprintln!("{first} (see `modgrok{verb} --help`)");
                std::process::exit(EXIT_USAGE);
            }
        },
    };
    if let Err(e) = cli::run(&cli) {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
