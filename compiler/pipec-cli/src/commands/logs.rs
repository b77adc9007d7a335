//! `pipec logs FILE [build.NAME | deploy.NAME] [--execution ID] [--follow]`: a build's
//! CloudWatch Logs stream by phase with the failing command at its `run` line, or an EC2 deploy's
//! lifecycle events per instance with a failed hook's error code and log tail at its `hook` line.

use pipec_deploy::operate::{LogTarget, LogsReport, LogsRequest};
use pipec_deploy::PollPolicy;
use termcolor::ColorChoice;

use crate::aws::args::CommonArgs;
use crate::aws::operating::Operating;
use crate::aws::report;

/// Arguments of `pipec logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// `build.NAME` or `deploy.NAME` (default: the failed action of the execution, else the
    /// first build).
    #[arg(value_name = "TARGET")]
    pub(crate) target: Option<String>,
    /// The pipeline execution (default: the latest build or deployment).
    #[arg(long, value_name = "ID")]
    pub(crate) execution: Option<String>,
    /// Keep printing a running build's new lines until it ends.
    #[arg(long)]
    pub(crate) follow: bool,
    /// The `pipeline` block (its label); needed when the file declares several.
    #[arg(long, value_name = "NAME")]
    pub(crate) pipeline: Option<String>,
}

/// Prints the logs; returns the exit code (1 when the build or deployment failed).
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let common = &args.common;
    let operating = match Operating::start(common, args.pipeline.as_deref(), color) {
        Ok(operating) => operating,
        Err(code) => return code,
    };
    let manifest = &operating.prepared.request.manifest;
    let target = match args
        .target
        .as_deref()
        .map(|t| LogTarget::parse(t, manifest))
    {
        Some(Ok(target)) => Some(target),
        Some(Err(diagnostics)) => return operating.fail(&diagnostics),
        None => None,
    };
    let request = LogsRequest {
        target,
        execution: args.execution.clone(),
    };
    let scope = operating.target();
    let result = operating
        .session
        .runtime
        .block_on(pipec_deploy::operate::logs(
            &operating.cfn,
            &operating.ops,
            &scope,
            &request,
        ));
    let mut report = match operating.report(result) {
        Ok(report) => report,
        Err(code) => return code,
    };
    let json = operating.json();
    if !json {
        print!(
            "{}",
            pipec_deploy::operate::render_logs(&report, operating.render())
        );
    }
    if let (true, LogsReport::Build { logs, .. }) = (args.follow, &mut report) {
        if logs.build.status == "IN_PROGRESS" {
            let print = |event: &pipec_deploy::operate::api::LogEvent| {
                if !json {
                    println!("  {}", event.message.trim_end());
                }
            };
            let followed = operating
                .session
                .runtime
                .block_on(pipec_deploy::operate::follow_build(
                    &operating.ops,
                    logs,
                    PollPolicy::default(),
                    &operating.session.cancel,
                    &print,
                ));
            if let Err(code) = operating.report(followed) {
                return code;
            }
        }
    }
    let command = match &report {
        LogsReport::Build { logs, .. } => logs.failed_command.clone(),
        LogsReport::Deploy { .. } => None,
    };
    operating.print_findings(report.warnings(), report.failures(), command.as_deref());
    if json {
        println!("{}", report.to_json());
    }
    report::exit_code(report.exit_code())
}
