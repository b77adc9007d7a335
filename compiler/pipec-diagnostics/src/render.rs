//! Renderers: codespan-reporting for people, a short one-line form, and the stable JSON form.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;
use pipec_span::{Encoding, SourceDb};
use serde::Serialize;
use termcolor::WriteColor;

use crate::{Diagnostic, LabelStyle, Severity};

fn to_codespan(diag: &Diagnostic) -> cs::Diagnostic<pipec_span::FileId> {
    let severity = match diag.severity {
        Severity::Note => cs::Severity::Note,
        Severity::Warning => cs::Severity::Warning,
        Severity::Error => cs::Severity::Error,
        Severity::Bug => cs::Severity::Bug,
    };
    let labels = diag
        .labels
        .iter()
        .map(|label| {
            let style = match label.style {
                LabelStyle::Primary => cs::LabelStyle::Primary,
                LabelStyle::Secondary => cs::LabelStyle::Secondary,
            };
            cs::Label::new(style, label.span.file, label.span.start()..label.span.end())
                .with_message(label.message.clone())
        })
        .collect();
    let mut notes = diag.notes.clone();
    if let Some(help) = &diag.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(diag.code.number())
        .with_message(diag.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Writes `diagnostics` for people, with source excerpts.
///
/// # Errors
/// Fails only when the writer fails.
pub fn render_human(
    db: &SourceDb,
    diagnostics: &[Diagnostic],
    out: &mut dyn WriteColor,
) -> std::io::Result<()> {
    let config = term::Config::default();
    for diag in diagnostics {
        if let Err(error) = term::emit_to_write_style(out, &config, db, &to_codespan(diag)) {
            // A label outside its file (a bug elsewhere) must not lose the message.
            writeln!(
                out,
                "{}[{}]: {} ({error})",
                severity_word(diag.severity),
                diag.code.number(),
                diag.message
            )?;
        }
    }
    Ok(())
}

/// Writes one line per diagnostic: `file:line:col: severity[code]: message`.
///
/// # Errors
/// Fails only when the writer fails.
pub fn render_short(
    db: &SourceDb,
    diagnostics: &[Diagnostic],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for diag in diagnostics {
        let place = diag.primary_span().map(|span| {
            let position = db.position(span.file, span.start(), Encoding::Chars);
            format!(
                "{}:{}:{}: ",
                db.name(span.file),
                position.line + 1,
                position.column + 1
            )
        });
        writeln!(
            out,
            "{}{}[{}]: {}",
            place.unwrap_or_default(),
            severity_word(diag.severity),
            diag.code.number(),
            diag.message
        )?;
    }
    Ok(())
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Note => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
        Severity::Bug => "bug",
    }
}

/// The stable JSON form of a diagnostic: our fields plus one-based lines and columns.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// `P####`.
    pub code: &'static str,
    /// Kebab-case code name.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Headline.
    pub message: String,
    /// Labels with resolved positions.
    pub labels: Vec<JsonLabel>,
    /// Notes.
    pub notes: Vec<String>,
    /// Help line.
    pub help: Option<String>,
}

/// A label with its file name and one-based positions (columns count characters).
#[derive(Debug, Serialize)]
pub struct JsonLabel {
    /// `primary` or `secondary`.
    pub style: LabelStyle,
    /// The file's name.
    pub file: String,
    /// Byte offset of the start.
    pub start: u32,
    /// Byte offset of the end.
    pub end: u32,
    /// One-based line of the start.
    pub line: u32,
    /// One-based column of the start.
    pub column: u32,
    /// One-based line of the end.
    pub end_line: u32,
    /// One-based column of the end.
    pub end_column: u32,
    /// Label text.
    pub message: String,
}

impl JsonDiagnostic {
    /// Resolves positions through `db`.
    #[must_use]
    pub fn new(db: &SourceDb, diag: &Diagnostic) -> Self {
        let labels = diag
            .labels
            .iter()
            .map(|label| {
                let start = db.position(label.span.file, label.span.start(), Encoding::Chars);
                let end = db.position(label.span.file, label.span.end(), Encoding::Chars);
                JsonLabel {
                    style: label.style,
                    file: db.name(label.span.file).to_string(),
                    start: label.span.range.start,
                    end: label.span.range.end,
                    line: start.line + 1,
                    column: start.column + 1,
                    end_line: end.line + 1,
                    end_column: end.column + 1,
                    message: label.message.clone(),
                }
            })
            .collect();
        JsonDiagnostic {
            code: diag.code.number(),
            name: diag.code.name(),
            severity: diag.severity,
            message: diag.message.clone(),
            labels,
            notes: diag.notes.clone(),
            help: diag.help.clone(),
        }
    }
}

/// The JSON array of `diagnostics`, pretty-printed.
#[must_use]
pub fn render_json(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diagnostics
        .iter()
        .map(|diag| JsonDiagnostic::new(db, diag))
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}
