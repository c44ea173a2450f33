"""BiGS in plain PyTorch, written from the project's model specification (docs/BIGS.md), Flax semantics:
tanh GELU inside the layers, erf GELU in the MLM head transform, FFT convolution with n = 2L, one S4D kernel per
SSM shared by all channels. A yardstick for `bigs bench`, never a dependency of the product or its tests.

Prints one JSON object with the same fields as `bigs bench --json`:
    /usr/bin/python3 bigs_torch.py --batch 8 --length 128 [--train] --threads 2 --warmup 1 --runs 5
On a CUDA GPU (`--device cuda`), fp32 by default (TF32 off) or with `--tf32` (TF32 matmul); each step ends with
torch.cuda.synchronize(), and the JSON adds the device's peak memory (torch.cuda.max_memory_allocated and
max_memory_reserved, over the whole run).
"""
import argparse
import ctypes
import json
import math
import resource
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

BASE = dict(layers=12, hidden=768, inner=3072, state=64, vocab=30522)
LARGE = dict(layers=23, hidden=1024, inner=3072, state=64, vocab=30522)
INIT_STD = 0.02
LAYER_NORM_EPS = 1e-12
IGNORE_INDEX = -100


def dense(d_in, d_out):
    """y = x W^T + b with W ~ N(0, 0.02), b = 0 (docs/BIGS.md 5.1)."""
    layer = nn.Linear(d_in, d_out)
    nn.init.normal_(layer.weight, std=INIT_STD)
    nn.init.zeros_(layer.bias)
    return layer


class S4D(nn.Module):
    """One S4D SSM shared by every channel: K[l] = Re(sum_n C_n (exp(dt A_n) - 1) / A_n exp(l dt A_n)),
    y = K * u + D u (causal), computed with real FFTs of length 2L. HiPPO-LegS diagonal init (docs/BIGS.md 5.2)."""

    def __init__(self, state):
        super().__init__()
        self.A_re = nn.Parameter(torch.full((state,), -0.5))
        self.A_im = nn.Parameter(hippo_imaginary_parts(state))
        self.C = nn.Parameter(torch.randn(state, 2) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.ones(1))
        self.log_step = nn.Parameter(torch.empty(1).uniform_(math.log(0.01), math.log(1.0)))

    def kernel(self, length):
        a = torch.complex(torch.clamp(self.A_re, max=-1e-4), self.A_im)
        c = torch.complex(self.C[:, 0], self.C[:, 1])
        dt_a = torch.exp(self.log_step) * a
        steps = torch.arange(length, dtype=torch.float32, device=self.A_re.device)
        vandermonde = torch.exp(dt_a.unsqueeze(1) * steps)  # (N, L)
        return torch.einsum("n,nl->l", c * (torch.exp(dt_a) - 1) / a, vandermonde).real

    def forward(self, u):  # u (B, L, d)
        length = u.shape[1]
        k_hat = torch.fft.rfft(self.kernel(length), n=2 * length)
        u_hat = torch.fft.rfft(u.transpose(1, 2), n=2 * length)  # (B, d, L+1)
        y = torch.fft.irfft(u_hat * k_hat, n=2 * length)[..., :length].transpose(1, 2)
        return y + self.D * u


def hippo_imaginary_parts(state):
    """Eigenvalues (ascending) of -i S for the normal part S of HiPPO-LegS (docs/BIGS.md 5.2)."""
    n = torch.arange(state, dtype=torch.float64)
    p = torch.sqrt(1 + 2 * n)
    q = torch.sqrt(n + 0.5)
    s = -(torch.tril(torch.outer(p, p)) - torch.diag(n)) + torch.outer(q, q)
    return torch.linalg.eigvalsh(-1j * s.to(torch.complex128)).to(torch.float32)


class BiGSLayer(nn.Module):
    """Pre-norm residual block x + F(LayerNorm(x)), F as in docs/BIGS.md 2.2."""

    def __init__(self, hidden, inner, state):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(hidden, eps=LAYER_NORM_EPS)
        self.fs4, self.bs4 = S4D(state), S4D(state)
        self.dv, self.dol, self.do = dense(hidden, inner), dense(hidden, inner), dense(inner, hidden)
        self.du_forward, self.du_backward = dense(hidden, hidden), dense(hidden, hidden)
        self.duc_forward, self.duc_backward = dense(hidden, hidden), dense(hidden, hidden)

    def forward(self, h):
        x = self.LayerNorm(h)
        v = F.gelu(self.dv(x), approximate="tanh")
        forward = self.duc_forward(self.fs4(F.gelu(self.du_forward(x), approximate="tanh")))
        flipped = F.gelu(self.du_backward(torch.flip(x, [1])), approximate="tanh")
        backward = torch.flip(self.duc_backward(self.bs4(flipped)), [1])
        mixed = F.gelu(self.dol(forward * backward), approximate="tanh")
        return h + self.do(mixed * v)


class BiGSForMaskedLM(nn.Module):
    """Embeddings, encoder, and the MLM head tied to the word embeddings."""

    def __init__(self, layers, hidden, inner, state, vocab, positions):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        for table in (self.word, self.position, self.token_type):
            nn.init.normal_(table.weight, std=INIT_STD)
        self.embeddings_norm = nn.LayerNorm(hidden, eps=LAYER_NORM_EPS)
        self.dropout = nn.Dropout(0.1)
        self.layers = nn.ModuleList(BiGSLayer(hidden, inner, state) for _ in range(layers))
        self.transform = dense(hidden, hidden)
        self.transform_norm = nn.LayerNorm(hidden, eps=LAYER_NORM_EPS)
        self.decoder_bias = nn.Parameter(torch.zeros(vocab))

    def encode(self, ids):
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        h = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
        h = self.dropout(self.embeddings_norm(h))
        for layer in self.layers:
            h = layer(h)
        return h

    def predict(self, h):
        """MLM logits: LayerNorm(gelu_erf(dense(h))) E_word^T + bias."""
        t = self.transform_norm(F.gelu(self.transform(h)))
        return t @ self.word.weight.t() + self.decoder_bias


def masked_lm_loss(model, ids, labels):
    """Mean CE over labelled positions; only those rows go through the head (as `bigs bench --train` does)."""
    hidden = model.encode(ids).reshape(-1, model.word.weight.shape[1])
    flat = labels.reshape(-1)
    rows = torch.nonzero(flat != IGNORE_INDEX).squeeze(1)
    return F.cross_entropy(model.predict(hidden[rows]), flat[rows])


def optimizer_for(model):
    """AdamW as in the project's training recipe: b 0.9/0.98, eps 1e-6, decay 0.05 except biases and LayerNorms."""
    decayed, undecayed = [], []
    for name, parameter in model.named_parameters():
        (undecayed if name.endswith("bias") or "norm" in name.lower() else decayed).append(parameter)
    groups = [dict(params=decayed, weight_decay=0.05), dict(params=undecayed, weight_decay=0.0)]
    return torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.98), eps=1e-6)


def synthetic_batch(batch, length, vocab, fraction, generator):
    ids = torch.randint(vocab, (batch, length), generator=generator)
    labels = torch.full((batch * length,), IGNORE_INDEX, dtype=torch.long)
    masked = max(1, round(fraction * batch * length))
    positions = torch.randperm(batch * length, generator=generator)[:masked]
    labels[positions] = torch.randint(vocab, (masked,), generator=generator)
    return ids, labels.reshape(batch, length)


def sgemm_gflops(size=1024, runs=10):
    """
    PyTorch's own float32 matmul rate at size^3, which shows which BLAS kernel the anchor runs: GFLOP/s by wall time
    and per CPU-second of all threads (the kernel's rate per core, little changed by other work on the machine).
    """
    generator = torch.Generator().manual_seed(3)
    a, b = torch.rand(size, size, generator=generator), torch.rand(size, size, generator=generator)
    torch.mm(a, b)
    flops = 2.0 * size ** 3
    wall, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        torch.mm(a, b)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return flops / min(wall) / 1e9, flops / min(cpu) / 1e9


def openblas_threads():
    """
    Threads the loaded OpenBLAS uses, or None when PyTorch runs another BLAS. torch.set_num_threads does not set them
    (OPENBLAS_NUM_THREADS does), so this shows whether the anchor's GEMMs run on the threads asked for.
    """
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "libopenblas" in line})
    return ctypes.CDLL(paths[0]).openblas_get_num_threads() if paths else None


def model_shape(config):
    """BASE, LARGE, or the sizes a config.json gives (Hugging Face field names, as the project's configs)."""
    if config in ("base", "large"):
        return BASE if config == "base" else LARGE
    with open(config) as f:
        fields = json.load(f)
    return dict(layers=fields["num_hidden_layers"], hidden=fields["hidden_size"], inner=fields["intermediate_size"],
                state=fields["num_ssm"], vocab=fields["vocab_size"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="base", help="base, large, or a config.json (as `bigs bench --config`)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sgemm", action="store_true", help="only print the float32 matmul GFLOP/s at 1024^3")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--tf32", action="store_true", help="TF32 tensor-core matmul on CUDA (default: exact fp32)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    # "highest" keeps fp32 matmul exact (TF32 off); "high" lets CUDA matmul use TF32 (allow_tf32).
    torch.set_float32_matmul_precision("high" if args.tf32 else "highest")
    if args.sgemm:
        wall, per_cpu_second = sgemm_gflops()
        print(json.dumps(dict(sgemm_gflops=wall, sgemm_gflops_per_cpu_second=per_cpu_second,
                              threads=torch.get_num_threads(), openblas_threads=openblas_threads())))
        return
    torch.manual_seed(1)
    shape = model_shape(args.config)
    model = BiGSForMaskedLM(**shape, positions=max(512, args.length)).to(device)
    ids, labels = synthetic_batch(args.batch, args.length, shape["vocab"], 0.15, torch.Generator().manual_seed(2))
    ids, labels = ids.to(device), labels.to(device)
    check = {}
    if args.train:
        model.train()
        optimizer = optimizer_for(model)

        def step():
            optimizer.zero_grad(set_to_none=False)
            loss = masked_lm_loss(model, ids, labels)
            loss.backward()
            optimizer.step()
            check["loss"] = loss.item()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                check["first_logit"] = model.predict(model.encode(ids))[0, 0, 0].item()

    for _ in range(args.warmup):
        step()
    seconds, cpu_seconds = [], []
    for _ in range(args.runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        if on_gpu:
            torch.cuda.synchronize(device)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    median, cpu_median = statistics.median(seconds), statistics.median(cpu_seconds)
    print(json.dumps(dict(
        implementation="pytorch-" + torch.__version__, mode="train" if args.train else "forward",
        batch=args.batch, length=args.length, layers=shape["layers"], hidden_size=shape["hidden"],
        threads=torch.get_num_threads(), warmup=args.warmup, runs=args.runs,
        tokens_per_second=args.batch * args.length / median, median_step_ms=1000 * median,
        step_ms=[1000 * s for s in seconds],
        tokens_per_cpu_second=args.batch * args.length / cpu_median, median_step_cpu_ms=1000 * cpu_median,
        step_cpu_ms=[1000 * s for s in cpu_seconds],
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        device=str(device), precision="tf32" if args.tf32 else "fp32",
        device_peak_mib=torch.cuda.max_memory_allocated(device) / 2 ** 20 if on_gpu else None,
        device_reserved_peak_mib=torch.cuda.max_memory_reserved(device) / 2 ** 20 if on_gpu else None,
        **check)))


if __name__ == "__main__":
    main()
