//! Glob patterns as buildspec `artifacts` (and `exclude-paths`) and appspec `permissions` use them: `*` and `?`
//! within one path segment, `[…]` character classes, and `**` as a whole segment for any number
//! of directories (including none). Paths are `/`-separated and relative.

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Glob {
    segments: Vec<String>,
}

impl Glob {
    /// Compiles `pattern`. A leading `./` and repeated or trailing `/` are ignored.
    #[must_use]
    pub fn new(pattern: &str) -> Self {
        let segments = pattern
            .split('/')
            .filter(|segment| !segment.is_empty() && *segment != ".")
            .map(str::to_owned)
            .collect();
        Glob { segments }
    }

    /// True when the pattern has no wildcard at all (it names one path).
    #[must_use]
    pub fn is_literal(&self) -> bool {
        self.segments
            .iter()
            .all(|segment| !segment.contains(['*', '?', '[']))
    }

    /// True when the relative path `path` matches.
    #[must_use]
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path
            .split('/')
            .filter(|part| !part.is_empty() && *part != ".")
            .collect();
        match_segments(&self.segments, &parts)
    }
}

fn match_segments(pattern: &[String], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((first, rest)) if first == "**" => (0..=parts.len())
            .any(|skip| match_segments(rest, parts.get(skip..).unwrap_or_default())),
        Some((first, rest)) => match parts.split_first() {
            Some((part, remaining)) => {
                match_segment(first.as_bytes(), part.as_bytes()) && match_segments(rest, remaining)
            }
            None => false,
        },
    }
}

fn match_segment(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            (0..=text.len()).any(|skip| match_segment(rest, text.get(skip..).unwrap_or_default()))
        }
        Some((b'?', rest)) => {
            !text.is_empty() && match_segment(rest, text.get(1..).unwrap_or_default())
        }
        Some((b'[', rest)) => match (class_end(rest), text.split_first()) {
            (Some(end), Some((&character, remaining))) => {
                let class = rest.get(..end).unwrap_or_default();
                let after = rest.get(end + 1..).unwrap_or_default();
                class_matches(class, character) && match_segment(after, remaining)
            }
            // An unclosed `[` is a literal character.
            (None, Some((&b'[', remaining))) => match_segment(rest, remaining),
            _ => false,
        },
        Some((&literal, rest)) => {
            matches!(text.split_first(), Some((&character, remaining)) if character == literal && match_segment(rest, remaining))
        }
    }
}

/// Index of the `]` that closes a class starting after `[` (a `]` right at the start, or after
/// `!`/`^`, is a member).
fn class_end(class: &[u8]) -> Option<usize> {
    let mut start = usize::from(matches!(class.first(), Some(b'!' | b'^')));
    if class.get(start) == Some(&b']') {
        start += 1;
    }
    class
        .iter()
        .skip(start)
        .position(|&byte| byte == b']')
        .map(|index| index + start)
}

fn class_matches(class: &[u8], character: u8) -> bool {
    let (negated, members) = match class.split_first() {
        Some((b'!' | b'^', rest)) => (true, rest),
        _ => (false, class),
    };
    let mut found = false;
    let mut index = 0;
    while let Some(&low) = members.get(index) {
        if members.get(index + 1) == Some(&b'-') && members.get(index + 2).is_some() {
            let high = members.get(index + 2).copied().unwrap_or(low);
            found |= (low..=high).contains(&character);
            index += 3;
        } else {
            found |= low == character;
            index += 1;
        }
    }
    found != negated
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn star_stays_in_one_segment() {
        assert!(Glob::new("*.js").matches("a.js"));
        assert!(!Glob::new("*.js").matches("dir/a.js"));
        assert!(Glob::new("dir/*").matches("dir/a"));
        assert!(!Glob::new("dir/*").matches("dir/sub/a"));
    }

    #[test]
    fn double_star_spans_directories() {
        let all = Glob::new("**/*");
        assert!(all.matches("a"));
        assert!(all.matches("a/b/c.txt"));
        assert!(Glob::new("scripts/**/*").matches("scripts/x.sh"));
        assert!(Glob::new("scripts/**/*").matches("scripts/a/b/x.sh"));
        assert!(!Glob::new("scripts/**/*").matches("other/x.sh"));
        assert!(Glob::new("**/*.map").matches("dist/js/app.js.map"));
        assert!(Glob::new("**").matches("x/y"));
    }

    #[test]
    fn literal_and_classes() {
        assert!(Glob::new("./appspec.yml").matches("appspec.yml"));
        assert!(Glob::new("appspec.yml").is_literal());
        assert!(!Glob::new("*.yml").is_literal());
        assert!(Glob::new("file[0-9].txt").matches("file7.txt"));
        assert!(!Glob::new("file[!0-9].txt").matches("file7.txt"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(Glob::new("a[b").matches("a[b"));
    }
}
