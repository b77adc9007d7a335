//! The one place that calls the compiler. It turns a snapshot of the open documents into an
//! `Analysis`: one checked program (`Unit`) per open document, each with its `SourceDb`, the
//! URI of each of its files, its diagnostics, ASTs and symbol index, all from
//! `pipec_driver::check_db`. Used files are read from the open documents first, then from
//! disk. Features read only this module's results; it never sees a protocol type.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_diagnostics::Diagnostic;
use pipec_driver::{FileLoader, SymbolIndex};
use pipec_span::{FileId, SourceDb};
use pipec_syntax::ast;

use crate::convert::{path_to_uri, uri_to_path};

/// The text of every open document, by URI.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    /// URI → text.
    pub(crate) files: BTreeMap<String, String>,
}

/// One checked program: an open document and everything it uses.
#[derive(Debug, Default)]
pub(crate) struct Unit {
    /// Every file read, the root first.
    pub(crate) db: SourceDb,
    /// The URI of each file, indexed by `FileId` (`None` for stdlib modules).
    pub(crate) uris: Vec<Option<String>>,
    /// Each diagnostic with the file that was being checked (where one without a location goes).
    pub(crate) diagnostics: Vec<(FileId, Diagnostic)>,
    /// True when any file of the unit had a syntax error.
    pub(crate) syntax_errors: bool,
    /// Declarations and references of the program.
    pub(crate) index: SymbolIndex,
}

impl Unit {
    /// The URI of `file`.
    pub(crate) fn uri(&self, file: FileId) -> Option<&str> {
        self.uris.get(file.0 as usize)?.as_deref()
    }

    /// The file with URI `uri`.
    pub(crate) fn file(&self, uri: &str) -> Option<FileId> {
        let index = self
            .uris
            .iter()
            .position(|known| known.as_deref() == Some(uri))?;
        Some(FileId(u32::try_from(index).ok()?))
    }
}

/// What the compiler found in one snapshot: a unit per open document, by its URI.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Root URI → its checked program.
    pub(crate) units: BTreeMap<String, Unit>,
}

/// Reads a file that is used but not open in the editor.
pub(crate) type ReadFile<'a> = &'a dyn Fn(&Path) -> Option<String>;

struct Loader<'a> {
    open: BTreeMap<PathBuf, &'a str>,
    read_file: ReadFile<'a>,
}

impl FileLoader for Loader<'_> {
    fn load(&self, path: &Path) -> Result<String, String> {
        if let Some(text) = self.open.get(path) {
            return Ok((*text).to_string());
        }
        (self.read_file)(path).ok_or_else(|| format!("cannot read {}", path.display()))
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(path).ok()
    }
}

/// Reads a file the program uses from disk: a regular file (a FIFO would block the worker,
/// `/dev/zero` never ends) of at most `pipec_driver::MAX_FILE_BYTES`, as UTF-8.
pub(crate) fn read_source(path: &Path) -> Option<String> {
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    pipec_driver::read_limited(file).ok()
}

/// Checks every open document with the files it uses.
pub(crate) fn analyze(snapshot: &Snapshot, read_file: ReadFile<'_>) -> Analysis {
    let open = snapshot
        .files
        .iter()
        .filter_map(|(uri, text)| Some((uri_to_path(uri)?, text.as_str())))
        .collect();
    let loader = Loader { open, read_file };
    let mut analysis = Analysis::default();
    for (uri, text) in &snapshot.files {
        analysis
            .units
            .insert(uri.clone(), check(uri, text, &loader));
    }
    analysis
}

fn check(uri: &str, text: &str, loader: &Loader<'_>) -> Unit {
    let mut db = SourceDb::new();
    let name = uri_to_path(uri).map_or_else(|| uri.to_string(), |path| path.display().to_string());
    let root = db.add(name, text);
    let checked = pipec_driver::check_db(db, root, loader, &[]);
    let uris: Vec<Option<String>> = checked
        .db
        .ids()
        .map(|file| {
            if file == root {
                return Some(uri.to_string());
            }
            let name = checked.db.name(file);
            let path = Path::new(name);
            path.is_absolute().then(|| path_to_uri(path))
        })
        .collect();
    let diagnostics = checked
        .analysis
        .diagnostics
        .into_iter()
        .map(|diag| (root, diag))
        .collect();
    Unit {
        db: checked.db,
        uris,
        diagnostics,
        syntax_errors: checked.syntax_errors,
        index: checked.analysis.index,
    }
}

/// A parsed file and its syntax diagnostics.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The AST (partial when there were errors).
    pub(crate) file: ast::File,
    /// Syntax diagnostics.
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// True when the syntax phase reported an error.
    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses one text.
pub(crate) fn parse(file: FileId, text: &str) -> Parsed {
    let (file, diagnostics) = pipec_syntax::parse_file(file, text);
    Parsed { file, diagnostics }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn used_files_are_read_from_open_documents_then_disk() {
        let mut snapshot = Snapshot::default();
        snapshot.files.insert(
            "file:///w/main.pipe".into(),
            "use \"./net.pipe\"\nuse \"./open.pipe\"\n".into(),
        );
        snapshot
            .files
            .insert("file:///w/open.pipe".into(), "repo b {\n".into());
        let read = |path: &Path| (path == Path::new("/w/net.pipe")).then(|| "repo {".to_string());
        let analysis = analyze(&snapshot, &read);
        let unit = &analysis.units["file:///w/main.pipe"];
        let uris: Vec<_> = unit.uris.iter().flatten().map(String::as_str).collect();
        assert_eq!(
            uris,
            [
                "file:///w/main.pipe",
                "file:///w/net.pipe",
                "file:///w/open.pipe"
            ]
        );
        let files: BTreeSet<_> = unit
            .diagnostics
            .iter()
            .filter_map(|(_, diag)| diag.primary_span().map(|span| span.file))
            .collect();
        assert_eq!(files, BTreeSet::from([FileId(1), FileId(2)]));
    }

    #[test]
    fn use_cycles_terminate() {
        let mut snapshot = Snapshot::default();
        snapshot
            .files
            .insert("file:///w/a.pipe".into(), "use \"b.pipe\"\n".into());
        snapshot
            .files
            .insert("file:///w/b.pipe".into(), "use \"a.pipe\"\n".into());
        let analysis = analyze(&snapshot, &|_: &Path| None);
        assert_eq!(analysis.units.len(), 2);
    }
}
