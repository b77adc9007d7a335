//! `pipec fmt FILE…`: canonical layout; `--check` exits 1 when a file would change.

use std::path::{Path, PathBuf};

use pipec_diagnostics::{Code, Diagnostic};
use pipec_span::SourceDb;
use termcolor::ColorChoice;

use crate::output::{self, Format, EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Arguments of `pipec fmt`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Files to format.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Change nothing; exit 1 when a file is not formatted.
    #[arg(long)]
    pub(crate) check: bool,
    /// Print the formatted text instead of rewriting the file.
    #[arg(long, conflicts_with = "check")]
    pub(crate) stdout: bool,
}

/// Formats the files; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let mut code = EXIT_OK;
    for path in &args.files {
        let text = match output::read_root(path) {
            Ok(text) => text,
            Err(diagnostic) => {
                output::print_plain(&diagnostic, Format::Human, color);
                code = EXIT_USAGE;
                continue;
            }
        };
        let Some(formatted) = pipec_driver::format(&text) else {
            // Only the parse decides whether a file can be formatted: show its errors.
            let mut db = SourceDb::new();
            let file = db.add(path.to_string_lossy().into_owned(), text);
            let (_, syntax) = pipec_syntax::parse_file(file, db.text(file));
            output::print_diagnostics(&db, &syntax, Format::Human, color);
            eprintln!(
                "{}: not formatted (fix the syntax errors first)",
                path.display()
            );
            code = EXIT_ERRORS;
            continue;
        };
        if args.stdout {
            print!("{formatted}");
        } else if args.check {
            if formatted != text {
                eprintln!("{}: would be reformatted", path.display());
                code = code.max(EXIT_ERRORS);
            }
        } else if formatted != text {
            if let Err(error) = replace_file(path, formatted.as_bytes()) {
                let diagnostic = Diagnostic::error(
                    Code::IO_ERROR,
                    format!(
                        "cannot write `{}`: {}",
                        path.display(),
                        output::io_reason(&error)
                    ),
                )
                .help("check that the file's directory is writable; the file was not changed");
                output::print_plain(&diagnostic, Format::Human, color);
                code = EXIT_USAGE;
            } else {
                eprintln!("{}: formatted", path.display());
            }
        }
    }
    code
}

/// Replaces the file at `path` with `bytes` atomically: a temporary file in the same directory
/// with the file's permissions (and owner, where allowed), renamed over it. A symbolic link is
/// followed (the file it points to is replaced, the link stays a link); a read-only file is
/// refused. On error the file is as it was.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let real = std::fs::canonicalize(path)?;
    let metadata = std::fs::metadata(&real)?;
    let permissions = metadata.permissions();
    if permissions.readonly() {
        return Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
    }
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let mut attempt = 0u32;
    let (temp, mut file) = loop {
        let temp = dir.join(format!(
            ".{name}.pipec-fmt-{}-{attempt}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => break (temp, file),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Best effort: only root may give a file away; anyone else already owns it.
        let _ = std::os::unix::fs::fchown(&file, Some(metadata.uid()), Some(metadata.gid()));
    }
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::set_permissions(&temp, permissions))
        .and_then(|()| std::fs::rename(&temp, &real));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
