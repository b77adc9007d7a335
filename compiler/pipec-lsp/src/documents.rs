//! The open documents: their text, version and line index, kept in step with the client's
//! `didOpen`/`didChange`/`didClose`. Changes are applied as the client sends them (ranged or
//! whole-text); out-of-range positions clamp rather than fail, so no edit can break the store.

use std::collections::BTreeMap;

use lsp_types::TextDocumentContentChangeEvent;
use pipec_span::LineIndex;

use crate::convert::{PositionEncoding, TextRef};

/// One open document.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// The version the client gave with its last change.
    pub(crate) version: i32,
    /// The current text.
    pub(crate) text: String,
    /// Line starts of `text`.
    pub(crate) lines: LineIndex,
}

impl Document {
    /// A document as opened.
    pub(crate) fn new(version: i32, text: String) -> Self {
        let lines = LineIndex::new(&text);
        Document {
            version,
            text,
            lines,
        }
    }

    /// The text with its index, for conversions.
    pub(crate) fn text_ref(&self) -> TextRef<'_> {
        TextRef {
            text: &self.text,
            lines: &self.lines,
        }
    }

    /// Applies the changes of one `didChange`, in order, then sets the new version.
    pub(crate) fn apply(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: PositionEncoding,
    ) {
        for change in changes {
            match change.range {
                Some(range) => {
                    let offsets = self.text_ref().offsets(range, encoding);
                    self.text.replace_range(offsets, &change.text);
                }
                None => self.text = change.text,
            }
            self.lines = LineIndex::new(&self.text);
        }
        self.version = version;
    }
}

/// Every open document, by URI.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    open: BTreeMap<String, Document>,
}

impl Documents {
    /// Records an opened document (replacing one of the same URI).
    pub(crate) fn open(&mut self, uri: String, version: i32, text: String) {
        self.open.insert(uri, Document::new(version, text));
    }

    /// The document at `uri`, if open.
    pub(crate) fn get(&self, uri: &str) -> Option<&Document> {
        self.open.get(uri)
    }

    /// The document at `uri` for changing, if open.
    pub(crate) fn get_mut(&mut self, uri: &str) -> Option<&mut Document> {
        self.open.get_mut(uri)
    }

    /// Forgets a closed document.
    pub(crate) fn close(&mut self, uri: &str) {
        self.open.remove(uri);
    }

    /// Open documents in URI order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Document)> {
        self.open.iter()
    }
}

#[cfg(test)]
mod tests {
    use lsp_types::{Position, Range};
    use pipec_span::Encoding;

    use super::*;

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range {
                start: Position {
                    line: start.0,
                    character: start.1,
                },
                end: Position {
                    line: end.0,
                    character: end.1,
                },
            }),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn ranged_changes_apply_in_order_with_utf16_columns() {
        let mut doc = Document::new(1, "a = \"😀\"\r\nb = 2\r\n".to_string());
        let utf16 = PositionEncoding(Encoding::Utf16);
        // Replace the emoji (two UTF-16 units), then the `2`.
        doc.apply(
            2,
            vec![change((0, 5), (0, 7), "é"), change((1, 4), (1, 5), "3")],
            utf16,
        );
        assert_eq!(doc.text, "a = \"é\"\r\nb = 3\r\n");
        assert_eq!(doc.version, 2);
    }

    #[test]
    fn out_of_range_and_reversed_changes_clamp() {
        let mut doc = Document::new(1, "ab".to_string());
        let utf8 = PositionEncoding(Encoding::Utf8);
        doc.apply(
            2,
            vec![change((0, 9), (0, 1), "X"), change((7, 0), (9, 9), "!")],
            utf8,
        );
        assert_eq!(doc.text, "aX!");
    }
}
