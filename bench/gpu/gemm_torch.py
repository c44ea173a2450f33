#!/usr/bin/env python3
"""torch.matmul on every GEMM of a BiGS-base training step, as bench/BiGS.Native.Bench's `gpu-gemm` times ours.

For each Dense y = x W^T of a BiGS-base forward step (d 768, I 3072, vocabulary 30522) at T tokens: the forward
product (NT: x @ W.T), the input gradient (NN: dy @ W) and the weight gradient (TN: dy.T @ x), each the way
torch.nn.Linear's autograd computes it (transposed views, no copies). Modes:
  fp32  fp32 inputs, TF32 off (torch.backends.cuda.matmul.allow_tf32 = False)
  tf32  fp32 inputs, TF32 on
  bf16  bf16 inputs (and bf16 output, torch.matmul's; ours writes fp32)
Prints one JSON object per product: tokens, name, calls per step, layout, m, n, k, precision, ms, tflops. Each time is the median
over rounds of the mean of several launches timed with CUDA events (with the wall clock on --device cpu, a dry run of the
script beside `gpu-gemm --device ilgpu-cpu` at small --hidden/--inner/--vocabulary).

usage: gemm_torch.py --precision fp32|tf32|bf16 [--tokens 1024,16384] [--rounds 5] [--launches 10] [--device cuda]
                     [--hidden 768] [--inner 3072] [--vocabulary 30522]
"""
import argparse
import json
import time

import torch

LAYERS = 12  # BiGS-base


def dense_layers(hidden, inner, vocabulary):
    """(in, out, calls per step) of each Dense shape of a step, as bench/BiGS.Native.Bench/ModelGemmShapes.cs counts them."""
    return [(hidden, inner, 2 * LAYERS), (hidden, hidden, 4 * LAYERS + 1), (inner, hidden, LAYERS), (hidden, vocabulary, 1)]


def linear_products(tokens, in_features, out_features, dtype, device):
    """(layout, m, n, k, thunk) of the forward, input-gradient and weight-gradient products of one Dense."""
    x = torch.rand(tokens, in_features, device=device, dtype=dtype) * 2 - 1
    w = torch.rand(out_features, in_features, device=device, dtype=dtype) * 2 - 1
    dy = torch.rand(tokens, out_features, device=device, dtype=dtype) * 2 - 1
    return [
        ("NT", tokens, out_features, in_features, lambda: torch.matmul(x, w.t())),
        ("NN", tokens, in_features, out_features, lambda: torch.matmul(dy, w)),
        ("TN", out_features, in_features, tokens, lambda: torch.matmul(dy.t(), x)),
    ]


def time_ms(thunk, rounds, launches, device):
    thunk()
    synchronize(device)
    times = []
    for _ in range(rounds):
        elapsed = elapsed_ms(thunk, launches) if device.type == "cuda" else wall_ms(thunk, launches)
        times.append(elapsed / launches)
    return sorted(times)[len(times) // 2]


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def elapsed_ms(thunk, launches):
    """Milliseconds of `launches` calls between two CUDA events."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(launches):
        thunk()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end)


def wall_ms(thunk, launches):
    start = time.perf_counter()
    for _ in range(launches):
        thunk()
    return (time.perf_counter() - start) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32")
    parser.add_argument("--tokens", default="1024,16384")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--launches", type=int, default=10)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--inner", type=int, default=3072)
    parser.add_argument("--vocabulary", type=int, default=30522)
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = args.precision == "tf32"
    torch.backends.cudnn.allow_tf32 = args.precision == "tf32"
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    device = torch.device(args.device)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
    for tokens in (int(t) for t in args.tokens.split(",")):
        for in_features, out_features, calls in dense_layers(args.hidden, args.inner, args.vocabulary):
            for layout, m, n, k, thunk in linear_products(tokens, in_features, out_features, dtype, device):
                ms = time_ms(thunk, args.rounds, args.launches, device)
                print(json.dumps({"tokens": tokens, "name": f"{in_features}->{out_features}", "calls": calls, "layout": layout, "m": m, "n": n,
                                  "k": k, "precision": args.precision, "ms": ms, "tflops": 2.0 * m * n * k / (ms * 1e9),
                                  "device": name}), flush=True)


if __name__ == "__main__":
    main()
