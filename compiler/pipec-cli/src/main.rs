//! The `pipec` binary: parses the command line and dispatches to one module per verb. This is
//! the only crate that prints; library crates return values and diagnostics.

mod aws;
mod commands;
mod compile;
mod outdir;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `pipec --version`: the crate version and the git revision it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("PIPEC_GIT_REV"),
    ")"
);

/// pipec compiles `.pipe` files into AWS delivery pipelines (CloudFormation, buildspec,
/// appspec and hook scripts) and deploys them.
#[derive(Debug, Parser)]
#[command(
    name = "pipec",
    version = VERSION,
    about,
    propagate_version = true,
    max_term_width = 100,
    after_help = "`pipec help <COMMAND>` or `pipec <COMMAND> --help` shows a command's options."
)]
pub(crate) struct Cli {
    /// When to use colors: auto (when stderr is a terminal and NO_COLOR is unset), always, never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = output::ColorChoice::Auto,
        hide_possible_values = true
    )]
    pub(crate) color: output::ColorChoice,
    /// Same as `--color never`.
    #[arg(long, global = true)]
    pub(crate) no_color: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Parse, resolve, type-check and lint a file; print diagnostics.
    Check(commands::check::Args),
    /// Check, then write the CloudFormation template, buildspecs, appspecs, hook scripts and manifest.
    Build(commands::build::Args),
    /// Compare the build with the deployed stack through a change set; print the diff.
    Plan(commands::plan::Args),
    /// Plan, confirm, execute the change set and follow it; print the outputs.
    Apply(commands::apply::Args),
    /// Delete the stack after confirmation; list the retained resources.
    Destroy(commands::destroy::Args),
    /// Print the deployed stack's outputs.
    Outputs(commands::outputs::Args),
    /// Start the deployed pipeline; `--wait` follows it stage by stage.
    Release(commands::release::Args),
    /// Show the pipeline's latest executions, stages and actions; failures at their `.pipe` lines.
    Status(commands::status::Args),
    /// Show a build's log by phase or a deploy's lifecycle events, failures at their `.pipe` lines.
    Logs(commands::logs::Args),
    /// Push the current git repository to the pipeline's CodeCommit repository.
    Push(commands::push::Args),
    /// Print files in the canonical layout, or rewrite them in place.
    Fmt(commands::fmt::Args),
    /// Run the pipeline on this machine (`--local`): build, deploy into a sandbox, no AWS.
    Run(commands::run::Args),
    /// Print the long description of a diagnostic code (`P2003` or `unresolved-reference`).
    Explain(commands::explain::Args),
    /// Print the pipeline as a picture: stages, actions and the resources each uses.
    Graph(commands::graph::Args),
    /// Run the language server on stdin/stdout (for editors).
    Lsp(LspArgs),
    /// Print a shell completion script.
    Completions(commands::completions::Args),
}

/// `pipec lsp`: the language server always speaks on stdin/stdout. The flags that language
/// clients add by convention are accepted, so an editor can start it as it starts any server.
#[derive(Debug, clap::Args)]
pub(crate) struct LspArgs {
    /// Use stdin/stdout (the only transport; accepted because clients such as
    /// vscode-languageclient add it).
    #[arg(long)]
    stdio: bool,
    /// The editor's process id (accepted and ignored: `initialize` carries it too).
    #[arg(long = "clientProcessId", value_name = "PID")]
    client_process_id: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = output::color_choice(cli.color, cli.no_color);
    let code = match cli.command {
        Command::Check(args) => commands::check::run(&args, color),
        Command::Build(args) => commands::build::run(&args, color),
        Command::Plan(args) => commands::plan::run(&args, color),
        Command::Apply(args) => commands::apply::run(&args, color),
        Command::Destroy(args) => commands::destroy::run(&args, color),
        Command::Outputs(args) => commands::outputs::run(&args, color),
        Command::Release(args) => commands::release::run(&args, color),
        Command::Status(args) => commands::status::run(&args, color),
        Command::Logs(args) => commands::logs::run(&args, color),
        Command::Push(args) => commands::push::run(&args, color),
        Command::Fmt(args) => commands::fmt::run(&args, color),
        Command::Run(args) => commands::run::run(&args, color),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Graph(args) => commands::graph::run(&args, color),
        Command::Lsp(_) => match pipec_lsp::run_stdio() {
            Ok(()) => output::EXIT_OK,
            Err(error) => {
                eprintln!("error: the language server stopped: {error}");
                output::EXIT_ERRORS
            }
        },
    };
    ExitCode::from(code)
}
