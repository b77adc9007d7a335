//! The driver runs the phases in order: parse the root file, follow its `use`s (stdlib modules
//! from the binary, files through a caller-supplied loader), detect import cycles, then check
//! and lower. It does no IO itself: reading files is the loader's job (the CLI and the language
//! server each bring one), so the whole compiler runs the same in tests, the CLI and an editor.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use pipec_diagnostics::{Code, Diagnostic, Severity};
use pipec_sema::{Analysis, SourceModule};
use pipec_span::{FileId, SourceDb, Span};
use pipec_syntax::ast::{ExprKind, File, ItemKind};

pub use pipec_emit::{graph, Artifacts, GraphFormat};
pub use pipec_sema::{schema, stdlib, Definition, Reference, SymbolIndex};

/// Reads the files a program `use`s.
pub trait FileLoader {
    /// The text of `path`, or a one-line reason it cannot be read.
    ///
    /// # Errors
    /// When the file cannot be read.
    fn load(&self, path: &Path) -> Result<String, String>;

    /// The identity of `path` for cycle detection and for loading each file once: its
    /// canonical form (symbolic links resolved) when the loader can tell, so that a directory
    /// linked to itself (`x -> .`) does not look like endless distinct files. The default is
    /// `None`: the lexically normalised path is the identity.
    fn canonical(&self, _path: &Path) -> Option<PathBuf> {
        None
    }
}

/// The largest file a loader reads: 8 MiB, far beyond any real program. Loaders stop reading
/// there (`read_limited`), so `/dev/zero` or a huge file cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// The most files one program loads through `use` (the root and stdlib modules included).
pub const MAX_FILES: usize = 1_000;

/// The longest chain of `use`s (a file using a file using a file …).
pub const MAX_IMPORT_DEPTH: usize = 32;

/// The most source text one program loads through `use`, all files together.
pub const MAX_TOTAL_SOURCE_BYTES: usize = 64 << 20;

/// Reads at most `MAX_FILE_BYTES` from `reader`: the text, or a one-line reason.
///
/// # Errors
/// When reading fails, the text is not UTF-8 or it is longer than `MAX_FILE_BYTES`.
pub fn read_limited(reader: impl std::io::Read) -> Result<String, String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB, the most pipec reads from one file",
            MAX_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// A loader that knows no files (for programs without file imports, and tests).
pub struct NoFiles;

impl FileLoader for NoFiles {
    fn load(&self, path: &Path) -> Result<String, String> {
        Err(format!("cannot read {}", path.display()))
    }
}

/// The result of checking a program.
#[derive(Debug)]
pub struct Checked {
    /// Every file read, the root first.
    pub db: SourceDb,
    /// The root file.
    pub root: FileId,
    /// Parsed files (root, imported files, stdlib modules).
    pub files: Vec<(FileId, File)>,
    /// The checked program, declarations and references.
    pub analysis: Analysis,
    /// True when any file had a syntax error.
    pub syntax_errors: bool,
}

impl Checked {
    /// All diagnostics.
    #[must_use]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.analysis.diagnostics
    }

    /// True when there is an error (not only warnings).
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.analysis.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks the program whose root file is `name` with text `text`.
#[must_use]
pub fn check(
    name: &str,
    text: String,
    loader: &dyn FileLoader,
    vars: &[(String, String)],
) -> Checked {
    let mut db = SourceDb::new();
    let root = db.add(name, text);
    check_db(db, root, loader, vars)
}

/// Checks the program rooted at `root` of `db` (other files are added as they are used).
#[must_use]
pub fn check_db(
    mut db: SourceDb,
    root: FileId,
    loader: &dyn FileLoader,
    vars: &[(String, String)],
) -> Checked {
    let mut diagnostics = Vec::new();
    let mut files: Vec<(FileId, File)> = Vec::new();
    let mut modules: Vec<(FileId, Option<String>, bool)> = Vec::new();
    let mut loaded: BTreeMap<String, FileId> = BTreeMap::new();
    let mut syntax_errors = false;
    // Depth-first over `use` edges; `stack` holds the files being loaded, for cycle detection.
    let mut stack: Vec<FileId> = Vec::new();
    let root_name = db.name(root).to_string();
    let root_key = loader
        .canonical(Path::new(&root_name))
        .map_or(root_name, |path| path.to_string_lossy().into_owned());
    let mut source_bytes = db.text(root).len();
    load_module(
        &mut Loading {
            db: &mut db,
            loader,
            diagnostics: &mut diagnostics,
            files: &mut files,
            modules: &mut modules,
            loaded: &mut loaded,
            syntax_errors: &mut syntax_errors,
            stack: &mut stack,
            source_bytes: &mut source_bytes,
            limit_reported: &mut false,
        },
        root,
        root_key,
        None,
        false,
    );
    // The ASTs move into the modules and back after the analysis: cloning them cost as much
    // as a tenth of a check on big files.
    let order: Vec<FileId> = files.iter().map(|(id, _)| *id).collect();
    let mut asts: BTreeMap<FileId, File> = files.drain(..).collect();
    let mut source_modules = Vec::new();
    for (file, namespace, is_stdlib) in modules {
        if let Some(ast) = asts.remove(&file) {
            source_modules.push(SourceModule {
                file,
                ast,
                namespace,
                is_stdlib,
            });
        }
    }
    // The root must come first.
    source_modules.sort_by_key(|module| module.file != root);
    let mut analysis = pipec_sema::analyze(&db, &source_modules, vars);
    asts.extend(
        source_modules
            .into_iter()
            .map(|module| (module.file, module.ast)),
    );
    files.extend(
        order
            .into_iter()
            .filter_map(|id| asts.remove(&id).map(|ast| (id, ast))),
    );
    if syntax_errors {
        // Names declared in the unparsable part are unknown: do not report them as missing.
        analysis.diagnostics.retain(|diag| {
            diag.code != Code::UNRESOLVED_REFERENCE && diag.code != Code::UNKNOWN_PRESET
        });
    }
    diagnostics.append(&mut analysis.diagnostics);
    pipec_diagnostics::sort(&mut diagnostics);
    analysis.diagnostics = diagnostics;
    Checked {
        db,
        root,
        files,
        analysis,
        syntax_errors,
    }
}

struct Loading<'l> {
    db: &'l mut SourceDb,
    loader: &'l dyn FileLoader,
    diagnostics: &'l mut Vec<Diagnostic>,
    files: &'l mut Vec<(FileId, File)>,
    modules: &'l mut Vec<(FileId, Option<String>, bool)>,
    loaded: &'l mut BTreeMap<String, FileId>,
    syntax_errors: &'l mut bool,
    stack: &'l mut Vec<FileId>,
    source_bytes: &'l mut usize,
    limit_reported: &'l mut bool,
}

fn load_module(
    state: &mut Loading<'_>,
    file: FileId,
    key: String,
    namespace: Option<String>,
    is_stdlib: bool,
) {
    let (ast, mut parse_diagnostics) = pipec_syntax::parse_file(file, state.db.text(file));
    if parse_diagnostics
        .iter()
        .any(|diag| diag.code == Code::SYNTAX_ERROR || diag.code == Code::NESTING_TOO_DEEP)
    {
        *state.syntax_errors = true;
    }
    state.diagnostics.append(&mut parse_diagnostics);
    state.loaded.insert(key, file);
    state.modules.push((file, namespace, is_stdlib));
    state.stack.push(file);
    let uses: Vec<(String, Span, Option<String>, bool)> = ast
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Statement(statement) if statement.keyword.name == "use" => {
                let alias = statement
                    .clauses
                    .iter()
                    .find(|clause| clause.keyword.name == "as")
                    .and_then(|clause| clause.value.as_path())
                    .and_then(|path| path.first())
                    .map(|ident| ident.name.clone());
                match &statement.argument.kind {
                    ExprKind::Path(path) => {
                        let joined = path
                            .iter()
                            .map(|segment| segment.name.as_str())
                            .collect::<Vec<_>>()
                            .join(".");
                        Some((joined, statement.argument.span.clone(), alias, true))
                    }
                    _ => match statement.argument.as_plain_str() {
                        Some(text) => Some((text, statement.argument.span.clone(), alias, false)),
                        None => {
                            state.diagnostics.push(
                                Diagnostic::error(
                                    Code::TYPE_MISMATCH,
                                    "`use` takes a module name or a file path in quotes",
                                )
                                .primary(
                                    statement.argument.span.clone(),
                                    "expected `std.…` or \"./file.pipe\"",
                                )
                                .help("write `use std.hooks.node` or `use \"./common.pipe\"`"),
                            );
                            None
                        }
                    },
                }
            }
            _ => None,
        })
        .collect();
    state.files.push((file, ast));
    for (target, span, alias, is_module) in uses {
        if is_module {
            let Some(text) = pipec_sema::stdlib::module(&target) else {
                let names: Vec<&str> = pipec_sema::stdlib::MODULES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect();
                let mut diag =
                    Diagnostic::error(Code::UNKNOWN_MODULE, format!("no stdlib module `{target}`"))
                        .primary(span.clone(), "unknown module");
                diag = match pipec_diagnostics::did_you_mean(&target, names.iter().copied()) {
                    Some(best) => diag.help(format!("did you mean `{best}`?")).fix(
                        format!("replace with `{best}`"),
                        span,
                        best,
                    ),
                    None => diag.help(format!("modules: {}", names.join(", "))),
                };
                state.diagnostics.push(diag);
                continue;
            };
            let name = pipec_sema::stdlib::file_name(&target);
            if state.loaded.contains_key(&name) {
                continue;
            }
            let namespace = alias.or_else(|| target.rsplit('.').next().map(str::to_string));
            let id = state.db.add(name.clone(), text);
            load_module(state, id, name, namespace, true);
            continue;
        }
        let from = PathBuf::from(state.db.name(file));
        let path = normalize(&from.parent().unwrap_or(Path::new("")).join(&target));
        let name = path.to_string_lossy().into_owned();
        let key = state
            .loader
            .canonical(&path)
            .map_or_else(|| name.clone(), |path| path.to_string_lossy().into_owned());
        if let Some(existing) = state.loaded.get(&key).copied() {
            if state.stack.contains(&existing) {
                let chain: Vec<String> = state
                    .stack
                    .iter()
                    .skip_while(|id| **id != existing)
                    .map(|id| state.db.name(*id).to_string())
                    .collect();
                state.diagnostics.push(
                    Diagnostic::error(Code::IMPORT_CYCLE, format!("`{target}` is already being loaded: the files use each other in a cycle"))
                        .primary(span, "closes the cycle")
                        .note(format!("Cycle: {} -> {key}", chain.join(" -> ")))
                        .help("move what the files share into a file that none of them needs"),
                );
            }
            continue;
        }
        if let Some(limit) = import_limit(state) {
            // Reported once: past a limit, every further `use` would say the same.
            if std::mem::replace(state.limit_reported, true) {
                continue;
            }
            state.diagnostics.push(
                Diagnostic::error(Code::TOO_MANY_IMPORTS, format!("`{target}` is not loaded: {limit}"))
                    .primary(span, "one import too many")
                    .help("flatten the imports: put what the files share into one module that the root file uses"),
            );
            continue;
        }
        match state.loader.load(&path) {
            Ok(text) if state.source_bytes.saturating_add(text.len()) > MAX_TOTAL_SOURCE_BYTES => {
                state.diagnostics.push(
                    Diagnostic::error(Code::TOO_MANY_IMPORTS, format!("`{target}` is not loaded: the program's files add up to more than {} MiB", MAX_TOTAL_SOURCE_BYTES >> 20))
                        .primary(span, "one import too many")
                        .help("flatten the imports: put what the files share into one module that the root file uses"),
                );
            }
            Ok(text) => {
                *state.source_bytes += text.len();
                let namespace = alias.or_else(|| {
                    path.file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                });
                let id = state.db.add(name, text);
                load_module(state, id, key, namespace, false);
            }
            Err(reason) => state.diagnostics.push(
                Diagnostic::error(Code::FILE_NOT_FOUND, format!("cannot read `{target}`"))
                    .primary(span, reason)
                    .help("paths in `use` are relative to the file that contains the `use`"),
            ),
        }
    }
    state.stack.pop();
}

/// Why one more file may not be loaded, if a limit is reached.
fn import_limit(state: &Loading<'_>) -> Option<String> {
    if state.stack.len() >= MAX_IMPORT_DEPTH {
        Some(format!(
            "`use` chains are at most {MAX_IMPORT_DEPTH} files deep"
        ))
    } else if state.loaded.len() >= MAX_FILES {
        Some(format!("a program loads at most {MAX_FILES} files"))
    } else {
        None
    }
}

/// Removes `.` and resolves `..` lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Counts of each severity, for summaries.
#[must_use]
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|diag| diag.is_error()).count();
    let warnings = diagnostics
        .iter()
        .filter(|diag| diag.severity == Severity::Warning)
        .count();
    (errors, warnings)
}

/// Formats `text`; `None` when the syntax phase reports anything (formatting never guesses).
#[must_use]
pub fn format(text: &str) -> Option<String> {
    let (file, diagnostics) = pipec_syntax::parse_file(FileId(0), text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(pipec_syntax::format_file(
        text,
        &file,
        &pipec_syntax::scan_comments(FileId(0), text),
    ))
}

/// Lowers a checked program to its files. `None` when the program has errors (they are in
/// `checked`); otherwise the artifacts, with emit's own diagnostics appended to `checked`.
#[must_use]
pub fn build(checked: &mut Checked) -> Option<Artifacts> {
    if checked.has_errors() {
        return None;
    }
    let (artifacts, mut diagnostics) = pipec_emit::emit(&checked.analysis.program);
    checked.analysis.diagnostics.append(&mut diagnostics);
    if checked.has_errors() {
        return None;
    }
    Some(artifacts)
}
