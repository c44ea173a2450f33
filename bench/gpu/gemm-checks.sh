#!/usr/bin/env bash
# The GEMM correctness checks of issue 12 on a lent CUDA GPU, as one short run (no timing): every layout, epilogue and
# precision against the double reference (tf32 and bf16 on tensor cores), every SIMT tile configuration forced in turn
# (and split-k plans, the tensor-core kernel's among them for bf16 and tf32: the last-arriving group of a tile adding
# the parts, whose coherence only a GPU can show),
# the parity tests; then the GEMM classes again with BIGS_GPU_KERNELS=pipelined-gemm (packed plans on the pipelined
# kernels: tf32 and bf16 of the 128x128 tile on the tensor-core one, fp32 of every SIMT tile on the SIMT one; run in
# CI with their shared memory and PTX emulated but never on a GPU before: the packed plans' test then compares their bits with the unpacked kernels').
# Before the run, on the build machine: pack the test project into .device/ (the device notes' pack.sh).
# Device command: bash bench/gpu/gemm-checks.sh   (carry [".device"]); logs and summary.txt land in $OUT (default: gemm-checks-out).
# Arguments choose the runs: default, pipelined-gemm (both when none), each stopped after TEST_TIMEOUT s (default 240).
# bench/gpu/run-all.sh runs `pipelined-gemm` alone: its first step runs every CUDA test class with the default kernels.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-gemm-checks-out}
mkdir -p "$out"
tests="$root/.device/BiGS.Native.Tests/BiGS.Native.Tests.dll"
ns=BiGS.Native.Tests.Gpu
# run NAME KERNELS CLASS...: the classes' tests with BIGS_GPU_KERNELS=KERNELS, the log in $out/NAME.txt.
run() {
  local name=$1 kernels=$2; shift 2
  local filters=()
  for class in "$@"; do filters+=(-class "$ns.$class"); done
  BIGS_GPU_KERNELS=$kernels timeout "${TEST_TIMEOUT:-240}" bash "$root/.device/with-dotnet.sh" dotnet "$tests" "${filters[@]}" -noColor > "$out/$name.txt" 2>&1
  echo "$name (BIGS_GPU_KERNELS=$kernels): exit $? - $(grep -E 'Total:|Failed:' "$out/$name.txt" | tail -1)" | tee -a "$out/summary.txt"
}
nvidia-smi --query-gpu=name,driver_version --format=csv > "$out/gpu.txt" 2>&1
runs=("$@")
[ $# -gt 0 ] || runs=(default pipelined-gemm)
for name in "${runs[@]}"; do
  case $name in
    default) run default "" GemmEpilogueCudaTests GemmTileConfigurationCudaTests GemmCudaTests ;;
    pipelined-gemm) run pipelined-gemm pipelined-gemm GemmTileConfigurationCudaTests GemmEpilogueCudaTests GemmCudaTests ;;
    *) echo "unknown run $name (default, pipelined-gemm)" >&2; exit 2 ;;
  esac
done
