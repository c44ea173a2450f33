using BiGS.Native.Kernels.Gpu;

namespace BiGS.Native.Tensors.Backends.Gpu;

/// <summary>
/// The SSM convolution by FFT (kernels in fft.cl): columns of u (B, L, H) are packed two per complex sequence,
/// zero padded to n = the power of two &gt;= 2L, transformed by radix-2 Stockham passes, multiplied by the kernel's
/// spectrum and transformed back:
/// <code>
/// y  = IFFT( FFT(u) K^ )[0, L) + D u               causal convolution
/// du = IFFT( FFT(dy) conj(K^) )[0, L) + D dy       anti-causal correlation
/// dK = Re IFFT( sum_columns FFT(dy) conj(FFT(u)) )[0, L)
/// </code>
/// </summary>
public abstract partial class GpuBackend
{
    /// <summary>
    /// Sequences up to this long use the direct O(L^2) kernels: at this length they do less work than the
    /// 2 log2(2L) FFT passes and their launches.
    /// </summary>
    private const int DirectConvolutionMaxLength = 32;

    private void FftConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y)
    {
        var shape = ColumnShape.Of(u);
        using var signal = PackAndTransform(u, shape);
        using var kernelSpectrum = PackAndTransform(kernel, ColumnShape.OfKernel(shape.Length));
        MultiplySpectrum(signal, kernelSpectrum, conjugate: false);
        signal.Transform(inverse: true);
        Unpack(signal, shape, skip: u, d, y);
    }

    private void FftConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel)
    {
        var shape = ColumnShape.Of(u);
        using var signal = PackAndTransform(u, shape);
        using var gradient = PackAndTransform(dy, shape);
        using var kernelSpectrum = PackAndTransform(kernel, ColumnShape.OfKernel(shape.Length));

        using var cross = new ComplexSequences(this, 1, shape.FftLength);
        Linear("fft_cross_spectrum", shape.FftLength, [signal.Arg, gradient.Arg, signal.Count, shape.FftLength, cross.Arg]);
        cross.Transform(inverse: true);
        Unpack(cross, ColumnShape.OfKernel(shape.Length), skip: null, d, dKernel);

        MultiplySpectrum(gradient, kernelSpectrum, conjugate: true);
        gradient.Transform(inverse: true);
        Unpack(gradient, shape, skip: dy, d, du);
    }

    /// <summary>The columns of x packed two per complex sequence, zero padded and transformed (forward).</summary>
    private ComplexSequences PackAndTransform(Tensor x, ColumnShape shape)
    {
        var packed = new ComplexSequences(this, (shape.Columns + 1) / 2, shape.FftLength);
        Linear("fft_pack_columns", (long)packed.Count * shape.FftLength,
            [Arg(x), x.Offset, shape.Columns, shape.Length, shape.Channels, shape.FftLength, packed.Arg]);
        packed.Transform(inverse: false);
        return packed;
    }

    private void MultiplySpectrum(ComplexSequences spectra, ComplexSequences kernelSpectrum, bool conjugate) =>
        Linear("fft_multiply_spectrum", (long)spectra.Count * spectra.Length,
            [spectra.Arg, spectra.Count, spectra.Length, kernelSpectrum.Arg, conjugate ? 1 : 0]);

    /// <summary>target = the first L values of each column of an unscaled inverse transform / n (+ D skip).</summary>
    private void Unpack(ComplexSequences inverse, ColumnShape shape, Tensor? skip, Tensor d, Tensor target) =>
        Linear("fft_unpack_columns", target.Length, [inverse.Arg, inverse.Length, 1f / inverse.Length, shape.Columns, shape.Length,
            shape.Channels, skip is null ? 0 : 1, Arg(skip ?? target), skip?.Offset ?? 0, Arg(d), d.Offset, Arg(target), target.Offset]);

    /// <summary>(B, L, H) seen as B H columns of length L, and the FFT length n = the power of two &gt;= 2L.</summary>
    private readonly record struct ColumnShape(int Columns, int Length, int Channels, int FftLength)
    {
        public static ColumnShape Of(Tensor u) => new(u.Size(0) * u.Size(2), u.Size(1), u.Size(2), FftLengthFor(u.Size(1)));

        /// <summary>The kernel K (L) as one column.</summary>
        public static ColumnShape OfKernel(int length) => new(1, length, 1, FftLengthFor(length));

        private static int FftLengthFor(int length) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * length));
    }

    /// <summary>
    /// Count complex sequences of Length values (interleaved re, im) in one device buffer plus a spare of the same
    /// size; a transform ping-pongs between them and leaves the result in <see cref="Arg"/>.
    /// </summary>
    private sealed class ComplexSequences : IDisposable
    {
        private readonly GpuBackend backend;
        private IGpuBuffer current;
        private IGpuBuffer spare;

        public ComplexSequences(GpuBackend backend, int count, int length)
        {
            this.backend = backend;
            Count = count;
            Length = length;
            long bytes = 2L * count * length * sizeof(float);
            current = backend.Gpu.Allocate(bytes);
            spare = backend.Gpu.Allocate(bytes);
        }

        public int Count { get; }

        public int Length { get; }

        public GpuBufferArg Arg => new(current);

        /// <summary>In-place (from the caller's view) FFT of every sequence; unscaled when inverse.</summary>
        public void Transform(bool inverse)
        {
            for (int stride = 1; stride < Length; stride *= 2)
            {
                backend.Linear("fft_radix2_stage", (long)Count * (Length / 2),
                    [new GpuBufferArg(current), new GpuBufferArg(spare), Length, stride, Count, inverse ? 1f : -1f]);
                (current, spare) = (spare, current);
            }
        }

        public void Dispose()
        {
            current.Dispose();
            spare.Dispose();
        }
    }
}
