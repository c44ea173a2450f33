using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace BiGS.Native.Bench;

/// <summary>
/// OpenBLAS loaded at run time through P/Invoke function pointers (Debian package libopenblas0-pthread),
/// used only as a yardstick for our own kernels. A yardstick must run at its best: Debian's OpenBLAS 0.3.21
/// does not recognise recent processors (AMD Zen5, recent Xeons) and falls back to a slow generic kernel, so
/// <see cref="TryLoad"/> first sets <c>OPENBLAS_CORETYPE</c> to the kernel that fits the instruction set this
/// process runs (see <see cref="FittingCoreType"/>), overriding whatever the environment held.
/// </summary>
internal sealed unsafe class OpenBlas
{
    /// <summary>The shared library name looked up by the dynamic loader.</summary>
    public const string LibraryName = "libopenblas.so.0";

    /// <summary>The environment variable OpenBLAS reads once, when loaded, to pick its kernels.</summary>
    public const string CoreTypeVariable = "OPENBLAS_CORETYPE";

    private const int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    private readonly delegate* unmanaged<int, void> setNumThreads;

    private OpenBlas(nint library, string coreTypeNote)
    {
        sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        setNumThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "openblas_set_num_threads");
        CoreTypeNote = coreTypeNote;
    }

    /// <summary>Which core type OpenBLAS was given and why, e.g. "SKYLAKEX (AVX-512; the environment had Haswell)".</summary>
    public string CoreTypeNote { get; }

    /// <summary>
    /// The OpenBLAS kernel for the instruction set this process uses: SKYLAKEX where AVX-512F is enabled, HASWELL
    /// where only AVX2 + FMA are (AMD Zen included: OpenBLAS's own Zen kernels are its Haswell ones), else null
    /// (leave OpenBLAS to its own detection). Running the bench with <c>DOTNET_EnableAVX512=0</c> therefore compares
    /// our AVX2 path with OpenBLAS's AVX2 kernel.
    /// </summary>
    public static string? FittingCoreType() =>
        Avx512F.IsSupported ? "SKYLAKEX"
        : Avx2.IsSupported && Fma.IsSupported ? "HASWELL"
        : null;

    /// <summary>
    /// Sets <c>OPENBLAS_CORETYPE</c> to <paramref name="coreType"/> (or <see cref="FittingCoreType"/> when null)
    /// in the native environment, then loads OpenBLAS; returns null when the library is not installed. The variable
    /// must be set with libc's setenv: OpenBLAS reads it with getenv while loading, and .NET's
    /// Environment.SetEnvironmentVariable does not reach the native environment on Linux.
    /// </summary>
    public static OpenBlas? TryLoad(string? coreType = null)
    {
        string? before = Environment.GetEnvironmentVariable(CoreTypeVariable);
        string? chosen = coreType ?? FittingCoreType();
        string note;
        if (chosen is null)
            note = $"{before ?? "OpenBLAS's own detection"} (no AVX2 or AVX-512 core type fits this processor)";
        else
        {
            if (setenv(CoreTypeVariable, chosen, 1) != 0)
                throw new InvalidOperationException($"setenv({CoreTypeVariable}) failed");
            string why = coreType is not null ? "chosen with --openblas-coretype"
                : Avx512F.IsSupported ? "fits AVX-512" : "fits AVX2";
            note = $"{chosen} ({why}; the environment had {(before is null ? "none" : before)})";
        }
        return NativeLibrary.TryLoad(LibraryName, out nint library) ? new OpenBlas(library, note) : null;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Sets the number of OpenBLAS worker threads.</summary>
    public void SetThreads(int threads) => setNumThreads(threads);

    /// <summary>Row-major <c>cblas_sgemm</c>: C = alpha * op(A) * op(B) + beta * C.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
