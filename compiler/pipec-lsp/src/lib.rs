//! The pipec language server: diagnostics as you type, the outline, formatting and quick fixes
//! for `.pipe` files, over the Language Server Protocol on stdin/stdout.
//!
//! This is the only crate that knows the protocol (`lsp-types`, `lsp-server`). It reaches the
//! compiler only through its `analysis` module and converts our `Diagnostic` in its
//! `diagnostics` module; everything else is protocol plumbing. `pipec lsp` calls [`run_stdio`].
#![warn(missing_docs)]
// Library crates never print: output belongs to pipec-cli (ARCHITECTURE.md, invariant 5).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod analysis;
mod context;
mod convert;
mod diagnostics;
mod documents;
mod edits;
mod navigation;
mod remap;
mod semantic;
mod server;
mod stdlib_files;
mod symbols;
mod transport;

/// Runs the language server over stdin/stdout until the client sends `exit`.
///
/// # Errors
/// When the connection breaks, the client does not follow the protocol's start-up, or it
/// sends `exit` without `shutdown` first (the process should then exit with code 1).
pub fn run_stdio() -> anyhow::Result<()> {
    // Our own framing (see `transport`): a broken frame is answered, never fatal.
    let (connection, io_threads) = transport::stdio()?;
    server::run(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}
