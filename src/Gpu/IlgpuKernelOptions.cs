namespace BiGS.Native.Gpu;

/// <summary>
/// Kernel paths of the GPU backend that are tested against the CPU (on ILGPU's CPU accelerator) but not shown faster
/// on a GPU, and so off unless asked for, and pins of the SSM convolution's FFT path, which a CUDA device otherwise
/// chooses by timing (shared-fft, global-fft). Read once per device from the environment variable <see cref="EnvironmentVariable"/>: a
/// comma-separated list of <see cref="Names"/>, or "all" (every opt-in path).
/// </summary>
public sealed record IlgpuKernelOptions
{
    /// <summary>The environment variable that turns the paths on, e.g. <c>BIGS_GPU_KERNELS=pipelined-gemm</c>.</summary>
    public const string EnvironmentVariable = "BIGS_GPU_KERNELS";

    /// <summary>The names of the paths, as <see cref="EnvironmentVariable"/> lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["shared-fft", "global-fft", "pipelined-gemm", "emulated-mma"];

    /// <summary>
    /// The SSM convolution with each group's FFTs in shared memory (<see cref="Kernels.SharedFftKernels"/>) where the FFT
    /// length fits, instead of one global-memory pass per radix-16 stage, on every device (CUDA otherwise times both
    /// paths per problem: <see cref="IlgpuBackend.FftPaths"/>).
    /// </summary>
    public bool SharedMemoryFft { get; init; }

    /// <summary>The SSM convolution by global-memory passes at every length, untimed (the path before CUDA timed both).</summary>
    public bool GlobalMemoryFft { get; init; }

    /// <summary>True when the options pin the SSM convolution's path (<see cref="SharedMemoryFft"/> or <see cref="GlobalMemoryFft"/>).</summary>
    public bool PinsFftPath => SharedMemoryFft || GlobalMemoryFft;

    /// <summary>
    /// Packed plans (k whole or split) on the pipelined kernels, three stages of cp.async copies: tf32 and bf16 of every
    /// tile on <see cref="Kernels.GemmTensorCorePipelineKernel"/> (64 x 64 warp blocks) instead of
    /// <see cref="Kernels.GemmTensorCoreKernel"/>'s packed kernel (whose tiles are 64 x 64 and 128 x 128), fp32 of every tile on <see cref="Kernels.GemmSimtPipelineKernel"/>
    /// (operands packed k-major) instead of <see cref="Kernels.GemmKernel"/>; on CUDA sm_80+, and on ILGPU's CPU accelerator
    /// with <see cref="EmulatedMma"/> (emulated). The tuner times them beside the other plans. Not yet run on a GPU.
    /// </summary>
    public bool PipelinedGemm { get; init; }

    /// <summary>
    /// On ILGPU's CPU accelerator (<c>ilgpu-cpu</c>, <c>ilgpu-dry</c>): the tf32 and bf16 GEMMs on the tensor-core kernel
    /// with its mma.sync emulated (<see cref="Kernels.GemmTensorCoreEmulation"/>), where they would otherwise run on the
    /// SIMT kernel, so that the tensor-core path is run end to end without a GPU; the simulated device then allows the
    /// kernel's 128-thread groups, which makes every launch slower. Ignored on CUDA and OpenCL.
    /// </summary>
    public bool EmulatedMma { get; init; }

    /// <summary>The options <see cref="EnvironmentVariable"/> names (none when it is unset or empty).</summary>
    public static IlgpuKernelOptions FromEnvironment() => Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>
    /// Parses a comma-separated list of <see cref="Names"/> or "all"; an unknown name, or both FFT paths, throws, naming
    /// them.
    /// </summary>
    public static IlgpuKernelOptions Parse(string? value)
    {
        var names = (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(name => name.ToLowerInvariant()).ToArray();
        foreach (var name in names)
            if (name != "all" && !Names.Contains(name))
                throw new ArgumentException($"{EnvironmentVariable}: unknown kernel path '{name}' (known: {string.Join(", ", Names)}, all)");
        bool all = names.Contains("all");
        if (names.Contains("global-fft") && (all || names.Contains("shared-fft")))
            throw new ArgumentException($"{EnvironmentVariable}: global-fft pins the other FFT path than shared-fft (and all); name one");
        return new IlgpuKernelOptions
        {
            SharedMemoryFft = all || names.Contains("shared-fft"),
            GlobalMemoryFft = names.Contains("global-fft"),
            PipelinedGemm = all || names.Contains("pipelined-gemm"),
            EmulatedMma = all || names.Contains("emulated-mma"),
        };
    }

    /// <summary>The paths turned on, as <see cref="EnvironmentVariable"/> would list them ("none" when none).</summary>
    public override string ToString()
    {
        var on = new List<string>();
        if (SharedMemoryFft) on.Add("shared-fft");
        if (GlobalMemoryFft) on.Add("global-fft");
        if (PipelinedGemm) on.Add("pipelined-gemm");
        if (EmulatedMma) on.Add("emulated-mma");
        return on.Count == 0 ? "none" : string.Join(",", on);
    }
}
