using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The SSM convolution (spec BIGS.md 2.3) with every FFT of a group in shared memory: one group per block of columns
/// reads its columns of u once, transforms, multiplies and transforms back in shared memory, and writes y once,
/// where the global path (<see cref="FftKernels"/>) makes one pass over global memory per radix-8 stage.
/// Columns c = b H + h of (B, L, H) travel two per complex sequence (even column: real part, odd: imaginary), zero
/// padded to n &gt;= 2L - 1, as in the global path. A group holds <see cref="Capacity"/> complex values, so
/// Capacity / n sequences in the forward and half as many in the backward (which keeps FFT(u) and FFT(dy) together).
/// <para>
/// No permutation pass: the forward transform is a decimation in frequency (natural order in, bit-reversed out) and
/// the inverse a decimation in time (bit-reversed in, natural out), and the kernel spectrum K'^ is made by the same
/// forward transform, so every pointwise product meets its operands at the same bit-reversed positions.
/// Twiddles w^k = exp(-2 pi i k / n), k &lt; n/2, come from a table computed in double (<see cref="TwiddleTable"/>).
/// </para>
/// </summary>
public static class SharedFftKernels
{
    /// <summary>Complex values each group holds in shared memory (32 KiB of floats).</summary>
    public const int Capacity = 4096;

    /// <summary>Sequences (column pairs) one group of <see cref="Convolve"/> transforms at FFT length <paramref name="n"/>.</summary>
    public static int ForwardSequences(int n) => Capacity / n;

    /// <summary>Sequences one group of <see cref="ConvolutionBackward"/> transforms (each of u and dy) at length <paramref name="n"/>.</summary>
    public static int BackwardSequences(int n) => Capacity / (2 * n);

    /// <summary>The twiddles exp(-2 pi i k / n) for k &lt; n/2, interleaved (re, im), computed in double.</summary>
    public static float[] TwiddleTable(int n)
    {
        var table = new float[Math.Max(2, n)];
        for (int k = 0; k < n / 2; k++)
        {
            double angle = -2 * Math.PI * k / n;
            table[2 * k] = (float)Math.Cos(angle);
            table[2 * k + 1] = (float)Math.Sin(angle);
        }
        return table;
    }

    /// <summary>
    /// One group: spectrum = FFT(K') in bit-reversed order, K'[l] = K[l] + D [l == 0] zero padded to n (the skip D u
    /// is the lag-0 term of the convolution).
    /// </summary>
    public static void KernelSpectrum(ArrayView<float> kernel, ArrayView<float> d, int n, ArrayView<float> twiddles, ArrayView<float> spectrum)
    {
        var buffer = SharedMemory.Allocate<float>(2 * Capacity);
        int length = kernel.IntLength;
        for (int t = Group.IdxX; t < n; t += Group.DimX)
        {
            buffer[2 * t] = t >= length ? 0f : t == 0 ? kernel[0] + d[0] : kernel[t];
            buffer[2 * t + 1] = 0f;
        }
        Group.Barrier();
        ForwardDif(buffer, 0, 1, n, twiddles);
        for (int i = Group.IdxX; i < 2 * n; i += Group.DimX) spectrum[i] = buffer[i];
    }

    /// <summary>
    /// Group g: y = IFFT(FFT(x) K'^)[0, L) for its column pairs (a causal convolution with the skip), or with conj(K'^)
    /// when <paramref name="conjugate"/> is not 0 (the anti-causal correlation of the backward's du).
    /// </summary>
    public static void Convolve(ArrayView<float> x, ColumnLayout layout, int sequencesPerGroup, ArrayView<float> spectrum,
        int conjugate, ArrayView<float> twiddles, ArrayView<float> y)
    {
        var buffer = SharedMemory.Allocate<float>(2 * Capacity);
        var columns = new GroupColumns(layout, sequencesPerGroup);
        int sequences = columns.Sequences, n = layout.FftLength;
        columns.Load(x, buffer, 0);
        Group.Barrier();
        ForwardDif(buffer, 0, sequences, n, twiddles);
        for (int f = Group.IdxX; f < n; f += Group.DimX)
            for (int s = 0; s < sequences; s++) MultiplyBySpectrum(buffer, s * n + f, spectrum, f, conjugate);
        Group.Barrier();
        InverseDit(buffer, 0, sequences, n, twiddles);
        columns.Store(buffer, 0, y);
    }

    /// <summary>
    /// Group g of the backward: with P = FFT(u), Q = FFT(dy) of its column pairs,
    /// <code>
    /// du             = IFFT(Q conj(K'^))[0, L)
    /// partialCross_g = sum over its sequences of Q conj(P)      (bit-reversed order; summed over groups as column sums)
    /// </code>
    /// </summary>
    public static void ConvolutionBackward(ArrayView<float> u, ArrayView<float> dy, ColumnLayout layout, int sequencesPerGroup,
        ArrayView<float> spectrum, ArrayView<float> twiddles, ArrayView<float> du, ArrayView<float> partialCross)
    {
        var buffer = SharedMemory.Allocate<float>(2 * Capacity);
        var columns = new GroupColumns(layout, sequencesPerGroup);
        int sequences = columns.Sequences, n = layout.FftLength, gradients = sequences * n;
        columns.Load(u, buffer, 0);
        columns.Load(dy, buffer, gradients);
        Group.Barrier();
        ForwardDif(buffer, 0, 2 * sequences, n, twiddles);
        long partial = 2L * Grid.IdxX * n;
        for (int f = Group.IdxX; f < n; f += Group.DimX)
        {
            float re = 0f, im = 0f;
            for (int s = 0; s < sequences; s++)
            {
                int p = 2 * (s * n + f), q = 2 * (gradients + s * n + f);
                // Q conj(P)
                re += buffer[q] * buffer[p] + buffer[q + 1] * buffer[p + 1];
                im += buffer[q + 1] * buffer[p] - buffer[q] * buffer[p + 1];
                MultiplyBySpectrum(buffer, gradients + s * n + f, spectrum, f, 1);
            }
            partialCross[partial + 2 * f] = re;
            partialCross[partial + 2 * f + 1] = im;
        }
        Group.Barrier();
        InverseDit(buffer, gradients, sequences, n, twiddles);
        columns.Store(buffer, gradients, du);
    }

    /// <summary>
    /// One group: dK = Re IFFT(cross)[0, L) / n from the bit-reversed cross spectrum, and dD = dK[0] (the skip is the
    /// lag-0 tap of K'), added onto dD's old value when <paramref name="accumulate"/> is 1 (D's gradient in place).
    /// </summary>
    public static void KernelGradient(ArrayView<float> cross, int n, ArrayView<float> twiddles, int accumulate, ArrayView<float> dKernel, ArrayView<float> dD)
    {
        var buffer = SharedMemory.Allocate<float>(2 * Capacity);
        for (int i = Group.IdxX; i < 2 * n; i += Group.DimX) buffer[i] = cross[i];
        Group.Barrier();
        InverseDit(buffer, 0, 1, n, twiddles);
        float scale = 1f / n;
        for (int l = Group.IdxX; l < dKernel.IntLength; l += Group.DimX) dKernel[l] = scale * buffer[2 * l];
        if (Group.IdxX == 0) dD[0] = accumulate != 0 ? dD[0] + scale * buffer[0] : scale * buffer[0];
    }

    /// <summary>
    /// In place over <paramref name="sequences"/> sequences of n complex values from complex index
    /// <paramref name="first"/>: the unscaled forward DFT, natural order in, bit-reversed order out (decimation in
    /// frequency). Stage with half-span h: a' = a + b, b' = (a - b) w^(j n / 2h) for the j-th pair of each block.
    /// </summary>
    private static void ForwardDif(ArrayView<float> buffer, int first, int sequences, int n, ArrayView<float> twiddles)
    {
        int pairs = n / 2, butterflies = sequences * pairs;
        for (int half = pairs; half >= 1; half /= 2)
        {
            for (int i = Group.IdxX; i < butterflies; i += Group.DimX)
            {
                var (a, w) = Butterfly(i, first, n, half);
                int b = a + 2 * half;
                float wRe = twiddles[w], wIm = twiddles[w + 1];
                float aRe = buffer[a], aIm = buffer[a + 1], dRe = aRe - buffer[b], dIm = aIm - buffer[b + 1];
                buffer[a] = aRe + buffer[b];
                buffer[a + 1] = aIm + buffer[b + 1];
                buffer[b] = dRe * wRe - dIm * wIm;
                buffer[b + 1] = dRe * wIm + dIm * wRe;
            }
            Group.Barrier();
        }
    }

    /// <summary>
    /// The inverse of <see cref="ForwardDif"/> up to the factor n: bit-reversed order in, natural order out, conjugate
    /// twiddles (decimation in time). Stage with half-span h: t = b conj(w)^(j n / 2h), a' = a + t, b' = a - t.
    /// </summary>
    private static void InverseDit(ArrayView<float> buffer, int first, int sequences, int n, ArrayView<float> twiddles)
    {
        int pairs = n / 2, butterflies = sequences * pairs;
        for (int half = 1; half <= pairs; half *= 2)
        {
            for (int i = Group.IdxX; i < butterflies; i += Group.DimX)
            {
                var (a, w) = Butterfly(i, first, n, half);
                int b = a + 2 * half;
                float wRe = twiddles[w], wIm = -twiddles[w + 1];
                float tRe = buffer[b] * wRe - buffer[b + 1] * wIm, tIm = buffer[b] * wIm + buffer[b + 1] * wRe;
                float aRe = buffer[a], aIm = buffer[a + 1];
                buffer[a] = aRe + tRe;
                buffer[a + 1] = aIm + tIm;
                buffer[b] = aRe - tRe;
                buffer[b + 1] = aIm - tIm;
            }
            Group.Barrier();
        }
    }

    /// <summary>
    /// Butterfly i of a stage with half-span h over sequences of n from complex index <paramref name="first"/>: the float
    /// index of its a (its b is 2h floats on) and of its twiddle w^(j n / 2h) in the table, j being the butterfly's place
    /// in its block of 2h. By shifts and masks: n and h are powers of two.
    /// </summary>
    private static (int A, int Twiddle) Butterfly(int i, int first, int n, int half)
    {
        int pairs = n / 2, halfBits = PowerOfTwo.Log2(half);
        int r = i & (pairs - 1), j = r & (half - 1);
        int sequence = i >> PowerOfTwo.Log2(pairs), block = r >> halfBits;
        return (2 * (first + sequence * n + block * 2 * half + j), 2 * j * (pairs >> halfBits));
    }

    /// <summary>buffer[index] *= spectrum[f], or its conjugate when <paramref name="conjugate"/> is not 0 (complex indices).</summary>
    private static void MultiplyBySpectrum(ArrayView<float> buffer, int index, ArrayView<float> spectrum, int f, int conjugate)
    {
        float kRe = spectrum[2 * f], kIm = conjugate != 0 ? -spectrum[2 * f + 1] : spectrum[2 * f + 1];
        float xRe = buffer[2 * index], xIm = buffer[2 * index + 1];
        buffer[2 * index] = xRe * kRe - xIm * kIm;
        buffer[2 * index + 1] = xRe * kIm + xIm * kRe;
    }
}

/// <summary>
/// The columns of one group of <see cref="SharedFftKernels"/>: its sequences (column pairs 2s, 2s + 1 from
/// Grid.IdxX x sequences per group; fewer in the last group) and how its threads share their (lane, t) values, lane
/// 2s' + k being column 2(first + s') + k. Lanes run fastest, so neighbouring threads read and write neighbouring
/// channels of one time step (coalesced): thread i takes lanes i mod S, + S, ... and steps i / S, + group / S, ...
/// with S = min(lane slots, group size). The slots (2 x sequences per group) and the group size are powers of two, so
/// this is a shift and a mask, and each lane's column start (its one integer division) is found once.
/// </summary>
internal readonly struct GroupColumns
{
    private readonly ColumnLayout layout;
    private readonly int firstColumn, laneStep, firstStep, stepStride;

    public GroupColumns(ColumnLayout layout, int sequencesPerGroup)
    {
        this.layout = layout;
        int firstSequence = Grid.IdxX * sequencesPerGroup;
        Sequences = Math.Min(sequencesPerGroup, layout.Sequences - firstSequence);
        firstColumn = 2 * firstSequence;
        laneStep = Math.Min(2 * sequencesPerGroup, Group.DimX);
        int laneBits = PowerOfTwo.Log2(laneStep);
        firstStep = Group.IdxX >> laneBits;
        stepStride = Group.DimX >> laneBits;
    }

    /// <summary>The group's complex sequences (column pairs).</summary>
    public int Sequences { get; }

    /// <summary>The group's columns of x into its sequences from complex index <paramref name="first"/>, zero padded to n.</summary>
    public void Load(ArrayView<float> x, ArrayView<float> buffer, int first)
    {
        int n = layout.FftLength;
        for (int lane = FirstLane; lane < 2 * Sequences; lane += laneStep)
        {
            int column = firstColumn + lane, at = LaneStart(lane, first);
            bool exists = column < layout.Columns;
            long start = exists ? layout.ColumnStart(column) : 0;
            for (int t = firstStep; t < n; t += stepStride)
                buffer[at + 2 * t] = exists && t < layout.Length ? x[start + layout.StepOffset(t)] : 0f;
        }
    }

    /// <summary>y (the group's columns, t &lt; L) = its sequences from complex index <paramref name="first"/> / n, after an unscaled inverse.</summary>
    public void Store(ArrayView<float> buffer, int first, ArrayView<float> y)
    {
        float scale = 1f / layout.FftLength;
        for (int lane = FirstLane; lane < 2 * Sequences; lane += laneStep)
        {
            int column = firstColumn + lane, at = LaneStart(lane, first);
            if (column >= layout.Columns) continue;
            long start = layout.ColumnStart(column);
            for (int t = firstStep; t < layout.Length; t += stepStride) y[start + layout.StepOffset(t)] = scale * buffer[at + 2 * t];
        }
    }

    private int FirstLane => Group.IdxX & (laneStep - 1);

    /// <summary>The float index of lane k's value at t = 0: the real (k even) or imaginary (k odd) part of its sequence's first value.</summary>
    private int LaneStart(int lane, int first) => 2 * (first + (lane >> 1) * layout.FftLength) + (lane & 1);
}

/// <summary>
/// (B, L, H) seen as Columns = B H columns of Length L (column c = b H + h, element (b L + t) H + h), and the FFT
/// length n &gt;= 2L - 1 (a power of two). With <see cref="RightToLeft"/> not 0, column step t is sequence step
/// L - 1 - t: a causal convolution of the columns is then the anti-causal one of the sequence,
/// y[t] = sum_{s &gt;= t} K[s - t] u[s] (BiGS's backward SSM, flip(conv(flip(u), K)) with no flipped copies).
/// </summary>
public readonly record struct ColumnLayout(int Columns, int Length, int Channels, int FftLength, int RightToLeft)
{
    /// <summary>Complex sequences holding the columns two by two (the last one half empty for an odd count).</summary>
    public int Sequences => (Columns + 1) / 2;

    /// <summary>The flat index of the first element of column c = b H + h in memory (sequence step 0): b L H + h.</summary>
    public long ColumnStart(int column) => (long)(column / Channels) * Length * Channels + column % Channels;

    /// <summary>How far element t of a column lies from <see cref="ColumnStart"/>: its sequence step times H.</summary>
    public long StepOffset(int t) => (long)SequenceStep(t) * Channels;

    /// <summary>The sequence step that column step t reads and writes (its own inverse).</summary>
    public int SequenceStep(int t) => RightToLeft != 0 ? Length - 1 - t : t;

    /// <summary>No columns: the data are already complex sequences of length n, one after another (a transform's later passes).</summary>
    public static ColumnLayout Packed(int fftLength) => new(0, 0, 1, fftLength, 0);
}
