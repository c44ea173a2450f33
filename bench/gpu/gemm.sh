#!/usr/bin/env bash
# The GEMM comparison of issue 12 as one run on the lent GPU machine: our kernels (bench `gpu-gemm`) and torch.matmul
# (gemm_torch.py) on every GEMM of a BiGS-base step at 8x128 and 32x512 tokens, fp32 (TF32 off), tf32 and bf16,
# alternating ours and torch twice per precision so drift hits both alike, then the table (gemm_table.py).
# Before the run, on the build machine: pack the bench project into .device/ (the GPU machine has no .NET).
# Device command: bash bench/gpu/gemm.sh   (carry [".device"]); results and the table land in $OUT (default: gemm-out).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-gemm-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1
for precision in fp32 tf32 bf16; do
  for round in 1 2; do
    timeout 150 bash "$root/.device/with-dotnet.sh" dotnet "$root/.device/BiGS.Native.Bench/BiGS.Native.Bench.dll" gpu-gemm \
      --device cuda:0 --precision "$precision" > "$out/ours-$precision-$round.jsonl" 2> "$out/ours-$precision-$round.err"
    timeout 100 python3 "$here/gemm_torch.py" --precision "$precision" > "$out/torch-$precision-$round.jsonl" 2> "$out/torch-$precision-$round.err"
  done
done
python3 "$here/gemm_table.py" "$out" | tee "$out/table.md"
