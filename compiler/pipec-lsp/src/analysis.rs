//! The one place that calls the compiler. It turns a snapshot of the open documents into an
//! `Analysis`: a `SourceDb` of every file involved (the open ones and the files they `use`),
//! the URI of each file and the diagnostics found. Features read only this module's results,
//! so switching from the syntax phase to the full driver is a change here and nowhere else.
//! It never talks to the client and never sees a protocol type.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use pipec_diagnostics::Diagnostic;
use pipec_span::{FileId, SourceDb};
use pipec_syntax::ast::{self, ExprKind, ItemKind, StrPart};

use crate::convert::{path_to_uri, uri_to_path};
use crate::index::SymbolIndex;

/// The text of every open document, by URI.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    /// URI → text.
    pub(crate) files: BTreeMap<String, String>,
}

/// What the compiler found in one snapshot.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Every file read: the open documents first, then the files they use.
    pub(crate) db: SourceDb,
    /// The URI of each file, indexed by `FileId`.
    pub(crate) uris: Vec<String>,
    /// Each diagnostic with the file that was being checked when it was found (where a
    /// diagnostic without a location is shown).
    pub(crate) diagnostics: Vec<(FileId, Diagnostic)>,
    /// The AST of each file, indexed by `FileId` (partial where there were syntax errors).
    pub(crate) asts: Vec<Option<ast::File>>,
    /// Files with a syntax error.
    pub(crate) broken: BTreeSet<FileId>,
    /// Declarations and references of all files.
    pub(crate) index: SymbolIndex,
}

impl Analysis {
    /// The URI of `file`.
    pub(crate) fn uri(&self, file: FileId) -> Option<&str> {
        self.uris.get(file.0 as usize).map(String::as_str)
    }

    /// The file with URI `uri`.
    pub(crate) fn file(&self, uri: &str) -> Option<FileId> {
        let index = self.uris.iter().position(|known| known == uri)?;
        Some(FileId(u32::try_from(index).ok()?))
    }

    /// The AST of `file`.
    pub(crate) fn ast(&self, file: FileId) -> Option<&ast::File> {
        self.asts.get(file.0 as usize)?.as_ref()
    }
}

/// Reads a file that is used but not open in the editor.
pub(crate) type ReadFile<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// Checks every open document and the files it uses.
pub(crate) fn analyze(snapshot: &Snapshot, read_file: ReadFile<'_>) -> Analysis {
    let mut analysis = Analysis::default();
    let mut by_uri: BTreeMap<String, FileId> = BTreeMap::new();
    let mut queue: Vec<FileId> = Vec::new();
    for (uri, text) in &snapshot.files {
        let file = analysis.db.add(display_name(uri), text.clone());
        analysis.uris.push(uri.clone());
        by_uri.insert(uri.clone(), file);
        queue.push(file);
    }
    let mut done = BTreeSet::new();
    while let Some(file) = queue.pop() {
        if !done.insert(file) {
            continue;
        }
        let parsed = parse(file, analysis.db.text(file));
        analysis
            .diagnostics
            .extend(parsed.diagnostics.into_iter().map(|diag| (file, diag)));
        let Some(base) = analysis.uri(file).and_then(uri_to_path) else {
            continue;
        };
        for relative in used_files(&parsed.file) {
            let Some(path) = base.parent().map(|dir| normalize(&dir.join(&relative))) else {
                continue;
            };
            let uri = path_to_uri(&path);
            if let Some(&known) = by_uri.get(&uri) {
                queue.push(known);
                continue;
            }
            // A missing file is reported by the checker at the `use`; here it is just skipped.
            let text = snapshot
                .files
                .get(&uri)
                .cloned()
                .or_else(|| read_file(&path));
            if let Some(text) = text {
                let used = analysis.db.add(display_name(&uri), text);
                analysis.uris.push(uri.clone());
                by_uri.insert(uri, used);
                queue.push(used);
            }
        }
    }
    let files: Vec<(&ast::File, &str)> = analysis
        .asts
        .iter()
        .enumerate()
        .filter_map(|(index, ast)| {
            Some((
                ast.as_ref()?,
                analysis.db.text(FileId(u32::try_from(index).ok()?)),
            ))
        })
        .collect();
    analysis.index = SymbolIndex::build(files);
    analysis
}

fn set_ast(asts: &mut Vec<Option<ast::File>>, file: FileId, ast: ast::File) {
    let index = file.0 as usize;
    if asts.len() <= index {
        asts.resize(index + 1, None);
    }
    asts[index] = Some(ast);
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

/// The relative paths named by `use "…"` at the top level of `file`.
fn used_files(file: &ast::File) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Statement(statement) if statement.keyword.name == "use" => {
                match &statement.argument.kind {
                    ExprKind::Str(parts) => match parts.as_slice() {
                        [StrPart::Text(text)] => Some(text.clone()),
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// Removes `.` and folds `..` without touching the file system, so that one file has one URI.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The name shown for a file: its path when it has one, else the URI.
fn display_name(uri: &str) -> String {
    uri_to_path(uri).map_or_else(|| uri.to_string(), |path| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_files_are_read_and_checked() {
        let mut snapshot = Snapshot::default();
        snapshot.files.insert(
            "file:///w/main.pipe".into(),
            "use \"./net.pipe\"\nrepo app { name = \"x\" }\n".into(),
        );
        let read = |path: &Path| (path == Path::new("/w/net.pipe")).then(|| "repo {".to_string());
        let analysis = analyze(&snapshot, &read);
        assert_eq!(analysis.uris, ["file:///w/main.pipe", "file:///w/net.pipe"]);
        let files: Vec<_> = analysis.diagnostics.iter().map(|(file, _)| *file).collect();
        assert_eq!(files, [FileId(1)]);
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
        assert_eq!(analysis.uris.len(), 2);
        assert!(analysis.diagnostics.is_empty());
    }
}
