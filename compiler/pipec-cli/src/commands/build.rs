//! `pipec build FILE -o DIR`: check, then write the template, buildspecs, appspecs, hook
//! scripts and manifest. Atomic, and only in place of an empty directory or one pipec wrote:
//! see `crate::outdir`.

use std::path::{Path, PathBuf};

use pipec_diagnostics::Diagnostic;
use termcolor::ColorChoice;

use crate::compile::compile;
use crate::output::{self, Format, EXIT_OK, EXIT_USAGE};

/// Arguments of `pipec build`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// The output directory: new, empty, or a previous pipec output (replaced as a whole).
    #[arg(short, long, default_value = "out")]
    pub(crate) out: PathBuf,
    /// Override a `param`: `--var env=prod` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Exit with 1 (and write nothing) when there are warnings.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

/// Builds; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let built = match compile(
        &args.file,
        &args.vars,
        args.format,
        color,
        args.deny_warnings,
    ) {
        Ok(built) => built,
        Err(code) => return code,
    };
    if let Err(diagnostic) = write_atomically(&args.out, &built.artifacts, args.format, color) {
        output::print_plain(&diagnostic, args.format, color);
        return EXIT_USAGE;
    }
    if args.format != Format::Json {
        let (_, warnings) = pipec_driver::counts(built.checked.diagnostics());
        eprintln!(
            "wrote {} files to {}{}",
            built.artifacts.files.len(),
            args.out.display(),
            if warnings > 0 {
                format!(
                    " ({warnings} warning{})",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
    }
    EXIT_OK
}

/// Writes every artifact as the directory `out` (see `crate::outdir`); prints the warnings.
pub(crate) fn write_atomically(
    out: &Path,
    artifacts: &pipec_driver::Artifacts,
    format: Format,
    color: ColorChoice,
) -> Result<(), Diagnostic> {
    let warnings = crate::outdir::write_atomically(out, &artifacts.files)?;
    for warning in &warnings {
        output::print_plain(warning, format, color);
    }
    Ok(())
}
