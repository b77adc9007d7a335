//! Finds comments in source text (the parser skips them), for the formatter and the outline.

use pipec_span::{FileId, Span};

/// A `//` or `/* */` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Where it is, delimiters included.
    pub span: Span,
    /// True when nothing but white space precedes it on its line.
    pub own_line: bool,
}

/// Every comment of `text`, in order, skipping comment markers inside strings.
#[must_use]
pub fn scan_comments(file: FileId, text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    // Each entry: true = inside a string (with its quote width), false = code in an interpolation.
    let mut stack: Vec<(bool, usize)> = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let (in_string, quote_width) = stack.last().copied().unwrap_or((false, 0));
        if in_string {
            if bytes[index] == b'\\' {
                index += 2;
                continue;
            }
            if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'{') {
                stack.push((false, 0));
                index += 2;
                continue;
            }
            if bytes[index] == b'"' && (quote_width == 1 || text[index..].starts_with("\"\"\"")) {
                stack.pop();
                index += quote_width;
                continue;
            }
            index += 1;
            continue;
        }
        match bytes[index] {
            b'"' => {
                let width = if text[index..].starts_with("\"\"\"") {
                    3
                } else {
                    1
                };
                stack.push((true, width));
                index += width;
            }
            b'{' => {
                stack.push((false, 0));
                index += 1;
            }
            b'}' => {
                stack.pop();
                index += 1;
            }
            b'/' if matches!(bytes.get(index + 1), Some(b'/' | b'*')) => {
                let start = index;
                if bytes[index + 1] == b'/' {
                    while index < bytes.len() && bytes[index] != b'\n' {
                        index += 1;
                    }
                    // A line comment does not include a trailing CR.
                    let mut end = index;
                    if end > start && bytes[end - 1] == b'\r' {
                        end -= 1;
                    }
                    comments.push(make(file, text, start, end));
                } else {
                    index += 2;
                    while index < bytes.len()
                        && !(bytes[index] == b'*' && bytes.get(index + 1) == Some(&b'/'))
                    {
                        index += 1;
                    }
                    index = (index + 2).min(bytes.len());
                    comments.push(make(file, text, start, index));
                }
            }
            _ => index += 1,
        }
    }
    comments
}

fn make(file: FileId, text: &str, start: usize, end: usize) -> Comment {
    let line_start = text[..start].rfind('\n').map_or(0, |index| index + 1);
    let own_line = text[line_start..start].trim().is_empty();
    Comment {
        span: Span::new(file, start, end),
        own_line,
    }
}
