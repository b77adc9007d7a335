//! `pipec check --deep` (feature `deep`): check and emit in memory, then run AWS's offline
//! template validator (`cloudformation-validate`) on the generated `template.json`. Each finding
//! becomes a `P5003` diagnostic at the `.pipe` line that declared the resource concerned (the
//! resource's `Metadata.pipec.source`, `file:line`).

use std::path::Path;

use cloudformation_validate::{
    diagnostics::Diagnostic as Finding, validate_bytes_with_path, CompositeEngine,
    CompositeEngineConfig, SchemaValidator, Severity as Level, ValidateConfig,
};
use pipec_diagnostics::{Code, Diagnostic, Severity};
use pipec_span::SourceDb;
use serde_json::Value;
use termcolor::ColorChoice;

use crate::compile::{line_span, load, summary};
use crate::output::{self, Format, EXIT_ERRORS, EXIT_OK};

/// The name the validator is given for the template (it shows in nothing we print).
const TEMPLATE: &str = "template.json";

/// Checks, emits and validates the file; returns the exit code.
pub(crate) fn run(
    file: &Path,
    vars: &[(String, String)],
    format: Format,
    deny_warnings: bool,
    color: ColorChoice,
) -> u8 {
    let mut checked = match load(file, vars, format, color) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let artifacts = pipec_driver::build(&mut checked);
    let mut diagnostics = checked.diagnostics().to_vec();
    // With errors there is no template: the program's own diagnostics are the whole answer.
    if let Some(artifacts) = &artifacts {
        match artifacts.file(TEMPLATE) {
            Some(bytes) => diagnostics.extend(validate(&checked.db, &artifacts.template, bytes)),
            None => diagnostics.push(Diagnostic::bug("emit produced no template.json")),
        }
    }
    pipec_diagnostics::sort(&mut diagnostics);
    output::print_diagnostics(&checked.db, &diagnostics, format, color);
    let (errors, warnings) = pipec_driver::counts(&diagnostics);
    if format != Format::Json {
        summary(errors, warnings);
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

/// Runs the validator on `bytes` (the serialized `template`); one diagnostic per finding, or
/// one saying why the validator could not run.
pub(crate) fn validate(db: &SourceDb, template: &Value, bytes: &[u8]) -> Vec<Diagnostic> {
    let engine = match CompositeEngine::new(CompositeEngineConfig::default()) {
        Ok(engine) => engine,
        Err(error) => return vec![failed(&format!("{error:#}"))],
    };
    let schema_validator = SchemaValidator::default();
    let config = ValidateConfig {
        // Informational findings are not actionable in a `.pipe` file.
        severity_level: Level::Warn,
        ..ValidateConfig::default()
    };
    match validate_bytes_with_path(
        &engine,
        &schema_validator,
        bytes,
        config,
        TEMPLATE.to_string(),
    ) {
        Ok(report) => report
            .diagnostics
            .iter()
            .map(|finding| diagnostic(db, template, finding))
            .collect(),
        Err(error) => vec![failed(&error.to_string())],
    }
}

/// The validator itself failed (not a finding).
fn failed(reason: &str) -> Diagnostic {
    Diagnostic::error(
        Code::DEEP_VALIDATION,
        format!("the template validator could not run: {reason}"),
    )
}

/// One finding as a `P5003` diagnostic, placed at its resource's `.pipe` line when known.
pub(crate) fn diagnostic(db: &SourceDb, template: &Value, finding: &Finding) -> Diagnostic {
    let severity = match finding.severity {
        Level::Fatal | Level::Error => Severity::Error,
        Level::Warn => Severity::Warning,
        Level::Info | Level::Debug => Severity::Note,
    };
    let mut diagnostic =
        Diagnostic::new(Code::DEEP_VALIDATION, finding.message.clone()).with_severity(severity);
    if let Some(id) = finding.resource_logical_id() {
        let resource = &template["Resources"][id];
        let kind = resource["Type"].as_str().unwrap_or("resource");
        let span = resource["Metadata"]["pipec"]["source"]
            .as_str()
            .and_then(parse_source)
            .and_then(|(file, line)| line_span(db, file, line));
        diagnostic = match span {
            Some(span) => diagnostic.primary(span, format!("{id} ({kind}) declared here")),
            None => diagnostic.note(format!("in the template's resource {id} ({kind})")),
        };
    } else if let Some(entity) = &finding.entity {
        diagnostic = diagnostic.note(format!("in the template's {}", entity.logical_id));
    }
    if let Some(path) = &finding.property_path {
        diagnostic = diagnostic.note(format!("at {path}"));
    }
    diagnostic = diagnostic.note(format!("cloudformation-validate rule {}", finding.rule_id));
    if let Some(fix) = &finding.suggested_fix {
        diagnostic = diagnostic.help(fix.clone());
    }
    diagnostic
}

/// `file:line` (one-based) as written in `Metadata.pipec.source`.
fn parse_source(source: &str) -> Option<(&str, u32)> {
    let (file, line) = source.rsplit_once(':')?;
    Some((file, line.parse().ok()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_finding_is_placed_at_its_resource_line() {
        let mut db = SourceDb::new();
        db.add(
            "site.pipe",
            "// site\n  bucket site {\n    bogus = 1\n  }\n",
        );
        let template = serde_json::json!({
            "Resources": {
                "SiteBucket": {
                    "Type": "AWS::S3::Bucket",
                    "Metadata": { "pipec": { "source": "site.pipe:2", "block": "site" } },
                    "Properties": { "NotAProperty": 1 }
                }
            }
        });
        let bytes = serde_json::to_vec_pretty(&template).unwrap();
        let diagnostics = validate(&db, &template, &bytes);
        let finding = diagnostics
            .iter()
            .find(|diagnostic| !diagnostic.labels.is_empty())
            .unwrap_or_else(|| panic!("no placed finding in {diagnostics:#?}"));
        assert_eq!(finding.code, Code::DEEP_VALIDATION);
        assert_eq!(finding.severity, Severity::Error, "{finding:#?}");
        let label = &finding.labels[0];
        assert_eq!(label.message, "SiteBucket (AWS::S3::Bucket) declared here");
        let file = db.find("site.pipe").unwrap();
        assert_eq!(
            &db.text(file)[label.span.start()..label.span.end()],
            "bucket site {"
        );
        assert!(
            finding
                .notes
                .iter()
                .any(|note| note.starts_with("cloudformation-validate rule ")),
            "{finding:#?}"
        );
    }

    #[test]
    fn source_is_file_colon_line() {
        assert_eq!(parse_source("a/b.pipe:12"), Some(("a/b.pipe", 12)));
        assert_eq!(parse_source("<std>/x.pipe:3"), Some(("<std>/x.pipe", 3)));
        assert_eq!(parse_source("nope"), None);
    }
}
