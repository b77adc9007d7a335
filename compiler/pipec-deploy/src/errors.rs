//! Turns a classified [`ApiError`] into one `P6xxx` diagnostic: a one-line cause, AWS's code and
//! message as a note, and what to do as help. Never a debug dump of an SDK error. The deploy
//! state diagnostics (rollback states, data loss, …) are built where they arise.

use pipec_diagnostics::{Code, Diagnostic};

use crate::api::{ApiError, ApiErrorKind};

/// The diagnostic for a failed API call.
#[must_use]
pub fn api_diagnostic(error: &ApiError) -> Diagnostic {
    let aws_says = aws_says(error);
    let diag = match error.kind {
        ApiErrorKind::NoCredentials => Diagnostic::new(Code::AWS_NO_CREDENTIALS, "no AWS credentials found")
            .note("The standard chain was searched: environment variables, the shared config and credentials files, SSO, credential_process, container and instance roles.")
            .help("Pass `--profile NAME`, run `aws configure` or `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."),
        ApiErrorKind::ExpiredCredentials => {
            Diagnostic::new(Code::AWS_EXPIRED_CREDENTIALS, "AWS rejected the credentials: they have expired or are not valid")
                .help("Renew the session (`aws sso login --profile NAME` or new temporary keys) and check the machine's clock.")
        }
        ApiErrorKind::AccessDenied => Diagnostic::new(
            Code::AWS_ACCESS_DENIED,
            format!("access denied for `{}`", error.operation),
        )
        .help("Use a profile allowed to run CloudFormation change sets and create the stack's resources, or ask for the permission named in AWS's message."),
        ApiErrorKind::Region => Diagnostic::new(Code::AWS_REGION, "no valid AWS region")
            .help("Pass `--region` (e.g. `eu-west-1`), set AWS_REGION, or add `region` to the profile in ~/.aws/config."),
        ApiErrorKind::Unreachable => Diagnostic::new(
            Code::AWS_UNREACHABLE,
            format!("the AWS endpoint did not answer `{}` properly", error.operation),
        )
        .help("Check the network and `--endpoint-url`, then run the command again; state-changing calls carry client tokens, so repeating is safe."),
        ApiErrorKind::Throttled => Diagnostic::new(
            Code::AWS_THROTTLED,
            format!("AWS throttled `{}` after retries", error.operation),
        )
        .help("Wait a minute and run the command again; `pipec plan` shows where the stack stands."),
        ApiErrorKind::Service => Diagnostic::new(
            Code::AWS_REQUEST_FAILED,
            format!("`{}` failed: {}", error.operation, if error.code.is_empty() { "AWS error" } else { error.code.as_str() }),
        )
        .help("Read AWS's message above; validation errors usually point at a value in the `.pipe` file."),
    };
    match aws_says {
        Some(note) => diag.note(note),
        None => diag,
    }
}

/// The diagnostics for a failed API call, as the `Err` of the public functions.
#[must_use]
pub fn api_diagnostics(error: &ApiError) -> Vec<Diagnostic> {
    vec![api_diagnostic(error)]
}

fn aws_says(error: &ApiError) -> Option<String> {
    let message = one_line(&error.message);
    let status = error
        .status
        .map(|status| format!(" (HTTP {status})"))
        .unwrap_or_default();
    match (error.code.is_empty(), message.is_empty()) {
        (true, true) => error.status.map(|status| {
            format!(
                "{}: HTTP {status} without an AWS error code",
                error.operation
            )
        }),
        (true, false) => Some(format!("{}: {message}{status}", error.operation)),
        (false, true) => Some(format!("AWS says: {}{status}", error.code)),
        (false, false) => Some(format!("AWS says: {}: {message}{status}", error.code)),
    }
}

/// Collapses whitespace and cuts very long texts (an HTML error page) to a readable line.
#[must_use]
pub fn one_line(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 300 {
        let cut: String = collapsed.chars().take(300).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

/// Classifies an AWS error code (and HTTP status) into an [`ApiErrorKind`].
#[must_use]
pub fn classify(code: &str, message: &str, status: Option<u16>) -> ApiErrorKind {
    match code {
        "ExpiredToken"
        | "ExpiredTokenException"
        | "RequestExpired"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId"
        | "AuthFailure" => ApiErrorKind::ExpiredCredentials,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError" => ApiErrorKind::AccessDenied,
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown" => ApiErrorKind::Throttled,
        _ if code.is_empty() && status.is_some_and(|status| status >= 500) => {
            ApiErrorKind::Unreachable
        }
        _ if code.is_empty() && message.contains("<html") => ApiErrorKind::Unreachable,
        _ => ApiErrorKind::Service,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(
            classify("ExpiredToken", "", Some(403)),
            ApiErrorKind::ExpiredCredentials
        );
        assert_eq!(
            classify("AccessDenied", "", Some(403)),
            ApiErrorKind::AccessDenied
        );
        assert_eq!(
            classify("Throttling", "", Some(400)),
            ApiErrorKind::Throttled
        );
        assert_eq!(classify("", "<html>", Some(500)), ApiErrorKind::Unreachable);
        assert_eq!(
            classify("ValidationError", "x", Some(400)),
            ApiErrorKind::Service
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let long = "<p>".repeat(200);
        assert!(one_line(&long).ends_with('…'));
        assert_eq!(one_line("a\n  b"), "a b");
    }
}
