//! `pipec check FILE`: every diagnostic of the program; exit 0 clean, 1 errors, 2 usage/IO.

use std::path::PathBuf;

use termcolor::ColorChoice;

use crate::compile::{load, summary};
#[cfg(not(feature = "deep"))]
use crate::output::EXIT_USAGE;
use crate::output::{self, Format, EXIT_ERRORS, EXIT_OK};

/// Arguments of `pipec check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// Override a `param`: `--var env=prod` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Output format for diagnostics.
    #[arg(long, alias = "message-format", value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
    /// Exit with 1 when there are warnings.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
    /// Also run AWS's offline template validator on the generated template (needs a pipec
    /// built with the `deep` feature).
    #[arg(long)]
    pub(crate) deep: bool,
}

/// What `--deep` says when this pipec was built without the validator.
#[cfg(not(feature = "deep"))]
pub(crate) const NO_DEEP: &str = "error: pipec was built without the `deep` feature; rebuild with `cargo build -p pipec-cli --features deep --ignore-rust-version`";

/// Checks the file; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    if args.deep {
        #[cfg(feature = "deep")]
        return crate::commands::deep::run(
            &args.file,
            &args.vars,
            args.format,
            args.deny_warnings,
            color,
        );
        #[cfg(not(feature = "deep"))]
        {
            eprintln!("{NO_DEEP}");
            return EXIT_USAGE;
        }
    }
    let checked = match load(&args.file, &args.vars, args.format, color) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    let diagnostics = checked.diagnostics();
    output::print_diagnostics(&checked.db, diagnostics, args.format, color);
    let (errors, warnings) = pipec_driver::counts(diagnostics);
    if args.format != Format::Json {
        summary(errors, warnings);
    }
    let code = if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    };
    // The process ends right after: freeing the program (a sixth of a check) buys nothing.
    std::mem::forget(checked);
    code
}
