//! What `release`, `status` and `logs` share: the compiled program, the session with both AWS
//! clients (CloudFormation for the stack, [`SdkOperate`] for the pipeline services), how their
//! errors and findings are printed, and diagnostics placed at the `.pipe` lines the library
//! located them at.

use pipec_deploy::operate::{Located, OperateTarget, SdkOperate};
use pipec_deploy::{Diagnostic, SdkClient};
use pipec_span::SourceDb;
use termcolor::ColorChoice;

use crate::aws::args::{self, CommonArgs, DeployFormat, Prepared};
use crate::aws::report::{self, place};
use crate::aws::session::Session;
use crate::output::EXIT_ERRORS;

/// A compiled program, the runtime and both clients.
pub(crate) struct Operating {
    pub(crate) prepared: Prepared,
    pub(crate) session: Session,
    pub(crate) cfn: SdkClient,
    pub(crate) ops: SdkOperate,
    pub(crate) pipeline: Option<String>,
    format: DeployFormat,
    color: ColorChoice,
}

impl Operating {
    /// Compiles the file and builds the clients; prints what went wrong.
    pub(crate) fn start(
        common: &CommonArgs,
        pipeline: Option<&str>,
        color: ColorChoice,
    ) -> Result<Operating, u8> {
        let prepared = args::prepare(common, color)?;
        let session = Session::start(color)?;
        let cfn = session.client(common, color)?;
        Operating::with(prepared, session, cfn, common, pipeline, color)
    }

    /// An already compiled program and session (apply's, to start the pipeline after it):
    /// adds the pipeline services' client.
    pub(crate) fn with(
        prepared: Prepared,
        session: Session,
        cfn: SdkClient,
        common: &CommonArgs,
        pipeline: Option<&str>,
        color: ColorChoice,
    ) -> Result<Operating, u8> {
        let options = args::aws_options(common);
        let ops = session
            .runtime
            .block_on(pipec_deploy::operate::operate_client_from_options(&options))
            .map_err(|diagnostics| {
                report::print_errors(None, &diagnostics, common.format, color);
                EXIT_ERRORS
            })?;
        Ok(Operating {
            prepared,
            session,
            cfn,
            ops,
            pipeline: pipeline.map(ToString::to_string),
            format: common.format,
            color,
        })
    }

    /// The stack, manifest and pipeline to work on.
    pub(crate) fn target(&self) -> OperateTarget<'_> {
        OperateTarget {
            stack_name: &self.prepared.request.stack_name,
            manifest: &self.prepared.request.manifest,
            pipeline: self.pipeline.as_deref(),
        }
    }

    /// The program's sources.
    pub(crate) fn db(&self) -> &SourceDb {
        &self.prepared.built.checked.db
    }

    /// The verb's report, or `Err(1)` with its errors printed (human on stderr, or the JSON
    /// array on stdout with `--format json`).
    pub(crate) fn report<R>(&self, result: Result<R, Vec<Diagnostic>>) -> Result<R, u8> {
        result.map_err(|diagnostics| self.fail(&diagnostics))
    }

    /// Prints `diagnostics` as [`Operating::report`] does; returns the exit code (1).
    pub(crate) fn fail(&self, diagnostics: &[Diagnostic]) -> u8 {
        report::print_errors(Some(self.db()), diagnostics, self.format, self.color);
        EXIT_ERRORS
    }

    /// A report's warnings, then its failures at their `.pipe` lines (a failed build `command`
    /// at its `run` line), on stderr.
    pub(crate) fn print_findings(
        &self,
        warnings: &[Diagnostic],
        failures: &[Located],
        command: Option<&str>,
    ) {
        report::print_to_stderr(self.db(), warnings, self.color);
        let placed = place(self.db(), failures, command);
        report::print_to_stderr(self.db(), &placed, self.color);
    }

    /// Whether the report goes to stdout as JSON.
    pub(crate) fn json(&self) -> bool {
        args::json(self.format)
    }

    /// Render options for text on stdout.
    pub(crate) fn render(&self) -> pipec_deploy::RenderOptions {
        report::render_options(self.color, true)
    }
}
