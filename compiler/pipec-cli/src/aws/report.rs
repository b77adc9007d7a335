//! How the AWS verbs end: a report's warnings and diagnostics on stderr (failed resources at
//! their `.pipe` lines), then its JSON or text on stdout ([`Report`]); errors without a report;
//! colors for rendered text; library exit codes as process exit codes.

use std::io::IsTerminal;

use pipec_deploy::operate::find_run_line;
use pipec_deploy::{Located, RenderOptions, ResourceFailure};
use pipec_diagnostics::Diagnostic;
use pipec_span::SourceDb;
use termcolor::ColorChoice;

use crate::aws::args::DeployFormat;
use crate::compile::line_span;
use crate::output::{self, Format, EXIT_ERRORS};

/// What a verb that changes the stack prints of its report (`changing.rs`).
pub(crate) trait Report {
    /// Warnings met on the way (shown first).
    fn warnings(&self) -> &[Diagnostic] {
        &[]
    }
    /// The errors of a failed operation.
    fn diagnostics(&self) -> &[Diagnostic];
    /// The failed resources, to place their diagnostics.
    fn failures(&self) -> &[ResourceFailure];
    /// `--format json`.
    fn to_json(&self) -> String;
    /// `--format human`.
    fn render(&self, options: RenderOptions) -> String;
    /// The process exit code.
    fn exit_code(&self) -> i32;
}

impl Report for pipec_deploy::ApplyReport {
    fn warnings(&self) -> &[Diagnostic] {
        &self.plan.warnings
    }
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    fn failures(&self) -> &[ResourceFailure] {
        &self.failures
    }
    fn to_json(&self) -> String {
        self.to_json()
    }
    fn render(&self, options: RenderOptions) -> String {
        pipec_deploy::render_apply(self, options)
    }
    fn exit_code(&self) -> i32 {
        self.exit_code()
    }
}

impl Report for pipec_deploy::DestroyReport {
    fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    fn failures(&self) -> &[ResourceFailure] {
        &self.failures
    }
    fn to_json(&self) -> String {
        self.to_json()
    }
    fn render(&self, options: RenderOptions) -> String {
        pipec_deploy::render_destroy(self, options)
    }
    fn exit_code(&self) -> i32 {
        self.exit_code()
    }
}

/// Colors for text on stdout (or stderr): the CLI's choice, and a terminal for `auto`.
pub(crate) fn render_options(color: ColorChoice, stdout: bool) -> RenderOptions {
    let terminal = if stdout {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    RenderOptions {
        color: match color {
            ColorChoice::Never => false,
            ColorChoice::Always | ColorChoice::AlwaysAnsi => true,
            ColorChoice::Auto => terminal,
        },
    }
}

/// Prints the errors of a command that produced no report: human on stderr, or the JSON array on
/// stdout with `--format json`. With the program's `db`, a failed resource's diagnostic points at
/// its declaration.
pub(crate) fn print_errors(
    db: Option<&SourceDb>,
    diagnostics: &[Diagnostic],
    format: DeployFormat,
    color: ColorChoice,
) {
    let empty = SourceDb::new();
    let db = db.unwrap_or(&empty);
    let format = match format {
        DeployFormat::Human => Format::Human,
        DeployFormat::Json => Format::Json,
    };
    output::print_diagnostics(db, diagnostics, format, color);
}

/// Prints diagnostics on stderr (a report already went to stdout).
pub(crate) fn print_to_stderr(db: &SourceDb, diagnostics: &[Diagnostic], color: ColorChoice) {
    output::print_diagnostics(db, diagnostics, Format::Human, color);
}

/// The report's diagnostics, each failed resource's with a primary label at the line of the
/// `.pipe` file that declared it.
pub(crate) fn locate_failures(
    db: &SourceDb,
    diagnostics: &[Diagnostic],
    failures: &[ResourceFailure],
) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let failure = failures.iter().find(|failure| {
                diagnostic.labels.is_empty() && failure.diagnostic().message == diagnostic.message
            });
            match failure
                .and_then(ResourceFailure::location)
                .and_then(|(file, line)| line_span(db, &file, line))
            {
                Some(span) => diagnostic.clone().primary(span, "declared here"),
                None => diagnostic.clone(),
            }
        })
        .collect()
}

/// `i32` exit codes of the library as process exit codes.
pub(crate) fn exit_code(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(EXIT_ERRORS)
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
            match line_span(db, file, line) {
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
    fn a_failed_resource_is_labelled_at_its_pipe_line() {
        let mut db = SourceDb::new();
        let text = "project = \"p\"\n\n  repo app {\n  name = \"x\"\n}\n";
        let file = db.add("pipeline.pipe", text);
        let failure = ResourceFailure {
            logical_id: "RepoApp".to_string(),
            resource_type: "AWS::CodeCommit::Repository".to_string(),
            status: "CREATE_FAILED".to_string(),
            reason: "Repository name taken".to_string(),
            block: Some("repo.app".to_string()),
            source: Some("pipeline.pipe:3".to_string()),
        };
        let other = Diagnostic::new(Code::DEPLOY_FAILED, "apply failed");
        let located = locate_failures(
            &db,
            &[failure.diagnostic(), other],
            std::slice::from_ref(&failure),
        );
        let span = located[0].primary_span().unwrap();
        assert_eq!(span.file, file);
        assert_eq!(&text[span.start()..span.end()], "repo app {");
        assert!(located[1].labels.is_empty());
        assert!(line_span(&db, "pipeline.pipe", 0).is_none());
        assert!(line_span(&db, "pipeline.pipe", 99).is_none());
        assert!(line_span(&db, "other.pipe", 1).is_none());
    }

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
