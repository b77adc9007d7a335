//! Value rules of string attributes (`FIELD_RULES`): what AWS accepts in a field and what a
//! shell or a path can carry safely. The checker enforces them; hover shows their docs.

/// What a string attribute may hold beyond being a string: what AWS accepts there and what a
/// shell or a path can carry safely. The checker enforces it (P3004, or P3008 for branch
/// names); hover and completion can show [`FieldRule::doc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRule {
    /// A git branch: 1–256 characters (CodeCommit, aws-facts §6) following git's ref rules.
    GitBranch,
    /// A Linux user or group name, as `su`/`chown` take it.
    LinuxUser,
    /// A description of at most this many characters (aws-facts §2 and §3: CodeBuild 255,
    /// CodeCommit 1,000, IAM roles and managed policies 1,000).
    Description(usize),
    /// An absolute path on the instance (appspec `destination`, permission `object`).
    InstancePath,
    /// A path or glob relative to the source or build output (`base_dir`, `files`, `cache`).
    RelativePath,
    /// The value of a build environment variable.
    EnvValue,
}

/// The field rules by block keyword and attribute (`""` attribute: the block's label or its
/// `source -> destination` lines, as named in the rule's doc).
pub const FIELD_RULES: &[(&str, &str, FieldRule)] = &[
    ("repo", "branch", FieldRule::GitBranch),
    ("repo", "description", FieldRule::Description(1000)),
    ("build", "description", FieldRule::Description(255)),
    ("build", "cache", FieldRule::RelativePath),
    ("build", "env", FieldRule::EnvValue),
    ("role", "description", FieldRule::Description(1000)),
    ("policy", "description", FieldRule::Description(1000)),
    ("artifacts", "base_dir", FieldRule::RelativePath),
    ("artifacts", "files", FieldRule::RelativePath),
    ("artifacts", "exclude", FieldRule::RelativePath),
    ("phase", "run_as", FieldRule::LinuxUser),
    ("hook", "runas", FieldRule::LinuxUser),
    ("permissions", "owner", FieldRule::LinuxUser),
    ("permissions", "group", FieldRule::LinuxUser),
    ("permissions", "pattern", FieldRule::RelativePath),
    ("permissions", "except", FieldRule::RelativePath),
    ("files", "destination", FieldRule::InstancePath),
    ("files", "source", FieldRule::RelativePath),
];

/// The rule of `attr` in blocks `block`, if it has one.
#[must_use]
pub fn field_rule(block: &str, attr: &str) -> Option<FieldRule> {
    FIELD_RULES
        .iter()
        .find(|(owner, name, _)| *owner == block && *name == attr)
        .map(|(_, _, rule)| *rule)
}

/// Bidirectional-text controls (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F):
/// they make text display in an order other than the one it is read in.
#[must_use]
pub fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

impl FieldRule {
    /// What the rule allows, for hover and help lines.
    #[must_use]
    pub fn doc(self) -> String {
        match self {
            FieldRule::GitBranch => "a git branch name: 1 to 256 characters, no spaces, control characters, `~ ^ : ? * [ \\`, `..`, `@{` or `//`, not starting with `-`, `/` or `.`, not ending with `/`, `.` or `.lock`".into(),
            FieldRule::LinuxUser => "a Linux user or group name: 1 to 32 letters, digits, `_`, `.` or `-`, starting with a letter or `_`".into(),
            FieldRule::Description(max) => format!("at most {max} characters, without control characters (tab and newline allowed) or bidirectional-text controls"),
            FieldRule::InstancePath => "an absolute path without `..` components, control characters or bidirectional-text controls".into(),
            FieldRule::RelativePath => "a relative path or glob without `..` components, a leading `-` or `/`, control characters or bidirectional-text controls".into(),
            FieldRule::EnvValue => "any text without control characters (tab allowed) or bidirectional-text controls, at most 4,096 characters; use `secret(\"…\")` for multi-line values".into(),
        }
    }

    /// What is wrong with `text` under this rule, if anything (a short phrase).
    #[must_use]
    pub fn problem(self, text: &str) -> Option<String> {
        let control = |allowed: &str| {
            text.chars()
                .find(|ch| (ch.is_control() && !allowed.contains(*ch)) || is_bidi_control(*ch))
                .map(|ch| format!("it contains the control character U+{:04X}", u32::from(ch)))
        };
        match self {
            FieldRule::GitBranch => {
                let length = text.chars().count();
                if length == 0 || length > 256 {
                    return Some(format!("it is {length} characters long (1 to 256 allowed)"));
                }
                if let Some(problem) = control("") {
                    return Some(problem);
                }
                if let Some(ch) = text.chars().find(|ch| " ~^:?*[\\".contains(*ch)) {
                    return Some(format!("it contains `{ch}`"));
                }
                for bad in ["..", "@{", "//"] {
                    if text.contains(bad) {
                        return Some(format!("it contains `{bad}`"));
                    }
                }
                if text == "@" {
                    return Some("`@` alone is not a branch".into());
                }
                if text.starts_with(['-', '/', '.']) {
                    return Some("it starts with `-`, `/` or `.`".into());
                }
                if text.ends_with(['/', '.']) || text.ends_with(".lock") {
                    return Some("it ends with `/`, `.` or `.lock`".into());
                }
                if text.split('/').any(|part| part.starts_with('.')) {
                    return Some("a part of it starts with `.`".into());
                }
                None
            }
            FieldRule::LinuxUser => {
                let body = text.strip_suffix('$').unwrap_or(text);
                let length = text.chars().count();
                if length == 0 || length > 32 {
                    return Some(format!("it is {length} characters long (1 to 32 allowed)"));
                }
                if !body.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_') {
                    return Some("it does not start with a letter or `_`".into());
                }
                if let Some(ch) = body
                    .chars()
                    .find(|ch| !(ch.is_ascii_alphanumeric() || "_.-".contains(*ch)))
                {
                    return Some(format!("it contains {}", describe_char(ch)));
                }
                None
            }
            FieldRule::Description(max) => {
                let length = text.chars().count();
                if length > max {
                    return Some(format!("it is {length} characters long (at most {max})"));
                }
                control("\t\n\r")
            }
            FieldRule::InstancePath => {
                if let Some(problem) = control("") {
                    return Some(problem);
                }
                if text.split('/').any(|part| part == "..") {
                    return Some("it has a `..` component".into());
                }
                None
            }
            FieldRule::RelativePath => {
                if let Some(problem) = control("") {
                    return Some(problem);
                }
                if text.split(['/', '\\']).any(|part| part == "..") {
                    return Some("it has a `..` component".into());
                }
                if text.starts_with('-') {
                    return Some("it starts with `-`, which commands read as an option".into());
                }
                None
            }
            FieldRule::EnvValue => {
                let length = text.chars().count();
                if length > 4096 {
                    return Some(format!("it is {length} characters long (at most 4096)"));
                }
                control("\t")
            }
        }
    }
}

fn describe_char(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() || is_bidi_control(ch) {
        format!("the character U+{:04X}", u32::from(ch))
    } else {
        format!("`{ch}`")
    }
}

#[cfg(test)]
mod field_rule_tests {
    use super::*;

    #[test]
    fn rules_reject_what_aws_or_a_shell_would_not_take() {
        let branch = FieldRule::GitBranch;
        assert_eq!(branch.problem("release/1.2"), None);
        assert!(branch.problem("main\n").is_some());
        assert!(branch.problem("ma\u{202e}in").is_some());
        assert!(branch.problem("a..b").is_some());
        assert!(branch.problem("-x").is_some());
        assert!(branch.problem(&"b".repeat(257)).is_some());
        let user = FieldRule::LinuxUser;
        assert_eq!(user.problem("ec2-user"), None);
        assert!(user.problem("root\n").is_some());
        assert!(user.problem("r\u{200f}oot").is_some());
        assert!(user.problem("-rf").is_some());
        assert_eq!(FieldRule::Description(255).problem("ok\nfine"), None);
        assert!(FieldRule::Description(255)
            .problem(&"d".repeat(2000))
            .is_some());
        assert!(FieldRule::RelativePath.problem("-rf").is_some());
        assert!(FieldRule::RelativePath.problem("../../etc").is_some());
        assert_eq!(FieldRule::RelativePath.problem("dist/**/*"), None);
        assert!(FieldRule::InstancePath
            .problem("/../../../../tmp/x")
            .is_some());
        assert_eq!(FieldRule::InstancePath.problem("/srv/app"), None);
        assert!(FieldRule::EnvValue.problem("a\nb").is_some());
        assert_eq!(field_rule("hook", "runas"), Some(FieldRule::LinuxUser));
    }
}
