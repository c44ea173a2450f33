using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>Kernels that keep a training step's bookkeeping on the device: accuracy counts and gradient clipping.</summary>
public static class TrainingKernels
{
    /// <summary>
    /// hits[r] = 1 where labels[r] is in [0, cols) and logits[r, labels[r]] &gt;= maxima[r] (ties count), else 0.
    /// </summary>
    public static void ArgMaxHits(Index1D r, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> maxima, int cols, ArrayView<float> hits)
    {
        int row = r, label = labels[row];
        hits[row] = (uint)label < (uint)cols && logits[(long)row * cols + label] >= maxima[row] ? 1f : 0f;
    }

    /// <summary>x[i] *= c / n where n = sqrt(sumOfSquares[0]) is finite and exceeds c = maxNorm (every thread reads the one norm).</summary>
    public static void ClipToNorm(Index1D i, ArrayView<float> x, ArrayView<float> sumOfSquares, float maxNorm)
    {
        float norm = XMath.Sqrt(sumOfSquares[0]);
        if (norm > maxNorm && norm <= float.MaxValue) x[i] *= maxNorm / norm;
    }
}
