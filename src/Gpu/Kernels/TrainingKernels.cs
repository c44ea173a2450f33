using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// Kernels that keep a training step's bookkeeping on the device: accuracy counts, the gradients' sum of squares and
/// gradient clipping.
/// </summary>
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

    /// <summary>
    /// partials[g] = sum of x[i]^2 in double over the elements i = g D + t + k G D (D threads per group, G groups, t
    /// the thread, k = 0, 1, ...): group g's share of the grid-strided sum of squares. One group per partial.
    /// </summary>
    public static void SumOfSquaresPartials(ArrayView<float> x, ArrayView<double> partials)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        double total = 0;
        for (long i = (long)Grid.IdxX * Group.DimX + Group.IdxX; i < x.Length; i += stride)
        {
            double element = x[i];
            total += element * element;
        }
        total = GroupReduce.Sum(total);
        if (Group.IdxX == 0) partials[Grid.IdxX] = total;
    }

    /// <summary>
    /// One group: total[0] = (accumulate ? total[0] : 0) + sum of the partials, added in double in a fixed order
    /// (deterministic) and rounded to float once.
    /// </summary>
    public static void AddPartials(ArrayView<double> partials, int accumulate, ArrayView<float> total)
    {
        double sum = 0;
        for (long p = Group.IdxX; p < partials.Length; p += Group.DimX) sum += partials[p];
        sum = GroupReduce.Sum(sum);
        if (Group.IdxX == 0) total[0] = (float)(accumulate != 0 ? total[0] + sum : sum);
    }
}
