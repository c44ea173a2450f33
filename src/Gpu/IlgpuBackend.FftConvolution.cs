using System.Numerics;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu.Ssm;
using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace BiGS.Native.Gpu;

/// <summary>
/// The SSM convolution by FFT (kernels in <see cref="FftKernels"/>), with the same choices as the CPU path: the skip is
/// folded into the kernel, K'[0] = K[0] + D, and the FFT length is <see cref="SsmConvolution.FftLength"/>. Columns of
/// u (B, L, H) are packed two per complex sequence, transformed (by radix-16 Stockham passes over global memory, after
/// one radix-2, radix-4 or radix-8 pass when 4 does not divide log2 n, or with <see cref="FftPath.SharedMemory"/> all
/// stages of a group's columns in shared memory), multiplied by the spectrum of K' and transformed back:
/// <code>
/// y  = IFFT( FFT(u) K'^ )[0, L)                        causal convolution (with the skip)
/// du = IFFT( FFT(dy) conj(K'^) )[0, L)                 anti-causal correlation
/// dK = Re IFFT( sum_columns FFT(dy) conj(FFT(u)) )[0, L),   dD = dK[0]   (dK'[0] = dK[0] = dD = sum dy u)
/// </code>
/// dD is written, or added onto (D's gradient straight into its Grad), by the launch that writes dK. Right to left
/// (BiGS's backward SSM) the same kernels read and write the columns from the end (<see cref="ColumnLayout.RightToLeft"/>),
/// computing flip(conv(flip(u), K')) with no flipped copies.
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    /// <remarks>
    /// The FFTs run in shared memory (<see cref="SharedFftKernels"/>) or by global-memory passes, as
    /// <see cref="ConvolutionPath"/> chooses: on CUDA the first forward of a problem times both. The spectrum of K' is
    /// returned for the backward when both take the same path (every length on the global path, L &lt;= 1024 on the
    /// shared one): the backward then skips its FFT (the skip fold and ceil(log2 n / 4) passes on the global path).
    /// </remarks>
    public Tensor? SsmConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y, bool rightToLeft)
    {
        var shape = ColumnsOf(u, rightToLeft);
        if (TimesFftPaths(shape) is { } problem && !FftPaths.TryGet(problem, out _))
            MeasureFftPaths(problem, u, kernel, d, y, rightToLeft);
        var path = ConvolutionPath(shape, backward: false);
        bool backwardReadsIt = path == ConvolutionPath(shape, backward: true);
        return SsmConvolution(u, kernel, d, y, rightToLeft, path, keepSpectrum: backwardReadsIt);
    }

    /// <inheritdoc />
    public void SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel, Tensor dD, bool accumulateSkip,
        bool rightToLeft, Tensor? kernelSpectrum) =>
        SsmConvolutionBackward(u, kernel, d, dy, du, dKernel, dD, accumulateSkip, rightToLeft,
            ConvolutionPath(ColumnsOf(u, rightToLeft), backward: true), kernelSpectrum);

    /// <summary>The SSM convolution's FFT path per problem, where this device times both (<see cref="MeasuresFftPaths"/>).</summary>
    public FastestChoices<FftProblem, FftPath> FftPaths { get; } = new();

    /// <summary>
    /// True when the first forward of each problem whose FFT fits a group both ways times a forward and backward on each
    /// path and keeps the faster (<see cref="FftPaths"/>): on CUDA, unless <see cref="IlgpuKernelOptions.PinsFftPath"/>.
    /// Tests set it on ILGPU's CPU accelerator.
    /// </summary>
    internal bool MeasuresFftPaths { get; set; }

    /// <summary>
    /// The path of the convolution of <paramref name="shape"/>'s columns: the faster measured one where
    /// <see cref="TimesFftPaths"/> (the global path until measured), else the options' (<see cref="SsmConvolutionPath"/>).
    /// </summary>
    private FftPath ConvolutionPath(ColumnLayout shape, bool backward) =>
        TimesFftPaths(shape) is not { } problem ? SsmConvolutionPath(KernelOptions, shape.Length, backward)
        : FftPaths.TryGet(problem, out var path) ? path
        : FftPath.GlobalMemory;

    /// <summary>
    /// The problem of <paramref name="shape"/> when this device times the paths and a group holds its FFT both ways (the
    /// backward holds fewer sequences: n &lt;= 2048, L &lt;= 1024), else null.
    /// </summary>
    private FftProblem? TimesFftPaths(ColumnLayout shape) =>
        MeasuresFftPaths && shape.Columns > 0 && SharedFftKernels.BackwardSequences(shape.FftLength) > 0
            ? new FftProblem(shape.FftLength, shape.Sequences)
            : null;

    /// <summary>
    /// Times a forward and backward of the convolution on each path (<see cref="FftPaths"/>): the backward's dy is the
    /// forward's y, and its du, dK and dD go to scratch tensors.
    /// </summary>
    private void MeasureFftPaths(FftProblem problem, Tensor u, Tensor kernel, Tensor d, Tensor y, bool rightToLeft)
    {
        using var du = Tensor.Empty(DType.Float32, u.Device, u.ShapeArray());
        using var dKernel = Tensor.Empty(DType.Float32, u.Device, kernel.ShapeArray());
        using var dD = Tensor.Empty(DType.Float32, u.Device, d.ShapeArray());
        FftPaths.Measure(problem, [FftPath.GlobalMemory, FftPath.SharedMemory], path => SecondsPerRun(() =>
        {
            using var spectrum = SsmConvolution(u, kernel, d, y, rightToLeft, path, keepSpectrum: true);
            SsmConvolutionBackward(u, kernel, d, y, du, dKernel, dD, accumulateSkip: false, rightToLeft, path, spectrum);
        }, warmUps: 1, FftTimingRuns));
    }

    /// <summary>Timed forward and backward convolutions per path when a new problem is measured.</summary>
    private const int FftTimingRuns = 3;

    /// <summary>
    /// The path the SSM convolution of sequences of <paramref name="length"/> takes where it is not timed: shared memory
    /// when the options ask for it and a group holds at least one sequence of the FFT length (n &lt;= 4096 forward, 2048
    /// backward, i.e. L &lt;= 2048 and 1024), otherwise the global-memory passes.
    /// </summary>
    internal static FftPath SsmConvolutionPath(IlgpuKernelOptions options, int length, bool backward)
    {
        int n = BiGS.Native.Kernels.Cpu.Ssm.SsmConvolution.FftLength(length);
        int sequences = backward ? SharedFftKernels.BackwardSequences(n) : SharedFftKernels.ForwardSequences(n);
        return options.SharedMemoryFft && sequences > 0 ? FftPath.SharedMemory : FftPath.GlobalMemory;
    }

    /// <summary>
    /// <see cref="SsmConvolution(Tensor, Tensor, Tensor, Tensor, bool)"/> by the given path; with
    /// <paramref name="keepSpectrum"/> returns the spectrum of K' (<see cref="KernelSpectrum"/>) for a backward by the
    /// same path, else null.
    /// </summary>
    internal Tensor? SsmConvolution(Tensor u, Tensor kernel, Tensor d, Tensor y, bool rightToLeft, FftPath path, bool keepSpectrum = false)
    {
        var shape = ColumnsOf(u, rightToLeft);
        if (u.Length == 0) return null;
        var spectrum = KernelSpectrum(kernel, d, shape, path);
        if (path == FftPath.SharedMemory)
        {
            SharedConvolve(F(u), shape, F(spectrum), conjugate: false, F(y));
        }
        else
        {
            using var signal = PackAndTransform(F(u), shape);
            signal.InverseIntoColumns(TransformedHalf(spectrum), spectrumSign: 1, F(y), shape);
        }
        if (keepSpectrum) return spectrum;
        spectrum.Dispose();
        return null;
    }

    /// <summary>
    /// <see cref="SsmConvolutionBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, bool, bool, Tensor)"/> by the
    /// given path, reading K''s spectrum from <paramref name="kernelSpectrum"/> (the forward's, by the same path) when
    /// given, else computing it.
    /// </summary>
    internal void SsmConvolutionBackward(Tensor u, Tensor kernel, Tensor d, Tensor dy, Tensor du, Tensor dKernel, Tensor dD, bool accumulateSkip,
        bool rightToLeft, FftPath path, Tensor? kernelSpectrum = null)
    {
        var shape = ColumnsOf(u, rightToLeft);
        if (u.Length == 0)
        {
            Fill(dKernel, 0f);
            if (!accumulateSkip) Fill(dD, 0f);
            return;
        }
        var spectrum = kernelSpectrum ?? KernelSpectrum(kernel, d, shape, path);
        try
        {
            if (path == FftPath.SharedMemory) SharedConvolutionBackward(u, dy, du, dKernel, dD, accumulateSkip, shape, F(spectrum));
            else GlobalConvolutionBackward(u, dy, du, dKernel, dD, accumulateSkip, shape, TransformedHalf(spectrum));
        }
        finally
        {
            if (kernelSpectrum is null) spectrum.Dispose();
        }
    }

    /// <summary>The backward by one global-memory pass per FFT stage, with K''s spectrum given.</summary>
    private void GlobalConvolutionBackward(Tensor u, Tensor dy, Tensor du, Tensor dKernel, Tensor dD, bool accumulateSkip, ColumnLayout shape,
        ArrayView<float> kernelSpectrum)
    {
        using var signal = PackAndTransform(F(u), shape);
        using var gradient = PackAndTransform(F(dy), shape);

        using var cross = new ComplexSequences(this, 1, shape.FftLength);
        CrossSpectrum(signal.Current, gradient.Current, signal.Count, shape.FftLength, cross.Current);
        cross.Transform(inverse: true);
        Run(kernels.KernelGradient, shape.Length, cross.Current, shape.FftLength, accumulateSkip ? 1 : 0, F(dKernel), F(dD));

        gradient.InverseIntoColumns(kernelSpectrum, spectrumSign: -1, F(du), shape);
    }

    /// <summary>
    /// The spectrum of K' = K + D delta (n complex values, interleaved) in a tensor, as the path's kernels read it: in
    /// bit-reversed order (shared memory; 2n floats), or in natural order in one half of a tensor of 4n floats (global
    /// memory: the transform's two ping-pong buffers, <see cref="TransformedHalf"/>).
    /// </summary>
    private Tensor KernelSpectrum(Tensor kernel, Tensor d, ColumnLayout shape, FftPath path)
    {
        int n = shape.FftLength;
        var spectrum = Tensor.Empty(DType.Float32, kernel.Device, path == FftPath.SharedMemory ? 2 * n : 4 * n);
        if (path == FftPath.SharedMemory)
        {
            kernels.SharedKernelSpectrum(new KernelConfig(1, fftGroup), F(kernel), F(d), n, Twiddles(n), F(spectrum));
            return spectrum;
        }
        using var folded = pool.Rent((long)shape.Length * sizeof(float));
        var foldedView = folded.As<float>();
        Run(kernels.FoldSkip, shape.Length, F(kernel), F(d), foldedView);
        using var transform = PackAndTransform(foldedView, KernelColumn(shape.Length, n), F(spectrum));
        return spectrum;
    }

    /// <summary>
    /// The half of a global-path spectrum tensor (<see cref="KernelSpectrum"/>) that holds the result: each pass of the
    /// transform writes the other half.
    /// </summary>
    private ArrayView<float> TransformedHalf(Tensor spectrum)
    {
        long half = spectrum.Length / 2;
        return F(spectrum).SubView(ComplexSequences.Passes((int)(half / 2)) % 2 == 0 ? 0 : half, half);
    }

    /// <summary>
    /// The columns of x packed two per complex sequence, zero padded and transformed (forward), in pooled memory or in
    /// <paramref name="memory"/> (room for both ping-pong buffers). The transform's first pass reads the columns itself.
    /// </summary>
    private ComplexSequences PackAndTransform(ArrayView<float> x, ColumnLayout shape, ArrayView<float>? memory = null)
    {
        var packed = new ComplexSequences(this, shape.Sequences, shape.FftLength, memory);
        packed.TransformColumns(x, shape);
        return packed;
    }

    /// <summary>y = the columns of x convolved with K' (correlated when <paramref name="conjugate"/>), FFTs in shared memory.</summary>
    private void SharedConvolve(ArrayView<float> x, ColumnLayout shape, ArrayView<float> spectrum, bool conjugate, ArrayView<float> y)
    {
        int perGroup = SharedFftKernels.ForwardSequences(shape.FftLength);
        kernels.SharedConvolve(new KernelConfig(Groups(shape.Sequences, perGroup), fftGroup), x, shape, perGroup, spectrum,
            conjugate ? 1 : 0, Twiddles(shape.FftLength), y);
    }

    /// <summary>
    /// The backward with FFTs in shared memory: du and each group's part of the cross spectrum in one launch, the parts
    /// summed as the columns of a (groups, 2n) matrix (deterministic), then dK and dD from its inverse.
    /// </summary>
    private void SharedConvolutionBackward(Tensor u, Tensor dy, Tensor du, Tensor dKernel, Tensor dD, bool accumulateSkip, ColumnLayout shape,
        ArrayView<float> spectrum)
    {
        int n = shape.FftLength, perGroup = SharedFftKernels.BackwardSequences(n), groups = Groups(shape.Sequences, perGroup);
        var twiddles = Twiddles(n);
        using var parts = pool.Rent(2L * groups * n * sizeof(float));
        kernels.SharedConvolutionBackward(new KernelConfig(groups, fftGroup), F(u), F(dy), shape, perGroup, spectrum,
            twiddles, F(du), parts.As<float>());
        using var cross = pool.Rent(2L * n * sizeof(float));
        SumColumns(parts.As<float>(), groups, 2 * n, cross.As<float>(), accumulate: false);
        kernels.SharedKernelGradient(new KernelConfig(1, fftGroup), cross.As<float>(), n, twiddles, accumulateSkip ? 1 : 0, F(dKernel), F(dD));
    }

    /// <summary>The twiddle table of FFT length n (<see cref="SharedFftKernels.TwiddleTable"/>), made and uploaded once per n.</summary>
    private ArrayView<float> Twiddles(int n)
    {
        lock (twiddleTables)
        {
            if (!twiddleTables.TryGetValue(n, out var table))
            {
                var values = SharedFftKernels.TwiddleTable(n);
                table = Accelerator.Allocate1D<float>(values.Length);
                Interlocked.Increment(ref hostToDeviceCopies);
                table.View.CopyFromCPU(values);
                twiddleTables[n] = table;
            }
            return table.View.AsContiguous();
        }
    }

    /// <summary>(B, L, H) seen as B H columns of length L, read from the end when <paramref name="rightToLeft"/>, and the FFT length.</summary>
    private static ColumnLayout ColumnsOf(Tensor u, bool rightToLeft) =>
        new(u.Size(0) * u.Size(2), u.Size(1), u.Size(2), BiGS.Native.Kernels.Cpu.Ssm.SsmConvolution.FftLength(u.Size(1)), rightToLeft ? 1 : 0);

    /// <summary>A kernel (L) as one column, at the signal's FFT length.</summary>
    private static ColumnLayout KernelColumn(int length, int fftLength) => new(1, length, 1, fftLength, RightToLeft: 0);

    /// <summary>
    /// Count complex sequences of Length values (interleaved re, im) and a spare of the same size, as the two halves of
    /// one pooled buffer or of memory the caller gives (and keeps); a transform ping-pongs between them and leaves the
    /// result in <see cref="Current"/>.
    /// </summary>
    private sealed class ComplexSequences : IDisposable
    {
        private readonly IlgpuBackend backend;
        private readonly PooledBuffer? pooled;
        private ArrayView<float> current;
        private ArrayView<float> spare;

        public ComplexSequences(IlgpuBackend backend, int count, int length, ArrayView<float>? memory = null)
        {
            this.backend = backend;
            Count = count;
            Length = length;
            long floats = 2L * count * length;
            if (memory is null) pooled = backend.pool.Rent(2 * floats * sizeof(float));
            var both = memory ?? pooled!.As<float>();
            (current, spare) = (both.SubView(0, floats), both.SubView(floats, floats));
        }

        public int Count { get; }

        public int Length { get; }

        public ArrayView<float> Current => current;

        /// <summary>FFT of every sequence (unscaled when inverse), leaving the result in <see cref="Current"/>.</summary>
        public void Transform(bool inverse) => RunPasses(inverse ? 1f : -1f, current, ColumnLayout.Packed(Length), spectrumSign: 0, current, output: null, default);

        /// <summary>
        /// The forward FFT of the columns of x (<paramref name="columns"/>: a (B, L, H) tensor's, two per sequence), the
        /// first pass reading them itself, leaving the spectra in <see cref="Current"/>.
        /// </summary>
        public void TransformColumns(ArrayView<float> x, ColumnLayout columns) =>
            RunPasses(-1f, x, columns, spectrumSign: 0, x, output: null, default);

        /// <summary>
        /// The columns of y (<paramref name="columns"/>) = the inverse FFT of <see cref="Current"/> times the spectrum (its
        /// conjugate for <paramref name="spectrumSign"/> -1), divided by n, first L values: the first pass multiplies as it
        /// reads and the last writes the columns as it stores. <see cref="Current"/> is left undefined.
        /// </summary>
        public void InverseIntoColumns(ArrayView<float> spectrum, int spectrumSign, ArrayView<float> y, ColumnLayout columns) =>
            RunPasses(1f, current, ColumnLayout.Packed(Length), spectrumSign, spectrum, y, columns);

        /// <summary>
        /// Radix-16 Stockham stages, after one radix-2, radix-4 or radix-8 stage when log2 n is not a multiple of 4, or the one
        /// radix-1 pass of a length-1 transform (<see cref="Passes"/> in all), ping-ponging from <paramref name="input"/> (read as <paramref name="inputColumns"/> say, times the
        /// spectrum when <paramref name="spectrumSign"/> is not 0) to the result in <see cref="Current"/>, or, when
        /// <paramref name="output"/> is given, into its columns.
        /// </summary>
        private void RunPasses(float direction, ArrayView<float> input, ColumnLayout inputColumns, int spectrumSign, ArrayView<float> spectrum,
            ArrayView<float>? output, ColumnLayout outputColumns)
        {
            int leftover = BitOperations.Log2((uint)Length) % 4;
            var twiddles = backend.Twiddles(Length);
            int stride = 1;
            do
            {
                int radix = Length == 1 ? 1 : stride == 1 && leftover != 0 ? 1 << leftover : 16;
                bool intoColumns = stride * radix == Length && output is not null;
                Run(Stage(radix), (long)Count * (Length / radix), input, inputColumns, spectrum, spectrumSign,
                    intoColumns ? output!.Value : spare, intoColumns ? outputColumns : ColumnLayout.Packed(Length), new StagePass(stride, direction, twiddles));
                Swap();
                (input, inputColumns, spectrumSign, stride) = (current, ColumnLayout.Packed(Length), 0, stride * radix);
            }
            while (stride < Length);
        }

        private Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass> Stage(int radix) =>
            radix switch
            {
                1 => backend.kernels.Radix1Stage,
                2 => backend.kernels.Radix2Stage,
                4 => backend.kernels.Radix4Stage,
                8 => backend.kernels.Radix8Stage,
                _ => backend.kernels.Radix16Stage,
            };

        /// <summary>The passes over global memory a transform of <paramref name="length"/> (a power of two) takes: ceil(log2 n / 4), and 1 for n = 1.</summary>
        public static int Passes(int length) => Math.Max(1, (BitOperations.Log2((uint)length) + 3) / 4);

        private void Swap() => (current, spare) = (spare, current);

        public void Dispose() => pooled?.Dispose();
    }
}

/// <summary>How the GPU SSM convolution does its FFTs.</summary>
public enum FftPath
{
    /// <summary>One launch per radix-16 Stockham pass over global memory (after one radix-2, -4 or -8 pass where 4 does not divide log2 n), ceil(log2 n / 4) of them (<see cref="FftKernels"/>): any length.</summary>
    GlobalMemory,

    /// <summary>Each group's FFTs in shared memory (<see cref="SharedFftKernels"/>): FFT lengths up to a group's capacity.</summary>
    SharedMemory,
}

/// <summary>An SSM convolution as <see cref="IlgpuBackend.FftPaths"/> tells them apart: its FFT length and complex sequences (column pairs).</summary>
public readonly record struct FftProblem(int FftLength, int Sequences);
