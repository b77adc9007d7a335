//! The one `Diagnostic` type every phase returns, the code registry, and the renderers for
//! people (codespan-reporting) and tools (JSON). The language server converts the same values
//! in its own crate. Nothing here prints: renderers write into a caller's writer.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod codes;
mod render;

pub use codes::{Code, CodeInfo, ALL_CODES};
pub use render::{render_human, render_json, render_short, JsonDiagnostic, JsonLabel};

use pipec_span::Span;
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Background information.
    Note,
    /// Something that is probably wrong or unsafe but still compiles.
    Warning,
    /// The program is rejected.
    Error,
    /// A fault of pipec itself.
    Bug,
}

/// Whether a label marks the place of the problem or a related place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelStyle {
    /// The exact place of the problem.
    Primary,
    /// A place that explains it (a first definition, a declaration).
    Secondary,
}

/// A span with a short message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Primary or secondary.
    pub style: LabelStyle,
    /// Where.
    pub span: Span,
    /// A few words; never a copy of the headline.
    pub message: String,
}

/// A replacement that fixes the problem, offered by editors as a code action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the action is called in the editor.
    pub title: String,
    /// The text to replace.
    pub span: Span,
    /// The new text.
    pub replacement: String,
}

/// A problem found in a program, or in pipec's own run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `P2003`.
    pub code: Code,
    /// Severity (the code's default unless raised or lowered).
    pub severity: Severity,
    /// Headline: lowercase start, no final period, identifiers in backticks.
    pub message: String,
    /// Primary label first when a location exists.
    pub labels: Vec<Label>,
    /// Explanations, full sentences.
    pub notes: Vec<String>,
    /// What to do, imperative.
    pub help: Option<String>,
    /// Machine-applicable fixes (did-you-mean replacements, a missing attribute).
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.default_severity(),
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            fixes: Vec::new(),
        }
    }

    /// An error.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, message).with_severity(Severity::Error)
    }

    /// A warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(code, message).with_severity(Severity::Warning)
    }

    /// A compiler bug (`P9000`).
    pub fn bug(message: impl Into<String>) -> Self {
        Self::new(Code::INTERNAL_ERROR, message)
            .with_severity(Severity::Bug)
            .note("This is a bug in pipec, not in your program. Please report it with the input that caused it.")
    }

    /// Sets the severity.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Adds the primary label.
    #[must_use]
    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            style: LabelStyle::Primary,
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            style: LabelStyle::Secondary,
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a machine-applicable fix.
    #[must_use]
    pub fn fix(
        mut self,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Self {
        self.fixes.push(Fix {
            title: title.into(),
            span,
            replacement: replacement.into(),
        });
        self
    }

    /// The primary label's span, if any.
    #[must_use]
    pub fn primary_span(&self) -> Option<&Span> {
        self.labels
            .iter()
            .find(|label| label.style == LabelStyle::Primary)
            .map(|label| &label.span)
    }

    /// True for errors and bugs.
    #[must_use]
    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Bug)
    }
}

/// Sorts diagnostics by file and position so output is stable, keeping the order of equal
/// positions.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|diag| {
        diag.primary_span()
            .map(|span| (span.file, span.range.start, span.range.end))
    });
}

/// The closest candidate to `name`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(&name.to_lowercase(), &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_need_a_close_match() {
        assert_eq!(did_you_mean("brnch", ["branch", "name"]), Some("branch"));
        assert_eq!(did_you_mean("zzz", ["branch", "name"]), None);
    }
}
