#!/usr/bin/env bash
# Fuzzes `pipec_driver::check`, `build` and `format` with libFuzzer for a bounded time
# (default 60 s; `scripts/fuzz.sh 600` for ten minutes), seeded with the examples, the stdlib
# and the diagnostic fixtures. Findings land in fuzz/artifacts/check/; the corpus grows in
# fuzz/corpus/check/ (both ignored by git).
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, -Cpasses=sancov-module); on the
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. Needs `cargo install cargo-fuzz` once.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-60}"
if ! cargo fuzz --version > /dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 2
fi
CORPUS=fuzz/corpus/check
mkdir -p "$CORPUS"
for file in examples/*/*.pipe stdlib/*.pipe stdlib/hooks/*.pipe tests/fixtures/diagnostics/*.pipe \
    tests/fixtures/diagnostics/*/*.pipe; do
    [ -f "$file" ] && cp "$file" "$CORPUS/seed-$(echo "$file" | tr '/' '_')"
done
# One libFuzzer job on one core (the machine is shared); -max_len fits whole examples.
RUSTC_BOOTSTRAP=1 cargo fuzz run check -- \
    -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 -rss_limit_mb=2048
