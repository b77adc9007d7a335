//! Source files and positions: `FileId`, `Span`, `SourceDb` and `LineIndex`.
//!
//! This crate owns every conversion between byte offsets and line/column positions, for the
//! terminal (through codespan's `Files` trait), for JSON output and for the language server
//! (UTF-8 or UTF-16 columns). It does no IO: text is handed to `SourceDb` by the caller.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::ops::Range;

use serde::Serialize;

/// Identifies one file in a `SourceDb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range belongs to.
    pub file: FileId,
    /// Start and end byte offsets (end exclusive).
    pub range: Range<u32>,
}

impl Span {
    /// Builds a span from byte offsets.
    #[must_use]
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            range: clamp(start)..clamp(end.max(start)),
        }
    }

    /// The start offset.
    #[must_use]
    pub fn start(&self) -> usize {
        self.range.start as usize
    }

    /// The end offset.
    #[must_use]
    pub fn end(&self) -> usize {
        self.range.end as usize
    }

    /// The smallest span covering both (they must be in the same file; otherwise `self`).
    #[must_use]
    pub fn to(&self, other: &Span) -> Span {
        if self.file != other.file {
            return self.clone();
        }
        Span {
            file: self.file,
            range: self.range.start.min(other.range.start)..self.range.end.max(other.range.end),
        }
    }

    /// True when `offset` is inside the span (end inclusive, for cursors).
    #[must_use]
    pub fn contains(&self, offset: usize) -> bool {
        self.start() <= offset && offset <= self.end()
    }
}

fn clamp(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// How columns are counted when positions are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Columns count UTF-8 bytes.
    Utf8,
    /// Columns count UTF-16 code units (the LSP default).
    Utf16,
    /// Columns count Unicode scalar values (what people see; used in JSON output).
    Chars,
}

/// A zero-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based column in the chosen encoding.
    pub column: u32,
}

/// Line starts of one text, for offset ↔ position conversion. Lines end at `\n`, `\r\n` or a
/// lone `\r` (as LSP counts them); a `\r` before `\n` belongs to the line ending, not to the
/// line's columns. (The parser rejects a lone `\r`, P1005; counting it here puts that
/// diagnostic where editors show the line.)
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes `text`.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(index, &byte)| {
                    byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'))
                })
                .map(|(index, _)| index + 1),
        );
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// Number of lines (a text ending in `\n` has an empty last line).
    #[must_use]
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line holding byte `offset` (clamped to the text).
    #[must_use]
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte range of line `line`, without its line ending.
    #[must_use]
    pub fn line_range(&self, text: &str, line: usize) -> Option<Range<usize>> {
        let start = *self.line_starts.get(line)?;
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(self.len, |next| next - 1);
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Some(start..end.max(start))
    }

    /// The position of byte `offset` in `text` (clamped, and moved back to a char boundary).
    #[must_use]
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let line_end = self
            .line_range(text, line)
            .map_or(offset, |range| range.end);
        let prefix = &text[start..offset.min(line_end).max(start)];
        let column = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
            Encoding::Chars => prefix.chars().count(),
        };
        Position {
            line: clamp(line),
            column: clamp(column),
        }
    }

    /// The byte offset of `position` in `text`; columns past the line end clamp to it.
    #[must_use]
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let Some(range) = self.line_range(text, position.line as usize) else {
            return text.len();
        };
        let line = &text[range.clone()];
        let wanted = position.column as usize;
        let mut counted = 0;
        for (index, ch) in line.char_indices() {
            if counted >= wanted {
                return range.start + index;
            }
            counted += match encoding {
                Encoding::Utf8 => ch.len_utf8(),
                Encoding::Utf16 => ch.len_utf16(),
                Encoding::Chars => 1,
            };
        }
        range.end
    }
}

/// One source file: its name as shown to users, its text and its line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Name shown in diagnostics (a path relative to where the user ran pipec, or `<std>/…`).
    pub name: String,
    /// Full text.
    pub text: String,
    /// Line starts of `text`.
    pub lines: LineIndex,
}

/// Every file of one compilation. Implements codespan's `Files` so diagnostics render
/// straight from it.
#[derive(Clone, Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    /// An empty database.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let lines = LineIndex::new(&text);
        let id = FileId(clamp(self.files.len()));
        self.files.push(SourceFile {
            name: name.into(),
            text,
            lines,
        });
        id
    }

    /// Replaces the text of an existing file (used by the language server).
    pub fn set_text(&mut self, file: FileId, text: impl Into<String>) {
        if let Some(entry) = self.files.get_mut(file.0 as usize) {
            entry.text = text.into();
            entry.lines = LineIndex::new(&entry.text);
        }
    }

    /// The file with id `file`, if any.
    #[must_use]
    pub fn get(&self, file: FileId) -> Option<&SourceFile> {
        self.files.get(file.0 as usize)
    }

    /// Finds a file by name.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|file| file.name == name)
            .map(|index| FileId(clamp(index)))
    }

    /// The text of `file` (empty when unknown).
    #[must_use]
    pub fn text(&self, file: FileId) -> &str {
        self.get(file).map_or("", |entry| entry.text.as_str())
    }

    /// The name of `file` (empty when unknown).
    #[must_use]
    pub fn name(&self, file: FileId) -> &str {
        self.get(file).map_or("", |entry| entry.name.as_str())
    }

    /// All file ids, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len()).map(|index| FileId(clamp(index)))
    }

    /// Zero-based position of the start of `span`.
    #[must_use]
    pub fn position(&self, file: FileId, offset: usize, encoding: Encoding) -> Position {
        match self.get(file) {
            Some(entry) => entry.lines.position(&entry.text, offset, encoding),
            None => Position { line: 0, column: 0 },
        }
    }

    /// `name:line` (one-based line) of the start of `span`, as written into generated metadata.
    #[must_use]
    pub fn location(&self, span: &Span) -> String {
        let position = self.position(span.file, span.start(), Encoding::Chars);
        format!("{}:{}", self.name(span.file), position.line + 1)
    }
}

impl<'a> codespan_reporting::files::Files<'a> for SourceDb {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|file| file.name.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.get(id)
            .map(|file| file.text.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let file = self
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        Ok(file.lines.line_of(byte_index))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self
            .get(id)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        if line_index >= file.lines.line_count() {
            // codespan asks for the line after the last one to place end-of-file labels.
            return Ok(file.text.len()..file.text.len());
        }
        let start = file
            .lines
            .line_range(&file.text, line_index)
            .map_or(0, |range| range.start);
        let end = file
            .lines
            .line_range(&file.text, line_index + 1)
            .map_or(file.text.len(), |range| range.start);
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a = \"😀x\"\nb";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap_or_default();
        assert_eq!(
            index.position(text, x, Encoding::Utf16),
            Position { line: 0, column: 7 }
        );
        assert_eq!(
            index.position(text, x, Encoding::Utf8),
            Position { line: 0, column: 9 }
        );
        assert_eq!(
            index.position(text, x, Encoding::Chars),
            Position { line: 0, column: 6 }
        );
        assert_eq!(
            index.offset(text, Position { line: 0, column: 7 }, Encoding::Utf16),
            x
        );
    }

    #[test]
    fn crlf_line_endings_are_not_columns() {
        let text = "ab\r\ncd\r\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_range(text, 0), Some(0..2));
        assert_eq!(
            index.position(text, 4, Encoding::Utf16),
            Position { line: 1, column: 0 }
        );
        assert_eq!(
            index.position(text, 2, Encoding::Utf16),
            Position { line: 0, column: 2 }
        );
        // A column past the end of the line clamps before the CR.
        assert_eq!(
            index.offset(
                text,
                Position {
                    line: 0,
                    column: 40
                },
                Encoding::Utf16
            ),
            2
        );
        assert_eq!(
            index.offset(text, Position { line: 9, column: 0 }, Encoding::Utf16),
            text.len()
        );
    }

    #[test]
    fn a_lone_cr_ends_a_line() {
        let text = "a\rbc\r\r\nd\ne";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 5);
        let lines: Vec<_> = (0..5)
            .map(|line| &text[index.line_range(text, line).expect("line")])
            .collect();
        assert_eq!(lines, ["a", "bc", "", "d", "e"]);
        let position = index.position(text, 1, Encoding::Utf16);
        assert_eq!((position.line, position.column), (0, 1));
        let position = index.position(text, 3, Encoding::Utf16);
        assert_eq!((position.line, position.column), (1, 1));
        let position = index.position(text, 7, Encoding::Utf16);
        assert_eq!((position.line, position.column), (3, 0));
        let back = index.offset(text, Position { line: 1, column: 2 }, Encoding::Utf16);
        assert_eq!(back, 4);
    }

    #[test]
    fn offsets_inside_a_char_move_back() {
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, 1, Encoding::Utf16),
            Position { line: 0, column: 0 }
        );
    }
}
