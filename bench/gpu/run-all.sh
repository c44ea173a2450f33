#!/usr/bin/env bash
# The whole GPU measurement of issues 12 (GEMM) and 13 (training and inference) in one device call: device time is
# 15 minutes per issue (start-up included) and at most 10 per call, so everything runs once, in order of value, under
# a time budget (BUDGET seconds, default 530), and each result is written under $OUT as soon as it exists (a run cut
# short keeps what it finished). Each part is skipped when too little of the budget is left for it. At the end every
# file goes into $OUT/all-results.tgz beside the log, table.txt: the device tool brings back at most 8 files.
#
# Prepare on a machine with .NET, from the repository root (the test build holds the CLI, bigs.dll, too):
#   ../shared/device/pack.sh tests/BiGS.Native.Tests/BiGS.Native.Tests.csproj bench/BiGS.Native.Bench/BiGS.Native.Bench.csproj
# What travels is then about 62 MB (.device 48 MB, the checkout 13 MB), under the limit of 64 MiB.
# Device call (the device tool): command `bash bench/gpu/run-all.sh`, carry [".device"], timeout_s 590.
#
#   1. every CUDA test class (*CudaTests: the GEMM in each layout, epilogue, precision, tile and split plan; the SSM
#      convolution on both FFT paths; the training step; the NN kernels; the column-tile reductions, whose last-group
#      protocol has run only on ILGPU's CPU accelerator) in one process, then the GEMM tests again with the pipelined
#      kernels (BIGS_GPU_KERNELS=pipelined-gemm, bench/gpu/gemm-checks.sh), never run on a GPU before;
#   2. issue 12's GEMM table: ours against torch.matmul on every product of a BiGS-base step at 8x128 and 32x512,
#      fp32, tf32 and bf16 (bench/gpu/gemm.sh, one round; each time the median of 3 means of 5 launches), and the
#      table again with the pipelined kernels among the tuner's candidates, beside the same torch times;
#   3. issue 13's table in fp32: PyTorch fp32 eager against bigs, forward and training at 8x128 and 32x512, with the
#      default kernels and with the pipelined SIMT kernel among the GEMM tuner's plans (fp32/pipelined-gemm);
#   4. the tensor-core cases: PyTorch with TF32 matmul against bigs --precision tf32 and bf16 (forward 8x128 and
#      32x512, training 32x512), each also with the pipelined kernel among the GEMM tuner's plans (pipelined-gemm);
#   5. where a training step's device time goes, by kernel (`bigs bench --kernel-times`: one step with every launch
#      between two profiling markers; fp32 at 8x128 and 32x512, bf16 at 32x512), then Nsight Compute on the GEMM
#      kernels alone (issue slots, pipes, stall reasons, occupancy: entry 22 of bench/compare/README.md);
#   6. the kernel options: fp32 with the FFT path pinned to the global-memory passes (global-fft) at the shapes of
#      part 3, against part 3's rows, where CUDA times both paths per problem and keeps the faster;
#   7. the rest of issue 13's table in fp32: forward 2x512 and 1x4096, training 2x512.
# PARTS (default: every part) names the parts to run, e.g. PARTS="tests gemm kernel-times" for a first call that gathers
# the data the next change needs, leaving the device time for the tables: tests (1), gemm (2), compare (3, 4),
# kernel-times (5), ncu (5b), opt-in (6), more (7).
# Every table row: median of RUNS (5) steps after WARMUP (1: ILGPU's compilation and the GEMM tuner's timings happen
# in the first step), tokens/s, device peak memory, and the loss / first logit each
# implementation read back (equal seeds: bigs variants agree with each other up to rounding); a process running past
# CASE_TIMEOUT seconds is stopped and its row marked FAILED.
#
# Dry run on a machine without a GPU (ILGPU's CPU accelerator against PyTorch on the CPU, a tiny model; the CUDA
# tests skip; BIGS_GEMM_TILE=measure has the GEMM tuner time its candidates as it does on CUDA; about 8 minutes on 2 cores):
#   BIGS_GEMM_TILE=measure DEVICE=ilgpu-cpu TORCH_DEVICE=cpu CONFIG=tests/fixtures/bigs-tiny/config.json SHAPES=2x16 TC_SHAPES=2x16 \
#   MORE_FWD_SHAPES= MORE_TRAIN_SHAPES= WARMUP=1 RUNS=1 PYTHON=/usr/bin/python3 NCU=none \
#   GEMM_SIZES="--tokens 16 --hidden 32 --inner 64 --vocabulary 96 --rounds 1 --launches 1" bash bench/gpu/run-all.sh
# To run the Nsight Compute parts' commands as well, put a stand-in `ncu` first on PATH that runs the command after its
# options (`while [ "$1" != dotnet ]; do shift; done; exec "$@"`), leave out NCU=none and add
# NCU_GEMM_SIZES="$GEMM_SIZES" NCU_FP32_TILE=64x64 NCU_TC_TILE=64x64 (the shared CPU accelerator runs no group of 256
# threads).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-gpu-results}
BUDGET=${BUDGET:-530}
DEVICE=${DEVICE:-cuda}
TORCH_DEVICE=${TORCH_DEVICE:-$DEVICE}
CONFIG=${CONFIG:-base}
WARMUP=${WARMUP:-1}
RUNS=${RUNS:-5}
CASE_TIMEOUT=${CASE_TIMEOUT:-100}
PYTHON=${PYTHON:-python3}
NCU=${NCU:-ncu}
SHAPES=${SHAPES-8x128 32x512}
TC_SHAPES=${TC_SHAPES-32x512}
MORE_FWD_SHAPES=${MORE_FWD_SHAPES-2x512 1x4096}
MORE_TRAIN_SHAPES=${MORE_TRAIN_SHAPES-2x512}
GEMM_SIZES=${GEMM_SIZES:---rounds 3 --launches 5}
NCU_GEMM_SIZES=${NCU_GEMM_SIZES:---tokens 16384 --rounds 1 --launches 1}
NCU_FP32_TILE=${NCU_FP32_TILE:-128x128}
NCU_TC_TILE=${NCU_TC_TILE:-128x128}
PARTS=${PARTS:-tests gemm compare kernel-times ncu opt-in more}
mkdir -p "$OUT"
start=$SECONDS
wants() { [[ " $PARTS " == *" $1 "* ]]; }
left() { echo $((BUDGET - (SECONDS - start))); }
# Nsight Compute is there to run (NCU=none turns it off) and more than $1 seconds of the budget are left.
ncu_fits() { [ "$NCU" != none ] && command -v "$NCU" > /dev/null && [ "$(left)" -gt "$1" ]; }
log() { echo "[$((SECONDS - start)) s] $*" | tee -a "$OUT/table.txt"; }
with=.device/with-dotnet.sh
bigs=.device/BiGS.Native.Tests/bigs.dll
tests=.device/BiGS.Native.Tests
[ -x "$with" ] || { echo "no $with: run ../shared/device/pack.sh first (see the top of this script)" >&2; exit 2; }
bash "$with" true   # unpacks the runtime and the builds once
log "unpacked"

{ nvidia-smi || true; "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } \
    > "$OUT/environment.txt" 2>&1

# 1. Every CUDA test class in one process (the xunit.v3 test executable runs without the SDK; fixtures are found
#    beside it). The tests skip where there is no CUDA device (a dry run).
if wants tests; then
log "CUDA tests"
(cd "$tests" && timeout 170 ../with-dotnet.sh dotnet BiGS.Native.Tests.dll -class '*CudaTests' -noColor -longRunning 30) > "$OUT/tests.txt" 2>&1
log "CUDA tests: exit $? - $(grep -E 'Total:' "$OUT/tests.txt" | tail -1)"
grep -E '^\s*\[FAIL\]' "$OUT/tests.txt" | head -20 | tee -a "$OUT/table.txt"
log "GEMM tests with BIGS_GPU_KERNELS=pipelined-gemm"
OUT="$OUT/pipelined-gemm" TEST_TIMEOUT=60 bash "$here/gemm-checks.sh" pipelined-gemm 2>&1 | tee -a "$OUT/table.txt"
fi

# 2. Issue 12's GEMM table, one round per precision.
if ! wants gemm; then
    log "GEMM table not in PARTS"
elif [ "$(left)" -gt 300 ]; then
    log "GEMM table (bench/gpu/gemm.sh)"
    OUT="$OUT/gemm" ROUNDS=1 PIPELINED_GEMM=1 OURS_TIMEOUT=70 TORCH_TIMEOUT=35 DEVICE="$DEVICE" TORCH_DEVICE="$TORCH_DEVICE" PYTHON="$PYTHON" \
        SIZES="$GEMM_SIZES" bash "$here/gemm.sh" 2>&1 | tee -a "$OUT/table.txt"
else
    log "GEMM table skipped: $(left) s left"
fi

# 3-7. The training issue's table: one process per implementation, variant and case (compare.py). Each call may start
#      rows until `left - reserve` seconds have passed, keeping the reserve for the parts after it.
compare() { # modes shapes reserve-seconds compare.py-arguments...
    local modes=$1 shapes=$2 deadline=$(( $(left) - $3 )); shift 3
    [ -n "$shapes" ] || return 0
    [ "$deadline" -gt 30 ] || { log "no time left for $modes $shapes $*"; return 0; }
    bash "$with" "$PYTHON" bench/compare/compare.py --device "$DEVICE" --torch-device "$TORCH_DEVICE" --config "$CONFIG" \
        --bigs "$bigs" --python "$PYTHON" --modes $modes --shapes $shapes --warmup "$WARMUP" --runs "$RUNS" \
        --jsonl "$OUT/results.jsonl" --deadline "$deadline" --case-timeout "$CASE_TIMEOUT" "$@" 2>&1 | tee -a "$OUT/table.txt"
}
if wants compare; then
    log "fp32, default kernels (torch: TF32 off)"
    compare "forward train" "$SHAPES" 150 --variants fp32 fp32/pipelined-gemm
    log "tensor cores (torch: TF32 matmul)"
    compare "forward" "$SHAPES" 120 --variants tf32 bf16 tf32/pipelined-gemm bf16/pipelined-gemm --torch tf32
    compare "train" "$TC_SHAPES" 90 --variants tf32 bf16 tf32/pipelined-gemm bf16/pipelined-gemm --torch tf32
fi

# 5. Device time by kernel of one training step per case (the step after the timed one, each launch between two
#    profiling markers; Nsight Compute's replay, about 0.4 s a kernel, fits no whole step in the budget: entry 28).
kernel_times() { # precision shape
    local precision=$1 shape=$2
    if [ "$(left)" -lt 60 ]; then log "kernel times $precision $shape skipped: $(left) s left"; return 0; fi
    timeout 60 bash "$with" dotnet "$bigs" bench --device "$DEVICE" --config "$CONFIG" --batch "${shape%x*}" --length "${shape#*x}" \
        --train --precision "$precision" --warmup "$WARMUP" --runs 1 --kernel-times > "$OUT/kernel-times-$precision-$shape.txt" 2>&1
    log "kernel times $precision $shape: exit $? - $(grep -m1 -E '^  total' "$OUT/kernel-times-$precision-$shape.txt")"
}
if wants kernel-times; then
    for shape in $SHAPES; do kernel_times fp32 "$shape"; done
    for shape in $TC_SHAPES; do kernel_times bf16 "$shape"; done
fi

# 5b. Nsight Compute on the GEMM kernels alone: the first two products of a 32x512 step's list per precision, the plan
#     pinned (no tuner launches), with the sections that say where their cycles go: issue slots and pipe use
#     (ComputeWorkloadAnalysis, InstructionStats, SchedulerStats), stall reasons (WarpStateStats), occupancy and
#     registers (Occupancy, LaunchStats). ILGPU names the kernels after their methods: Kernel_Sgemm, Kernel_Tf32, ...
#     (the pipelined SIMT kernel Kernel_Fp32). A variant is a precision, or precision/BIGS_GPU_KERNELS (the pipelined
#     kernels are profiled so); the tile is
#     the plan's (tf32 at both tensor-core tiles: 64x64 and 128x128, pipelined too; bf16 packed too, on BF16 pairs:
#     Kernel_Bf16Pairs).
ncu_gemm() { # variant tile
    local variant=$1 tile=$2 precision=${1%%/*} kernels name
    kernels=${variant#"$precision"}; kernels=${kernels#/}
    name="ncu-gemm-${variant/\//-}-${tile//\//-}"
    if ! wants ncu || ! ncu_fits 100; then
        log "ncu GEMM $variant $tile skipped (not in PARTS, $NCU not found, NCU=none, or under 100 s left)"
        return 0
    fi
    # shellcheck disable=SC2086 # NCU_GEMM_SIZES is a list of arguments
    BIGS_GPU_KERNELS=$kernels BIGS_GEMM_TILE=$tile timeout 40 bash "$with" "$NCU" --kernel-name 'regex:Kernel_(Sgemm|Tf32|Bf16|Fp32)' \
        --launch-count 2 --section LaunchStats --section Occupancy --section SpeedOfLight --section ComputeWorkloadAnalysis \
        --section InstructionStats --section SchedulerStats --section WarpStateStats --csv \
        --log-file "$OUT/$name.csv" dotnet .device/BiGS.Native.Bench/BiGS.Native.Bench.dll gpu-gemm \
        --device "$DEVICE" --precision "$precision" $NCU_GEMM_SIZES > "$OUT/$name.txt" 2>&1
    log "ncu GEMM $variant (plan $tile): exit $?"
}
ncu_gemm fp32 "$NCU_FP32_TILE"
ncu_gemm tf32 "$NCU_TC_TILE"
ncu_gemm bf16 "$NCU_TC_TILE"
ncu_gemm bf16 "$NCU_TC_TILE/packed"
ncu_gemm fp32/pipelined-gemm 128x128/packed
ncu_gemm tf32/pipelined-gemm 128x128/packed
ncu_gemm bf16/pipelined-gemm 128x128/packed
ncu_gemm tf32 64x64
ncu_gemm tf32/pipelined-gemm 64x64/packed

# 6. The opt-in kernels.
if wants opt-in; then
    log "the FFT path pinned (BIGS_GPU_KERNELS=global-fft)"
    compare "forward train" "$SHAPES" 40 --variants fp32/global-fft --torch fp32
fi

# 7. The rest of the fp32 table.
if wants more; then
    log "fp32, the other shapes"
    compare "forward" "$MORE_FWD_SHAPES" 20 --variants fp32
    compare "train" "$MORE_TRAIN_SHAPES" 10 --variants fp32
fi
log "done in $((SECONDS - start)) s; results in $OUT"

# The device tool brings back at most 8 files from $OUT: everything goes into one archive, beside the log.
tar -C "$OUT" -czf /tmp/run-all-results.tgz . && find "$OUT" -mindepth 1 ! -name table.txt -delete \
    && mv /tmp/run-all-results.tgz "$OUT/all-results.tgz"
