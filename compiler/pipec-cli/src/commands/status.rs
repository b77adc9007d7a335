//! `pipec status FILE`: the pipeline's latest executions and the stages of the latest one; a
//! failed action at its block's `.pipe` line with AWS's reason.

use termcolor::ColorChoice;

use crate::aws::args::CommonArgs;
use crate::aws::operating::Operating;
use crate::aws::report;

/// Arguments of `pipec status`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// The `pipeline` block (its label); needed when the file declares several.
    #[arg(long, value_name = "NAME")]
    pub(crate) pipeline: Option<String>,
}

/// Prints the status; returns the exit code (1 when the latest execution failed).
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let common = &args.common;
    let operating = match Operating::start(common, args.pipeline.as_deref(), color) {
        Ok(operating) => operating,
        Err(code) => return code,
    };
    let target = operating.target();
    let result = operating
        .session
        .runtime
        .block_on(pipec_deploy::operate::status(
            &operating.cfn,
            &operating.ops,
            &target,
        ));
    let report = match operating.report(result) {
        Ok(report) => report,
        Err(code) => return code,
    };
    operating.print_findings(&report.warnings, &report.failures, None);
    if operating.json() {
        println!("{}", report.to_json());
    } else {
        print!(
            "{}",
            pipec_deploy::operate::render_status(&report, operating.render())
        );
    }
    report::exit_code(report.exit_code())
}
