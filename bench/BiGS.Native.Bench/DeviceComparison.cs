using System.Diagnostics;
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Bench;

/// <summary>
/// One BiGS masked-LM training step (forward, backward, AdamW on every parameter) on the CPU and on a GPU device
/// (ILGPU: cuda, opencl, or ilgpu-cpu when no GPU is installed), with the same weights, batch and dropout masks. Prints the median
/// milliseconds per step of each (steps alternate after a warm-up so machine noise hits both alike), the ratio
/// and the loss each device reached, which must agree. Options: <c>--device NAME</c> (default cuda:0),
/// <c>--batch B</c> (default 4), <c>--length L</c> (default 128), <c>--steps N</c> (default 5).
/// </summary>
public sealed class DeviceComparison : ISideBySide
{
    /// <inheritdoc />
    public string Name => "cpu-vs-gpu";

    /// <inheritdoc />
    public string Description => "BiGS small masked-LM training step (fwd + bwd + AdamW), ms/step: CPU vs a GPU device";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var device = Devices.FromName(CommandLineOptions.Value(args, "--device") ?? "cuda:0");
        int batch = int.Parse(CommandLineOptions.Value(args, "--batch") ?? "4");
        int length = int.Parse(CommandLineOptions.Value(args, "--length") ?? "128");
        int steps = int.Parse(CommandLineOptions.Value(args, "--steps") ?? "5");
        var config = SmallConfig(length);
        Console.WriteLine($"config: hidden {config.HiddenSize}, layers {config.NumHiddenLayers}, inner {config.IntermediateSize}, " +
            $"N {config.NumSsm}, vocab {config.VocabSize}; batch {batch} x L {length}; {steps} timed steps each after 1 warm-up");

        var (ids, labels) = Batch(batch, length, config.VocabSize);
        int[] shape = [batch, length];
        var cpu = new TrainingStep(config, Device.Cpu, ids, labels, shape);
        var gpu = new TrainingStep(config, device, ids, labels, shape);
        cpu.Run();
        gpu.Run();
        var cpuTimes = new List<double>();
        var gpuTimes = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            cpuTimes.Add(Time(cpu.Run));
            gpuTimes.Add(Time(gpu.Run));
        }
        double cpuMs = Median(cpuTimes), gpuMs = Median(gpuTimes);
        bool agree = Math.Abs(cpu.LastLoss - gpu.LastLoss) <= 1e-3 * Math.Max(1, Math.Abs(cpu.LastLoss));
        Console.WriteLine($"{"device",-48} {"ms/step",10} {"loss after",12}");
        Console.WriteLine($"{"cpu",-48} {cpuMs,10:F1} {cpu.LastLoss,12:F6}");
        Console.WriteLine($"{device,-48} {gpuMs,10:F1} {gpu.LastLoss,12:F6}");
        Console.WriteLine($"ratio device/cpu {gpuMs / cpuMs:F2}{(agree ? "" : "  LOSSES DISAGREE")}");
        return agree ? 0 : 3;
    }

    /// <summary>A small BiGS (BERT-small-like widths) whose positions cover the requested length.</summary>
    private static BiGSConfig SmallConfig(int length) => new()
    {
        VocabSize = 8192,
        HiddenSize = 256,
        NumHiddenLayers = 4,
        IntermediateSize = 1024,
        NumSsm = 64,
        MaxPositionEmbeddings = Math.Max(512, length),
    };

    /// <summary>Random ids and labels with 15% of positions masked for the loss (others -100), fixed seed.</summary>
    private static (int[] Ids, int[] Labels) Batch(int batch, int length, int vocabulary)
    {
        var rng = new Rng(7);
        var ids = new int[batch * length];
        var labels = new int[batch * length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = rng.NextInt(vocabulary);
            labels[i] = rng.NextDouble() < 0.15 ? ids[i] : -100;
        }
        return (ids, labels);
    }

    /// <summary>A model, its AdamW state and one batch on one device.</summary>
    private sealed class TrainingStep
    {
        private readonly BiGSForMaskedLM model;
        private readonly BiGSInput input;
        private readonly List<(Parameter Parameter, Tensor M, Tensor V)> state;
        private int step;

        public TrainingStep(BiGSConfig config, Device device, int[] ids, int[] labels, int[] shape)
        {
            model = new BiGSForMaskedLM(config, seed: 1);
            model.To(device);
            model.Train();
            input = new BiGSInput(Tensor.FromInts(ids, shape).To(device)) { Labels = Tensor.FromInts(labels, shape).To(device) };
            state = model.Parameters().Select(p => (p, Tensor.ZerosLike(p.Value).KeepAlive(), Tensor.ZerosLike(p.Value).KeepAlive())).ToList();
        }

        public float LastLoss { get; private set; }

        /// <summary>Forward, backward, AdamW (lr 1e-4, weight decay 0.01), all inside one scope; waits for the device.</summary>
        public void Run()
        {
            using var scope = new TensorScope();
            model.ZeroGrad();
            var loss = model.Forward(input).Loss!;
            loss.Backward();
            step++;
            foreach (var (parameter, m, v) in state)
                Tensor.AdamWStep(parameter.Value, parameter.Grad!, m, v, 1e-4f, 0.9f, 0.999f, 1e-6f, 0.01f, step);
            LastLoss = loss.Value.Item();
        }
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
