//! `pipec outputs FILE`: the deployed stack's outputs under their `.pipe` names.

use termcolor::ColorChoice;

use crate::aws::args::{self, CommonArgs};
use crate::aws::report;
use crate::aws::session::Session;
use crate::output::{EXIT_ERRORS, EXIT_OK};

/// Arguments of `pipec outputs`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// Prints the outputs; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let common = &args.common;
    let prepared = match args::prepare(common, color) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let session = match Session::start(color) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let client = match session.client(common, color) {
        Ok(client) => client,
        Err(code) => return code,
    };
    let request = &prepared.request;
    let result = session.runtime.block_on(pipec_deploy::outputs(
        &client,
        &request.stack_name,
        &request.manifest,
    ));
    let report = match result {
        Ok(report) => report,
        Err(diagnostics) => {
            report::print_errors(
                Some(&prepared.built.checked.db),
                &diagnostics,
                common.format,
                color,
            );
            return EXIT_ERRORS;
        }
    };
    if args::json(common.format) {
        println!("{}", report.to_json());
    } else {
        print!(
            "{}",
            pipec_deploy::render_outputs(&report, report::render_options(color, true))
        );
    }
    EXIT_OK
}
