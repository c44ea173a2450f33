using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// The SSM convolution along L by FFT (spec BIGS.md 2.3). Complex data is interleaved (re, im), one sequence of
/// n = 2^m values after another. Two real columns share one complex sequence p = a + i b: K is real, so
/// conv(K, p) = conv(K, a) + i conv(K, b) and one complex FFT, product and inverse convolve two columns at once. Zero
/// padding to n &gt;= 2L - 1 makes the circular convolution (and correlation) equal the linear one on [0, L).
/// All launches are auto-grouped, one thread per value or butterfly.
/// </summary>
public static class FftKernels
{
    /// <summary>sqrt(1/2) = cos(pi/4), to float precision.</summary>
    private const float Sqrt1_2 = 0.70710678f;

    /// <summary>cos(pi/8) and sin(pi/8), to float precision.</summary>
    private const float Cos1Pi8 = 0.92387953f, Sin1Pi8 = 0.38268343f;

    /// <summary>K'[l] = K[l] + D [l == 0]: the skip D u is the lag-0 term of a convolution, so conv(u, K') = conv(u, K) + D u.</summary>
    public static void FoldSkip(Index1D l, ArrayView<float> kernel, ArrayView<float> d, ArrayView<float> folded) =>
        folded[l] = l == 0 ? kernel[0] + d[0] : kernel[l];

    /// <summary>
    /// The transform of length 1 as a pass like the others: one value is its own DFT, so each is read and written as a
    /// stage reads and writes (<see cref="StageInput"/>, <see cref="StageOutput"/>: columns packed, multiplied by a
    /// spectrum, unpacked). <paramref name="pass"/> is that of every stage (stride 1, either direction, the table of
    /// n = 1), unused.
    /// </summary>
    public static void Radix1Stage(Index1D i, ArrayView<float> x, ColumnLayout inputColumns, ArrayView<float> spectrum, int spectrumSign,
        ArrayView<float> y, ColumnLayout outputColumns, StagePass pass) =>
        new StageOutput(y, outputColumns, 1, i).Store(0, new StageInput(x, inputColumns, spectrum, spectrumSign, i).Load(0));

    /// <summary>
    /// One radix-2 Stockham stage (out of place, self-sorting: after log2 n stages the spectrum is in natural order).
    /// At stride s, for p &lt; n/2s and q &lt; s: y[q + 2sp] = a + b, y[q + s(2p+1)] = (a - b) w^p, with
    /// a = x[q + sp], b = x[q + s(p + n/2s)], w = exp(direction 2 pi i s / n); direction -1 forward, +1 inverse
    /// (unscaled); the twiddles come from the table of the FFT length (<see cref="StageTwiddles"/>). A first pass
    /// may read columns or multiply by a spectrum as it loads (<see cref="StageInput"/>), a last pass may write columns
    /// as it stores (<see cref="StageOutput"/>).
    /// </summary>
    public static void Radix2Stage(Index1D i, ArrayView<float> x, ColumnLayout inputColumns, ArrayView<float> spectrum, int spectrumSign,
        ArrayView<float> y, ColumnLayout outputColumns, StagePass pass)
    {
        var (n, stride, direction) = (inputColumns.FftLength, pass.Stride, pass.Direction);
        var (sequence, t, q, p, apart) = RadixInputs(i, n, 2, stride);
        var (input, output) = (new StageInput(x, inputColumns, spectrum, spectrumSign, sequence), new StageOutput(y, outputColumns, n, sequence));
        var (a, b) = (input.Load(t), input.Load(t + apart));
        var twiddle = pass.Twiddles(n, p * stride);
        int o = q + stride * 2 * p;
        output.Store(o, a + b);
        output.Store(o + stride, (a - b) * twiddle.Power(1));
    }

    /// <summary>
    /// One radix-4 Stockham stage, the radix-2 scheme four ways: at stride s, with m = n/4s, for p &lt; m and q &lt; s,
    /// the 4-point DFT X of x[q + s(p + r m)] (r = 0..3, <see cref="Dft4"/>), times the twiddles w^(up),
    /// w = exp(direction 2 pi i s / n), goes to y[q + s(4p + u)]. Self-sorting like the radix-2 stage, so the radices
    /// mix: a transform ends in natural order whatever stages it took (<c>IlgpuBackend.ComplexSequences</c>).
    /// </summary>
    public static void Radix4Stage(Index1D i, ArrayView<float> x, ColumnLayout inputColumns, ArrayView<float> spectrum, int spectrumSign,
        ArrayView<float> y, ColumnLayout outputColumns, StagePass pass)
    {
        var (n, stride, direction) = (inputColumns.FftLength, pass.Stride, pass.Direction);
        var (sequence, t, q, p, apart) = RadixInputs(i, n, 4, stride);
        var (input, output) = (new StageInput(x, inputColumns, spectrum, spectrumSign, sequence), new StageOutput(y, outputColumns, n, sequence));
        Dft4(input.Load(t), input.Load(t + apart),
            input.Load(t + 2 * apart), input.Load(t + 3 * apart),
            direction, out var x0, out var x1, out var x2, out var x3);
        var twiddle = pass.Twiddles(n, p * stride);
        int o = q + stride * 4 * p;
        output.Store(o, x0);
        output.Store(o + stride, x1 * twiddle.Power(1));
        output.Store(o + 2 * stride, x2 * twiddle.Power(2));
        output.Store(o + 3 * stride, x3 * twiddle.Power(3));
    }

    /// <summary>
    /// One radix-8 Stockham stage (as <see cref="Radix4Stage"/>, eight ways): the 8-point DFT of x[q + s(p + r m)],
    /// m = n/8s, from the 4-point DFTs E of the even r and O of the odd r, X[u] = E[u] + v^u O[u] and
    /// X[u + 4] = E[u] - v^u O[u] (u &lt; 4, v = exp(direction 2 pi i / 8)), times the twiddles w^(up) into y[q + s(8p + u)].
    /// </summary>
    public static void Radix8Stage(Index1D i, ArrayView<float> x, ColumnLayout inputColumns, ArrayView<float> spectrum, int spectrumSign,
        ArrayView<float> y, ColumnLayout outputColumns, StagePass pass)
    {
        var (n, stride, direction) = (inputColumns.FftLength, pass.Stride, pass.Direction);
        var (sequence, t, q, p, apart) = RadixInputs(i, n, 8, stride);
        var (input, output) = (new StageInput(x, inputColumns, spectrum, spectrumSign, sequence), new StageOutput(y, outputColumns, n, sequence));
        Dft4(input.Load(t), input.Load(t + 2 * apart),
            input.Load(t + 4 * apart), input.Load(t + 6 * apart),
            direction, out var e0, out var e1, out var e2, out var e3);
        Dft4(input.Load(t + apart), input.Load(t + 3 * apart),
            input.Load(t + 5 * apart), input.Load(t + 7 * apart),
            direction, out var o0, out var o1, out var o2, out var o3);
        // v = exp(direction 2 pi i / 8) = (1 + direction i) / sqrt 2, v^2 = direction i, v^3 = (-1 + direction i) / sqrt 2
        var (v1, v3) = (new Complex32(Sqrt1_2, direction * Sqrt1_2), new Complex32(-Sqrt1_2, direction * Sqrt1_2));
        (o1, o2, o3) = (o1 * v1, o2.QuarterTurn(direction), o3 * v3);
        var twiddle = pass.Twiddles(n, p * stride);
        int o = q + stride * 8 * p;
        output.Store(o, e0 + o0);
        output.Store(o + stride, (e1 + o1) * twiddle.Power(1));
        output.Store(o + 2 * stride, (e2 + o2) * twiddle.Power(2));
        output.Store(o + 3 * stride, (e3 + o3) * twiddle.Power(3));
        output.Store(o + 4 * stride, (e0 - o0) * twiddle.Power(4));
        output.Store(o + 5 * stride, (e1 - o1) * twiddle.Power(5));
        output.Store(o + 6 * stride, (e2 - o2) * twiddle.Power(6));
        output.Store(o + 7 * stride, (e3 - o3) * twiddle.Power(7));
    }

    /// <summary>
    /// One radix-16 Stockham stage (as <see cref="Radix4Stage"/>, sixteen ways): the 16-point DFT of x_r = x[q + s(p + r m)],
    /// m = n/16s, as two layers of 4-point DFTs. With r = 4a + b and u = c + 4d (a, b, c, d &lt; 4) and v = exp(direction
    /// 2 pi i / 16), v^(ru) = v^(4ac) v^(bc) v^(4bd) (v^16 = 1), so X[c + 4d] = sum_b v^(bc) E_b[c] (direction i)^(bd) with
    /// E_b the 4-point DFT of x_b, x_(4+b), x_(8+b), x_(12+b): four DFTs down the columns b, the twiddles v^(bc), four DFTs
    /// along the rows c (<see cref="StoreRadix16Row"/>). Each output X[u], times w^(up), goes to y[q + s(16p + u)].
    /// </summary>
    public static void Radix16Stage(Index1D i, ArrayView<float> x, ColumnLayout inputColumns, ArrayView<float> spectrum, int spectrumSign,
        ArrayView<float> y, ColumnLayout outputColumns, StagePass pass)
    {
        var (n, stride, direction) = (inputColumns.FftLength, pass.Stride, pass.Direction);
        var (sequence, t, q, p, apart) = RadixInputs(i, n, 16, stride);
        var (input, output) = (new StageInput(x, inputColumns, spectrum, spectrumSign, sequence), new StageOutput(y, outputColumns, n, sequence));
        Dft4(input.Load(t), input.Load(t + 4 * apart), input.Load(t + 8 * apart), input.Load(t + 12 * apart),
            direction, out var e00, out var e01, out var e02, out var e03);
        Dft4(input.Load(t + apart), input.Load(t + 5 * apart), input.Load(t + 9 * apart), input.Load(t + 13 * apart),
            direction, out var e10, out var e11, out var e12, out var e13);
        Dft4(input.Load(t + 2 * apart), input.Load(t + 6 * apart), input.Load(t + 10 * apart), input.Load(t + 14 * apart),
            direction, out var e20, out var e21, out var e22, out var e23);
        Dft4(input.Load(t + 3 * apart), input.Load(t + 7 * apart), input.Load(t + 11 * apart), input.Load(t + 15 * apart),
            direction, out var e30, out var e31, out var e32, out var e33);
        // v^k = (cos(2 pi k / 16), direction sin(2 pi k / 16)) for the products bc = 1, 2, 3, 6, 9 (v^4 = direction i).
        var v1 = new Complex32(Cos1Pi8, direction * Sin1Pi8);
        var v2 = new Complex32(Sqrt1_2, direction * Sqrt1_2);
        var v3 = new Complex32(Sin1Pi8, direction * Cos1Pi8);
        var v6 = new Complex32(-Sqrt1_2, direction * Sqrt1_2);
        var v9 = new Complex32(-Cos1Pi8, -direction * Sin1Pi8);
        var twiddle = pass.Twiddles(n, p * stride);
        int o = q + stride * 16 * p;
        StoreRadix16Row(output, o, stride, twiddle, 0, e00, e10, e20, e30, direction);
        StoreRadix16Row(output, o, stride, twiddle, 1, e01, e11 * v1, e21 * v2, e31 * v3, direction);
        StoreRadix16Row(output, o, stride, twiddle, 2, e02, e12 * v2, e22.QuarterTurn(direction), e32 * v6, direction);
        StoreRadix16Row(output, o, stride, twiddle, 3, e03, e13 * v3, e23 * v6, e33 * v9, direction);
    }

    /// <summary>
    /// Row c of a radix-16 stage: X[c + 4d] = the 4-point DFT over b of its twiddled column outputs, for d &lt; 4, each times
    /// w^(c + 4d) and stored at stride s from o.
    /// </summary>
    private static void StoreRadix16Row(StageOutput output, int o, int stride, StageTwiddles twiddle, int c,
        Complex32 b0, Complex32 b1, Complex32 b2, Complex32 b3, float direction)
    {
        Dft4(b0, b1, b2, b3, direction, out var x0, out var x1, out var x2, out var x3);
        output.Store(o + c * stride, x0 * twiddle.Power(c));
        output.Store(o + (c + 4) * stride, x1 * twiddle.Power(c + 4));
        output.Store(o + (c + 8) * stride, x2 * twiddle.Power(c + 8));
        output.Store(o + (c + 12) * stride, x3 * twiddle.Power(c + 12));
    }

    /// <summary>
    /// What thread i of a radix-r stage at stride s works on: its sequence, its first input t = q + s p (q &lt; s,
    /// p &lt; m = n/rs), q and p, and the distance s m between its r inputs (in complex values). n, r and s are powers
    /// of two, so the divisions are shifts and the remainders masks (a GPU divides integers in a few dozen instructions).
    /// </summary>
    private static (int Sequence, int T, int Q, int P, int Apart) RadixInputs(Index1D i, int n, int radix, int stride)
    {
        int groups = n / radix;
        int sequence = i >> PowerOfTwo.Log2(groups), j = i & (groups - 1);
        int q = j & (stride - 1), p = j >> PowerOfTwo.Log2(stride);
        return (sequence, q + stride * p, q, p, groups);
    }

    /// <summary>
    /// The 4-point DFT with sign direction: e^(direction 2 pi i r u / 4) = (direction i)^(ru), so
    /// X0 = (a + c) + (b + d), X1 = (a - c) + direction i (b - d), X2 = (a + c) - (b + d), X3 = (a - c) - direction i (b - d).
    /// </summary>
    private static void Dft4(Complex32 a, Complex32 b, Complex32 c, Complex32 d, float direction,
        out Complex32 x0, out Complex32 x1, out Complex32 x2, out Complex32 x3)
    {
        var (sumAc, diffAc, sumBd) = (a + c, a - c, b + d);
        var turnedDiffBd = (b - d).QuarterTurn(direction);
        (x0, x1, x2, x3) = (sumAc + sumBd, diffAc + turnedDiffBd, sumAc - sumBd, diffAc - turnedDiffBd);
    }

    /// <summary>
    /// The kernel gradient from the unscaled inverse r of the cross spectrum (one sequence of n): dK[l] = Re r[l] / n for
    /// l &lt; L, and dD = dK[0] (the skip is the lag-0 tap of K'), added onto dD's old value when
    /// <paramref name="accumulate"/> is 1 (D's gradient in place).
    /// </summary>
    public static void KernelGradient(Index1D l, ArrayView<float> inverseCross, int n, int accumulate, ArrayView<float> dKernel, ArrayView<float> dD)
    {
        float tap = inverseCross[2 * l] / n;
        dKernel[l] = tap;
        if (l == 0) dD[0] = accumulate != 0 ? dD[0] + tap : tap;
    }
}

/// <summary>
/// Where a thread's complex sequence s lies in a stage's input or output: packed, 2 n floats from 2 s n
/// (<see cref="ColumnLayout.Packed"/>), or as columns 2s and 2s + 1 of the (B, L, H) tensor that the layout
/// describes, each column's start found once per thread (<see cref="ColumnLayout.ColumnStart"/>, the one integer
/// division a stage makes) and its elements one sequence step of H floats apart (<see cref="ColumnLayout.StepOffset"/>).
/// </summary>
internal readonly struct SequencePlace
{
    public SequencePlace(ColumnLayout columns, int fftLength, int sequence)
    {
        int c = 2 * sequence;
        IsPacked = columns.Columns == 0;
        First = IsPacked ? 2L * sequence * fftLength : columns.ColumnStart(c);
        Second = IsPacked || c + 1 >= columns.Columns ? -1 : columns.ColumnStart(c + 1);
    }

    public bool IsPacked { get; }

    /// <summary>Packed: the sequence's first float. Columns: the start of column 2s.</summary>
    public long First { get; }

    /// <summary>The start of column 2s + 1, or -1 where there is none (packed, or an odd last column).</summary>
    public long Second { get; }
}

/// <summary>
/// What a Stockham stage reads of one sequence: packed values, or columns 2s and 2s + 1 of x as one complex value, zero
/// past L (so a transform's first pass packs as it reads); each value times the spectrum's (its conjugate for sign -1)
/// when the sign is not 0 (so an inverse transform's first pass multiplies as it reads). Each saves a pass over global
/// memory.
/// </summary>
internal readonly struct StageInput(ArrayView<float> x, ColumnLayout columns, ArrayView<float> spectrum, int spectrumSign, int sequence)
{
    private readonly SequencePlace place = new(columns, columns.FftLength, sequence);

    /// <summary>Element t of the sequence.</summary>
    public Complex32 Load(int t)
    {
        var value = place.IsPacked ? Complex32.Load(x, place.First + 2L * t) : LoadColumns(t);
        if (spectrumSign == 0) return value;
        return value * new Complex32(spectrum[2 * t], spectrumSign * spectrum[2 * t + 1]);
    }

    private Complex32 LoadColumns(int t)
    {
        if (t >= columns.Length) return new Complex32(0f, 0f);
        long step = columns.StepOffset(t);
        return new Complex32(x[place.First + step], place.Second >= 0 ? x[place.Second + step] : 0f);
    }
}

/// <summary>
/// Where a Stockham stage writes one sequence of n: packed, or (an inverse transform's last pass) into columns 2s and
/// 2s + 1 of the (B, L, H) tensor y, divided by n, for t &lt; L only: the columns unpacked as they are stored.
/// </summary>
internal readonly struct StageOutput(ArrayView<float> y, ColumnLayout columns, int n, int sequence)
{
    private readonly SequencePlace place = new(columns, n, sequence);

    /// <summary>Writes element t of the sequence.</summary>
    public void Store(int t, Complex32 value)
    {
        if (place.IsPacked)
        {
            value.Store(y, place.First + 2L * t);
            return;
        }
        if (t >= columns.Length) return;
        long step = columns.StepOffset(t);
        float scale = 1f / n;   // exact: n is a power of two
        y[place.First + step] = value.Re * scale;
        if (place.Second >= 0) y[place.Second + step] = value.Im * scale;
    }
}

/// <summary>
/// What distinguishes one pass of a transform from the others: its stride s, the direction (-1 forward, +1 inverse,
/// unscaled) and the twiddle table of the FFT length (<see cref="SharedFftKernels.TwiddleTable"/>).
/// </summary>
public readonly record struct StagePass(int Stride, float Direction, ArrayView<float> Table)
{
    /// <summary>The twiddles w^u of the thread whose p s is <paramref name="step"/>.</summary>
    internal StageTwiddles Twiddles(int n, int step) => new(Table, n, step, Direction);
}

/// <summary>
/// The twiddles of one thread of a Stockham stage: w^u = exp(direction 2 pi i u p s / n), read from the table of
/// exp(-2 pi i k / n), k &lt; n/2, that the host computed in double (<see cref="SharedFftKernels.TwiddleTable"/>), so a
/// GPU gets the same values as the CPU accelerator (its own sine and cosine are approximations good to about 1e-6).
/// u p s &lt; n (u &lt; r and p s &lt; n / r): k past n/2 is the table's k - n/2 negated, and the inverse (direction
/// +1) takes the conjugate.
/// </summary>
internal readonly struct StageTwiddles(ArrayView<float> table, int n, int step, float direction)
{
    /// <summary>w^u.</summary>
    public Complex32 Power(int u)
    {
        int k = u * step, half = n >> 1;
        float sign = k < half ? 1f : -1f;
        int at = 2 * (k < half ? k : k - half);
        return new Complex32(sign * table[at], -direction * sign * table[at + 1]);
    }
}
