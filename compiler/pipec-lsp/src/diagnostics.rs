//! Our `Diagnostic` → `lsp_types::Diagnostic`, following style.md §3.3: the primary label gives
//! the range, the code links to its document, secondary labels become related information,
//! notes and help are appended to the message, and a diagnostic without a location sits at
//! line 0 of the file that was checked. Results are grouped per file, every file of the
//! analysis included, so that a file that became clean gets an empty list.

use std::collections::BTreeMap;
use std::str::FromStr;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Range, TextEdit, Uri,
};
use pipec_diagnostics::{Diagnostic, LabelStyle, Severity};
use pipec_span::{FileId, Span};

use crate::analysis::{Analysis, Unit};
use crate::convert::{PositionEncoding, TextRef};

/// Where each code's document lives.
const DOCS_BASE: &str = "https://github.com/pipec/pipec/blob/main/docs/codes/";

/// A fix offered as a code action.
#[derive(Clone, Debug)]
pub(crate) struct QuickFix {
    /// The action's title.
    pub(crate) title: String,
    /// The diagnostic it fixes.
    pub(crate) diagnostic: lsp_types::Diagnostic,
    /// The file the edit applies to.
    pub(crate) uri: String,
    /// The edit.
    pub(crate) edit: TextEdit,
}

/// The diagnostics and fixes of one file.
#[derive(Clone, Debug, Default)]
pub(crate) struct FileDiagnostics {
    /// Diagnostics in source order.
    pub(crate) diagnostics: Vec<lsp_types::Diagnostic>,
    /// Fixes of those diagnostics.
    pub(crate) fixes: Vec<QuickFix>,
}

/// Converts every diagnostic of `analysis`, grouped by URI (every file of every unit has an
/// entry, empty when clean). A diagnostic found from two open files is kept once.
pub(crate) fn group(
    analysis: &Analysis,
    encoding: PositionEncoding,
) -> BTreeMap<String, FileDiagnostics> {
    let mut grouped = BTreeMap::new();
    for unit in analysis.units.values() {
        group_unit(unit, encoding, &mut grouped);
    }
    grouped
}

/// Adds the diagnostics of one unit to `grouped`.
pub(crate) fn group_unit(
    unit: &Unit,
    encoding: PositionEncoding,
    grouped: &mut BTreeMap<String, FileDiagnostics>,
) {
    for uri in unit.uris.iter().flatten() {
        grouped.entry(uri.clone()).or_default();
    }
    let mut sorted: Vec<&(FileId, Diagnostic)> = unit.diagnostics.iter().collect();
    sorted.sort_by_key(|(checked, diag)| {
        diag.primary_span().map_or((*checked, 0, 0), |span| {
            (span.file, span.range.start, span.range.end)
        })
    });
    for (checked, diag) in sorted {
        let Some((file, converted)) = convert(diag, *checked, unit, encoding) else {
            continue;
        };
        let Some(uri) = unit.uri(file) else { continue };
        let entry = grouped.entry(uri.to_string()).or_default();
        if entry.diagnostics.contains(&converted) {
            continue;
        }
        for fix in &diag.fixes {
            let Some(fix_uri) = unit.uri(fix.span.file) else {
                continue;
            };
            let Some(range) = span_range(unit, &fix.span, encoding) else {
                continue;
            };
            entry.fixes.push(QuickFix {
                title: fix.title.clone(),
                diagnostic: converted.clone(),
                uri: fix_uri.to_string(),
                edit: TextEdit {
                    range,
                    new_text: fix.replacement.clone(),
                },
            });
        }
        entry.diagnostics.push(converted);
    }
}

/// Converts one diagnostic; returns the file it belongs to with it.
pub(crate) fn convert(
    diag: &Diagnostic,
    checked: FileId,
    analysis: &Unit,
    encoding: PositionEncoding,
) -> Option<(FileId, lsp_types::Diagnostic)> {
    let primary = diag.primary_span();
    let file = primary.map_or(checked, |span| span.file);
    let range = primary
        .and_then(|span| span_range(analysis, span, encoding))
        .unwrap_or_default();
    let mut message = diag.message.clone();
    for note in &diag.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    if let Some(help) = &diag.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = diag
        .labels
        .iter()
        .filter(|label| label.style == LabelStyle::Secondary)
        .filter_map(|label| {
            let uri = Uri::from_str(analysis.uri(label.span.file)?).ok()?;
            let range = span_range(analysis, &label.span, encoding)?;
            Some(DiagnosticRelatedInformation {
                location: Location { uri, range },
                message: label.message.clone(),
            })
        })
        .collect();
    let number = diag.code.number();
    let converted = lsp_types::Diagnostic {
        range,
        severity: Some(severity(diag.severity)),
        code: Some(NumberOrString::String(number.to_string())),
        code_description: Uri::from_str(&format!("{DOCS_BASE}{number}.md"))
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("pipec".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    };
    Some((file, converted))
}

/// The protocol severity of ours.
pub(crate) fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Bug | Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}

pub(crate) fn span_range(
    analysis: &Unit,
    span: &Span,
    encoding: PositionEncoding,
) -> Option<Range> {
    let source = analysis.db.get(span.file)?;
    let text = TextRef {
        text: &source.text,
        lines: &source.lines,
    };
    Some(text.range(span.start(), span.end(), encoding))
}

#[cfg(test)]
mod tests {
    use lsp_types::Position;
    use pipec_diagnostics::Code;
    use pipec_span::Encoding;

    use super::*;

    fn analysis_of(files: &[(&str, &str)]) -> Unit {
        let mut analysis = Unit::default();
        for (uri, text) in files {
            analysis.db.add(*uri, *text);
            analysis.uris.push(Some((*uri).to_string()));
        }
        analysis
    }

    #[test]
    fn conversion_follows_the_style_guide() {
        let mut analysis = analysis_of(&[
            ("file:///a.pipe", "é = 1\nrole x {}\n"),
            ("file:///b.pipe", "role x {}\n"),
        ]);
        let diag = Diagnostic::error(Code::DUPLICATE_DECLARATION, "`role.x` is declared twice")
            .primary(Span::new(FileId(0), 12, 13), "declared again")
            .secondary(Span::new(FileId(1), 5, 6), "first declared here")
            .note("Names are unique per kind.")
            .help("rename one of them")
            .fix("rename to `x2`", Span::new(FileId(0), 12, 13), "x2");
        analysis.diagnostics.push((FileId(0), diag));
        analysis
            .diagnostics
            .push((FileId(1), Diagnostic::bug("the checker failed")));
        let mut grouped = BTreeMap::new();
        group_unit(&analysis, PositionEncoding(Encoding::Utf16), &mut grouped);
        let a = &grouped["file:///a.pipe"];
        assert_eq!(a.diagnostics.len(), 1);
        let first = &a.diagnostics[0];
        assert_eq!(
            first.range.start,
            Position {
                line: 1,
                character: 5
            }
        );
        assert_eq!(first.code, Some(NumberOrString::String("P2002".into())));
        assert_eq!(
            first.code_description.as_ref().map(|d| d.href.as_str()),
            Some("https://github.com/pipec/pipec/blob/main/docs/codes/P2002.md")
        );
        assert_eq!(first.source.as_deref(), Some("pipec"));
        assert_eq!(first.message, "`role.x` is declared twice\nnote: Names are unique per kind.\nhelp: rename one of them");
        let related = first.related_information.clone().unwrap_or_default();
        assert_eq!(related[0].location.uri.as_str(), "file:///b.pipe");
        assert_eq!(related[0].message, "first declared here");
        assert_eq!(a.fixes[0].edit.new_text, "x2");
        // No location: line 0 of the checked file; Bug maps to Error.
        let b = &grouped["file:///b.pipe"];
        assert_eq!(b.diagnostics[0].range, Range::default());
        assert_eq!(b.diagnostics[0].severity, Some(DiagnosticSeverity::ERROR));
        assert_eq!(severity(Severity::Note), DiagnosticSeverity::INFORMATION);
    }
}
