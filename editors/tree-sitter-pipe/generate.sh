#!/usr/bin/env bash
# Regenerates src/ (parser.c, grammar.json, node-types.json) from grammar.js with the pinned
# tree-sitter CLI, building it from crates.io into target/tree-sitter-cli the first time
# (about 9 minutes on two cores; it needs Node.js to read grammar.js).
#   --check   regenerate into a temporary copy and fail if src/ differs (commit the result).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version=0.27.1
cli_root="$root/target/tree-sitter-cli-$version"
cli="$cli_root/bin/tree-sitter"
if [ ! -x "$cli" ]; then
  echo "building tree-sitter-cli $version from crates.io into $cli_root" >&2
  cargo install tree-sitter-cli --locked --version "$version" --root "$cli_root" --quiet
fi
if [ "${1:-}" = "--check" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp -r "$here/grammar.js" "$here/tree-sitter.json" "$here/src" "$tmp/"
  (cd "$tmp" && "$cli" generate)
  if ! diff -r "$here/src" "$tmp/src" > /dev/null; then
    echo "editors/tree-sitter-pipe/src is not what grammar.js generates: run editors/tree-sitter-pipe/generate.sh and commit src/" >&2
    exit 1
  fi
  echo "src/ matches grammar.js" >&2
else
  (cd "$here" && "$cli" generate)
fi
