#!/usr/bin/env bash
# The editor tests (tests/editors/): the VS Code extension in a real VS Code (code-server,
# driven by Playwright in Debian's Chromium), its TextMate grammar through VS Code's own
# tokenizer libraries, Neovim headless (the plugin, and the tree-sitter grammar compiled from
# editors/tree-sitter-pipe/src and checked against pipec), `cargo install`,
# scripts/release.sh on the debug build, and the CLI flags editors use. Installs what they need
# (scripts/setup-editor-tools.sh), packages the extension for linux-x64 with the debug pipec
# inside, then runs pytest.
#   PIPEC_VENV   the venv from scripts/setup-test-tools.sh (made when unset)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="${PIPEC_VENV:-$(scripts/setup-test-tools.sh)}"
start=$SECONDS
tools="$(scripts/setup-editor-tools.sh "$venv")"
echo "editor tools ready in $((SECONDS - start)) s" >&2
# The same build `cargo install --path compiler/pipec-cli` makes, so the install test reuses it.
cargo build -p pipec-cli --quiet
vsix="$(scripts/package-vscode.sh linux-x64 "$root/target/debug/pipec")"
export PIPEC_BIN="$root/target/debug/pipec"
export PIPEC_VSIX="$vsix"
export PIPEC_CODE_SERVER="$tools/code-server"
export PIPEC_NVIM="$tools/nvim"
export PIPEC_NVIM_OLD=/usr/bin/nvim
export PIPEC_CHROMIUM=/usr/bin/chromium
"$venv/bin/python" -m pytest -c tests/editors/pytest.ini tests/editors --durations=5 "$@"
