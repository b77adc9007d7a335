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

/// The outermost `{` between `from` and `to` that is still open at `to` (strings, their
/// interpolations and comments skipped), for pointing at it when a file ends inside a block.
pub(crate) fn unclosed_brace(text: &str, from: usize, to: usize) -> Option<usize> {
    enum Open {
        Brace(usize),
        Interpolation,
        Str(usize),
    }
    let bytes = &text.as_bytes()[..to.min(text.len())];
    let mut stack: Vec<Open> = Vec::new();
    let mut index = from;
    while index < bytes.len() {
        let rest = &bytes[index..];
        if let Some(Open::Str(width)) = stack.last() {
            let width = *width;
            if rest[0] == b'\\' {
                index += 2;
            } else if rest.starts_with(b"${") {
                stack.push(Open::Interpolation);
                index += 2;
            } else if rest[0] == b'"' && (width == 1 || rest.starts_with(b"\"\"\"")) {
                stack.pop();
                index += width;
            } else {
                index += 1;
            }
            continue;
        }
        if rest.starts_with(b"//") {
            index += rest
                .iter()
                .position(|byte| *byte == b'\n')
                .unwrap_or(rest.len());
            continue;
        }
        if rest.starts_with(b"/*") {
            index += rest[2..]
                .windows(2)
                .position(|pair| pair == b"*/")
                .map_or(rest.len(), |end| end + 4);
            continue;
        }
        match rest[0] {
            b'"' => {
                let width = if rest.starts_with(b"\"\"\"") { 3 } else { 1 };
                stack.push(Open::Str(width));
                index += width;
                continue;
            }
            b'{' => stack.push(Open::Brace(index)),
            b'}' => {
                stack.pop();
            }
            _ => {}
        }
        index += 1;
    }
    stack.into_iter().find_map(|open| match open {
        Open::Brace(offset) => Some(offset),
        Open::Interpolation | Open::Str(_) => None,
    })
}
