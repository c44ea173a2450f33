#!/usr/bin/env bash
# The GEMM comparison of issue 12: our kernels (bench `gpu-gemm`) and torch.matmul (gemm_torch.py) on every GEMM of a
# BiGS-base step at 8x128 and 32x512 tokens, fp32 (TF32 off), tf32 and bf16, alternating ours and torch ROUNDS times
# per precision so drift hits both alike (each process stopped after OURS_TIMEOUT / TORCH_TIMEOUT seconds), then the
# table (gemm_table.py). bench/gpu/run-all.sh runs it as one part of the whole device session (ROUNDS=1); alone: pack
# the bench project into .device/ (the device notes' pack.sh), then device command `bash bench/gpu/gemm.sh` (carry
# [".device"]). Results and the table land in $OUT (default: gemm-out). With PIPELINED_GEMM=1 every round
# also times the tuner's choices with the opt-in pipelined kernels among its candidates (BIGS_GPU_KERNELS=pipelined-gemm:
# packed plans of every tile on them, tf32 and bf16 on the tensor-core pipeline, fp32 on the SIMT one) into $OUT/pipelined,
# whose table.md sets them beside the same torch times.
#
# Dry run without a GPU (ILGPU's CPU accelerator against PyTorch on the CPU, small widths; times meaningless), with the
# tuner timing its candidates as on CUDA and tf32 and bf16 on the tensor-core kernels, their mma emulated:
#   DEVICE=ilgpu-cpu TORCH_DEVICE=cpu PYTHON=/usr/bin/python3 ROUNDS=1 PIPELINED_GEMM=1 BIGS_GEMM_TILE=measure \
#   BIGS_GPU_KERNELS=emulated-mma SIZES="--tokens 16 --hidden 32 --inner 64 --vocabulary 96 --rounds 1 --launches 1" \
#   bash bench/gpu/gemm.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-gemm-out}
ROUNDS=${ROUNDS:-2}
DEVICE=${DEVICE:-cuda:0}
TORCH_DEVICE=${TORCH_DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
SIZES=${SIZES:-}
OURS_TIMEOUT=${OURS_TIMEOUT:-150}
TORCH_TIMEOUT=${TORCH_TIMEOUT:-100}
PIPELINED_GEMM=${PIPELINED_GEMM:-0}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1
for precision in fp32 tf32 bf16; do
  for round in $(seq "$ROUNDS"); do
    # shellcheck disable=SC2086 # SIZES is a list of arguments
    timeout "$OURS_TIMEOUT" bash "$root/.device/with-dotnet.sh" dotnet "$root/.device/BiGS.Native.Bench/BiGS.Native.Bench.dll" gpu-gemm \
      --device "$DEVICE" --precision "$precision" $SIZES > "$out/ours-$precision-$round.jsonl" 2> "$out/ours-$precision-$round.err"
    echo "gemm ours $precision round $round: exit $?, $(grep -c '^{' "$out/ours-$precision-$round.jsonl") products"
    # shellcheck disable=SC2086
    timeout "$TORCH_TIMEOUT" "$PYTHON" "$here/gemm_torch.py" --precision "$precision" --device "$TORCH_DEVICE" $SIZES \
      > "$out/torch-$precision-$round.jsonl" 2> "$out/torch-$precision-$round.err"
    echo "gemm torch $precision round $round: exit $?, $(grep -c '^{' "$out/torch-$precision-$round.jsonl") products"
    if [ "$PIPELINED_GEMM" = 1 ]; then
      mkdir -p "$out/pipelined" && cp "$out/torch-$precision-$round.jsonl" "$out/pipelined/"
      # shellcheck disable=SC2086
      BIGS_GPU_KERNELS=${BIGS_GPU_KERNELS:+$BIGS_GPU_KERNELS,}pipelined-gemm timeout "$OURS_TIMEOUT" bash "$root/.device/with-dotnet.sh" dotnet "$root/.device/BiGS.Native.Bench/BiGS.Native.Bench.dll" \
        gpu-gemm --device "$DEVICE" --precision "$precision" $SIZES > "$out/pipelined/ours-$precision-$round.jsonl" 2> "$out/pipelined/ours-$precision-$round.err"
      echo "gemm ours (pipelined-gemm) $precision round $round: exit $?, $(grep -c '^{' "$out/pipelined/ours-$precision-$round.jsonl") products"
    fi
  done
done
"$PYTHON" "$here/gemm_table.py" "$out" | tee "$out/table.md"
if [ -d "$out/pipelined" ]; then "$PYTHON" "$here/gemm_table.py" "$out/pipelined" | tee "$out/pipelined/table.md"; fi
