//! Shell quoting. Every string that reaches a shell command line from outside this crate (paths,
//! variable values) goes through [`quote`] (`pipec_ir::shell::quote`), which produces one word that
//! the shell reads back byte for byte. User commands themselves are never spliced into shell text: they are
//! written to files that the session sources (see `build`).

/// Quotes `text` as one POSIX shell word that the shell reads back byte for byte: the
/// compiler's one quoting function (ARCHITECTURE.md invariant 7), not a second one.
pub use pipec_ir::shell::quote;

/// True when `name` can be the name of a shell variable (`[A-Za-z_][A-Za-z0-9_]*`).
#[must_use]
pub fn is_variable_name(name: &str) -> bool {
    let mut characters = name.chars();
    matches!(characters.next(), Some(first) if first == '_' || first.is_ascii_alphabetic())
        && characters.all(|character| character == '_' || character.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn echo_back(text: &str) -> String {
        let script = format!("printf '%s' {}", quote(text));
        let output = Command::new("bash").arg("-c").arg(script).output();
        output
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default()
    }

    #[test]
    fn quoted_words_read_back_unchanged() {
        for text in [
            "",
            "plain",
            "with space",
            "it's",
            "''",
            "$HOME `id` $(id) \\ \" ; & | > < * ? [a] ~ # !",
            "line\nbreak\ttab",
            "ünïcødé",
        ] {
            assert_eq!(echo_back(text), text, "for {text:?}");
        }
    }

    #[test]
    fn variable_names() {
        assert!(is_variable_name("NODE_ENV"));
        assert!(is_variable_name("_x1"));
        assert!(!is_variable_name("1x"));
        assert!(!is_variable_name("A-B"));
        assert!(!is_variable_name(""));
        assert!(!is_variable_name("A B"));
    }
}
