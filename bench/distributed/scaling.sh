#!/usr/bin/env bash
# Data-parallel scaling on one machine: `bigs pretrain` (the default model, 4 layers, d 128, batch 16 x 128) as one
# process and as 2 MPI ranks, every process with one compute thread, the same global batch and updates. Prints
# per run the median tokens/s of updates 6..STEPS (metrics.jsonl), the 2-rank efficiency
# tokens/s(2 ranks) / (2 x tokens/s(1 process)), and rank 0's reduction line: MiB all-reduced per update and the
# share of the update spent waiting for the all-reduce. Run it on a quiet machine (nothing else on the cores):
#   bench/distributed/scaling.sh [STEPS=45] [extra bigs pretrain options, e.g. --device cuda]
# Needs Open MPI (mpirun) and a built bigs (dotnet build src/Cli -c Release).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
steps="${1:-45}"
shift || true
bigs="$root/src/Cli/bin/Release/net10.0/bigs.dll"
[ -f "$bigs" ] || { echo "build bigs first: dotnet build $root/src/Cli -c Release" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpirun not found: apt-get install openmpi-bin libopenmpi-dev" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
options=(pretrain --steps "$steps" --eval-every 100000 --save-every 100000 "$@")

median_tokens_per_second() {   # over updates 6..: the first ones pay for JIT and warm-up
  jq -s '[.[] | select(.eval == null and .step > 5) | .tokens_per_second] | sort | .[length / 2 | floor]' "$1/metrics.jsonl"
}

echo "== 1 process, 1 thread"
DOTNET_PROCESSOR_COUNT=1 dotnet "$bigs" "${options[@]}" --out "$work/one" > "$work/one.log"
one=$(median_tokens_per_second "$work/one")
echo "tokens/s: $one"

echo "== 2 MPI ranks, 1 thread each"
mpirun --allow-run-as-root --oversubscribe -np 2 -x DOTNET_PROCESSOR_COUNT=1 \
  dotnet "$bigs" "${options[@]}" --out "$work/two" > "$work/two.log"
two=$(median_tokens_per_second "$work/two")
echo "tokens/s: $two"
grep -oE "(gradient all-reduce|all-reduce \(rank 0\)|optimizer state).*" "$work/two.log"
awk -v one="$one" -v two="$two" 'BEGIN { printf "efficiency: %.2f (2-rank tokens/s over twice 1-process tokens/s)\n", two / (2 * one) }'
