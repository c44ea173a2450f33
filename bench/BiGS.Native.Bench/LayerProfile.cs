using System.Globalization;
using BiGS.Native.Autograd;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Bench;

/// <summary>
/// Where the time of one BiGS-base layer forward goes, op by op, on one thread: each op of docs/BIGS.md 2.2 is run
/// separately on inputs of the right shape and timed by the calling thread's CPU time (clock_gettime of
/// CLOCK_THREAD_CPUTIME_ID: with one worker thread every kernel runs on the caller, and a loaded machine distorts CPU
/// time far less than wall time). Also times the whole layer forward and forward + backward.
/// Usage: <c>layer-profile [B L]</c> (default 8 128).
/// </summary>
public sealed class LayerProfile : ISideBySide
{
    private const int Repeats = 5;

    /// <inheritdoc />
    public string Name => "layer-profile";

    /// <inheritdoc />
    public string Description => "CPU time of each op of one BiGS-base layer (forward), one thread";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        int batch = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        int length = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 128;
        CpuParallel.ThreadCount = 1;
        var config = new BiGSConfig { HiddenSize = 768, IntermediateSize = 3072, NumSsm = 64, MaxPositionEmbeddings = length };
        var layer = new BiGSLayer(config, new Rng(1));
        var rng = new Rng(2);
        Variable Input(int width) => new(Tensor.RandomNormal(rng, 0f, 1f, batch, length, width).KeepAlive());
        var (x, xd, xd2, xi) = (Input(768), Input(768), Input(768), Input(3072));
        var rows = new List<(string Op, double Ms)>();
        using (GradMode.NoGrad())
        {
            rows.Add(("LayerNorm", Time(() => layer.LayerNorm.Forward(x))));
            rows.Add(("dv + gelu (d->I)", Time(() => layer.Gate.ForwardGelu(x, GeluKind.Tanh))));
            rows.Add(("du_f + gelu (d->d)", Time(() => layer.ForwardIn.ForwardGelu(x, GeluKind.Tanh))));
            rows.Add(("du_b + gelu (d->d)", Time(() => layer.BackwardIn.ForwardGelu(x, GeluKind.Tanh))));
            rows.Add(("fs4 (SSM conv)", Time(() => layer.ForwardSsm.Forward(xd))));
            rows.Add(("bs4 (SSM conv)", Time(() => layer.BackwardSsm.Forward(xd))));
            rows.Add(("duc_f (d->d)", Time(() => layer.ForwardOut.Forward(xd))));
            rows.Add(("duc_b (d->d)", Time(() => layer.BackwardOut.Forward(xd))));
            rows.Add(("flip(x) made contiguous", Time(() => Ops.Flip(x, 1).Value.Contiguous())));
            rows.Add(("c_f * flip(c_b)", Time(() => Ops.Mul(xd, Ops.Flip(xd2, 1)))));
            rows.Add(("dol + gelu (d->I)", Time(() => layer.Mix.ForwardGelu(xd, GeluKind.Tanh))));
            rows.Add(("mixed * v", Time(() => Ops.Mul(xi, xi))));
            rows.Add(("do (I->d)", Time(() => layer.Output.Forward(xi))));
            rows.Add(("residual add", Time(() => Ops.Add(x, xd))));
        }
        double sum = rows.Sum(r => r.Ms);
        Console.WriteLine($"one BiGS-base layer, B {batch}, L {length}, 1 thread, CPU ms (median of {Repeats})");
        foreach (var (op, ms) in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op,-22} {ms,9:F2} {100 * ms / sum,6:F1}%"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"sum of ops",-22} {sum,9:F2}"));
        double forward;
        using (GradMode.NoGrad()) forward = Time(() => layer.Forward(x));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"layer forward",-22} {forward,9:F2}"));
        var trainable = new Variable(x.Value, requiresGrad: true);
        double step = Time(() =>
        {
            layer.ZeroGrad();
            Ops.SumAll(layer.Forward(trainable)).Backward();
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"forward + backward",-22} {step,9:F2}"));
        return 0;
    }

    /// <summary>Median CPU milliseconds of <paramref name="body"/> over a few runs (after one untimed run), each in a scope.</summary>
    private static double Time(Action body)
    {
        var times = new double[Repeats];
        for (int run = -1; run < Repeats; run++)
        {
            using var scope = new TensorScope();
            double elapsed = 1e3 * ThreadCpuClock.SecondsOf(body);
            if (run >= 0) times[run] = elapsed;
        }
        return times.Order().ElementAt(Repeats / 2);
    }
}
