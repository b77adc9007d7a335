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
# Hostile shapes of issue 9 as seeds, so mutations start next to them: a long `let` chain, a
# doubling string and a doubling list (each fits -max_len).
{
    for i in $(seq 0 499); do echo "let a$i = a$((i + 1))"; done
    echo 'let a500 = "x"'
} > "$CORPUS/seed-hostile-chain.pipe"
{
    echo 'let a0 = "xxxxxxxxxx"'
    for i in $(seq 1 40); do echo "let a$i = \"\${a$((i - 1))}\${a$((i - 1))}\""; done
} > "$CORPUS/seed-hostile-doubling-string.pipe"
{
    echo 'let a0 = ["x"]'
    for i in $(seq 1 40); do echo "let a$i = [a$((i - 1)), a$((i - 1))]"; done
} > "$CORPUS/seed-hostile-doubling-list.pipe"
# One libFuzzer job on one core (the machine is shared); -max_len fits whole examples.
# Per input: at most 5 s (-timeout; a check takes milliseconds, so this flags hangs and
# super-linear blow-ups even under ASan), at most 1 GiB resident (-rss_limit_mb) and no single
# allocation above 256 MiB (-malloc_limit_mb; pipec's own bounds are 16 MiB per value and
# 64 MiB per program): a regression of issue 9 (deep recursion, doubling values, unbounded
# reads) is reported as a crash, a timeout or an out-of-memory finding.
RUSTC_BOOTSTRAP=1 cargo fuzz run check -- \
    -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=5 -rss_limit_mb=1024 \
    -malloc_limit_mb=256
