#!/usr/bin/env bash
# Builds a release of pipec for this machine into a dist folder:
#   pipec-VERSION-TRIPLE.tar.gz   pipec-VERSION-TRIPLE/ with pipec, README.md, LICENSE, install.md,
#                                 lsp.md, completions/ (pipec.bash, _pipec for zsh, pipec.fish)
#                                 nvim/ (the Neovim plugin directory, editors/nvim) and
#                                 tree-sitter-pipe/ beside it (the grammar :PipecInstallParser compiles)
#   pipec-PLATFORM-VERSION.vsix   the VS Code extension with the same pipec inside
#   SHA256SUMS                    `sha256sum -c SHA256SUMS` checks both
# VERSION is the workspace's (Cargo.toml, [workspace.package]); the binary and the extension
# both take it from there. The tarball is reproducible for a given binary (sorted names, fixed
# owner, the commit's time). .github/workflows/release.yml runs this on each platform for a tag.
#
#   scripts/release.sh [VERSION]   VERSION, when given, must be the workspace's (e.g. from a tag)
#   PIPEC_DIST=DIR                 where to write (default: dist/ in the repository)
#   PIPEC_RELEASE_PROFILE=dev      package the debug build instead of --release (for tests)
#
# The dist folder is this script's own: it writes a marker file (.pipec-release, listing what it
# wrote) into it, and a later run removes only the files that list names. A folder that exists,
# is not empty and has no marker is refused: nothing in it is deleted.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
[ -n "$version" ] || { echo "error: no version in Cargo.toml's [workspace.package]" >&2; exit 2; }
if [ $# -gt 0 ] && [ "${1#v}" != "$version" ]; then
  echo "error: asked for version ${1#v}, but Cargo.toml's [workspace.package] says $version" >&2
  exit 2
fi
triple="$(rustc -vV | sed -n 's/^host: //p')"
case "$triple" in
  x86_64-unknown-linux-*) platform=linux-x64 ;;
  aarch64-unknown-linux-*) platform=linux-arm64 ;;
  x86_64-apple-darwin) platform=darwin-x64 ;;
  aarch64-apple-darwin) platform=darwin-arm64 ;;
  *) echo "error: no VS Code platform known for $triple" >&2; exit 2 ;;
esac

profile="${PIPEC_RELEASE_PROFILE:-release}"
case "$profile" in
  release) build_flags=(--release) profile_dir=release ;;
  dev) build_flags=() profile_dir=debug ;;
  *) echo "error: PIPEC_RELEASE_PROFILE must be release or dev, not $profile" >&2; exit 2 ;;
esac

# --- the dist folder: ours (marked), empty, or new; anything else is refused before building.
dist="${PIPEC_DIST:-$root/dist}"
marker=.pipec-release
if [ -e "$dist" ] && [ ! -d "$dist" ]; then
  echo "error: $dist exists and is not a folder" >&2
  exit 2
fi
if [ -d "$dist" ] && [ ! -f "$dist/$marker" ] && [ -n "$(ls -A "$dist")" ]; then
  echo "error: $dist is not empty and was not made by scripts/release.sh (no $marker in it);" \
    "move its files away or set PIPEC_DIST to another folder" >&2
  exit 2
fi

cargo build "${build_flags[@]}" --locked -p pipec-cli
binary="${CARGO_TARGET_DIR:-$root/target}/$profile_dir/pipec"
case "$binary" in /*) ;; *) binary="$root/$binary" ;; esac
built="$("$binary" --version)"
echo "$built"
case "$built" in
  "pipec $version"*) ;;
  *) echo "error: $binary says \"$built\", not version $version" >&2; exit 2 ;;
esac

mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"
if [ -f "$dist/$marker" ]; then
  # Only the files the previous run listed (plain names, no folders).
  while IFS= read -r old; do
    case "$old" in "" | */* | . | ..) continue ;; esac
    rm -f -- "${dist:?}/$old"
  done < "$dist/$marker"
fi
echo "# made by scripts/release.sh; a later run removes the files listed here" > "$dist/$marker"

name="pipec-$version-$triple"
vsix="pipec-$platform-$version.vsix"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/$name"
mkdir -p "$pkg/completions"
cp "$binary" "$pkg/pipec"
chmod 755 "$pkg/pipec"
cp README.md LICENSE "$pkg/"
cp docs/install.md docs/lsp.md "$pkg/"
"$binary" completions bash > "$pkg/completions/pipec.bash"
"$binary" completions zsh > "$pkg/completions/_pipec"
"$binary" completions fish > "$pkg/completions/pipec.fish"
cp -R editors/nvim "$pkg/nvim"
# The plugin finds the grammar beside its own directory (grammar_dir() in lua/pipec/init.lua).
cp -R editors/tree-sitter-pipe "$pkg/tree-sitter-pipe"
mtime="$(git log -1 --format=%ct 2> /dev/null || echo 0)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" \
  | gzip -n -9 > "$dist/$name.tar.gz"
echo "$name.tar.gz" >> "$dist/$marker"

echo "$vsix" >> "$dist/$marker"
scripts/package-vscode.sh "$platform" "$binary" "$dist/$vsix" > /dev/null

echo SHA256SUMS >> "$dist/$marker"
(cd "$dist" && sha256sum -- "$name.tar.gz" "$vsix" > SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
ls -l "$dist"
