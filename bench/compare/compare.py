"""Runs `bigs bench` and the PyTorch yardstick (bigs_torch.py) on the same shapes with the same thread count,
alternating one process of each per round, and prints both and the ratios (ours / PyTorch).

PyTorch is a yardstick only: install Debian's build once with
    apt-get install -y python3-torch
and run this with Debian's interpreter, from the repository root:
    dotnet build src/Cli -c Release
    /usr/bin/python3 bench/compare/compare.py [--rounds 2] [--runs 3] [--threads 2] [--shapes 8x128 2x512] [--modes forward train]
Each measurement is a fresh process, so its peak resident memory (ru_maxrss / VmHWM) is its own.

The anchor runs at its best: Debian's OpenBLAS 0.3.21 does not recognise recent processors and falls back to a slow
kernel, so PyTorch's processes get OPENBLAS_CORETYPE set to the kernel that fits (SKYLAKEX with AVX-512, HASWELL with
AVX2, whatever the environment held; --openblas-coretype to choose another). Before the shapes, PyTorch's float32
matmul rate at 1024^3 is measured and printed; below a floor per thread for the instruction set (the floors of the
gemm-vs-openblas bench) the anchor runs a misdetected kernel and no ratio is reported.
--avx2 compares the AVX2 paths: bigs with AVX-512 disabled (DOTNET_EnableAVX512=0) against OpenBLAS's HASWELL.

On a GPU (`--device cuda`), both run on that device in the same call: PyTorch in fp32 (TF32 off) and/or with
TF32 matmul (--torch fp32 tf32); bigs in each of --variants, a precision with optionally the opt-in GPU kernel paths
after a slash (`fp32`, `fp32/all`, `tf32/shared-fft`: --precision and BIGS_GPU_KERNELS). Memory is the device's
peak (PyTorch's max_memory_allocated, our pool's peak in use). Each row is appended to --jsonl as soon as measured,
so a run cut short keeps what it finished; --deadline stops starting new rows after that many seconds, and
--case-timeout stops a process that runs longer (a hung kernel costs one row, not the whole call).
    python3 bench/compare/compare.py --device cuda --bigs path/bigs.dll --shapes 8x128 --modes forward train \
        --variants fp32 fp32/all --torch fp32 tf32 --jsonl results.jsonl
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SHAPES = ["8x128", "2x512", "1x1024", "1x4096"]


DEFAULT_BIGS = os.path.join(ROOT, "src", "Cli", "bin", "Release", "net10.0", "bigs.dll")

# Lowest plausible OpenBLAS SGEMM GFLOP/s per thread at 1024^3 (see bench/BiGS.Native.Bench/AnchorCheck.cs):
# fitting kernels gave 150-220 (SKYLAKEX) and ~90 (HASWELL on AVX2), misdetected ones 30-44.
SGEMM_FLOOR_PER_THREAD = {"avx512": 100.0, "avx2": 40.0}


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def instruction_set(avx2_only):
    """The widest instruction set both sides use: avx512, avx2, or None (neither: no core type is forced)."""
    flags = cpu_flags()
    if "avx512f" in flags and not avx2_only:
        return "avx512"
    return "avx2" if {"avx2", "fma"} <= flags else None


def environments(isa, coretype, threads):
    """
    Process environments (bigs, torch): the OpenBLAS core type and thread count for torch, AVX-512 off for bigs with
    --avx2. torch.set_num_threads does not reach Debian's OpenBLAS (its pthreads build keeps one thread per core), so
    without OPENBLAS_NUM_THREADS a one-thread comparison would give the anchor's GEMMs every core.
    """
    bigs, torch = dict(os.environ), dict(os.environ)
    torch["OPENBLAS_NUM_THREADS"] = str(threads)
    chosen = coretype or {"avx512": "SKYLAKEX", "avx2": "HASWELL"}.get(isa)
    before = os.environ.get("OPENBLAS_CORETYPE")
    if chosen:
        torch["OPENBLAS_CORETYPE"] = chosen
    if isa == "avx2":
        bigs["DOTNET_EnableAVX512"] = "0"
    why = "--openblas-coretype" if coretype else f"fits {isa}" if isa else "no fitting core type: left as is"
    print(f"OpenBLAS core type for PyTorch: {chosen or before} ({why}; the environment had {before or 'none'}), "
          f"OPENBLAS_NUM_THREADS={threads}"
          + ("; bigs with DOTNET_EnableAVX512=0" if isa == "avx2" else ""))
    if "OPENBLAS_L2_SIZE" in os.environ:
        print(f"OPENBLAS_L2_SIZE={os.environ['OPENBLAS_L2_SIZE']} in the environment, passed on unchanged "
              "(OpenBLAS 0.3.21 does not read it)")
    return bigs, torch


def bigs_command(dll, args):
    if not os.path.exists(dll):
        sys.exit(f"{dll} not found: run `dotnet build src/Cli -c Release` first")
    return ["dotnet", dll, "bench", "--json"] + args


def torch_command(args, python="/usr/bin/python3"):
    return [python, os.path.join(HERE, "bigs_torch.py")] + args


def measure(command, env, exit_on_failure=True, timeout=None):
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(command)} stopped after {timeout:.0f} s")
    if result.returncode != 0:
        message = f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}"
        if exit_on_failure:
            sys.exit(message)
        raise RuntimeError(message)
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(shape, mode, options):
    batch, length = shape.split("x")
    common = ["--batch", batch, "--length", length, "--threads", str(options.threads),
              "--warmup", str(options.warmup), "--runs", str(options.runs)] + (["--train"] if mode == "train" else [])
    ours, theirs = [], []
    for _ in range(options.rounds):
        theirs.append(measure(torch_command(common), options.torch_env))
        ours.append(measure(bigs_command(options.bigs, common), options.bigs_env))
    median = lambda runs, key: statistics.median(r[key] for r in runs)
    row = dict(shape=shape, mode=mode, bigs=ours, torch=theirs)
    for key in ("tokens_per_second", "tokens_per_cpu_second"):
        row[key + "_ratio"] = median(ours, key) / median(theirs, key)
    row["peak_rss_ratio"] = max(r["peak_rss_mib"] for r in ours) / max(r["peak_rss_mib"] for r in theirs)
    return row


def check_anchor(isa, options):
    """
    Prints PyTorch's SGEMM rate and exits when its rate per CPU-second (one core's rate, steady under other load) is
    below the floor per thread: the anchor would run a misdetected kernel, and ratios against it would flatter us.
    """
    rates = measure(torch_command(["--sgemm", "--threads", str(options.threads)]), options.torch_env)
    wall, per_core = rates["sgemm_gflops"], rates["sgemm_gflops_per_cpu_second"]
    if rates.get("openblas_threads") not in (None, options.threads):
        sys.exit(f"PyTorch's OpenBLAS runs {rates['openblas_threads']} threads, not the {options.threads} asked for: "
                 "the comparison would not be thread for thread.")
    floor = SGEMM_FLOOR_PER_THREAD.get(isa, 0.0)
    print(f"PyTorch SGEMM 1024^3 alone: {wall:.1f} GFLOP/s on {options.threads} threads, "
          f"{per_core:.1f} per CPU-second (plausible floor {floor:.0f})")
    if per_core < floor:
        sys.exit(f"PyTorch's SGEMM runs at {per_core:.1f} GFLOP/s per core, below the {floor:.0f} of any fitting "
                 "OpenBLAS kernel: it runs a misdetected kernel (or the machine is too busy to tell). No ratio is reported; "
                 "choose the kernel with --openblas-coretype.")


def gpu_runs(shape, mode, options):
    """One process per implementation and variant on the GPU: PyTorch fp32 (and TF32), then each bigs variant."""
    batch, length = shape.split("x")
    common = ["--config", options.config, "--batch", batch, "--length", length,
              "--warmup", str(options.warmup), "--runs", str(options.runs)] + (["--train"] if mode == "train" else [])
    torch_common = common + ["--device", options.torch_device or options.device]
    runs = [(f"torch {precision}", torch_command(torch_common + (["--tf32"] if precision == "tf32" else []), options.python),
             os.environ) for precision in options.torch]
    common += ["--device", options.device]
    for variant in options.variants:
        precision, _, kernels = variant.partition("/")
        env = dict(os.environ, BIGS_GPU_KERNELS=kernels)
        flags = [] if precision == "fp32" else ["--precision", precision]
        runs.append((f"bigs {variant}", bigs_command(options.bigs, common + flags), env))
    return runs


def run_gpu(options):
    """Every shape and mode on the GPU, one row per implementation; ratios against PyTorch fp32 and TF32."""
    started = time.monotonic()
    print(f"{'mode':8} {'shape':7} {'implementation':22} {'tok/s':>10} {'ms/step':>9} {'device MiB':>11} "
          f"{'vs torch fp32':>14} {'vs torch tf32':>14} {'check':>12}", flush=True)
    for mode in options.modes:
        for shape in options.shapes:
            anchors = {}
            for label, command, env in gpu_runs(shape, mode, options):
                if options.deadline and time.monotonic() - started > options.deadline:
                    print(f"deadline of {options.deadline} s reached: {label} {mode} {shape} and the rest not measured")
                    return
                try:
                    result = measure(command, env, exit_on_failure=False, timeout=options.case_timeout)
                except RuntimeError as failure:
                    print(f"{mode:8} {shape:7} {label:22} FAILED: {failure}", flush=True)
                    continue
                if label.startswith("torch"):
                    anchors[label] = result["tokens_per_second"]
                ratio = lambda anchor: (f"{result['tokens_per_second'] / anchors[anchor]:14.2f}" if anchor in anchors
                                        and not label.startswith("torch") else f"{'':14}")
                check = result.get("loss", result.get("first_logit"))
                print(f"{mode:8} {shape:7} {label:22} {result['tokens_per_second']:10.1f} {result['median_step_ms']:9.1f} "
                      f"{result['device_peak_mib'] or 0:11.0f} {ratio('torch fp32')} {ratio('torch tf32')} "
                      f"{check if check is not None else float('nan'):12.5g}", flush=True)
                if options.jsonl:
                    with open(options.jsonl, "a") as f:
                        f.write(json.dumps(dict(result, label=label, shape=shape)) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=DEFAULT_SHAPES, help="BxL shapes")
    parser.add_argument("--modes", nargs="+", choices=["forward", "train"], default=["forward", "train"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="processes of each implementation, alternating")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="timed steps per process (median)")
    parser.add_argument("--bigs", default=DEFAULT_BIGS, help="bigs.dll to run (default: the Release build of src/Cli)")
    parser.add_argument("--json", help="also write every measurement to this file")
    parser.add_argument("--avx2", action="store_true", help="AVX2 paths: bigs without AVX-512, OpenBLAS HASWELL")
    parser.add_argument("--openblas-coretype", help="OpenBLAS kernel for PyTorch instead of the fitting one")
    parser.add_argument("--device", default="cpu", help="cpu (the default), or cuda[:N]: both on that GPU")
    parser.add_argument("--variants", nargs="+", default=["fp32", "fp32/all"],
                        help="GPU: bigs runs as precision[/BIGS_GPU_KERNELS], e.g. fp32 tf32/all bf16/shared-fft")
    parser.add_argument("--torch", nargs="+", choices=["fp32", "tf32"], default=["fp32"],
                        help="GPU: PyTorch runs: fp32 (TF32 off) and/or tf32 (TF32 matmul)")
    parser.add_argument("--torch-device", help="GPU: PyTorch's device when not --device (a dry run: ilgpu-cpu vs cpu)")
    parser.add_argument("--config", default="base", help="GPU: base, large or a config.json, for both")
    parser.add_argument("--python", default="/usr/bin/python3", help="the interpreter with PyTorch")
    parser.add_argument("--jsonl", help="GPU: append each measurement to this file as one JSON line")
    parser.add_argument("--deadline", type=float, help="GPU: start no measurement after this many seconds")
    parser.add_argument("--case-timeout", type=float, help="GPU: stop a process after this many seconds (a row FAILED)")
    options = parser.parse_args()
    if options.threads < 1:
        sys.exit(f"--threads must be at least 1, got {options.threads}")
    if options.device != "cpu":
        run_gpu(options)
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {options.threads} threads each")
    isa = instruction_set(options.avx2)
    options.bigs_env, options.torch_env = environments(isa, options.openblas_coretype, options.threads)
    check_anchor(isa, options)
    print("tokens/s by wall time (the goal's measure) and by CPU time (steadier on a shared machine); ratios are bigs / torch")
    print(f"{'mode':8} {'shape':7} {'bigs tok/s':>11} {'torch tok/s':>12} {'ratio':>6} "
          f"{'bigs tok/cpu-s':>15} {'torch tok/cpu-s':>16} {'ratio':>6} {'bigs MiB':>9} {'torch MiB':>10} {'ratio':>6}")
    rows = []
    for mode in options.modes:
        for shape in options.shapes:
            row = compare(shape, mode, options)
            rows.append(row)
            ours, theirs = row["bigs"], row["torch"]
            median = lambda runs, key: statistics.median(r[key] for r in runs)
            print(f"{mode:8} {shape:7} {median(ours, 'tokens_per_second'):11.1f} {median(theirs, 'tokens_per_second'):12.1f} "
                  f"{row['tokens_per_second_ratio']:6.2f} {median(ours, 'tokens_per_cpu_second'):15.1f} "
                  f"{median(theirs, 'tokens_per_cpu_second'):16.1f} {row['tokens_per_cpu_second_ratio']:6.2f} "
                  f"{max(r['peak_rss_mib'] for r in ours):9.0f} {max(r['peak_rss_mib'] for r in theirs):10.0f} "
                  f"{row['peak_rss_ratio']:6.2f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if options.json:
        with open(options.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
