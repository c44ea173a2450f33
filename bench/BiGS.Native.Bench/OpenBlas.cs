using System.Runtime.InteropServices;

namespace BiGS.Native.Bench;

/// <summary>
/// OpenBLAS loaded at run time through P/Invoke function pointers (Debian package libopenblas0-pthread),
/// used only as a yardstick for our own kernels.
/// </summary>
internal sealed unsafe class OpenBlas
{
    /// <summary>The shared library name looked up by the dynamic loader.</summary>
    public const string LibraryName = "libopenblas.so.0";

    private const int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    private readonly delegate* unmanaged<int, void> setNumThreads;

    private OpenBlas(nint library)
    {
        sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        setNumThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "openblas_set_num_threads");
    }

    /// <summary>Loads OpenBLAS, or returns null when the library is not installed.</summary>
    public static OpenBlas? TryLoad() =>
        NativeLibrary.TryLoad(LibraryName, out nint library) ? new OpenBlas(library) : null;

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
