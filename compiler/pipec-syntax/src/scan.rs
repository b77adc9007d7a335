//! Whole-text scans that run before either parser: nesting depth, bare carriage returns, and
//! the line starts of top-level items where parsing resumes after an error.

/// The deepest nesting of brackets, braces and interpolations accepted.
pub const MAX_DEPTH: usize = 48;

/// Finds the first place where nesting exceeds `MAX_DEPTH`, skipping strings and comments.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    // Each entry records whether the open construct is a string (true) or code (false).
    let mut stack: Vec<bool> = Vec::new();
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let in_string = stack.last().copied().unwrap_or(false);
        let byte = bytes[index];
        if in_string {
            match byte {
                b'\\' => index += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' if bytes.get(index + 1) == Some(&b'{') => {
                    stack.push(false);
                    index += 1;
                }
                _ => {}
            }
        } else {
            match byte {
                b'"' => stack.push(true),
                b'[' | b'{' | b'(' => stack.push(false),
                b']' | b'}' | b')' => {
                    stack.pop();
                }
                b'/' if bytes.get(index + 1) == Some(&b'/') => {
                    while index < bytes.len() && bytes[index] != b'\n' {
                        index += 1;
                    }
                }
                b'/' if bytes.get(index + 1) == Some(&b'*') => {
                    index += 2;
                    while index + 1 < bytes.len()
                        && !(bytes[index] == b'*' && bytes[index + 1] == b'/')
                    {
                        index += 1;
                    }
                    index += 1;
                }
                _ => {}
            }
        }
        if stack.len() > MAX_DEPTH {
            return Some(index.min(text.len().saturating_sub(1)));
        }
        index += 1;
    }
    None
}

/// The offset of the first carriage return that is not followed by a line feed. Lines end
/// with LF or CRLF only: a lone CR is a line break to some tools and not to others (a `//`
/// comment would run past it to the next LF), so it is reported rather than guessed at.
pub(crate) fn bare_carriage_return(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len()).find(|&index| bytes[index] == b'\r' && bytes.get(index + 1) != Some(&b'\n'))
}

/// Whether the line starting at `offset` opens a top-level item (starts at column 0 with a letter).
fn opens_item(text: &str, offset: usize) -> bool {
    text[offset..]
        .chars()
        .next()
        .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
}

pub(crate) fn item_start_before(text: &str, floor: usize, position: usize) -> usize {
    let mut line_start = text[..position.min(text.len())]
        .rfind('\n')
        .map_or(0, |index| index + 1);
    loop {
        if line_start <= floor {
            return floor;
        }
        if opens_item(text, line_start) {
            return line_start;
        }
        line_start = text[..line_start - 1]
            .rfind('\n')
            .map_or(0, |index| index + 1);
    }
}

pub(crate) fn item_start_after(text: &str, position: usize) -> Option<usize> {
    let mut search = position.min(text.len());
    while !text.is_char_boundary(search) {
        search += 1;
    }
    while let Some(newline) = text[search..].find('\n') {
        let line_start = search + newline + 1;
        if line_start < text.len() && opens_item(text, line_start) {
            return Some(line_start);
        }
        search = line_start;
    }
    None
}
