//! What `release`, `status` and `logs` share: the compiled program, the session with both AWS
//! clients (CloudFormation for the stack, [`SdkOperate`] for the pipeline services), and
//! diagnostics placed at the `.pipe` lines the library located them at.

use pipec_deploy::operate::{find_run_line, Located, OperateTarget, SdkOperate};
use pipec_deploy::{Diagnostic, SdkClient};
use pipec_span::SourceDb;
use termcolor::ColorChoice;

use crate::commands::deploy::{self, CommonArgs, Prepared, Session};
use crate::output::EXIT_ERRORS;

/// A compiled program, the runtime and both clients.
pub(crate) struct Operating {
    pub(crate) prepared: Prepared,
    pub(crate) session: Session,
    pub(crate) cfn: SdkClient,
    pub(crate) ops: SdkOperate,
    pub(crate) pipeline: Option<String>,
}

impl Operating {
    /// Compiles the file and builds the clients; prints what went wrong.
    pub(crate) fn start(
        common: &CommonArgs,
        pipeline: Option<&str>,
        color: ColorChoice,
    ) -> Result<Operating, u8> {
        let prepared = deploy::prepare(common, color)?;
        let session = Session::start(color)?;
        let cfn = session.client(common, color)?;
        let options = deploy::aws_options(common);
        let ops = session
            .runtime
            .block_on(pipec_deploy::operate::operate_client_from_options(&options))
            .map_err(|diagnostics| {
                deploy::print_errors(None, &diagnostics, common.format, color);
                EXIT_ERRORS
            })?;
        Ok(Operating {
            prepared,
            session,
            cfn,
            ops,
            pipeline: pipeline.map(ToString::to_string),
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
}

/// Each diagnostic with a primary label at its `.pipe` line; a failed build command at the `run`
/// line of its block that holds it.
pub(crate) fn place(db: &SourceDb, located: &[Located], command: Option<&str>) -> Vec<Diagnostic> {
    located
        .iter()
        .map(|item| {
            let Some((file, line)) = &item.location else {
                return item.diagnostic.clone();
            };
            let run_line = command.and_then(|command| {
                let id = db.find(file)?;
                let source = db.get(id)?;
                find_run_line(&source.text, *line, command)
            });
            let (line, label) = match run_line {
                Some(run_line) => (run_line, "this command failed"),
                None => (*line, "declared here"),
            };
            match deploy::line_span(db, file, line) {
                Some(span) => item.diagnostic.clone().primary(span, label),
                None => item.diagnostic.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use pipec_diagnostics::Code;

    #[test]
    fn a_failed_command_is_labelled_at_its_run_line_else_at_the_block() {
        let mut db = SourceDb::new();
        let text = "build app {\n  install {\n    run \"npm ci\"\n  }\n  build {\n    run \"npm test\"\n  }\n}\n";
        db.add("pipeline.pipe", text);
        let located = Located {
            diagnostic: Diagnostic::new(Code::BUILD_COMMAND_FAILED, "command `npm test` failed"),
            location: Some(("pipeline.pipe".to_string(), 1)),
        };
        let at_run = place(&db, std::slice::from_ref(&located), Some("npm test"));
        let span = at_run[0].primary_span().unwrap();
        assert_eq!(&text[span.start()..span.end()], "run \"npm test\"");
        let at_block = place(&db, std::slice::from_ref(&located), Some("make"));
        let span = at_block[0].primary_span().unwrap();
        assert_eq!(&text[span.start()..span.end()], "build app {");
        let nowhere = Located {
            location: None,
            ..located
        };
        assert!(place(&db, &[nowhere], None)[0].labels.is_empty());
    }
}
