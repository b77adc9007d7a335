#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy, and the whole test suite (which also runs
# cfn-lint, yamllint and shellcheck on generated files and deploys to the moto emulator).
# The external tools are installed into ./.venv by scripts/setup-test-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PIPEC_VENV="$(scripts/setup-test-tools.sh)"
export PIPEC_VENV
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace --quiet
