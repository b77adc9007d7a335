//! The registry of diagnostic codes: number, kebab-case name, default severity and the long
//! explanation from `docs/codes/P####.md` (compiled in, so `pipec explain` needs no files).
//! Retired codes stay in the table with `removed: true`; numbers are never reused.

use serde::{Serialize, Serializer};

use crate::Severity;

/// Everything known about one code.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CodeInfo {
    /// `P` and four digits; the first digit is the phase.
    pub number: &'static str,
    /// Kebab-case name, usable in place of the number.
    pub name: &'static str,
    /// Severity unless configured otherwise.
    pub severity: Severity,
    /// The Markdown document.
    pub doc: &'static str,
    /// Retired codes stay listed and are never reused.
    pub removed: bool,
}

/// A diagnostic code: a handle into the registry.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(&'static CodeInfo);

impl Code {
    /// The code's number, `P####`.
    #[must_use]
    pub fn number(self) -> &'static str {
        self.0.number
    }
    /// The code's kebab-case name.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.0.name
    }
    /// Its default severity.
    #[must_use]
    pub fn default_severity(self) -> Severity {
        self.0.severity
    }
    /// Its long description (Markdown).
    #[must_use]
    pub fn doc(self) -> &'static str {
        self.0.doc
    }
    /// The registry entry.
    #[must_use]
    pub fn info(self) -> &'static CodeInfo {
        self.0
    }
    /// Looks a code up by number (`P2003`, any case) or by name (`unresolved-reference`).
    #[must_use]
    pub fn lookup(text: &str) -> Option<Code> {
        ALL_CODES
            .iter()
            .find(|info| info.number.eq_ignore_ascii_case(text) || info.name == text)
            .map(|info| Code(info))
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.number)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.number)
    }
}

macro_rules! codes {
    ($( $konst:ident = $number:literal $name:literal $severity:ident; )*) => {
        mod infos {
            use super::*;
            $(
                #[allow(non_upper_case_globals)]
                pub(super) static $konst: CodeInfo = CodeInfo {
                    number: $number,
                    name: $name,
                    severity: Severity::$severity,
                    doc: include_str!(concat!("../../../docs/codes/", $number, ".md")),
                    removed: false,
                };
            )*
        }
        impl Code {
            $(
                #[doc = concat!("`", $number, "` ", $name)]
                pub const $konst: Code = Code(&infos::$konst);
            )*
        }
        /// Every registered code, in number order.
        pub static ALL_CODES: &[&CodeInfo] = &[$(&infos::$konst),*];
    };
}

codes! {
    SYNTAX_ERROR = "P1001" "syntax-error" Error;
    NESTING_TOO_DEEP = "P1002" "nesting-too-deep" Error;
    INVALID_ESCAPE = "P1003" "invalid-escape" Error;
    INVALID_NUMBER = "P1004" "invalid-number" Error;
    BARE_CARRIAGE_RETURN = "P1005" "bare-carriage-return" Error;
    UNKNOWN_BLOCK_KIND = "P2001" "unknown-block-kind" Error;
    DUPLICATE_DECLARATION = "P2002" "duplicate-declaration" Error;
    UNRESOLVED_REFERENCE = "P2003" "unresolved-reference" Error;
    UNKNOWN_MODULE = "P2004" "unknown-module" Error;
    IMPORT_CYCLE = "P2005" "import-cycle" Error;
    FILE_NOT_FOUND = "P2006" "file-not-found" Error;
    VALUE_CYCLE = "P2007" "value-cycle" Error;
    UNKNOWN_PRESET = "P2008" "unknown-preset" Error;
    UNKNOWN_VARIABLE_OVERRIDE = "P2009" "unknown-variable-override" Error;
    TOO_MANY_IMPORTS = "P2010" "too-many-imports" Error;
    UNKNOWN_ATTRIBUTE = "P3001" "unknown-attribute" Error;
    TYPE_MISMATCH = "P3002" "type-mismatch" Error;
    MISSING_ATTRIBUTE = "P3003" "missing-attribute" Error;
    INVALID_VALUE = "P3004" "invalid-value" Error;
    DUPLICATE_ATTRIBUTE = "P3005" "duplicate-attribute" Error;
    WRONG_REFERENCE_KIND = "P3006" "wrong-reference-kind" Error;
    UNEXPECTED_ITEM = "P3007" "unexpected-item" Error;
    INVALID_NAME = "P3008" "invalid-name" Error;
    INVALID_TAG = "P3009" "invalid-tag" Error;
    TOO_MANY_TAGS = "P3010" "too-many-tags" Error;
    UNKNOWN_HOOK_EVENT = "P3011" "unknown-hook-event" Error;
    HOOK_TIMEOUT = "P3012" "hook-timeout" Error;
    INVALID_IAM_ACTION = "P3013" "invalid-iam-action" Error;
    INVALID_SID = "P3014" "invalid-sid" Error;
    INVALID_FILE_MODE = "P3015" "invalid-file-mode" Error;
    UNKNOWN_FUNCTION = "P3016" "unknown-function" Error;
    WRONG_ARGUMENTS = "P3017" "wrong-arguments" Error;
    UNKNOWN_ATTRIBUTE_OF_REFERENCE = "P3018" "unknown-reference-attribute" Error;
    DUPLICATE_HOOK = "P3019" "duplicate-hook" Error;
    UNKNOWN_RUNTIME = "P3020" "unknown-runtime" Warning;
    UNQUOTABLE_INTERPOLATION = "P3021" "unquotable-interpolation" Error;
    UNTERMINATED_COMMAND = "P3022" "unterminated-command" Error;
    UNSAFE_CONFIG_VALUE = "P3023" "unsafe-config-value" Error;
    VALUE_TOO_LARGE = "P3026" "value-too-large" Error;
    INVALID_PIPELINE = "P4001" "invalid-pipeline" Error;
    UNMATCHED_TAG_FILTER = "P4002" "unmatched-tag-filter" Warning;
    SHARED_BUILD_OUTPUT = "P4003" "shared-build-output" Error;
    MISSING_SOFTWARE = "P4007" "missing-software" Error;
    EXCLUDE_STRIPS_BUNDLE = "P4008" "exclude-strips-bundle" Error;
    IAM_WILDCARD_ACTION = "P4101" "iam-wildcard-action" Warning;
    IAM_WILDCARD_RESOURCE = "P4102" "iam-wildcard-resource" Warning;
    IAM_PASSROLE_WILDCARD = "P4103" "iam-passrole-wildcard" Warning;
    IAM_POLICY_ON_USER = "P4104" "iam-policy-on-user" Warning;
    IAM_ADMIN_GRANT = "P4105" "iam-admin-grant" Warning;
    CREDENTIAL_LITERAL = "P4106" "credential-literal" Warning;
    TEMPLATE_TOO_LARGE = "P5001" "template-too-large" Warning;
    TOO_MANY_RESOURCES = "P5002" "too-many-resources" Error;
    DEEP_VALIDATION = "P5003" "deep-validation" Warning;
    OUTPUT_NOT_OWNED = "P5004" "output-not-owned" Error;
    // P6xxx: deploy (pipec-deploy) — add below this line.
    AWS_NO_CREDENTIALS = "P6001" "aws-no-credentials" Error;
    AWS_EXPIRED_CREDENTIALS = "P6002" "aws-expired-credentials" Error;
    AWS_ACCESS_DENIED = "P6003" "aws-access-denied" Error;
    AWS_REGION = "P6004" "aws-region" Error;
    AWS_UNREACHABLE = "P6005" "aws-unreachable" Error;
    AWS_THROTTLED = "P6006" "aws-throttled" Error;
    AWS_REQUEST_FAILED = "P6007" "aws-request-failed" Error;
    MANIFEST_INVALID = "P6008" "manifest-invalid" Error;
    STACK_NOT_FOUND = "P6009" "stack-not-found" Error;
    STACK_CREATE_FAILED = "P6010" "stack-create-failed" Error;
    STACK_UPDATE_ROLLBACK_FAILED = "P6011" "stack-update-rollback-failed" Error;
    STACK_BUSY = "P6012" "stack-busy" Error;
    STACK_REVIEW_IN_PROGRESS = "P6013" "stack-review-in-progress" Warning;
    CHANGE_SET_FAILED = "P6014" "change-set-failed" Error;
    DATA_LOSS = "P6015" "data-loss" Error;
    CONFIRMATION_REQUIRED = "P6016" "confirmation-required" Error;
    RESOURCE_FAILED = "P6017" "resource-failed" Error;
    DEPLOY_FAILED = "P6018" "deploy-failed" Error;
    STACK_DELETE_FAILED = "P6019" "stack-delete-failed" Error;
    CHANGE_SET_UNUSABLE = "P6020" "change-set-unusable" Error;
    CHANGE_SET_OUTDATED = "P6021" "change-set-outdated" Error;
    PIPELINE_NOT_DEPLOYED = "P6022" "pipeline-not-deployed" Error;
    PIPELINE_NEVER_RAN = "P6023" "pipeline-never-ran" Error;
    EXECUTION_NOT_FOUND = "P6024" "execution-not-found" Error;
    PIPELINE_ACTION_FAILED = "P6025" "pipeline-action-failed" Error;
    BUILD_COMMAND_FAILED = "P6026" "build-command-failed" Error;
    DEPLOY_HOOK_FAILED = "P6027" "deploy-hook-failed" Error;
    REPOSITORY_EMPTY = "P6028" "repository-empty" Error;
    PUSH_FAILED = "P6029" "push-failed" Error;
    NO_LOGS = "P6030" "no-logs" Error;
    UNKNOWN_LOG_TARGET = "P6031" "unknown-log-target" Error;
    DEPLOYMENT_FAILED = "P6032" "deployment-failed" Error;
    NO_DEFAULT_VPC = "P6033" "no-default-vpc" Error;
    DEFAULT_VPC_UNKNOWN = "P6034" "default-vpc-unknown" Warning;
    // P7xxx: local run (pipec-run) — add below this line.
    RUN_BUILD_FAILED = "P7001" "build-failed" Error;
    RUN_MISSING_ARTIFACT = "P7002" "missing-artifact" Error;
    RUN_HOOK_FAILED = "P7003" "hook-failed" Error;
    RUN_HOOK_TIMED_OUT = "P7004" "hook-timed-out" Error;
    RUN_UNRESOLVED_SECRET = "P7005" "unresolved-secret" Error;
    RUN_INVALID_SOURCE = "P7006" "invalid-run-source" Error;
    RUN_INVALID_BUILD_OUTPUT = "P7007" "invalid-build-output" Error;
    RUN_RUNTIME_MISMATCH = "P7008" "runtime-not-installed" Warning;
    RUN_SANDBOX_FALLBACK = "P7009" "sandbox-fallback" Warning;
    RUN_INSTALL_FAILED = "P7010" "install-failed" Error;
    RUN_WORKDIR_OVERLAPS_SOURCE = "P7011" "workdir-overlaps-source" Error;
    RUN_WORKDIR_NOT_PIPECS = "P7012" "workdir-not-pipecs" Error;
    RUN_INTERRUPTED = "P7013" "run-interrupted" Error;
    RUN_SOFTWARE_NOT_ON_HOST = "P7020" "software-not-on-host" Warning;
    INTERNAL_ERROR = "P9000" "internal-error" Bug;
    IO_ERROR = "P9001" "io-error" Error;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_are_unique_and_docs_match() {
        let mut seen = std::collections::BTreeSet::new();
        for info in ALL_CODES {
            assert!(seen.insert(info.number), "duplicate number {}", info.number);
            assert!(seen.insert(info.name), "duplicate name {}", info.name);
            let heading = format!("# {}: {}", info.number, info.name);
            assert!(
                info.doc.starts_with(&heading),
                "{} doc must start with `{heading}`",
                info.number
            );
            for section in ["## What it means", "## Example", "## How to fix"] {
                assert!(
                    info.doc.contains(section),
                    "{} doc lacks `{section}`",
                    info.number
                );
            }
        }
    }

    #[test]
    fn lookup_by_number_or_name() {
        assert_eq!(Code::lookup("p2003"), Some(Code::UNRESOLVED_REFERENCE));
        assert_eq!(
            Code::lookup("unresolved-reference"),
            Some(Code::UNRESOLVED_REFERENCE)
        );
        assert_eq!(Code::lookup("P0000"), None);
    }
}
