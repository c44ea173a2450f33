using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu.Ssm;
using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace BiGS.Native.Gpu;

/// <summary>
/// The SSM convolution by FFT (kernels in <see cref="FftKernels"/>), with the same choices as the CPU path: the skip is
/// folded into the kernel, K'[0] = K[0] + D, and the FFT length is <see cref="SsmConvolution.FftLength"/>. Columns of
/// u (B, L, H) are packed two per complex sequence, transformed by radix-2 Stockham passes, multiplied by the spectrum
/// of K' and transformed back:
/// <code>
/// y  = IFFT( FFT(u) K'^ )[0, L)                        causal convolution (with the skip)
/// du = IFFT( FFT(dy) conj(K'^) )[0, L)                 anti-causal correlation
/// dK = Re IFFT( sum_columns FFT(dy) conj(FFT(u)) )[0, L),   dD = dK[0]   (dK'[0] = dK[0] = dD = sum dy u)
/// </code>
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public void SsmConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y)
    {
        var shape = ColumnShape.Of(u);
        if (u.Length == 0) return;
        using var signal = PackAndTransform(F(u), shape);
        using var kernelSpectrum = FoldedKernelSpectrum(kernel, d, shape);
        Run(kernels.MultiplySpectrum, (long)signal.Count * signal.Length, signal.Current, signal.Length, kernelSpectrum.Current, 0);
        signal.Transform(inverse: true);
        Unpack(signal, shape, F(y));
    }

    /// <inheritdoc />
    public void SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel, Tensor dD)
    {
        var shape = ColumnShape.Of(u);
        if (u.Length == 0)
        {
            Fill(dKernel, 0f);
            Fill(dD, 0f);
            return;
        }
        using var signal = PackAndTransform(F(u), shape);
        using var gradient = PackAndTransform(F(dy), shape);
        using var kernelSpectrum = FoldedKernelSpectrum(kernel, d, shape);

        using var cross = new ComplexSequences(this, 1, shape.FftLength);
        Run(kernels.CrossSpectrum, shape.FftLength, signal.Current, gradient.Current, signal.Count, shape.FftLength, cross.Current);
        cross.Transform(inverse: true);
        Unpack(cross, ColumnShape.OfKernel(shape.Length, shape.FftLength), F(dKernel));
        F(dKernel).SubView(0, 1).CopyTo(F(dD));

        Run(kernels.MultiplySpectrum, (long)gradient.Count * gradient.Length, gradient.Current, gradient.Length, kernelSpectrum.Current, 1);
        gradient.Transform(inverse: true);
        Unpack(gradient, shape, F(du));
    }

    /// <summary>The spectrum of K' = K + D delta (one column).</summary>
    private ComplexSequences FoldedKernelSpectrum(Tensor kernel, Tensor d, ColumnShape shape)
    {
        using var folded = pool.Rent((long)shape.Length * sizeof(float));
        var foldedView = folded.As<float>();
        Run(kernels.FoldSkip, shape.Length, F(kernel), F(d), foldedView);
        return PackAndTransform(foldedView, ColumnShape.OfKernel(shape.Length, shape.FftLength));
    }

    /// <summary>The columns of x packed two per complex sequence, zero padded and transformed (forward).</summary>
    private ComplexSequences PackAndTransform(ArrayView<float> x, ColumnShape shape)
    {
        var packed = new ComplexSequences(this, (shape.Columns + 1) / 2, shape.FftLength);
        Run(kernels.PackColumns, (long)packed.Count * shape.FftLength, x, shape.Columns, shape.Length, shape.Channels, shape.FftLength, packed.Current);
        packed.Transform(inverse: false);
        return packed;
    }

    /// <summary>target = the first L values of each column of an unscaled inverse transform, divided by n.</summary>
    private void Unpack(ComplexSequences inverse, ColumnShape shape, ArrayView<float> target) =>
        Run(kernels.UnpackColumns, (long)shape.Columns * shape.Length, inverse.Current, inverse.Length, 1f / inverse.Length,
            shape.Length, shape.Channels, target);

    /// <summary>(B, L, H) seen as B H columns of length L, and the FFT length.</summary>
    private readonly record struct ColumnShape(int Columns, int Length, int Channels, int FftLength)
    {
        public static ColumnShape Of(Tensor u) =>
            new(u.Size(0) * u.Size(2), u.Size(1), u.Size(2), BiGS.Native.Kernels.Cpu.Ssm.SsmConvolution.FftLength(u.Size(1)));

        /// <summary>A kernel (L) as one column, at the signal's FFT length.</summary>
        public static ColumnShape OfKernel(int length, int fftLength) => new(1, length, 1, fftLength);
    }

    /// <summary>
    /// Count complex sequences of Length values (interleaved re, im) in one pooled buffer plus a spare of the same
    /// size; a transform ping-pongs between them and leaves the result in <see cref="Current"/>.
    /// </summary>
    private sealed class ComplexSequences : IDisposable
    {
        private readonly IlgpuBackend backend;
        private PooledBuffer current;
        private PooledBuffer spare;

        public ComplexSequences(IlgpuBackend backend, int count, int length)
        {
            this.backend = backend;
            Count = count;
            Length = length;
            long bytes = 2L * count * length * sizeof(float);
            current = backend.pool.Rent(bytes);
            spare = backend.pool.Rent(bytes);
        }

        public int Count { get; }

        public int Length { get; }

        public ArrayView<float> Current => current.As<float>();

        /// <summary>FFT of every sequence (unscaled when inverse), leaving the result in <see cref="Current"/>.</summary>
        public void Transform(bool inverse)
        {
            for (int stride = 1; stride < Length; stride *= 2)
            {
                Run(backend.kernels.Radix2Stage, (long)Count * (Length / 2), current.As<float>(), spare.As<float>(), Length, stride, inverse ? 1f : -1f);
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
