//! Terminal output: color choice, diagnostics rendering, the file loader, and exit codes.

use std::io::{IsTerminal, Write};
use std::path::Path;

use pipec_diagnostics::Diagnostic;
use pipec_driver::FileLoader;
use pipec_span::SourceDb;
use termcolor::{ColorChoice as TermColor, StandardStream};

/// Exit code: success.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: the program has errors (or warnings with `--deny-warnings`).
pub(crate) const EXIT_ERRORS: u8 = 1;
/// Exit code: bad usage or an IO failure.
pub(crate) const EXIT_USAGE: u8 = 2;

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colors when stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

pub(crate) fn color_choice(choice: ColorChoice, no_color: bool) -> TermColor {
    if no_color {
        return TermColor::Never;
    }
    match choice {
        ColorChoice::Always => TermColor::Always,
        ColorChoice::Never => TermColor::Never,
        ColorChoice::Auto => {
            let disabled = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            if disabled || !std::io::stderr().is_terminal() {
                TermColor::Never
            } else {
                TermColor::Auto
            }
        }
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// With source excerpts.
    Human,
    /// One line each.
    Short,
    /// A JSON array on stdout.
    Json,
}

/// Prints diagnostics in `format`.
pub(crate) fn print_diagnostics(
    db: &SourceDb,
    diagnostics: &[Diagnostic],
    format: Format,
    color: TermColor,
) {
    match format {
        Format::Human => {
            let mut stderr = StandardStream::stderr(color);
            let _ = pipec_diagnostics::render_human(db, diagnostics, &mut stderr);
        }
        Format::Short => {
            let _ = pipec_diagnostics::render_short(db, diagnostics, &mut std::io::stderr());
        }
        Format::Json => {
            let mut stdout = std::io::stdout();
            let _ = writeln!(
                stdout,
                "{}",
                pipec_diagnostics::render_json(db, diagnostics)
            );
        }
    }
}

/// Prints a diagnostic that has no source (bad flag, unreadable file).
pub(crate) fn print_plain(diagnostic: &Diagnostic, format: Format, color: TermColor) {
    print_diagnostics(
        &SourceDb::new(),
        std::slice::from_ref(diagnostic),
        format,
        color,
    );
}

/// Reads `use`d files from disk: regular files only (a FIFO would block, `/dev/zero` never
/// ends), at most `pipec_driver::MAX_FILE_BYTES`, identified by their canonical path so that
/// symbolic links cannot make one file look like endless distinct ones.
pub(crate) struct DiskLoader;

impl FileLoader for DiskLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        read_source(path).map_err(|reason| format!("cannot read {}: {reason}", path.display()))
    }

    fn canonical(&self, path: &Path) -> Option<std::path::PathBuf> {
        std::fs::canonicalize(path).ok()
    }
}

/// Reads a source file: a regular file (symbolic links followed) of at most
/// `pipec_driver::MAX_FILE_BYTES`, as UTF-8; otherwise a short reason.
pub(crate) fn read_source(path: &Path) -> Result<String, String> {
    let not_regular = "not a regular file".to_string();
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let metadata = std::fs::metadata(path).map_err(|error| io_reason(&error))?;
    if metadata.is_dir() {
        return Err("it is a directory".to_string());
    }
    if !metadata.is_file() {
        return Err(not_regular);
    }
    let file = std::fs::File::open(path).map_err(|error| io_reason(&error))?;
    // And again on the open file, in case the path was swapped in between.
    match file.metadata() {
        Ok(metadata) if metadata.is_file() => {}
        Ok(_) => return Err(not_regular),
        Err(error) => return Err(io_reason(&error)),
    }
    pipec_driver::read_limited(file)
}

/// A short reason for an IO error, without Rust's debug formatting.
pub(crate) fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_string(),
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory => {
            "a file is in the way".to_string()
        }
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => error.to_string(),
    }
}

/// Reads the root file, or reports why not (with the same rules as `use`d files).
pub(crate) fn read_root(path: &Path) -> Result<String, Diagnostic> {
    read_source(path).map_err(|reason| {
        Diagnostic::error(
            pipec_diagnostics::Code::FILE_NOT_FOUND,
            format!("cannot read `{}`: {reason}", path.display()),
        )
        .help("check the path; pipec reads UTF-8 `.pipe` files")
    })
}

/// Parses `k=v`.
pub(crate) fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}
