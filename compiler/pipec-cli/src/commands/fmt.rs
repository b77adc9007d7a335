//! `pipec fmt FILE…`: canonical layout; `--check` exits 1 when a file would change.

use std::path::PathBuf;

use pipec_diagnostics::{Code, Diagnostic};
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
            let name = path.to_string_lossy().into_owned();
            let checked = pipec_driver::check(&name, text, &pipec_driver::NoFiles, &[]);
            let syntax: Vec<Diagnostic> = checked
                .diagnostics()
                .iter()
                .filter(|diag| diag.code.number().starts_with("P1"))
                .cloned()
                .collect();
            output::print_diagnostics(&checked.db, &syntax, Format::Human, color);
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
            if let Err(error) = std::fs::write(path, &formatted) {
                let diagnostic = Diagnostic::error(
                    Code::IO_ERROR,
                    format!(
                        "cannot write `{}`: {}",
                        path.display(),
                        output::io_reason(&error)
                    ),
                );
                output::print_plain(&diagnostic, Format::Human, color);
                code = EXIT_USAGE;
            } else {
                eprintln!("{}: formatted", path.display());
            }
        }
    }
    code
}
