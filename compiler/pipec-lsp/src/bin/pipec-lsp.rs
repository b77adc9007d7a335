//! Standalone entry point of the language server, used by the tests until `pipec lsp` exists.

fn main() -> anyhow::Result<()> {
    pipec_lsp::run_stdio()
}
