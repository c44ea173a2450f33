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
/// y = irfft( rfft(pad(u, n)) * rfft(pad(K, n)) )[:L]. <see cref="ForwardDirect"/> is the plain O(L^2) loop.
/// </summary>
public static class SsmConvolution
{
    // Channels gathered together: one row of a tile is 16 adjacent floats of u, so gathering and
    // scattering read whole cache lines instead of one float per row.
    private const int TileChannels = 16;

    // Below this many FFT samples of work a block is not worth a thread of its own.
    private const int MinSamplesPerBlock = 1 << 15;

    /// <summary>y (B, L, H) = causal convolution of u (B, L, H) with <paramref name="kernel"/> (L) plus D u, by FFT.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> u, int batch, int length, int channels,
                                      ReadOnlySpan<float> kernel, float d, Span<float> y)
    {
        CheckShapes(u, batch, length, channels, kernel);
        SsmShapes.CheckSequence(nameof(y), y.Length, batch, length, channels);
        if (u.IsEmpty) return;

        var layout = new TileLayout(batch, length, channels, FftLength(length));
        var plan = layout.Plan;
        float[] kernelSpectrum = ArrayPool<float>.Shared.Rent(plan.SpectrumLength);
        try
        {
            PaddedSpectrum(plan, kernel, kernelSpectrum.AsSpan(0, plan.SpectrumLength));
            fixed (float* uStart = u, yStart = y)
            {
                float* uAddress = uStart, yAddress = yStart;
                int total = u.Length;
                CpuParallel.ForBlocks(layout.TileCount, layout.MinTilesPerBlock, (begin, end) =>
                {
                    var uAll = new ReadOnlySpan<float>(uAddress, total);
                    var yAll = new Span<float>(yAddress, total);
                    var kernelSpec = new ReadOnlySpan<float>(kernelSpectrum, 0, plan.SpectrumLength);
                    using var work = new TileWorkspace(plan, withGradients: false);
                    for (int index = begin; index < end; index++)
                    {
                        var tile = layout.Tile(index);
                        layout.Gather(tile, uAll, work.Signals);
                        for (int j = 0; j < tile.Width; j++)
                        {
                            // Y = U * K in the frequency domain; back to time in place.
                            var column = work.Column(work.Signals, j);
                            plan.Forward(column, work.SpectrumA);
                            Spectrum.ComplexMultiply(work.SpectrumA, kernelSpec, work.SpectrumA);
                            plan.Inverse(work.SpectrumA, column);
                        }
                        // y = conv + D u
                        layout.ScatterAddScaled(tile, work.Signals, d, uAll, yAll);
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(kernelSpectrum);
        }
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> given dy (B, L, H):
    /// <code>
    ///   du[b,s,h] = sum_{t>=s} K[t-s] dy[b,t,h] + D dy[b,s,h]       (correlation of dy with K)
    ///   dK[l]     = sum_{b,h} sum_{t>=l} dy[b,t,h] u[b,t-l,h]       (correlation of dy with u)
    ///   dD        = sum_{b,t,h} dy[b,t,h] u[b,t,h]
    /// </code>
    /// A correlation is a product with a conjugate spectrum: irfft(DY * conj(X))[s] = sum_t dy[t] x[t-s], where
    /// negative lags wrap to indices &gt;= n - L + 1 &gt;= L, which hit zero padding. dK sums its spectra over all
    /// channels first and needs one inverse FFT. Outputs are overwritten, not accumulated.
    /// </summary>
    public static unsafe void Backward(ReadOnlySpan<float> u, ReadOnlySpan<float> dy, int batch, int length, int channels,
                                       ReadOnlySpan<float> kernel, float d, Span<float> du, Span<float> dKernel, out float dD)
    {
        CheckShapes(u, batch, length, channels, kernel);
        SsmShapes.CheckSequence(nameof(dy), dy.Length, batch, length, channels);
        SsmShapes.CheckSequence(nameof(du), du.Length, batch, length, channels);
        SsmShapes.CheckKernel(nameof(dKernel), dKernel.Length, length);
        dKernel.Clear();
        dD = 0f;
        if (u.IsEmpty) return;

        var layout = new TileLayout(batch, length, channels, FftLength(length));
        var plan = layout.Plan;
        float[] kernelSpectrum = ArrayPool<float>.Shared.Rent(plan.SpectrumLength);
        float[] dKernelSpectrum = ArrayPool<float>.Shared.Rent(plan.SpectrumLength);
        float[] dKernelSignal = ArrayPool<float>.Shared.Rent(plan.Length);
        try
        {
            PaddedSpectrum(plan, kernel, kernelSpectrum.AsSpan(0, plan.SpectrumLength));
            Array.Clear(dKernelSpectrum);
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
                    var kernelSpec = new ReadOnlySpan<float>(kernelSpectrum, 0, plan.SpectrumLength);
                    using var work = new TileWorkspace(plan, withGradients: true);
                    var dKernelSpec = work.SpectrumSum;
                    double dDBlock = 0;
                    for (int index = begin; index < end; index++)
                    {
                        var tile = layout.Tile(index);
                        layout.Gather(tile, uAll, work.Signals);
                        layout.Gather(tile, dyAll, work.Gradients);
                        for (int j = 0; j < tile.Width; j++)
                        {
                            plan.Forward(work.Column(work.Signals, j), work.SpectrumA);
                            var gradientColumn = work.Column(work.Gradients, j);
                            plan.Forward(gradientColumn, work.SpectrumB);
                            // dK spectrum += DY * conj(U)
                            Spectrum.ComplexMultiplyConjugateAdd(work.SpectrumB, work.SpectrumA, dKernelSpec);
                            // du (without the skip) = irfft(DY * conj(K)), written over the dy column.
                            Spectrum.ComplexMultiplyConjugate(work.SpectrumB, kernelSpec, work.SpectrumB);
                            plan.Inverse(work.SpectrumB, gradientColumn);
                        }
                        // du = correlation + D dy
                        layout.ScatterAddScaled(tile, work.Gradients, d, dyAll, duAll);
                        dDBlock += layout.TileDot(tile, dyAll, uAll);
                    }
                    lock (sync)
                    {
                        Add(dKernelSpec, dKernelSpectrum.AsSpan(0, plan.SpectrumLength));
                        dDTotal += dDBlock;
                    }
                });
            }
            var dKernelFull = dKernelSignal.AsSpan(0, plan.Length);
            plan.Inverse(dKernelSpectrum.AsSpan(0, plan.SpectrumLength), dKernelFull);
            dKernelFull[..length].CopyTo(dKernel);
            dD = (float)dDTotal;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(kernelSpectrum);
            ArrayPool<float>.Shared.Return(dKernelSpectrum);
            ArrayPool<float>.Shared.Return(dKernelSignal);
        }
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

    private static void CheckShapes(ReadOnlySpan<float> u, int batch, int length, int channels, ReadOnlySpan<float> kernel)
    {
        SsmShapes.CheckSequence(nameof(u), u.Length, batch, length, channels);
        SsmShapes.CheckKernel(nameof(kernel), kernel.Length, length);
    }

    // spectrum = rfft(pad(x, n))
    private static void PaddedSpectrum(RealFft plan, ReadOnlySpan<float> x, Span<float> spectrum)
    {
        float[] padded = ArrayPool<float>.Shared.Rent(plan.Length);
        try
        {
            var signal = padded.AsSpan(0, plan.Length);
            x.CopyTo(signal);
            signal[x.Length..].Clear();
            plan.Forward(signal, spectrum);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
        }
    }

    private static void Add(ReadOnlySpan<float> source, Span<float> target)
    {
        for (int i = 0; i < source.Length; i++)
            target[i] += source[i];
    }

    /// <summary>Up to <see cref="TileChannels"/> adjacent channels of one batch row.</summary>
    private readonly record struct ChannelTile(int Batch, int FirstChannel, int Width);

    /// <summary>How (B, L, H) is cut into channel tiles, and moving tiles between the sequence and padded columns.</summary>
    private sealed class TileLayout(int batch, int length, int channels, int fftLength)
    {
        private readonly int tilesPerBatch = (channels + TileChannels - 1) / TileChannels;

        public RealFft Plan { get; } = RealFft.ForLength(fftLength);

        public int TileCount => batch * tilesPerBatch;

        public int MinTilesPerBlock => Math.Max(1, MinSamplesPerBlock / (TileChannels * fftLength));

        public ChannelTile Tile(int index)
        {
            int first = index % tilesPerBatch * TileChannels;
            return new ChannelTile(index / tilesPerBatch, first, Math.Min(TileChannels, channels - first));
        }

        // columns[j][t] = x[b, t, h0 + j] for t < L, zero for L <= t < n.
        public void Gather(ChannelTile tile, ReadOnlySpan<float> x, Span<float> columns)
        {
            for (int j = 0; j < tile.Width; j++)
                columns.Slice(j * fftLength + length, fftLength - length).Clear();
            for (int t = 0; t < length; t++)
            {
                var row = x.Slice(RowStart(tile, t), tile.Width);
                for (int j = 0; j < tile.Width; j++)
                    columns[j * fftLength + t] = row[j];
            }
        }

        // target[b, t, h0 + j] = columns[j][t] + scale * addend[b, t, h0 + j]
        public void ScatterAddScaled(ChannelTile tile, ReadOnlySpan<float> columns, float scale,
                                     ReadOnlySpan<float> addend, Span<float> target)
        {
            for (int t = 0; t < length; t++)
            {
                int start = RowStart(tile, t);
                for (int j = 0; j < tile.Width; j++)
                    target[start + j] = columns[j * fftLength + t] + scale * addend[start + j];
            }
        }

        // sum over the tile of x * y, in double.
        public double TileDot(ChannelTile tile, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
        {
            double sum = 0;
            for (int t = 0; t < length; t++)
            {
                int start = RowStart(tile, t);
                for (int j = 0; j < tile.Width; j++)
                    sum += (double)x[start + j] * y[start + j];
            }
            return sum;
        }

        private int RowStart(ChannelTile tile, int t) => (tile.Batch * length + t) * channels + tile.FirstChannel;
    }

    /// <summary>
    /// Per-thread buffers (rented from the shared pool): a tile of padded input columns, for the backward pass
    /// a tile of gradient columns too, and three spectra.
    /// </summary>
    private sealed class TileWorkspace : IDisposable
    {
        private readonly RealFft plan;
        private readonly float[] signals;
        private readonly float[] gradients;
        private readonly float[] spectra;

        public TileWorkspace(RealFft plan, bool withGradients)
        {
            this.plan = plan;
            signals = ArrayPool<float>.Shared.Rent(TileChannels * plan.Length);
            gradients = withGradients ? ArrayPool<float>.Shared.Rent(TileChannels * plan.Length) : [];
            spectra = ArrayPool<float>.Shared.Rent(3 * plan.SpectrumLength);
            SpectrumSum.Clear();
        }

        /// <summary>Padded input columns of a tile, column j at [j n, (j + 1) n).</summary>
        public Span<float> Signals => signals.AsSpan(0, TileChannels * plan.Length);

        /// <summary>Padded gradient columns of a tile, same layout as <see cref="Signals"/>.</summary>
        public Span<float> Gradients => gradients.AsSpan(0, TileChannels * plan.Length);

        public Span<float> SpectrumA => spectra.AsSpan(0, plan.SpectrumLength);

        public Span<float> SpectrumB => spectra.AsSpan(plan.SpectrumLength, plan.SpectrumLength);

        /// <summary>A spectrum accumulator, zeroed when the workspace is created.</summary>
        public Span<float> SpectrumSum => spectra.AsSpan(2 * plan.SpectrumLength, plan.SpectrumLength);

        public Span<float> Column(Span<float> columns, int j) => columns.Slice(j * plan.Length, plan.Length);

        public void Dispose()
        {
            ArrayPool<float>.Shared.Return(signals);
            if (gradients.Length > 0)
                ArrayPool<float>.Shared.Return(gradients);
            ArrayPool<float>.Shared.Return(spectra);
        }
    }
}
