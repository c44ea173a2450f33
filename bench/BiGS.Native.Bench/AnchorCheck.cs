using System.Runtime.Intrinsics.X86;
using BiGS.Native.Kernels.Cpu;

namespace BiGS.Native.Bench;

/// <summary>
/// Guards a comparison against a crippled yardstick: OpenBLAS given a kernel that does not fit the processor
/// (Debian's 0.3.21 misdetects recent CPUs) runs SGEMM several times slower, and a ratio against it would
/// flatter us. The check times OpenBLAS's SGEMM at 1024^3 and refuses when it is below a floor per thread for the
/// instruction set (<see cref="FloorPerThread"/>).
/// </summary>
internal static class AnchorCheck
{
    private const int Size = 1024, Runs = 5;

    /// <summary>
    /// Lowest plausible OpenBLAS SGEMM GFLOP/s per thread for the instruction set this process runs (the same
    /// floors as bench/compare/compare.py). Measured at 1024^3, one thread: with AVX-512 the fitting SKYLAKEX kernel
    /// gave 150-180 on an AMD Zen5 and ~224 on a Xeon, while kernels that do not fit gave 89 (HASWELL on the Zen5),
    /// 30 (PRESCOTT) and 44 (the Xeon's misdetected default); with AVX2, HASWELL gave ~90 and PRESCOTT 30.
    /// </summary>
    public static double FloorPerThread =>
        Avx512F.IsSupported ? 100 : Avx2.IsSupported && Fma.IsSupported ? 40 : 0;

    /// <summary>Times OpenBLAS at 1024^3 on <paramref name="threads"/> threads, prints the rate, and says whether it is plausible.</summary>
    public static bool Passes(OpenBlas blas, int threads, Func<Action, double> time)
    {
        var random = new Random(1);
        float[] a = RandomMatrix(random), b = RandomMatrix(random), c = new float[Size * Size];
        void Run() => blas.Sgemm(false, false, Size, Size, Size, 1f, a, Size, b, Size, 0f, c, Size);
        Run();
        double best = Enumerable.Range(0, Runs).Min(_ => time(Run));
        double gflops = 2.0 * Size * Size * Size / best / 1e9, floor = FloorPerThread * threads;
        Console.WriteLine($"OpenBLAS SGEMM {Size}^3 alone: {gflops:F1} GFLOP/s on {threads} thread(s) " +
            $"(plausible floor for {Gemm.MicroKernel}: {floor:F0})");
        if (gflops >= floor) return true;
        Console.Error.WriteLine($"OpenBLAS's SGEMM runs at {gflops:F1} GFLOP/s, below the {floor:F0} expected of any " +
            $"fitting kernel: it runs a kernel misdetected for this processor (or the machine is busy: try --cpu-time " +
            $"with --threads 1). No ratio is reported; choose its kernel with --openblas-coretype.");
        return false;
    }

    private static float[] RandomMatrix(Random random) =>
        Enumerable.Range(0, Size * Size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}
