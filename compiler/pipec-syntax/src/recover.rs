//! Parsing a whole file: the hand-written parser (`fast.rs`) for clean text, pest
//! (`parser.rs`, the reference) where there is an error, resuming at the next top-level item.

use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::{FileId, Span};

use crate::ast::File;
use crate::parser::{parse_segment, syntax_diagnostic};
use crate::scan::{
    bare_carriage_return, item_start_after, item_start_before, too_deep, unclosed_brace, MAX_DEPTH,
};

/// Parses one file. Always returns a `File` (possibly partial) and the syntax diagnostics.
///
/// A file without any syntax diagnostic goes through the hand-written parser of `fast.rs`;
/// anything else through pest, the reference, which reports errors and recovers after them;
/// the good parts around an error (before the broken item, after the resumption point) go
/// through the fast parser again, so pest parses only what it must to find each error.
#[must_use]
pub fn parse_file(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    if too_deep(text).is_none() && bare_carriage_return(text).is_none() {
        if let Some(items) = crate::fast::parse(file, text) {
            let span = Span::new(file, 0, text.len());
            return (File { items, span }, Vec::new());
        }
    }
    parse_recovering(file, text, true)
}

/// [`parse_file`] through pest only: the reference that the fast parser is tested against.
#[doc(hidden)]
#[must_use]
pub fn parse_file_with_pest(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    parse_recovering(file, text, false)
}

/// Parses with recovery at top-level items. With `fast`, each segment (the good items before a
/// broken one, the rest after it) is first tried with the hand-written parser, and pest runs
/// only where that gives up: the same result (the fast parser gives up on anything pest would
/// report), with pest's work limited to finding and describing the errors.
fn parse_recovering(file: FileId, text: &str, fast: bool) -> (File, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let whole = Span::new(file, 0, text.len());
    if let Some(offset) = too_deep(text) {
        diagnostics.push(
            Diagnostic::error(
                Code::NESTING_TOO_DEEP,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            )
            .primary(Span::new(file, offset, offset + 1), "too deep here")
            .help("flatten the value: name inner parts with `let` and refer to them"),
        );
        return (
            File {
                items: Vec::new(),
                span: whole,
            },
            diagnostics,
        );
    }
    if let Some(offset) = bare_carriage_return(text) {
        let count = text
            .match_indices('\r')
            .filter(|(index, _)| text.as_bytes().get(index + 1) != Some(&b'\n'))
            .count();
        let mut diagnostic = Diagnostic::error(
            Code::BARE_CARRIAGE_RETURN,
            "carriage return without a line feed",
        )
        .primary(Span::new(file, offset, offset), "a lone CR ends this line");
        if count > 1 {
            diagnostic = diagnostic.note(format!(
                "The file has {count} of them: its lines probably end with CR only (old Mac OS line endings), which pipec does not accept."
            ));
        }
        diagnostics.push(diagnostic.help(
            "end lines with LF or CRLF (e.g. `dos2unix -c mac FILE`); in a string, write `\\r`",
        ));
        return (
            File {
                items: Vec::new(),
                span: whole,
            },
            diagnostics,
        );
    }
    let mut items = Vec::new();
    let mut start = 0;
    let fast_segment = |start: usize, end: usize| {
        if fast {
            crate::fast::parse_range(file, text, start, end)
        } else {
            None
        }
    };
    while start < text.len() {
        // At 0, `parse_file` has tried the fast parser on the whole text already.
        if let Some(mut parsed) = (start > 0)
            .then(|| fast_segment(start, text.len()))
            .flatten()
        {
            items.append(&mut parsed);
            break;
        }
        match parse_segment(file, text, start, text.len(), &mut diagnostics) {
            Ok(mut parsed) => {
                items.append(&mut parsed);
                break;
            }
            Err(boxed) => {
                let (position, error) = *boxed;
                let mut diagnostic = syntax_diagnostic(file, text, start, position, &error);
                // A file that ends inside a block: the broken item is the one whose `{` is
                // still open, and the closing `}` most likely belongs before the next line that
                // starts an item. Resuming there keeps the items after it (their diagnostics,
                // hover, outline) instead of swallowing the rest of the file into the block.
                let (broken_at, resume_from) = match (position >= text.len())
                    .then(|| unclosed_brace(text, start, position))
                    .flatten()
                {
                    Some(open) => {
                        if let Some(next) = item_start_after(text, open + 1) {
                            let line_end = text[next..].find('\n').map_or(text.len(), |i| next + i);
                            diagnostic = diagnostic.secondary(
                                Span::new(file, next, line_end.max(next)),
                                "the next item starts here: is a `}` missing before it?",
                            );
                        }
                        (open, open + 1)
                    }
                    None => (position, position.max(start + 1)),
                };
                diagnostics.push(diagnostic);
                // Keep the complete items before the broken one.
                let cut = item_start_before(text, start, broken_at);
                if cut > start {
                    if let Some(mut parsed) = fast_segment(start, cut) {
                        items.append(&mut parsed);
                    } else if let Ok(mut parsed) =
                        parse_segment(file, text, start, cut, &mut Vec::new())
                    {
                        items.append(&mut parsed);
                    }
                }
                // Resume at the next line that starts a top-level item.
                match item_start_after(text, resume_from) {
                    Some(next) => start = next,
                    None => break,
                }
            }
        }
    }
    (File { items, span: whole }, diagnostics)
}
