//! `pipec completions SHELL`: a completion script on stdout.

use clap::CommandFactory;

use crate::output::EXIT_OK;

/// Arguments of `pipec completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

/// Prints the script.
pub(crate) fn run(args: &Args) -> u8 {
    let mut command = crate::Cli::command();
    clap_complete::generate(args.shell, &mut command, "pipec", &mut std::io::stdout());
    EXIT_OK
}
