//! Names made safe for the places they land in (logical ids, artifact and action names, path
//! components, security-group descriptions): one rule, parameterized by the characters a place
//! accepts besides ASCII letters and digits.

/// `text` with every character that is not an ASCII letter or digit and not in `keep`
/// replaced by `replacement`.
#[must_use]
pub fn sanitize(text: &str, keep: &str, replacement: char) -> String {
    text.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || keep.contains(ch) {
                ch
            } else {
                replacement
            }
        })
        .collect()
}

/// A block or hook name made safe as one path component: `[A-Za-z0-9._-]`, other characters
/// become `_`, and a name that would be empty, `.` or `..` gets a leading `_`.
#[must_use]
pub fn file_part(name: &str) -> String {
    let cleaned = sanitize(name, "-_.", '_');
    if cleaned.is_empty() || cleaned.chars().all(|ch| ch == '.') {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_alphanumerics_and_the_allowed_characters() {
        assert_eq!(sanitize("my app.v2", "", '_'), "my_app_v2");
        assert_eq!(sanitize("my app.v2", ".", '-'), "my-app.v2");
        assert_eq!(sanitize("a@b/c", "@", '_'), "a@b_c");
        // Non-ASCII letters are replaced one per character.
        assert_eq!(sanitize("ünï", "", '_'), "_n_");
        assert_eq!(sanitize("", "", '_'), "");
    }

    #[test]
    fn file_parts_are_one_safe_path_component() {
        assert_eq!(file_part("web"), "web");
        assert_eq!(file_part("a/b"), "a_b");
        assert_eq!(file_part("../x"), ".._x");
        assert_eq!(file_part(".."), "_..");
        assert_eq!(file_part("."), "_.");
        assert_eq!(file_part(""), "_");
    }
}
