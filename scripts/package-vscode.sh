#!/usr/bin/env bash
# Packages the VS Code extension (editors/vscode) as a .vsix, without prompts.
#
#   scripts/package-vscode.sh TARGET [PIPEC_BINARY] [OUT.vsix]
#
# TARGET is a VS Code platform (linux-x64, linux-arm64, darwin-arm64, win32-x64, ...): the
# package is platform-specific and bundles PIPEC_BINARY as server/pipec, which the extension
# runs unless the `pipec.path` setting names another. TARGET `universal` makes a package
# without a binary (the extension then uses `pipec.path` or `pipec` on PATH).
# PIPEC_BINARY defaults to target/release/pipec. Prints the path of the .vsix.
# Needs Node.js 20+ and npm; installs the extension's pinned npm packages with `npm ci`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:?usage: scripts/package-vscode.sh TARGET [PIPEC_BINARY] [OUT.vsix]}"
binary="${2:-$root/target/release/pipec}"
case "$binary" in /*) ;; *) binary="$PWD/$binary" ;; esac
ext="$root/editors/vscode"
# The version is the workspace's (Cargo.toml, [workspace.package]), as for the pipec binary;
# vsce packages with it without rewriting package.json.
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -1)"
[ -n "$version" ] || { echo "error: no version in Cargo.toml's [workspace.package]" >&2; exit 2; }
out="${3:-$root/target/editors/pipec-$target-$version.vsix}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

cd "$ext"
# npm ci only when the lock file changed since the last install.
stamp="node_modules/.pipec-lock-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
npm run -s bundle >&2

rm -rf server
trap 'rm -rf "$ext/server"' EXIT
if [ "$target" = universal ]; then
  npx vsce package "$version" --no-git-tag-version --no-update-package-json --no-dependencies --out "$out" < /dev/null >&2
else
  [ -x "$binary" ] || { echo "error: no pipec binary at $binary (build it, or pass its path)" >&2; exit 2; }
  mkdir server
  exe=pipec
  case "$target" in win32-*) exe=pipec.exe ;; esac
  cp "$binary" "server/$exe"
  # Debug information is most of a debug build's size; the package does not need it.
  if [ "$target" = linux-x64 ] && command -v strip > /dev/null; then strip "server/$exe" 2> /dev/null || true; fi
  chmod 755 "server/$exe"
  npx vsce package "$version" --no-git-tag-version --no-update-package-json --no-dependencies --target "$target" --out "$out" < /dev/null >&2
fi
echo "$out"
