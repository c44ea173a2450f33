"""Runs `bigs bench` and the PyTorch yardstick (bigs_torch.py) on the same shapes with the same thread count,
alternating one process of each per round, and prints both and the ratios (ours / PyTorch).

PyTorch is a yardstick only: install Debian's build once with
    apt-get install -y python3-torch
and run this with Debian's interpreter, from the repository root:
    dotnet build src/Cli -c Release
    /usr/bin/python3 bench/compare/compare.py [--rounds 2] [--runs 3] [--threads 2] [--shapes 8x128 2x512] [--modes forward train]
Each measurement is a fresh process, so its peak resident memory (ru_maxrss / VmHWM) is its own.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SHAPES = ["8x128", "2x512", "1x1024", "1x4096"]


DEFAULT_BIGS = os.path.join(ROOT, "src", "Cli", "bin", "Release", "net10.0", "bigs.dll")


def bigs_command(dll, args):
    if not os.path.exists(dll):
        sys.exit(f"{dll} not found: run `dotnet build src/Cli -c Release` first")
    return ["dotnet", dll, "bench", "--json"] + args


def torch_command(args):
    return ["/usr/bin/python3", os.path.join(HERE, "bigs_torch.py")] + args


def measure(command):
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(shape, mode, options):
    batch, length = shape.split("x")
    common = ["--batch", batch, "--length", length, "--threads", str(options.threads),
              "--warmup", str(options.warmup), "--runs", str(options.runs)] + (["--train"] if mode == "train" else [])
    ours, theirs = [], []
    for _ in range(options.rounds):
        theirs.append(measure(torch_command(common)))
        ours.append(measure(bigs_command(options.bigs, common)))
    median = lambda runs, key: statistics.median(r[key] for r in runs)
    row = dict(shape=shape, mode=mode, bigs=ours, torch=theirs)
    for key in ("tokens_per_second", "tokens_per_cpu_second"):
        row[key + "_ratio"] = median(ours, key) / median(theirs, key)
    row["peak_rss_ratio"] = max(r["peak_rss_mib"] for r in ours) / max(r["peak_rss_mib"] for r in theirs)
    return row


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
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {options.threads} threads each")
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
