//! Conversions between our byte offsets and LSP positions, and between `file://` URIs and
//! paths. Positions use the encoding negotiated at initialization (UTF-16 unless the client
//! offers UTF-8); every conversion goes through `pipec_span::LineIndex`, which clamps positions
//! that lie outside the text instead of failing.

use std::path::{Path, PathBuf};

use lsp_types::{Position, PositionEncodingKind, Range};
use pipec_span::{Encoding, LineIndex};

/// The position encoding agreed with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PositionEncoding(pub(crate) Encoding);

impl PositionEncoding {
    /// Picks UTF-8 when the client offers it, UTF-16 (the protocol's default) otherwise.
    pub(crate) fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Self {
        let offered = offered.unwrap_or(&[]);
        if offered.contains(&PositionEncodingKind::UTF8) {
            PositionEncoding(Encoding::Utf8)
        } else {
            PositionEncoding(Encoding::Utf16)
        }
    }

    /// The protocol name of the encoding, for the server capabilities.
    pub(crate) fn kind(self) -> PositionEncodingKind {
        match self.0 {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 | Encoding::Chars => PositionEncodingKind::UTF16,
        }
    }
}

/// A text with its line index, borrowed for conversions.
#[derive(Clone, Copy)]
pub(crate) struct TextRef<'a> {
    /// The full text.
    pub(crate) text: &'a str,
    /// Its line starts.
    pub(crate) lines: &'a LineIndex,
}

impl TextRef<'_> {
    /// The LSP position of byte `offset`.
    pub(crate) fn position(self, offset: usize, encoding: PositionEncoding) -> Position {
        let position = self.lines.position(self.text, offset, encoding.0);
        Position {
            line: position.line,
            character: position.column,
        }
    }

    /// The LSP range of bytes `start..end`.
    pub(crate) fn range(self, start: usize, end: usize, encoding: PositionEncoding) -> Range {
        Range {
            start: self.position(start, encoding),
            end: self.position(end.max(start), encoding),
        }
    }

    /// The byte offset of an LSP position (clamped to the text).
    pub(crate) fn offset(self, position: Position, encoding: PositionEncoding) -> usize {
        let position = pipec_span::Position {
            line: position.line,
            column: position.character,
        };
        self.lines.offset(self.text, position, encoding.0)
    }

    /// The byte range of an LSP range, ordered and clamped.
    pub(crate) fn offsets(
        self,
        range: Range,
        encoding: PositionEncoding,
    ) -> std::ops::Range<usize> {
        let start = self.offset(range.start, encoding);
        let end = self.offset(range.end, encoding);
        start.min(end)..start.max(end)
    }

    /// The range covering the whole text.
    pub(crate) fn whole(self, encoding: PositionEncoding) -> Range {
        self.range(0, self.text.len(), encoding)
    }
}

/// True when two LSP ranges overlap or touch.
pub(crate) fn ranges_touch(left: Range, right: Range) -> bool {
    let key = |position: Position| (position.line, position.character);
    key(left.start) <= key(right.end) && key(right.start) <= key(left.end)
}

/// The local path of a `file://` URI, percent-decoded; `None` for other schemes.
pub(crate) fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///x` has an empty authority; `file://localhost/x` names this machine.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(rest)?;
    // Windows paths arrive as `/C:/dir`.
    let bytes = decoded.as_bytes();
    if bytes.len() >= 3 && bytes[0] == b'/' && bytes[1].is_ascii_alphabetic() && bytes[2] == b':' {
        return Some(PathBuf::from(&decoded[1..]));
    }
    Some(PathBuf::from(decoded))
}

/// The `file://` URI of an absolute path, percent-encoding what URIs do not allow.
pub(crate) fn path_to_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~:!$&'()*+,;=@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        assert_eq!(PositionEncoding::negotiate(None).0, Encoding::Utf16);
        let offered = [PositionEncodingKind::UTF16, PositionEncodingKind::UTF8];
        assert_eq!(
            PositionEncoding::negotiate(Some(&offered)).0,
            Encoding::Utf8
        );
        let offered = [PositionEncodingKind::UTF32];
        assert_eq!(
            PositionEncoding::negotiate(Some(&offered)).0,
            Encoding::Utf16
        );
    }

    #[test]
    fn positions_round_trip_on_multibyte_crlf_text() {
        let text = "a = \"é😀\"\r\nb = 1\r\n";
        let lines = LineIndex::new(text);
        let doc = TextRef {
            text,
            lines: &lines,
        };
        let utf16 = PositionEncoding(Encoding::Utf16);
        let utf8 = PositionEncoding(Encoding::Utf8);
        let quote = text.rfind('"').unwrap_or_default();
        assert_eq!(
            doc.position(quote, utf16),
            Position {
                line: 0,
                character: 8
            }
        );
        assert_eq!(
            doc.position(quote, utf8),
            Position {
                line: 0,
                character: 11
            }
        );
        assert_eq!(
            doc.offset(
                Position {
                    line: 0,
                    character: 8
                },
                utf16
            ),
            quote
        );
        let b = text.find('b').unwrap_or_default();
        assert_eq!(
            doc.position(b, utf16),
            Position {
                line: 1,
                character: 0
            }
        );
        // Past the end of a line: before the CR.
        assert_eq!(
            doc.offset(
                Position {
                    line: 1,
                    character: 99
                },
                utf16
            ),
            b + 5
        );
        assert_eq!(
            doc.whole(utf16).end,
            Position {
                line: 2,
                character: 0
            }
        );
    }

    #[test]
    fn file_uris_and_paths() {
        assert_eq!(
            uri_to_path("file:///tmp/a%20b/m.pipe"),
            Some(PathBuf::from("/tmp/a b/m.pipe"))
        );
        assert_eq!(uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(
            path_to_uri(Path::new("/tmp/a b/é.pipe")),
            "file:///tmp/a%20b/%C3%A9.pipe"
        );
        let uri = path_to_uri(Path::new("/x/y.pipe"));
        assert_eq!(uri_to_path(&uri), Some(PathBuf::from("/x/y.pipe")));
    }
}
