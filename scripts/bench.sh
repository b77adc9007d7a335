#!/usr/bin/env bash
# Whole-process figures of the release `pipec`: `check` and `build` of the seed example, and
# `check` of generated 10k- and 100k-line programs (and `build` of a 100k-line program kept
# under CloudFormation's 500 resources). Times come from hyperfine when it is installed
# (`apt-get install -y hyperfine`), else from a loop over `date +%s%N`; peak RSS from
# `/usr/bin/time -v`, else from python's getrusage. Library-level figures: `cargo bench`.
#
#   scripts/bench.sh            # build the release binary, then measure
#   RUNS=50 scripts/bench.sh    # more runs per figure (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-20}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== cargo build --release -p pipec-cli (and the generator)" >&2
cargo build --release --quiet -p pipec-cli -p pipec-tests --bin pipec --bin gen-pipe
PIPEC="$PWD/target/release/pipec"
GEN="$PWD/target/release/gen-pipe"
SEED="examples/seed-ec2/pipeline.pipe"

"$GEN" 10000 > "$WORK/gen-10k.pipe"
"$GEN" 100000 > "$WORK/gen-100k.pipe"
"$GEN" 1000 > "$WORK/gen-1k.pipe"
# Few services with long scripts: big, yet under the 500-resource limit, so it builds.
"$GEN" 100000 20 > "$WORK/long-100k.pipe"

# Mean wall time in milliseconds of a command, over $RUNS runs after 3 warm-up runs.
mean_ms() {
    if command -v hyperfine > /dev/null; then
        hyperfine --style none --warmup 3 --runs "$RUNS" -N --export-json "$WORK/h.json" \
            -i "$*" > /dev/null 2>&1
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f ± %.2f (min %.2f)" % (r["mean"]*1000, r["stddev"]*1000, r["min"]*1000))' "$WORK/h.json"
    else
        for _ in 1 2 3; do "$@" > /dev/null 2>&1 || true; done
        local start end
        start=$(date +%s%N)
        for _ in $(seq "$RUNS"); do "$@" > /dev/null 2>&1 || true; done
        end=$(date +%s%N)
        python3 -c "print(f'{($end - $start) / $RUNS / 1e6:.2f}')"
    fi
}

# Peak resident set size in MB of one run.
peak_mb() {
    if [ -x /usr/bin/time ] && /usr/bin/time -v true > /dev/null 2>&1; then
        /usr/bin/time -v "$@" 2>&1 > /dev/null | awk -F': ' '/Maximum resident/ { printf "%.1f\n", $2 / 1024 }'
    else
        python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f}")' "$@"
    fi
}

row() {
    local label="$1"
    shift
    printf '| %s | %s | %s |\n' "$label" "$(mean_ms "$@")" "$(peak_mb "$@")"
}

echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d)"
echo "tool: $(command -v hyperfine > /dev/null && hyperfine --version || echo 'date loop'), $RUNS runs"
echo
echo "| command | wall ms (mean ± sd, min) | peak RSS MB |"
echo "|---|---|---|"
row "pipec --version (process floor)" "$PIPEC" --version
row "pipec check seed" "$PIPEC" check "$SEED"
row "pipec build seed -o tmp" "$PIPEC" build "$SEED" -o "$WORK/out-seed"
row "pipec check gen 1k lines" "$PIPEC" check "$WORK/gen-1k.pipe"
row "pipec check gen 10k lines" "$PIPEC" check "$WORK/gen-10k.pipe"
row "pipec check gen 100k lines" "$PIPEC" check "$WORK/gen-100k.pipe"
row "pipec build gen 10k lines (P5002: emit runs, nothing written)" "$PIPEC" build "$WORK/gen-10k.pipe" -o "$WORK/out-10k"
row "pipec check long-scripts 100k lines" "$PIPEC" check "$WORK/long-100k.pipe"
row "pipec build long-scripts 100k lines" "$PIPEC" build "$WORK/long-100k.pipe" -o "$WORK/out-long"
