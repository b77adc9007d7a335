//! `pipec apply FILE`: plan, refuse data loss unless `--allow-data-loss`, confirm (`--yes`
//! skips; no terminal and no `--yes` is refused), execute, show progress per resource, and end
//! with the outputs and the time, or with each failed resource at its `.pipe` line. Ctrl-C stops
//! following (exit 130) and tells how to watch; CloudFormation carries on.

use std::sync::Arc;

use termcolor::ColorChoice;

use crate::commands::deploy::{self, CommonArgs, LineProgress, Session, TerminalConfirmer};
use crate::output::EXIT_ERRORS;

/// Arguments of `pipec apply`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Do not ask for confirmation (still prints the plan).
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Delete and recreate a stack left in ROLLBACK_COMPLETE by a failed first create.
    #[arg(long)]
    pub(crate) replace_failed: bool,
    /// Apply even when a resource holding data (repository, bucket) is removed or replaced.
    #[arg(long)]
    pub(crate) allow_data_loss: bool,
    /// Fail instead of waiting when another operation runs on the stack.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// The S3 bucket that stages templates over 51,200 bytes (default: one pipec creates).
    #[arg(long, value_name = "BUCKET")]
    pub(crate) template_bucket: Option<String>,
}

/// Applies; returns the exit code.
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
    options.replace_failed = args.replace_failed;
    options.allow_data_loss = args.allow_data_loss;
    options.no_wait = args.no_wait;
    options.template_bucket.clone_from(&args.template_bucket);
    options.cancel = session.cancel.clone();
    // `--yes` goes to the confirmer, which then shows the plan and accepts (see its docs).
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
    let result = session.runtime.block_on(pipec_deploy::apply(
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
    deploy::print_to_stderr(db, &report.plan.warnings, color);
    let located = deploy::locate_failures(db, &report.diagnostics, &report.failures);
    deploy::print_to_stderr(db, &located, color);
    if json {
        println!("{}", report.to_json());
    } else {
        print!(
            "{}",
            pipec_deploy::render_apply(&report, deploy::render_options(color, true))
        );
    }
    deploy::exit_code(report.exit_code())
}
