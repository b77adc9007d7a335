#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy, and the whole test suite (which also runs
# cfn-lint, yamllint and shellcheck on generated files and deploys to the moto emulator), and a
# bounded fuzzing run of the parser, checker and formatter (PIPEC_FUZZ_SECONDS, default 30).
# The external tools are installed into ./.venv by scripts/setup-test-tools.sh, OS packages
# that local-run tests use (nginx) by scripts/setup-test-packages.sh; the editor tests
# (scripts/test-editors.sh: VS Code in code-server, Neovim, cargo install) run last.
set -euo pipefail
cd "$(dirname "$0")/.."
PIPEC_VENV="$(scripts/setup-test-tools.sh)"
export PIPEC_VENV
# apt-get first, in the foreground: the editor tools' background install uses apt-get too.
scripts/setup-test-packages.sh
mkdir -p target
# The editor tests' tools (Chromium, code-server, Neovim, Playwright) install in the background
# while the Rust checks run; the editor tests wait for them at the end.
scripts/setup-editor-tools.sh "$PIPEC_VENV" > target/setup-editor-tools.log 2>&1 &
editor_tools=$!
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "== fuzz (parser, checker, formatter) for ${PIPEC_FUZZ_SECONDS:-30} s"
if ! cargo fuzz --version > /dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi
mkdir -p target
if scripts/fuzz.sh "${PIPEC_FUZZ_SECONDS:-30}" > target/fuzz.log 2>&1; then
  grep -E "^Done [0-9]+ runs" target/fuzz.log || true
else
  tail -40 target/fuzz.log
  echo "fuzzing found a problem: see target/fuzz.log and fuzz/artifacts/check/" >&2
  exit 1
fi
echo "== cargo test"
cargo test --workspace --quiet
echo "== editors (VS Code in code-server, Neovim, cargo install)"
if ! wait "$editor_tools"; then
  tail -40 target/setup-editor-tools.log
  echo "installing the editor tools failed: see target/setup-editor-tools.log" >&2
  exit 1
fi
scripts/test-editors.sh -q
