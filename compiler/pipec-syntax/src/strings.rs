//! String literal text shared by both parsers: line endings, joining text parts, and the
//! dedent of triple-quoted strings.

use crate::ast::StrPart;

/// Literal string text from the source: a CRLF line break is a line feed, so a string's value
/// does not depend on the file's line endings (`\r` escapes are added separately).
pub(crate) fn push_source_text(parts: &mut Vec<StrPart>, text: &str) {
    if text.contains('\r') {
        push_text(parts, &text.replace("\r\n", "\n"));
    } else {
        push_text(parts, text);
    }
}

/// Appends literal text, merging with a preceding text part.
pub(crate) fn push_text(parts: &mut Vec<StrPart>, text: &str) {
    if let Some(StrPart::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(StrPart::Text(text.to_string()));
    }
}

/// Triple-quoted strings drop a first line break, a last line of only spaces, and the
/// indentation common to all non-blank lines.
pub(crate) fn dedent(parts: &mut [StrPart]) {
    if let Some(StrPart::Text(first)) = parts.first_mut() {
        if let Some(rest) = first
            .strip_prefix("\r\n")
            .or_else(|| first.strip_prefix('\n'))
        {
            *first = rest.to_string();
        }
    }
    if let Some(StrPart::Text(last)) = parts.last_mut() {
        if let Some(newline) = last.rfind('\n') {
            if last[newline + 1..]
                .chars()
                .all(|ch| ch == ' ' || ch == '\t')
            {
                last.truncate(newline + 1);
            }
        }
    }
    // The common indentation of line starts inside the text parts.
    let mut common: Option<usize> = None;
    let mut at_line_start = true;
    for part in parts.iter() {
        match part {
            StrPart::Text(text) => {
                for (index, line) in text.split('\n').enumerate() {
                    if index > 0 {
                        at_line_start = true;
                    }
                    if at_line_start && !line.trim().is_empty() {
                        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
                        common = Some(common.map_or(indent, |value| value.min(indent)));
                    }
                    at_line_start = false;
                }
            }
            StrPart::Interp(_) => at_line_start = false,
        }
    }
    let Some(common) = common.filter(|value| *value > 0) else {
        return;
    };
    let mut at_line_start = true;
    for part in parts.iter_mut() {
        match part {
            StrPart::Text(text) => {
                let mut out = String::with_capacity(text.len());
                for (index, line) in text.split('\n').enumerate() {
                    if index > 0 {
                        out.push('\n');
                        at_line_start = true;
                    }
                    if at_line_start {
                        let strip = line.len() - line.trim_start_matches([' ', '\t']).len();
                        out.push_str(&line[strip.min(common)..]);
                    } else {
                        out.push_str(line);
                    }
                    at_line_start = false;
                }
                *text = out;
            }
            StrPart::Interp(_) => at_line_start = false,
        }
    }
}
