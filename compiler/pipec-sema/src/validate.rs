//! AWS rules that can be checked offline: name lengths and characters per service, tag limits,
//! IAM actions and statement ids, file modes, and credential-looking literals.

use pipec_diagnostics::{did_you_mean, Code, Diagnostic};
use pipec_ir::Tag;
use pipec_span::Span;

use crate::report::Report;
use crate::schema::{self, FieldRule};

/// Naming rules per resource type (aws-facts §6).
#[derive(Clone, Copy)]
pub(crate) enum NameRule {
    Repo,
    Project,
    CodeDeploy,
    Pipeline,
    IamRole,
    IamUser,
    IamLong,
    Bucket,
}

/// The offline AWS checks, for anything that reports (the checker).
pub(crate) trait Validate: Report {
    /// Reports a name that breaks `rule`; `span` is where it was written (or derived from).
    fn check_name(&mut self, name: &str, rule: NameRule, span: &Span, derived: bool) {
        let (what, min, max, allowed, extra): (&str, usize, usize, fn(char) -> bool, &str) =
            match rule {
                NameRule::Repo => (
                    "a CodeCommit repository name",
                    1,
                    100,
                    |ch| ch.is_ascii_alphanumeric() || "._-".contains(ch),
                    "letters, digits, `.`, `_` and `-`",
                ),
                NameRule::Project => (
                    "a CodeBuild project name",
                    2,
                    255,
                    |ch| ch.is_ascii_alphanumeric() || "_-".contains(ch),
                    "letters, digits, `_` and `-`",
                ),
                NameRule::CodeDeploy => (
                    "a CodeDeploy name",
                    1,
                    100,
                    |ch| ch.is_ascii_alphanumeric() || "._+=,@-".contains(ch),
                    "letters, digits and `. _ + = , @ -`",
                ),
                NameRule::Pipeline => (
                    "a CodePipeline name",
                    1,
                    100,
                    |ch| ch.is_ascii_alphanumeric() || ".@_-".contains(ch),
                    "letters, digits and `. @ _ -`",
                ),
                NameRule::IamRole => (
                    "an IAM role name",
                    1,
                    64,
                    |ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch),
                    "letters, digits and `+ = , . @ _ -`",
                ),
                NameRule::IamUser => (
                    "an IAM user name",
                    1,
                    64,
                    |ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch),
                    "letters, digits and `+ = , . @ _ -`",
                ),
                NameRule::IamLong => (
                    "an IAM name",
                    1,
                    128,
                    |ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch),
                    "letters, digits and `+ = , . @ _ -`",
                ),
                NameRule::Bucket => (
                    "an S3 bucket name",
                    3,
                    63,
                    |ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ".-".contains(ch),
                    "lowercase letters, digits, `.` and `-`",
                ),
            };
        let length = name.chars().count();
        let mut problems = Vec::new();
        if length < min || length > max {
            problems.push(format!(
                "it has {length} characters; {what} has {min} to {max}"
            ));
        }
        if let Some(bad) = name.chars().find(|ch| !allowed(*ch)) {
            problems.push(format!("`{bad}` is not allowed; use {extra}"));
        }
        match rule {
            NameRule::Repo if name.ends_with(".git") => {
                problems.push("it must not end in `.git`".into())
            }
            NameRule::Project if name.starts_with(|ch: char| !ch.is_ascii_alphanumeric()) => {
                problems.push("it must start with a letter or digit".into())
            }
            NameRule::Bucket => {
                if name.starts_with(|ch: char| !ch.is_ascii_alphanumeric())
                    || name.ends_with(|ch: char| !ch.is_ascii_alphanumeric())
                {
                    problems.push("it must start and end with a letter or digit".into());
                }
                if name.contains("..") {
                    problems.push("it must not contain `..`".into());
                }
                if name.starts_with("xn--")
                    || name.starts_with("sthree-")
                    || name.ends_with("-s3alias")
                    || name.ends_with("--ol-s3")
                {
                    problems.push("it uses a prefix or suffix reserved by S3".into());
                }
            }
            _ => {}
        }
        if problems.is_empty() {
            return;
        }
        let label = if derived {
            format!("the derived name `{name}` is invalid")
        } else {
            "invalid name".to_string()
        };
        let help = if derived {
            "set `name = \"…\"` explicitly, or shorten the project, env or block name".to_string()
        } else {
            format!("{what} uses {extra}, {min} to {max} characters")
        };
        let mut diag = Diagnostic::error(
            Code::INVALID_NAME,
            format!("`{name}` is not valid as {what}"),
        )
        .primary(span.clone(), label)
        .help(help);
        for problem in problems {
            diag = diag.note(format!("{}.", capitalize(&problem)));
        }
        self.report(diag);
    }

    /// Checks one tag as written.
    fn check_tag(&mut self, key: &str, value: &str, key_span: &Span, value_span: &Span) -> bool {
        let allowed = |ch: char| ch.is_alphanumeric() || ch == ' ' || "+-=._:/@".contains(ch);
        let mut ok = true;
        if key.is_empty() || key.chars().count() > 128 {
            self.report(
                Diagnostic::error(
                    Code::INVALID_TAG,
                    format!("tag key has {} characters", key.chars().count()),
                )
                .primary(key_span.clone(), "1 to 128 characters")
                .help("use a key of 1 to 128 characters"),
            );
            ok = false;
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            self.report(
                Diagnostic::error(
                    Code::INVALID_TAG,
                    format!("tag key `{key}` uses the reserved prefix `aws:`"),
                )
                .primary(key_span.clone(), "reserved for AWS")
                .help("remove the `aws:` prefix"),
            );
            ok = false;
        }
        if let Some(bad) = key.chars().find(|ch| !allowed(*ch)) {
            self.report(
                Diagnostic::error(
                    Code::INVALID_TAG,
                    format!("tag key `{key}` contains `{bad}`"),
                )
                .primary(key_span.clone(), "character not allowed in tags")
                .help("tags allow letters, digits, spaces and `+ - = . _ : / @`"),
            );
            ok = false;
        }
        if value.chars().count() > 256 {
            self.report(
                Diagnostic::error(
                    Code::INVALID_TAG,
                    format!("tag value has {} characters", value.chars().count()),
                )
                .primary(value_span.clone(), "at most 256 characters")
                .help("shorten the value"),
            );
            ok = false;
        } else if let Some(bad) = value.chars().find(|ch| !allowed(*ch)) {
            self.report(
                Diagnostic::error(Code::INVALID_TAG, format!("tag value contains `{bad}`"))
                    .primary(value_span.clone(), "character not allowed in tags")
                    .help("tags allow letters, digits, spaces and `+ - = . _ : / @`"),
            );
            ok = false;
        }
        ok
    }

    /// Reports more than 50 tags on one resource.
    fn check_tag_count(&mut self, tags: &[Tag], span: &Span) {
        if tags.len() > 50 {
            self.report(
                Diagnostic::error(
                    Code::TOO_MANY_TAGS,
                    format!("this resource would carry {} tags", tags.len()),
                )
                .primary(span.clone(), "more than 50 tags")
                .note("File-wide tags count toward every resource's limit.")
                .help("remove tags, or move resource-specific ones into the blocks that need them"),
            );
        }
    }

    /// Checks `service:Action` syntax and the service prefix.
    fn check_action(&mut self, action: &str, span: &Span) -> bool {
        if action == "*" {
            return true;
        }
        let Some((service, name)) = action.split_once(':') else {
            self.report(
                Diagnostic::error(
                    Code::INVALID_IAM_ACTION,
                    format!("`{action}` is not an IAM action"),
                )
                .primary(span.clone(), "expected `service:Action`")
                .help("write the service prefix, a colon and the action, e.g. \"s3:GetObject\""),
            );
            return false;
        };
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '*' || ch == '?');
        if !name_ok {
            self.report(
                Diagnostic::error(Code::INVALID_IAM_ACTION, format!("`{action}` has an invalid action name"))
                    .primary(span.clone(), "letters, digits, `*` and `?` only")
                    .help("write the action's name, e.g. \"s3:GetObject\", or a wildcard like \"s3:Get*\""),
            );
            return false;
        }
        let lower = service.to_ascii_lowercase();
        if !schema::IAM_SERVICES.contains(&lower.as_str()) {
            let mut diag = Diagnostic::error(
                Code::INVALID_IAM_ACTION,
                format!("unknown service prefix `{service}`"),
            )
            .primary(span.clone(), "unknown service");
            if let Some(best) = did_you_mean(&lower, schema::IAM_SERVICES.iter().copied()) {
                let fixed = format!("\"{best}:{name}\"");
                diag = diag.help(format!("did you mean `{best}`?")).fix(
                    format!("replace with {fixed}"),
                    span.clone(),
                    fixed,
                );
            } else {
                diag = diag
                    .help("check the service prefix in the AWS Service Authorization Reference");
            }
            self.report(diag);
            return false;
        }
        true
    }

    fn check_sid(&mut self, sid: &str, span: &Span) -> bool {
        if sid.is_empty() || !sid.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            let fixed: String = sid.chars().filter(char::is_ascii_alphanumeric).collect();
            let mut diag = Diagnostic::error(
                Code::INVALID_SID,
                format!("statement id `{sid}` may only hold letters and digits"),
            )
            .primary(span.clone(), "`[A-Za-z0-9]` only");
            if fixed.is_empty() {
                diag = diag.help("use letters and digits, e.g. \"ReadObjects\"");
            } else {
                diag = diag.help(format!("use \"{fixed}\"")).fix(
                    format!("replace with \"{fixed}\""),
                    span.clone(),
                    format!("\"{fixed}\""),
                );
            }
            self.report(diag);
            return false;
        }
        true
    }

    /// Reports `text` (the value of `what`, written at `span`) when it breaks `rule`; true when
    /// it is fine.
    fn check_field(&mut self, rule: FieldRule, what: &str, text: &str, span: &Span) -> bool {
        let Some(problem) = rule.problem(text) else {
            return true;
        };
        let code = if rule == FieldRule::GitBranch {
            Code::INVALID_NAME
        } else {
            Code::INVALID_VALUE
        };
        self.report(
            Diagnostic::error(code, format!("invalid {what}: {problem}"))
                .primary(span.clone(), "not allowed here")
                .help(format!("write {}", rule.doc())),
        );
        false
    }

    fn check_mode(&mut self, mode: &str, span: &Span) -> bool {
        if mode.is_empty() || mode.len() > 4 || !mode.chars().all(|ch| ('0'..='7').contains(&ch)) {
            self.report(
                Diagnostic::error(
                    Code::INVALID_FILE_MODE,
                    format!("`{mode}` is not an octal file mode"),
                )
                .primary(span.clone(), "1 to 4 digits from 0 to 7")
                .help("write the mode as octal digits in a string, e.g. \"0755\" or \"644\""),
            );
            return false;
        }
        true
    }

    /// Warns when a literal looks like a credential.
    fn check_credential(&mut self, name: &str, value: &str, span: &Span) {
        let access_key = value.len() >= 20
            && ["AKIA", "ASIA"]
                .iter()
                .any(|prefix| value.starts_with(prefix))
            && value[..20]
                .chars()
                .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit());
        let private_key = value.contains("-----BEGIN") && value.contains("PRIVATE KEY");
        let upper = name.to_ascii_uppercase();
        let secret_name = [
            "PASSWORD",
            "PASSWD",
            "SECRET",
            "TOKEN",
            "API_KEY",
            "APIKEY",
            "PRIVATE_KEY",
            "ACCESS_KEY",
        ]
        .iter()
        .any(|word| upper.contains(word));
        let reason = if access_key {
            "looks like an AWS access key id"
        } else if private_key {
            "looks like a private key"
        } else if secret_name && !value.is_empty() {
            "is a literal value for a variable whose name says it is secret"
        } else {
            return;
        };
        self.report(
            Diagnostic::warning(Code::CREDENTIAL_LITERAL, format!("`{name}` {reason}"))
                .primary(span.clone(), "credential in plain text")
                .note("Literal values end up in the template, in build logs and in version control.")
                .help("store it in SSM Parameter Store or Secrets Manager and write `ssm(\"/name\")` or `secret(\"id\")`"),
        );
    }
}

impl<T: Report> Validate for T {}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
