//! The one shell-quoting function. Every user value that reaches a generated shell script
//! (hook scripts, buildspec commands written by pipec, UserData) passes through `quote`.

/// Quotes `value` as one POSIX shell word: unchanged when it only holds safe characters,
/// otherwise wrapped in single quotes with embedded single quotes written as `'\''`.
#[must_use]
pub fn quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&byte));
    if safe {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        if ch == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(ch);
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn safe_words_stay_plain() {
        assert_eq!(quote("/home/ubuntu/app"), "/home/ubuntu/app");
        assert_eq!(quote("a=b,c@d:e"), "a=b,c@d:e");
    }

    #[test]
    fn everything_else_is_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(touch x)"), "'$(touch x)'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("`id`\n#x"), "'`id`\n#x'");
        assert_eq!(quote("ünï"), "'ünï'");
    }

    #[test]
    fn quoted_words_are_inert_in_a_real_shell() {
        let nasty = [
            "$(touch pwned)",
            "`touch pwned`",
            "a'b\"c",
            "x\ny",
            "; rm -rf /tmp/nothing",
            "${HOME}",
            "ünï: #",
        ];
        for value in nasty {
            let script = format!("printf '%s' {}", quote(value));
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(&script)
                .output();
            let Ok(output) = output else { continue };
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                value,
                "script: {script}"
            );
        }
    }
}
