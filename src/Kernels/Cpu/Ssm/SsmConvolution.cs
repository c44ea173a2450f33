using System.Buffers;
using System.Numerics;
using BiGS.Native.Kernels.Cpu.Fft;

namespace BiGS.Native.Kernels.Cpu.Ssm;

/// <summary>
/// The SSM's causal convolution over u (B, L, H), row-major with channels last. All H channels share
/// one kernel K (L) and one skip D:
/// <code>
///   y[b,t,h] = sum_{s=0..t} K[t-s] u[b,s,h] + D u[b,t,h]
/// </code>
/// <see cref="Forward"/> and <see cref="Backward"/> use FFTs at a power-of-two length n &gt;= 2L - 1, where
/// circular convolution of the zero-padded signals equals the causal (linear) one:
/// y = IFFT( FFT(pad(u, n)) * FFT(pad(K, n)) )[:L] + D u. The skip is folded into the kernel as K'[0] = K[0] + D
/// (D u is the lag-0 term of a convolution), so it costs no extra pass. <see cref="ForwardDirect"/> is the plain
/// O(L^2) loop.
/// <para>
/// Right to left (<c>rightToLeft</c>, BiGS's backward SSM) the sequence is read and written from its end, time step
/// L - 1 - t where left to right uses t, so the same code computes the anti-causal convolution
/// y[b,t,h] = sum_{s=t..L-1} K[s-t] u[b,s,h] + D u[b,t,h] = flip(conv(flip(u), K)) with no flipped copies; its
/// backward reads u and dy and writes du the same way (dK and dD are sums over the flipped sequences).
/// </para>
/// <para>
/// Channels are transformed 2 V at a time (a tile of one batch row; V = 16 lanes with AVX-512, else 8), with no
/// transposition: because u is channels last, time step t of channels h0..h0+2V-1 is 2V adjacent floats. They
/// become one complex sample per lane of a <see cref="LaneFft{TLanes}"/>, z[t] = u[t, h0+c] + i u[t, h0+V+c] for
/// lane c &lt; V. K is real, so the convolution acts on real and imaginary parts separately,
/// conv(a + i b, K) = conv(a, K) + i conv(b, K): one complex FFT convolves two channels, and V lanes make it 2V.
/// </para>
/// </summary>
public static class SsmConvolution
{
    // Below this many FFT samples of work a block is not worth a thread of its own.
    private const int MinSamplesPerBlock = 1 << 15;

    /// <summary>
    /// y (B, L, H) = causal convolution of u (B, L, H) with <paramref name="kernel"/> (L) plus D u, by FFT; anti-causal
    /// with <paramref name="rightToLeft"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> u, int batch, int length, int channels,
                               ReadOnlySpan<float> kernel, float d, Span<float> y, bool rightToLeft = false)
    {
        if (Lanes.UseWide)
            Forward<Lanes16>(u, batch, length, channels, kernel, d, y, rightToLeft);
        else
            Forward<Lanes8>(u, batch, length, channels, kernel, d, y, rightToLeft);
    }

    /// <summary><see cref="Forward"/> with the lane vector chosen by the caller (lets tests run both on any CPU).</summary>
    internal static unsafe void Forward<TLanes>(ReadOnlySpan<float> u, int batch, int length, int channels,
                                                ReadOnlySpan<float> kernel, float d, Span<float> y, bool rightToLeft = false)
        where TLanes : struct, ILaneVector<TLanes>
    {
        CheckShapes(u, batch, length, channels, kernel);
        SsmShapes.CheckSequence(nameof(y), y.Length, batch, length, channels);
        if (u.IsEmpty) return;

        var layout = new TileLayout<TLanes>(batch, length, channels, rightToLeft);
        var fft = layout.Fft;
        using var kernelSpectrum = SkipKernelSpectrum(fft, kernel, d, conjugate: false);
        fixed (float* uStart = u, yStart = y)
        {
            float* uAddress = uStart, yAddress = yStart;
            int total = u.Length;
            CpuParallel.ForBlocks(layout.TileCount, layout.MinTilesPerBlock, (begin, end) =>
            {
                var uAll = new ReadOnlySpan<float>(uAddress, total);
                var yAll = new Span<float>(yAddress, total);
                using var z = new LaneSignals<TLanes>(fft.Length);
                for (int index = begin; index < end; index++)
                {
                    var tile = layout.Tile(index);
                    layout.Gather(tile, uAll, z);
                    // y = IFFT(FFT(u) * FFT(K'))   (the 1/n of the inverse is folded into the kernel's bins)
                    fft.Forward(z.Re, z.Im);
                    kernelSpectrum.MultiplyInto(z);
                    fft.InverseUnscaled(z.Re, z.Im);
                    layout.Scatter(tile, z, yAll);
                }
            });
        }
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> given dy (B, L, H):
    /// <code>
    ///   du[b,s,h] = sum_{t>=s} K[t-s] dy[b,t,h] + D dy[b,s,h]       (correlation of dy with K)
    ///   dK[l]     = sum_{b,h} sum_{t>=l} dy[b,t,h] u[b,t-l,h]       (correlation of dy with u)
    ///   dD        = sum_{b,t,h} dy[b,t,h] u[b,t,h]
    /// </code>
    /// A correlation is a product with a conjugate spectrum: IFFT(DY * conj(X))[s] = sum_t dy[t] x[t-s], where
    /// negative lags wrap to indices &gt;= n - L + 1 &gt;= L, which hit zero padding. dK sums its spectra over all
    /// channels first and needs one inverse FFT. Outputs are overwritten, not accumulated. With
    /// <paramref name="rightToLeft"/>, the gradients of the anti-causal convolution (time steps counted from the end).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> u, ReadOnlySpan<float> dy, int batch, int length, int channels,
                                ReadOnlySpan<float> kernel, float d, Span<float> du, Span<float> dKernel, out float dD, bool rightToLeft = false)
    {
        if (Lanes.UseWide)
            Backward<Lanes16>(u, dy, batch, length, channels, kernel, d, du, dKernel, out dD, rightToLeft);
        else
            Backward<Lanes8>(u, dy, batch, length, channels, kernel, d, du, dKernel, out dD, rightToLeft);
    }

    /// <summary><see cref="Backward"/> with the lane vector chosen by the caller (lets tests run both on any CPU).</summary>
    internal static unsafe void Backward<TLanes>(ReadOnlySpan<float> u, ReadOnlySpan<float> dy, int batch, int length,
        int channels, ReadOnlySpan<float> kernel, float d, Span<float> du, Span<float> dKernel, out float dD, bool rightToLeft = false)
        where TLanes : struct, ILaneVector<TLanes>
    {
        CheckShapes(u, batch, length, channels, kernel);
        SsmShapes.CheckSequence(nameof(dy), dy.Length, batch, length, channels);
        SsmShapes.CheckSequence(nameof(du), du.Length, batch, length, channels);
        SsmShapes.CheckKernel(nameof(dKernel), dKernel.Length, length);
        dKernel.Clear();
        dD = 0f;
        if (u.IsEmpty) return;

        var layout = new TileLayout<TLanes>(batch, length, channels, rightToLeft);
        var fft = layout.Fft;
        using var conjugateKernelSpectrum = SkipKernelSpectrum(fft, kernel, d, conjugate: true);
        using var dKernelSpectrum = new LaneSignals<TLanes>(fft.Length);
        double dDTotal = 0;
        var sync = new object();
        fixed (float* uStart = u, dyStart = dy, duStart = du)
        {
            float* uAddress = uStart, dyAddress = dyStart, duAddress = duStart;
            int total = u.Length;
            CpuParallel.ForBlocks(layout.TileCount, layout.MinTilesPerBlock, (begin, end) =>
            {
                var uAll = new ReadOnlySpan<float>(uAddress, total);
                var dyAll = new ReadOnlySpan<float>(dyAddress, total);
                var duAll = new Span<float>(duAddress, total);
                using var zu = new LaneSignals<TLanes>(fft.Length);
                using var zdy = new LaneSignals<TLanes>(fft.Length);
                using var dKernelBlock = new LaneSignals<TLanes>(fft.Length);
                double dDBlock = 0;
                for (int index = begin; index < end; index++)
                {
                    var tile = layout.Tile(index);
                    layout.Gather(tile, uAll, zu);
                    layout.Gather(tile, dyAll, zdy);
                    dDBlock += LaneSignals<TLanes>.RealDot(zu, zdy, length);
                    fft.Forward(zu.Re, zu.Im);
                    fft.Forward(zdy.Re, zdy.Im);
                    // dK spectrum += DY * conj(U)
                    dKernelBlock.AddProductWithConjugate(zdy, zu);
                    // du = IFFT(DY * conj(FFT(K')))
                    conjugateKernelSpectrum.MultiplyInto(zdy);
                    fft.InverseUnscaled(zdy.Re, zdy.Im);
                    layout.Scatter(tile, zdy, duAll);
                }
                lock (sync)
                {
                    dKernelSpectrum.Add(dKernelBlock);
                    dDTotal += dDBlock;
                }
            });
        }
        // With z = a + i b per lane, DY_z conj(U_z) = DY_a conj(U_a) + DY_b conj(U_b) + i (DY_b conj(U_a) - DY_a conj(U_b)).
        // The first two are spectra of real correlations and the bracket is one too, times i, so the real part of the
        // inverse is exactly the sum of the per-channel correlations we want; lanes are summed after the (linear) inverse.
        fft.InverseUnscaled(dKernelSpectrum.Re, dKernelSpectrum.Im);
        float scale = 1f / fft.Length;
        var dKernelLanes = dKernelSpectrum.Re;
        for (int l = 0; l < length; l++)
            dKernel[l] = scale * dKernelLanes[l].Sum();
        dD = (float)dDTotal;
    }

    /// <summary>
    /// The same result as <see cref="Forward"/> by the direct O(L^2) sum (accumulated in double): the readable
    /// reference, and fine for tiny L.
    /// </summary>
    public static void ForwardDirect(ReadOnlySpan<float> u, int batch, int length, int channels,
                                     ReadOnlySpan<float> kernel, float d, Span<float> y)
    {
        CheckShapes(u, batch, length, channels, kernel);
        SsmShapes.CheckSequence(nameof(y), y.Length, batch, length, channels);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                for (int h = 0; h < channels; h++)
                {
                    // y[b,t,h] = sum_{s<=t} K[t-s] u[b,s,h] + D u[b,t,h]
                    double sum = (double)d * u[(b * length + t) * channels + h];
                    for (int s = 0; s <= t; s++)
                        sum += (double)kernel[t - s] * u[(b * length + s) * channels + h];
                    y[(b * length + t) * channels + h] = (float)sum;
                }
            }
        }
    }

    /// <summary>The FFT length used for sequences of <paramref name="length"/>: the smallest power of two &gt;= 2L - 1.</summary>
    public static int FftLength(int length) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, 2 * length - 1));

    // The spectrum of K' = K + D delta (K'[0] = K[0] + D): D u[t] is the lag-0 term of a convolution, so
    //   conv(u, K) + D u = conv(u, K')   and   corr(dy, K) + D dy = corr(dy, K'),
    // and the skip costs nothing on top of the FFTs.
    private static LaneSharedSpectrum<TLanes> SkipKernelSpectrum<TLanes>(LaneFft<TLanes> fft, ReadOnlySpan<float> kernel,
        float d, bool conjugate) where TLanes : struct, ILaneVector<TLanes>
    {
        float[] withSkip = ArrayPool<float>.Shared.Rent(kernel.Length);
        try
        {
            var skipKernel = withSkip.AsSpan(0, kernel.Length);
            kernel.CopyTo(skipKernel);
            skipKernel[0] += d;
            return new LaneSharedSpectrum<TLanes>(fft, skipKernel, conjugate);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(withSkip);
        }
    }

    private static void CheckShapes(ReadOnlySpan<float> u, int batch, int length, int channels, ReadOnlySpan<float> kernel)
    {
        SsmShapes.CheckSequence(nameof(u), u.Length, batch, length, channels);
        SsmShapes.CheckKernel(nameof(kernel), kernel.Length, length);
    }


    /// <summary>Up to 2 V adjacent channels of one batch row (V lanes of the lane vector).</summary>
    private readonly record struct ChannelTile(int Batch, int FirstChannel, int Width);

    /// <summary>
    /// How (B, L, H) is cut into channel tiles, and moving tiles between the sequence and lane signals (signal step t is
    /// sequence step L - 1 - t when <paramref name="rightToLeft"/>).
    /// </summary>
    private sealed class TileLayout<TLanes>(int batch, int length, int channels, bool rightToLeft) where TLanes : struct, ILaneVector<TLanes>
    {
        // Channels of a tile: the real parts of the lanes, then their imaginary parts.
        private static int TileChannels => 2 * TLanes.Count;

        private readonly int tilesPerBatch = (channels + TileChannels - 1) / TileChannels;

        public LaneFft<TLanes> Fft { get; } = LaneFft<TLanes>.ForLength(FftLength(length));

        public int TileCount => batch * tilesPerBatch;

        public int MinTilesPerBlock => Math.Max(1, MinSamplesPerBlock / (TileChannels * Fft.Length));

        public ChannelTile Tile(int index)
        {
            int first = index % tilesPerBatch * TileChannels;
            return new ChannelTile(index / tilesPerBatch, first, Math.Min(TileChannels, channels - first));
        }

        // z[t] = x[b, t, h0 + c] + i x[b, t, h0 + V + c] in lane c for t < L (channels past H read as 0); zero for L <= t < n.
        public void Gather(ChannelTile tile, ReadOnlySpan<float> x, LaneSignals<TLanes> z)
        {
            Span<TLanes> re = z.Re, im = z.Im;
            for (int t = 0; t < length; t++)
                (re[t], im[t]) = LoadRow(x.Slice(RowStart(tile, t), tile.Width));
            re[length..].Clear();
            im[length..].Clear();
        }

        // target[b, t, h0 + c] = z[t] in lane c (real parts, then imaginary parts) for t < L
        public void Scatter(ChannelTile tile, LaneSignals<TLanes> z, Span<float> target)
        {
            Span<TLanes> re = z.Re, im = z.Im;
            for (int t = 0; t < length; t++)
                StoreRow(re[t], im[t], target.Slice(RowStart(tile, t), tile.Width));
        }

        private int RowStart(ChannelTile tile, int t) => (tile.Batch * length + (rightToLeft ? length - 1 - t : t)) * channels + tile.FirstChannel;

        // The first V floats of a tile row as real parts, the next V as imaginary parts.
        private static (TLanes Re, TLanes Im) LoadRow(ReadOnlySpan<float> row) =>
            row.Length == TileChannels
                ? (TLanes.Load(row), TLanes.Load(row[TLanes.Count..]))
                : LoadShortRow(row);

        // The inverse of LoadRow.
        private static void StoreRow(TLanes re, TLanes im, Span<float> row)
        {
            if (row.Length == TileChannels)
            {
                re.Store(row);
                im.Store(row[TLanes.Count..]);
            }
            else
            {
                StoreShortRow(re, im, row);
            }
        }

        // The last tile of a row when H is not a multiple of 2 V: missing channels read as zero.
        private static (TLanes Re, TLanes Im) LoadShortRow(ReadOnlySpan<float> row)
        {
            Span<float> padded = stackalloc float[TileChannels];
            padded.Clear();
            row.CopyTo(padded);
            return (TLanes.Load(padded), TLanes.Load(padded[TLanes.Count..]));
        }

        // The last tile of a row when H is not a multiple of 2 V: lanes past H are dropped.
        private static void StoreShortRow(TLanes re, TLanes im, Span<float> row)
        {
            Span<float> padded = stackalloc float[TileChannels];
            re.Store(padded);
            im.Store(padded[TLanes.Count..]);
            padded[..row.Length].CopyTo(row);
        }
    }
}
