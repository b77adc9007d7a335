//! The semantic phase: names, imports, presets, schema and type checks, AWS limits, IAM lints,
//! and lowering of the AST into the IR (`pipec_ir::Program`).
//!
//! It does no IO: the driver hands it every parsed file (the root, the files it `use`s and the
//! stdlib modules, whose text is compiled in here). It never stops at the first error: every
//! check reports into one list, and a value that failed to check becomes an error placeholder
//! that later checks stay silent about.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod analysis;
mod check;
mod eval;
mod index;
mod limits;
mod lints;
mod lower;
mod report;
pub mod schema;
pub mod stdlib;
mod validate;
mod value;

pub use analysis::{analyze, Analysis};
pub use check::SourceModule;
pub use index::{Definition, Reference, SymbolIndex};
