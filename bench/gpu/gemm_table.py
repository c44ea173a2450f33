#!/usr/bin/env python3
"""Sets our GEMM times (bench `gpu-gemm`) beside torch.matmul's (gemm_torch.py): one row per product and precision.

Reads JSON lines files named ours-<precision>-<round>.jsonl and torch-<precision>-<round>.jsonl from a folder, takes
each side's fastest round per product, and prints a Markdown table with the ratio torch ms / our ms (the issue's
goal: >= 0.7 everywhere) and, per precision, the ratio of summed times weighted by how often a BiGS-base step runs
each product (forward + both gradients per Dense). "our kernel" is the SIMT plan the run-time tuner chose (its tile, with
/kN when it splits k in N parts; or "tensor-cores" and its plan); each ours-*.jsonl row also holds the tuner's time per candidate
plan (tile_ms).

usage: gemm_table.py FOLDER
"""
import glob
import json
import os
import sys

def best_times(folder, side):
    best = {}
    for path in glob.glob(os.path.join(folder, f"{side}-*.jsonl")):
        with open(path) as lines:
            for line in lines:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                row = json.loads(line)
                key = (row["precision"], row["tokens"], row["name"], row["layout"])
                if key not in best or row["ms"] < best[key]["ms"]:
                    best[key] = row
    return best


def main():
    folder = sys.argv[1]
    ours, torch = best_times(folder, "ours"), best_times(folder, "torch")
    print("| precision | tokens | Dense | layout | m x n x k | our kernel | ours ms | ours TFLOP/s | torch ms | torch TFLOP/s | torch/ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    totals = {}
    for key in sorted(set(ours) & set(torch), key=lambda k: (["fp32", "tf32", "bf16"].index(k[0]), k[1], k[2], k[3])):
        o, t = ours[key], torch[key]
        ratio = t["ms"] / o["ms"]
        print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {o['m']}x{o['n']}x{o['k']} | {o.get('tile', '?')} | {o['ms']:.3f} | {o['tflops']:.1f} "
              f"| {t['ms']:.3f} | {t['tflops']:.1f} | {ratio:.2f}{'' if ratio >= 0.7 else ' (< 0.7)'} |")
        total = totals.setdefault((key[0], key[1]), [0.0, 0.0])
        total[0] += o["calls"] * o["ms"]
        total[1] += t["calls"] * t["ms"]
    print()
    print("| precision | tokens | step GEMM ms, ours | torch | torch/ours |")
    print("|---|---|---|---|---|")
    for (precision, tokens), (o, t) in totals.items():
        print(f"| {precision} | {tokens} | {o:.2f} | {t:.2f} | {t / o:.2f} |")
    missing = sorted(set(ours) ^ set(torch))
    if missing:
        print(f"\n{len(missing)} products measured on one side only: {missing[:5]}...")


if __name__ == "__main__":
    main()
