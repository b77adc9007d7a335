#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy, and the whole test suite (which also runs
# cfn-lint, yamllint and shellcheck on generated files and deploys to the moto emulator), and a
# bounded fuzzing run of the parser, checker and formatter (PIPEC_FUZZ_SECONDS, default 30).
# The external tools are installed into ./.venv by scripts/setup-test-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PIPEC_VENV="$(scripts/setup-test-tools.sh)"
export PIPEC_VENV
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
PIPEC_VENV="$PIPEC_VENV" scripts/test-editors.sh -q
