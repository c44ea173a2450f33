using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BiGS.Native.Gpu;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;

namespace BiGS.Native.Bench;

/// <summary>
/// Times our GEMM (<see cref="Tensor.GemmInto"/>, the entry point the Linear layers use) on every matrix product of a
/// BiGS-base training step: for each Dense of <see cref="ModelGemmShapes.BaseForward"/> the forward product (NT), the
/// input gradient (NN) and the weight gradient (TN), at the given token counts. Prints one JSON object per product
/// (tokens, name, calls per step, layout, m, n, k, precision, ms, tflops, and the kernel: tile, the SIMT plan, with the
/// tuner's time per candidate plan in tile_ms where it measured them) for bench/gpu/gemm_table.py to set beside PyTorch's
/// (bench/gpu/gemm_torch.py, the same shapes and layouts). Each time is the median over rounds of the mean of
/// several launches between two device synchronisations. Options: <c>--device NAME</c> (default cuda:0),
/// <c>--precision fp32|tf32|bf16</c> (default fp32), <c>--tokens 1024,16384</c> (BiGS-base steps at 8x128 and 32x512),
/// <c>--rounds R</c> (default 5), <c>--launches N</c> per round (default 10), <c>--inner I</c>, <c>--hidden D</c>,
/// <c>--vocabulary V</c> (BiGS-base's 3072, 768, 30522 by default; smaller ones for a dry run on ilgpu-cpu).
/// </summary>
public sealed class GpuGemmTimes : ISideBySide
{
    /// <inheritdoc />
    public string Name => "gpu-gemm";

    /// <inheritdoc />
    public string Description => "BiGS-base step GEMMs (forward, dX, dW) on a device at a precision: JSON lines of ms and TFLOP/s";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var device = Devices.FromName(CommandLineOptions.Value(args, "--device") ?? "cuda:0");
        var precision = MatMulPrecision.Parse(CommandLineOptions.Value(args, "--precision") ?? "fp32", "--precision");
        int[] tokenCounts = (CommandLineOptions.Value(args, "--tokens") ?? "1024,16384").Split(',').Select(int.Parse).ToArray();
        int rounds = int.Parse(CommandLineOptions.Value(args, "--rounds") ?? "5", CultureInfo.InvariantCulture);
        int launches = int.Parse(CommandLineOptions.Value(args, "--launches") ?? "10", CultureInfo.InvariantCulture);
        var widths = new ModelGemmShapes.Widths(
            int.Parse(CommandLineOptions.Value(args, "--hidden") ?? "768", CultureInfo.InvariantCulture),
            int.Parse(CommandLineOptions.Value(args, "--inner") ?? "3072", CultureInfo.InvariantCulture),
            int.Parse(CommandLineOptions.Value(args, "--vocabulary") ?? "30522", CultureInfo.InvariantCulture));
        using var scope = MatMulPrecision.Use(precision);
        foreach (int tokens in tokenCounts)
            foreach (var (shape, calls) in ModelGemmShapes.Forward(tokens, widths))
                foreach (var product in LinearProducts(shape))
                {
                    double ms = TimeProduct(device, product, rounds, launches);
                    var (tile, tileMs) = KernelOf(device, product, precision);
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        tokens, name = $"{shape.K}->{shape.N}", calls, layout = product.Layout, m = product.M, n = product.N, k = product.K,
                        precision = MatMulPrecision.Name(precision), ms, tflops = 2.0 * product.M * product.N * product.K / (ms * 1e9),
                        device = device.ToString(), tile, tile_ms = tileMs,
                    }));
                }
        return 0;
    }

    /// <summary>One product of a Linear layer: c (m, n) = op(a) op(b) with a and b stored as the layout says.</summary>
    private sealed record Product(string Layout, int M, int N, int K, int[] AShape, bool TransposeA, int[] BShape, bool TransposeB);

    /// <summary>
    /// The three products of y = x W^T for x (T, in), W (out, in): forward y = x W^T (NT), dx = dy W (NN),
    /// dW = dy^T x (TN).
    /// </summary>
    private static Product[] LinearProducts(GemmShape dense)
    {
        int tokens = dense.M, inFeatures = dense.K, outFeatures = dense.N;
        return
        [
            new("NT", tokens, outFeatures, inFeatures, [tokens, inFeatures], false, [outFeatures, inFeatures], true),
            new("NN", tokens, inFeatures, outFeatures, [tokens, outFeatures], false, [outFeatures, inFeatures], false),
            new("TN", outFeatures, inFeatures, tokens, [tokens, outFeatures], true, [tokens, inFeatures], false),
        ];
    }

    /// <summary>Median over rounds of the mean milliseconds of one launch (after one untimed launch).</summary>
    private static double TimeProduct(Device device, Product product, int rounds, int launches)
    {
        var rng = new Rng(3);
        var a = Tensor.RandomUniform(rng, -1f, 1f, product.AShape).To(device);
        var b = Tensor.RandomUniform(rng, -1f, 1f, product.BShape).To(device);
        var c = Tensor.Empty(DType.Float32, device, product.M, product.N);
        void Launch() => Tensor.GemmInto(a, product.TransposeA, b, product.TransposeB, c, GemmEpilogue.None);
        Launch();
        Synchronize(device);
        var times = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < launches; i++) Launch();
            Synchronize(device);
            times.Add(watch.Elapsed.TotalMilliseconds / launches);
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    /// <summary>
    /// The kernel that ran <paramref name="product"/> (<see cref="IlgpuBackend.GemmKernelName"/> of the plan the tuner
    /// chose or pinned, "cpu" on the CPU), with the milliseconds per launch of each candidate when it measured them.
    /// </summary>
    private static (string Tile, Dictionary<string, double>? TileMs) KernelOf(Device device, Product product, Precision precision)
    {
        if (device.Backend is not IlgpuBackend gpu) return ("cpu", null);
        string Name(GemmPlan plan) => gpu.GemmKernelName(plan, precision);
        var measured = gpu.GemmTuner.Chosen.Keys.Where(p => p.TransposeA == product.TransposeA && p.TransposeB == product.TransposeB
            && p.Precision == precision && p.M == product.M && p.N == product.N && p.K == product.K).ToArray();
        if (measured.Length == 0) return (Name(gpu.GemmTuner.Pinned ?? GemmPlan.Default), null);
        var timings = gpu.GemmTuner.Timings[measured[0]];
        return (Name(gpu.GemmTuner.Chosen[measured[0]]), timings.ToDictionary(t => Name(t.Key), t => t.Value * 1e3));
    }

    /// <summary>Waits for the device's queued work (the CPU computes synchronously).</summary>
    private static void Synchronize(Device device)
    {
        if (device.Backend is IlgpuBackend gpu) gpu.Accelerator.Synchronize();
    }
}
