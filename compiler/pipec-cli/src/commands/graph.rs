//! `pipec graph FILE`: the pipeline as Mermaid or DOT text on stdout.

use std::path::PathBuf;

use termcolor::ColorChoice;

use crate::compile::load;
use crate::output::{self, Format, EXIT_ERRORS, EXIT_OK};

/// The picture's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GraphLanguage {
    /// Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// Arguments of `pipec graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The `.pipe` file.
    pub(crate) file: PathBuf,
    /// Output language.
    #[arg(long, value_enum, default_value_t = GraphLanguage::Mermaid)]
    pub(crate) format: GraphLanguage,
    /// Override a `param`: `--var env=prod` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = output::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
}

/// Prints the graph; returns the exit code.
pub(crate) fn run(args: &Args, color: ColorChoice) -> u8 {
    let checked = match load(&args.file, &args.vars, Format::Human, color) {
        Ok(checked) => checked,
        Err(code) => return code,
    };
    if checked.has_errors() {
        output::print_diagnostics(&checked.db, checked.diagnostics(), Format::Human, color);
        return EXIT_ERRORS;
    }
    let format = match args.format {
        GraphLanguage::Mermaid => pipec_driver::GraphFormat::Mermaid,
        GraphLanguage::Dot => pipec_driver::GraphFormat::Dot,
    };
    print!("{}", pipec_driver::graph(&checked.analysis.program, format));
    EXIT_OK
}
