#!/usr/bin/env bash
# Builds a release of pipec for this machine into dist/:
#   pipec-VERSION-TRIPLE.tar.gz   pipec (release build), README.md, docs/lsp.md, editors/nvim/pipec.lua
#   pipec-PLATFORM-VERSION.vsix   the VS Code extension with the same pipec inside
#   SHA256SUMS                    `sha256sum -c SHA256SUMS` checks both
# The tarball is reproducible for a given binary (sorted names, fixed owner, the commit's time).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
triple="$(rustc -vV | sed -n 's/^host: //p')"
case "$triple" in
  x86_64-unknown-linux-*) platform=linux-x64 ;;
  aarch64-unknown-linux-*) platform=linux-arm64 ;;
  x86_64-apple-darwin) platform=darwin-x64 ;;
  aarch64-apple-darwin) platform=darwin-arm64 ;;
  *) echo "error: no VS Code platform known for $triple" >&2; exit 2 ;;
esac
[ -n "$version" ] || { echo "error: no version in Cargo.toml" >&2; exit 2; }

cargo build --release --locked -p pipec-cli
binary="$root/target/release/pipec"
"$binary" --version

dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist"
name="pipec-$version-$triple"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "$stage/$name/pipec"
cp README.md "$stage/$name/README.md"
cp docs/lsp.md "$stage/$name/lsp.md"
cp editors/nvim/pipec.lua "$stage/$name/pipec.lua"
mtime="$(git log -1 --format=%ct 2> /dev/null || echo 0)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" \
  | gzip -n -9 > "$dist/$name.tar.gz"

scripts/package-vscode.sh "$platform" "$binary" "$dist/pipec-$platform-$version.vsix" > /dev/null

(cd "$dist" && sha256sum -- *.tar.gz *.vsix > SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
ls -l "$dist"
