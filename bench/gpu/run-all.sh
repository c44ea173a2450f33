#!/usr/bin/env bash
# The whole GPU measurement of the training issue (issue 13) in one device call: device time is 15 minutes per issue
# (start-up included) and at most 10 per call, so everything runs once, in order of value, under a time budget, and
# each result is written under $OUT as soon as it exists (a run cut short keeps what it finished).
#
# Prepare on a machine with .NET, from the repository root:
#   ../shared/device/pack.sh src/Cli/BiGS.Native.Cli.csproj tests/BiGS.Native.Tests/BiGS.Native.Tests.csproj
# Device call (the device tool): command `bash bench/gpu/run-all.sh`, carry [".device"], timeout_s 600.
#
#   1. the GPU parity tests of the SSM convolution (both FFT paths), the training step, the NN kernels and the
#      reductions (the column-tile sums among them: their last-group protocol has run only on ILGPU's CPU
#      accelerator), on CUDA (only when the test build is an xunit.v3 executable; skipped otherwise);
#   2. issue 13's table, fp32: PyTorch fp32 eager against bigs fp32 with the measured kernels and with the opt-in
#      ones (BIGS_GPU_KERNELS=all), forward 8x128 2x512 1x4096 32x512, training 8x128 2x512 32x512;
#   3. the tensor-core cases: PyTorch with TF32 matmul against bigs --precision tf32 and bf16 (forward 8x128 and
#      32x512, training 32x512);
#   4. an Nsight Compute profile (speed-of-light section) of the first kernels of one 8x128 training step.
# Every row: median of RUNS steps after WARMUP, tokens/s, device peak memory, and the loss / first logit each
# implementation read back (equal seeds: bigs variants agree with each other up to rounding).
#
# Dry run on a machine without a GPU (ILGPU's CPU accelerator against PyTorch on the CPU, a tiny model):
#   DEVICE=ilgpu-cpu TORCH_DEVICE=cpu CONFIG=tests/fixtures/bigs-tiny/config.json FWD_SHAPES=2x16 TRAIN_SHAPES=2x16 \
#   TC_FWD_SHAPES= TC_TRAIN_SHAPES= WARMUP=1 RUNS=1 PYTHON=/usr/bin/python3 NCU=none bash bench/gpu/run-all.sh
set -uo pipefail
OUT=${OUT:-gpu-results}
BUDGET=${BUDGET:-540}
DEVICE=${DEVICE:-cuda}
TORCH_DEVICE=${TORCH_DEVICE:-$DEVICE}
CONFIG=${CONFIG:-base}
WARMUP=${WARMUP:-2}
RUNS=${RUNS:-5}
PYTHON=${PYTHON:-python3}
NCU=${NCU:-ncu}
FWD_SHAPES=${FWD_SHAPES-8x128 2x512 1x4096 32x512}
TRAIN_SHAPES=${TRAIN_SHAPES-8x128 2x512 32x512}
TC_FWD_SHAPES=${TC_FWD_SHAPES-8x128 32x512}
TC_TRAIN_SHAPES=${TC_TRAIN_SHAPES-32x512}
mkdir -p "$OUT"
start=$SECONDS
left() { echo $((BUDGET - (SECONDS - start))); }
log() { echo "[$((SECONDS - start)) s] $*" | tee -a "$OUT/table.txt"; }
with=.device/with-dotnet.sh
bigs=.device/BiGS.Native.Cli/bigs.dll
[ -x "$with" ] || { echo "no $with: run ../shared/device/pack.sh first (see the top of this script)" >&2; exit 2; }
bash "$with" true   # unpacks the runtime and the builds once

{ nvidia-smi || true; "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } \
    > "$OUT/environment.txt" 2>&1

# 1. Parity on the device (the xunit.v3 test executable runs without the SDK).
tests=.device/BiGS.Native.Tests
if [ "$DEVICE" != "ilgpu-cpu" ] && [ -f "$tests/BiGS.Native.Tests.dll" ] && [ -f "$tests/xunit.v3.core.dll" ]; then
    log "parity tests on CUDA"
    (cd "$tests" && timeout 150 ../with-dotnet.sh dotnet BiGS.Native.Tests.dll -class BiGS.Native.Tests.Gpu.SsmCudaTests \
        -class BiGS.Native.Tests.Gpu.DeviceTrainingStepCudaTests -class BiGS.Native.Tests.Gpu.NNCudaTests \
        -class BiGS.Native.Tests.Gpu.ReductionCudaTests) > "$OUT/tests.txt" 2>&1
    log "parity tests: exit $? (tail of $OUT/tests.txt:)"; tail -3 "$OUT/tests.txt" | tee -a "$OUT/table.txt"
else
    log "parity tests skipped (needs CUDA and the xunit.v3 test build in $tests)"
fi

# 2-3. The table: one process per implementation, variant and case, ours and PyTorch alternating.
compare() { # modes shapes budget-seconds compare.py-arguments...
    local modes=$1 shapes=$2 deadline=$3; shift 3
    [ -n "$shapes" ] || return 0
    [ "$deadline" -gt 30 ] || { log "no time left for $modes $shapes $*"; return 0; }
    bash "$with" "$PYTHON" bench/compare/compare.py --device "$DEVICE" --torch-device "$TORCH_DEVICE" --config "$CONFIG" \
        --bigs "$bigs" --python "$PYTHON" --modes $modes --shapes $shapes --warmup "$WARMUP" --runs "$RUNS" \
        --jsonl "$OUT/results.jsonl" --deadline "$deadline" "$@" 2>&1 | tee -a "$OUT/table.txt"
}
log "fp32 (torch: TF32 off)"
compare forward "$FWD_SHAPES" $(( $(left) - 300 )) --variants fp32 fp32/all
compare train "$TRAIN_SHAPES" $(( $(left) - 180 )) --variants fp32 fp32/all
log "tensor cores (torch: TF32 matmul)"
compare forward "$TC_FWD_SHAPES" $(( $(left) - 120 )) --variants tf32/all bf16/all --torch tf32
compare train "$TC_TRAIN_SHAPES" $(( $(left) - 90 )) --variants tf32/all bf16/all --torch tf32

# 4. Nsight Compute: the first 200 kernels of one training step (warm-up 0: the kernels' times do not include
#    ILGPU's compilation, which happens on the host before each first launch).
if [ "$NCU" != none ] && command -v "$NCU" > /dev/null && [ "$(left)" -gt 60 ]; then
    log "ncu, one 8x128 training step, BIGS_GPU_KERNELS=all"
    BIGS_GPU_KERNELS=all timeout $(( $(left) - 10 )) bash "$with" "$NCU" --section SpeedOfLight --launch-count 200 --csv \
        --log-file "$OUT/ncu-step.csv" dotnet "$bigs" bench --device "$DEVICE" --config "$CONFIG" --batch 8 --length 128 \
        --train --warmup 0 --runs 1 > "$OUT/ncu-bench.txt" 2>&1
    log "ncu: exit $?"
else
    log "ncu skipped ($NCU not found, NCU=none, or under 60 s left)"
fi
log "done in $((SECONDS - start)) s; results in $OUT"
