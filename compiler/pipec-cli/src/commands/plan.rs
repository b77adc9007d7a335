//! `pipec plan FILE`: compile, create a change set against the stack, print the diff (`+`, `~`,
//! `-`, `-/+`) and delete the change set (`--keep` leaves it for review). Exit 0 on success and 1
//! on errors; with `--detailed-exitcode`, 0 no changes, 2 changes, 1 errors.

use termcolor::ColorChoice;

use crate::aws::args::{self, CommonArgs};
use crate::aws::preflight::preflight;
use crate::aws::report;
use crate::aws::session::Session;
use crate::output::{EXIT_ERRORS, EXIT_OK};

/// Arguments of `pipec plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Leave the change set in place (to review it in the console or execute it later).
    #[arg(long)]
    pub(crate) keep: bool,
    /// Exit 0 when nothing would change, 2 when something would, 1 on errors.
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
}

/// Plans; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let common = &args.common;
    let mut prepared = match args::prepare(common, color) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    prepared.request.options.keep_change_set = args.keep;
    let session = match Session::start(color) {
        Ok(session) => session,
        Err(code) => return code,
    };
    prepared.request.options.cancel = session.cancel.clone();
    let client = match session.client(common, color) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let db = &prepared.built.checked.db;
    if let Err(code) = preflight(
        &session,
        &client,
        &prepared.request,
        db,
        common.format,
        color,
    ) {
        return code;
    }
    let sink = crate::aws::progress::LineProgress {
        render: report::render_options(color, false),
    };
    let result = session
        .runtime
        .block_on(pipec_deploy::plan(&client, &prepared.request, &sink));
    let plan = match result {
        Ok(plan) => plan,
        Err(diagnostics) => {
            report::print_errors(Some(db), &diagnostics, common.format, color);
            return EXIT_ERRORS;
        }
    };
    report::print_to_stderr(db, &plan.warnings, color);
    if args::json(common.format) {
        println!("{}", plan.to_json());
    } else {
        print!(
            "{}",
            pipec_deploy::render_plan(&plan, report::render_options(color, true))
        );
    }
    if args.detailed_exitcode {
        report::exit_code(plan.exit().code())
    } else {
        EXIT_OK
    }
}
