using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace BiGS.Native.Kernels.Cpu.Fft;

/// <summary>
/// In-place complex FFT for power-of-two lengths: iterative radix-2, decimation in time, on split
/// storage (real parts in one span, imaginary parts in another, which keeps the butterflies SIMD-friendly):
/// <code>X[k] = sum_j x[j] exp(-2 pi i j k / n)</code>
/// It computes the one spectrum the SSM convolution shares across channels (<see cref="LaneSharedSpectrum{TLanes}"/>);
/// <see cref="LaneFft{TLanes}"/> reuses its bit reversal and twiddles. Plans are immutable and safe to share between
/// threads; get them from <see cref="ForLength"/>.
/// </summary>
internal sealed class Radix2Fft
{
    private static readonly ConcurrentDictionary<int, Radix2Fft> Plans = new();

    // Index pairs (i, j) with i &lt; j whose elements are exchanged to put the input in bit-reversed order.
    private readonly int[] swapFirst;
    private readonly int[] swapSecond;

    // Twiddles of the stage that merges transforms of size h live at [h, 2h): w_j = exp(-i pi j / h).
    // Computed in double, stored as float.
    private readonly float[] twiddleRe;
    private readonly float[] twiddleIm;

    /// <summary>Builds the plan (bit-reversal pairs and twiddles) for a power-of-two <paramref name="length"/>.</summary>
    private Radix2Fft(int length)
    {
        if (length < 1 || !BitOperations.IsPow2(length))
            throw new ArgumentOutOfRangeException(nameof(length), length, "radix-2 FFT length must be a power of two");
        Length = length;
        (swapFirst, swapSecond) = BitReversalSwaps(length);
        (twiddleRe, twiddleIm) = StageTwiddles(length);
    }

    /// <summary>Transform length n (a power of two).</summary>
    public int Length { get; }

    /// <summary>The cached plan for a power-of-two <paramref name="length"/> (created on first use, thread-safe).</summary>
    public static Radix2Fft ForLength(int length) => Plans.GetOrAdd(length, static n => new Radix2Fft(n));

    /// <summary>Forward transform in place (no scaling).</summary>
    public void Forward(Span<float> re, Span<float> im)
    {
        SwapIntoBitReversedOrder(re, im);
        int firstHalf = 1;
        if (Length >= 4)
        {
            MergeFirstTwoStages(re, im);
            firstHalf = 4;
        }
        for (int half = firstHalf; half < Length; half *= 2)
        {
            if (half >= Vector<float>.Count)
                MergeStageVectorized(re, im, half);
            else
                MergeStage(re, im, half);
        }
    }

    private void SwapIntoBitReversedOrder(Span<float> re, Span<float> im)
    {
        for (int p = 0; p < swapFirst.Length; p++)
        {
            int i = swapFirst[p], j = swapSecond[p];
            (re[i], re[j]) = (re[j], re[i]);
            (im[i], im[j]) = (im[j], im[i]);
        }
    }

    // Stages h = 1 and h = 2 together on each group of four (their twiddles are 1 and -i, so no multiplies):
    //   a0 = x0 + x1,  a1 = x0 - x1,  a2 = x2 + x3,  a3 = x2 - x3
    //   X0 = a0 + a2,  X2 = a0 - a2,  X1 = a1 - i a3,  X3 = a1 + i a3      (-i (r + i s) = s - i r)
    private void MergeFirstTwoStages(Span<float> re, Span<float> im)
    {
        for (int start = 0; start < Length; start += 4)
        {
            var r = re.Slice(start, 4);
            var i = im.Slice(start, 4);
            float a0r = r[0] + r[1], a0i = i[0] + i[1];
            float a1r = r[0] - r[1], a1i = i[0] - i[1];
            float a2r = r[2] + r[3], a2i = i[2] + i[3];
            float a3r = r[2] - r[3], a3i = i[2] - i[3];
            (r[0], i[0]) = (a0r + a2r, a0i + a2i);
            (r[2], i[2]) = (a0r - a2r, a0i - a2i);
            (r[1], i[1]) = (a1r + a3i, a1i - a3r);
            (r[3], i[3]) = (a1r - a3i, a1i + a3r);
        }
    }

    // One butterfly stage: for each block of 2h, top = x[s+j], bottom = w_j x[s+j+h];
    //   x[s+j] = top + bottom,  x[s+j+h] = top - bottom.
    private void MergeStage(Span<float> re, Span<float> im, int half)
    {
        for (int start = 0; start < Length; start += 2 * half)
        {
            for (int j = 0; j < half; j++)
            {
                int top = start + j, bottom = top + half;
                float wr = twiddleRe[half + j], wi = twiddleIm[half + j];
                float br = re[bottom] * wr - im[bottom] * wi;
                float bi = re[bottom] * wi + im[bottom] * wr;
                re[bottom] = re[top] - br;
                im[bottom] = im[top] - bi;
                re[top] += br;
                im[top] += bi;
            }
        }
    }

    // The same stage with Vector<float> lanes along j (h is a multiple of the lane count here).
    private void MergeStageVectorized(Span<float> re, Span<float> im, int half)
    {
        var reV = MemoryMarshal.Cast<float, Vector<float>>(re);
        var imV = MemoryMarshal.Cast<float, Vector<float>>(im);
        var wrV = MemoryMarshal.Cast<float, Vector<float>>(twiddleRe.AsSpan(half, half));
        var wiV = MemoryMarshal.Cast<float, Vector<float>>(twiddleIm.AsSpan(half, half));
        int halfVectors = wrV.Length;
        for (int start = 0; start < reV.Length; start += 2 * halfVectors)
        {
            for (int j = 0; j < halfVectors; j++)
            {
                int top = start + j, bottom = top + halfVectors;
                var br = reV[bottom] * wrV[j] - imV[bottom] * wiV[j];
                var bi = reV[bottom] * wiV[j] + imV[bottom] * wrV[j];
                reV[bottom] = reV[top] - br;
                imV[bottom] = imV[top] - bi;
                reV[top] += br;
                imV[top] += bi;
            }
        }
    }

    private static (int[] First, int[] Second) BitReversalSwaps(int length)
    {
        var reversed = BitReversal(length);
        var first = new List<int>();
        var second = new List<int>();
        for (int i = 1; i < length; i++)
        {
            if (i < reversed[i])
            {
                first.Add(i);
                second.Add(reversed[i]);
            }
        }
        return (first.ToArray(), second.ToArray());
    }

    /// <summary>reversed[i] = i with its log2(n) bits in reverse order, for a power-of-two <paramref name="length"/>.</summary>
    internal static int[] BitReversal(int length)
    {
        int bits = BitOperations.Log2((uint)length);
        var reversed = new int[length];
        for (int i = 1; i < length; i++)
        {
            // reverse(i) = reverse(i / 2) / 2 with i's lowest bit moved to the top.
            reversed[i] = (reversed[i >> 1] >> 1) | ((i & 1) << (bits - 1));
        }
        return reversed;
    }

    /// <summary>
    /// Twiddles of every radix-2 stage of a power-of-two <paramref name="length"/>: the stage that combines
    /// halves of size h reads w_j = exp(-i pi j / h) at index h + j (computed in double, stored as float).
    /// </summary>
    internal static (float[] Re, float[] Im) StageTwiddles(int length)
    {
        var re = new float[Math.Max(1, length)];
        var im = new float[Math.Max(1, length)];
        for (int half = 1; half < length; half *= 2)
        {
            for (int j = 0; j < half; j++)
            {
                // w_j = exp(-i pi j / h), in double before rounding to float.
                (double sin, double cos) = Math.SinCos(Math.PI * j / half);
                re[half + j] = (float)cos;
                im[half + j] = (float)-sin;
            }
        }
        return (re, im);
    }
}
