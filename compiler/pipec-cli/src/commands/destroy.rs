//! `pipec destroy FILE`: delete the stack after confirmation (`--yes` skips), follow the
//! deletion, and list what CloudFormation retained (repositories, buckets: delete them by hand).

use std::sync::Arc;

use termcolor::ColorChoice;

use crate::commands::deploy::{self, CommonArgs, LineProgress, Session, TerminalConfirmer};
use crate::output::EXIT_ERRORS;

/// Arguments of `pipec destroy`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Fail instead of waiting when another operation runs on the stack.
    #[arg(long)]
    pub(crate) no_wait: bool,
}

/// Destroys; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let common = &args.common;
    let mut prepared = match deploy::prepare(common, color) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let session = match Session::start(color) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let options = &mut prepared.request.options;
    options.no_wait = args.no_wait;
    options.cancel = session.cancel.clone();
    options.yes = false;
    let client = match session.client(common, color) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let json = deploy::json(common.format);
    let confirmer = TerminalConfirmer {
        assume_yes: args.yes,
        render: deploy::render_options(color, !json),
        plan_to_stdout: !json,
        prompt: Arc::clone(&session.prompt),
    };
    let sink = LineProgress {
        render: deploy::render_options(color, false),
    };
    let db = &prepared.built.checked.db;
    let result = session.runtime.block_on(pipec_deploy::destroy(
        &client,
        &prepared.request,
        &confirmer,
        &sink,
    ));
    let report = match result {
        Ok(report) => report,
        Err(diagnostics) => {
            deploy::print_errors(Some(db), &diagnostics, common.format, color);
            return EXIT_ERRORS;
        }
    };
    let located = deploy::locate_failures(db, &report.diagnostics, &report.failures);
    deploy::print_to_stderr(db, &located, color);
    if json {
        println!("{}", report.to_json());
    } else {
        print!(
            "{}",
            pipec_deploy::render_destroy(&report, deploy::render_options(color, true))
        );
    }
    deploy::exit_code(report.exit_code())
}
