//! The syntax phase: `.pipe` text → AST, with the formatter and the comment scanner.
//!
//! This is the only crate that depends on pest; no pest type leaves it. It may stop at the
//! first error of a top-level item, but it resumes at the next top-level item so that one run
//! reports independent syntax errors and still hands every good item to the checker. Files
//! without any syntax diagnostic take a hand-written parser that builds the same AST ten times
//! faster (`fast.rs`); pest remains the reference, and the two are tested to agree.
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod ast;
mod comments;
mod fast;
mod fmt;
mod parser;
mod recover;
mod scan;
mod strings;

pub use comments::{scan_comments, Comment};
pub use fmt::format_file;
pub use recover::{parse_file, parse_file_with_pest};
pub use scan::MAX_DEPTH;
