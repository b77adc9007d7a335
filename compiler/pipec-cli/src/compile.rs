//! The one way a verb turns a `.pipe` file into a program: read the root file and check it
//! ([`load`]), and emit it in memory ([`compile`]); the check summary line; and the span of a
//! `.pipe` line ([`line_span`]) for diagnostics that the library located by `file:line`. Below
//! every verb: nothing here knows a verb.

use std::path::Path;

use pipec_span::{SourceDb, Span};
use termcolor::ColorChoice;

use crate::output::{self, Format, EXIT_ERRORS, EXIT_USAGE};

/// Reads `file` and checks it (imports from disk, `--var`s applied). An unreadable file is
/// printed in `format` and is `Err(EXIT_USAGE)`; the check's diagnostics are the caller's to print.
pub(crate) fn load(
    file: &Path,
    vars: &[(String, String)],
    format: Format,
    color: ColorChoice,
) -> Result<pipec_driver::Checked, u8> {
    let text = match output::read_root(file) {
        Ok(text) => text,
        Err(diagnostic) => {
            output::print_plain(&diagnostic, format, color);
            return Err(EXIT_USAGE);
        }
    };
    let name = file.to_string_lossy().into_owned();
    Ok(pipec_driver::check(&name, text, &output::DiskLoader, vars))
}

/// What a successful compile produced.
pub(crate) struct Built {
    pub(crate) checked: pipec_driver::Checked,
    pub(crate) artifacts: pipec_driver::Artifacts,
}

/// Checks and emits `file`; prints diagnostics. `Err(exit code)` when nothing can be built.
pub(crate) fn compile(
    file: &Path,
    vars: &[(String, String)],
    format: Format,
    color: ColorChoice,
    deny_warnings: bool,
) -> Result<Built, u8> {
    let mut checked = load(file, vars, format, color)?;
    let artifacts = pipec_driver::build(&mut checked);
    output::print_diagnostics(&checked.db, checked.diagnostics(), format, color);
    let (errors, warnings) = pipec_driver::counts(checked.diagnostics());
    match artifacts {
        Some(artifacts) if errors == 0 && !(deny_warnings && warnings > 0) => {
            Ok(Built { checked, artifacts })
        }
        _ => {
            if format != Format::Json {
                summary(errors, warnings);
            }
            Err(EXIT_ERRORS)
        }
    }
}

/// The last line of a check on stderr: `ok: no problems found` or the counts.
pub(crate) fn summary(errors: usize, warnings: usize) {
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    if errors == 0 && warnings == 0 {
        eprintln!("ok: no problems found");
    } else {
        eprintln!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
}

/// The span of 1-based `line` of `file` in `db`, without its indentation.
pub(crate) fn line_span(db: &SourceDb, file: &str, line: u32) -> Option<Span> {
    let id = db.find(file)?;
    let source = db.get(id)?;
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let range = source.lines.line_range(&source.text, index)?;
    let text = source.text.get(range.clone())?;
    let indent = text.len() - text.trim_start().len();
    let end = range.start + text.trim_end().len();
    let start = (range.start + indent).min(end);
    Some(Span::new(id, start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_span_skips_indentation_and_ends_inside_the_file() {
        let mut db = SourceDb::new();
        let text = "project = \"p\"\n\n  repo app {\n  name = \"x\"\n}\n";
        let file = db.add("pipeline.pipe", text);
        let span = line_span(&db, "pipeline.pipe", 3);
        assert_eq!(span.as_ref().map(|span| span.file), Some(file));
        assert_eq!(
            span.as_ref().map(|span| &text[span.start()..span.end()]),
            Some("repo app {")
        );
        assert!(line_span(&db, "pipeline.pipe", 0).is_none());
        assert!(line_span(&db, "pipeline.pipe", 99).is_none());
        assert!(line_span(&db, "other.pipe", 1).is_none());
    }
}
