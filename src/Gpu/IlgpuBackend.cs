using System.Numerics;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using BiGS.Native.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Device = BiGS.Native.Tensors.Device;

namespace BiGS.Native.Gpu;

/// <summary>
/// The tensor backend on one ILGPU accelerator (CUDA, OpenCL or ILGPU's CPU accelerator): every primitive is a launch
/// of a C# kernel from <see cref="Kernels"/>, compiled by ILGPU for that accelerator on first use. All work goes on
/// the accelerator's default stream, so launches and frees never wait; the host waits only when it reads device
/// memory (<see cref="CopyToHost{T}"/>), which is also when input errors found by kernels (a label or id out of range)
/// are raised.
/// </summary>
public sealed partial class IlgpuBackend : ITensorBackend, IDeviceMemoryCounters, IDeviceActivityCounters, IDisposable
{
    /// <summary>Threads per group of the row kernels on a GPU.</summary>
    private const int GpuRowGroup = 128;

    /// <summary>
    /// Threads per group of the row kernels on ILGPU's CPU accelerator, which runs a group's threads as host threads
    /// meeting at every barrier: small groups keep that cheap (the kernels stride over rows of any length).
    /// </summary>
    private const int CpuAcceleratorRowGroup = 4;

    /// <summary>
    /// Threads per group of the shared-memory FFT kernels on a GPU (each stage has 2048 butterflies per group). Like
    /// <see cref="CpuAcceleratorRowGroup"/>, which they use on the CPU accelerator, a power of two: a group splits its
    /// column values between its threads by a shift and a mask (<see cref="Kernels.GroupColumns"/>).
    /// </summary>
    private const int GpuFftGroup = 256;

    /// <summary>Elements a group of <see cref="SumOfSquares"/> sums at least (fewer groups for short tensors).</summary>
    private const long SumOfSquaresElementsPerGroup = 16 * 1024;

    /// <summary>The most partial sums <see cref="SumOfSquares"/> writes (enough groups to fill a large GPU).</summary>
    private const int MaxSumOfSquaresGroups = 1024;

    private readonly Context context;
    private readonly KernelLibrary kernels;

    /// <summary>True for <c>ilgpu-dry</c>: kernel launches and memory clears are counted, not done.</summary>
    private readonly bool skipsDeviceWork;
    private readonly DeviceMemoryPool pool;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> errors;
    private readonly int rowGroup;
    private readonly int fftGroup;
    private readonly GemmTile[] gemmTiles;
    private readonly Dictionary<int, MemoryBuffer1D<float, Stride1D.Dense>> twiddleTables = [];
    private long deviceToHostCopies;
    private long hostToDeviceCopies;
    private long memoryClears;

    internal IlgpuBackend(DeviceKind kind, int index, Context context, Accelerator accelerator, IlgpuKernelOptions options)
    {
        this.context = context;
        Accelerator = accelerator;
        Device = Tensors.Device.Create(kind, index, this);
        Name = Device.ToString();
        Description = $"{Device} ({accelerator.Name})";
        skipsDeviceWork = kind == DeviceKind.IlgpuDry;
        KernelOptions = options;
        EmulatesMma = options.EmulatedMma && accelerator.AcceleratorType == AcceleratorType.CPU;
        kernels = new KernelLibrary(accelerator, skipsDeviceWork, EmulatesMma);
        rowGroup = accelerator.AcceleratorType == AcceleratorType.CPU ? CpuAcceleratorRowGroup : GpuRowGroup;
        fftGroup = accelerator.AcceleratorType == AcceleratorType.CPU ? CpuAcceleratorRowGroup : GpuFftGroup;
        GemmTuner = GemmTileTuner.FromEnvironment(measureByDefault: accelerator is CudaAccelerator);
        MeasuresFftPaths = accelerator is CudaAccelerator && !options.PinsFftPath;
        gemmTiles = GemmTiles.All.Where(tile => GemmTiles.Threads(tile) <= accelerator.MaxNumThreadsPerGroup).ToArray();
        pool = new DeviceMemoryPool(accelerator, Description);
        errors = accelerator.Allocate1D<int>(DeviceErrors.Length);
        errors.View.MemSetToZero();
    }

    /// <summary>The ILGPU accelerator (CUDA, OpenCL or ILGPU's CPU accelerator) that runs the kernels and holds the device memory.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The tensor-level device this backend computes for.</summary>
    public Device Device { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The device name and the accelerator's own description, for messages.</summary>
    public string Description { get; }

    /// <summary>The kernel paths turned on beyond the measured defaults (from <see cref="IlgpuKernelOptions.EnvironmentVariable"/>).</summary>
    public IlgpuKernelOptions KernelOptions { get; }

    /// <summary>True on ILGPU's CPU accelerator with <see cref="IlgpuKernelOptions.EmulatedMma"/>: tf32 and bf16 on the emulated tensor-core kernel.</summary>
    public bool EmulatesMma { get; }

    /// <summary>The device memory pool (live and cached bytes).</summary>
    public DeviceMemoryPool Memory => pool;

    /// <inheritdoc />
    public long PeakInUseBytes => pool.PeakLiveBytes;

    /// <inheritdoc />
    public long PeakReservedBytes => pool.PeakReservedBytes;

    /// <summary>How many device-to-host copies the callers of this backend have asked for so far.</summary>
    public long DeviceToHostCopies => Interlocked.Read(ref deviceToHostCopies);

    /// <inheritdoc />
    public DeviceActivity ReadActivity() => new(kernels.Launches.Read(), DeviceToHostCopies,
        Interlocked.Read(ref hostToDeviceCopies), Interlocked.Read(ref memoryClears))
    {
        MillisecondsByKernel = kernels.Launches.ReadMilliseconds(),
    };

    /// <inheritdoc />
    public bool TimesKernels
    {
        get => kernels.Launches.TimesKernels;
        set => kernels.Launches.TimesKernels = value;
    }

    /// <inheritdoc />
    public TensorStorage Allocate(DType dtype, long length, bool zeroed)
    {
        var buffer = pool.Rent(Math.Max(length, 1) * dtype.ElementSize());
        if (zeroed)
        {
            Interlocked.Increment(ref memoryClears);
            if (!skipsDeviceWork) buffer.As<byte>().MemSetToZero();
        }
        return new IlgpuStorage(this, dtype, length, buffer);
    }

    /// <inheritdoc />
    public void CopyFromHost<T>(ReadOnlySpan<T> source, TensorStorage destination, long offset) where T : unmanaged
    {
        Interlocked.Increment(ref hostToDeviceCopies);
        if (!source.IsEmpty) Buffer(destination).As<T>().SubView(offset, source.Length).CopyFromCPU(source);
    }

    /// <inheritdoc />
    public void CopyToHost<T>(TensorStorage source, long offset, Span<T> destination) where T : unmanaged
    {
        Interlocked.Increment(ref deviceToHostCopies);
        if (!destination.IsEmpty) Buffer(source).As<T>().SubView(offset, destination.Length).CopyToCPU(destination);
        ThrowRecordedError();
    }

    /// <inheritdoc />
    public void Fill(Tensor destination, float value) => Run(kernels.Fill, destination.Length, F(destination), value);

    /// <inheritdoc />
    public void Iota(Tensor destination) => Run(kernels.Iota, destination.Length, V<int>(destination));

    /// <inheritdoc />
    public void CopyStrided(Tensor source, Tensor destination)
    {
        var view = View(source);
        if (source.DType == DType.Int64) Run(kernels.CopyStrided64, destination.Length, Whole<long>(source), view, V<long>(destination));
        else Run(kernels.CopyStrided32, destination.Length, Whole<int>(source), view, V<int>(destination));
    }

    /// <inheritdoc />
    public void Unary(UnaryOp op, Tensor x, Tensor y) => Run(kernels.Unary(op), y.Length, F(x), F(y));

    /// <inheritdoc />
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx) =>
        Run(kernels.UnaryBackward(op), dx.Length, F(x), F(y), F(dy), F(dx));

    /// <inheritdoc />
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) =>
        Run(kernels.Binary(op), y.Length, Whole<float>(a), View(a), Whole<float>(b), View(b), F(y));

    /// <inheritdoc />
    public void BinaryScalar(BinaryOp op, Tensor a, float s, bool scalarFirst, Tensor y) =>
        Run(kernels.BinaryScalar(op), y.Length, F(a), s, scalarFirst ? 1 : 0, F(y));

    /// <inheritdoc />
    public void AddScaled(Tensor x, float alpha, Tensor y) => Run(kernels.AddScaled, y.Length, F(x), alpha, F(y));

    /// <inheritdoc />
    /// <remarks>
    /// The epilogue fused; one launch, or one per block of tiles where m or n ends mid-tile (<see cref="GemmTileBlocks"/>).
    /// tf32 and bf16 run on tensor cores (<see cref="GemmTensorCoreKernel"/>) on CUDA devices of compute capability 8.0
    /// or more, and elsewhere on the SIMT kernel with the same operand rounding.
    /// </remarks>
    public void MatMul(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, GemmEpilogue epilogue, Precision precision)
    {
        int batch = c.Size(0), m = c.Size(1), n = c.Size(2);
        int k = transposeA ? a.Size(1) : a.Size(2);
        long strideA = a.Size(0) == 1 ? 0 : (long)a.Size(1) * a.Size(2);
        long strideB = b.Size(0) == 1 ? 0 : (long)b.Size(1) * b.Size(2);
        if (batch == 0 || m == 0 || n == 0) return;
        int activation = epilogue.Activation switch
        {
            null => GemmEpilogueStage.NoActivation,
            GeluKind.Tanh => GemmEpilogueStage.GeluTanh,
            _ => GemmEpilogueStage.GeluErf,
        };
        bool vectorA = GemmStagedOperand.Vectorizable(a.Offset, a.Size(2), strideA);
        bool vectorB = GemmStagedOperand.Vectorizable(b.Offset, b.Size(2), strideB);
        var shape = new GemmShape(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a.Size(2), b.Size(2), strideA, strideB,
            epilogue.Alpha, epilogue.Beta, Flag(epilogue.Bias), activation, OperandCode(epilogue), Flag(epilogue.Product), precision,
            vectorA ? 1 : 0, vectorB ? 1 : 0, DeviceAddress(a), DeviceAddress(b));
        // Views the epilogue does not use are c again: never read, as the shape's flags say.
        var (bias, operand, product) = (OrC(epilogue.Bias, c), OrC(epilogue.Gate ?? epilogue.Residual, c), OrC(epilogue.Product, c));
        var problem = new GemmProblem(transposeA, transposeB, precision, batch, m, n, k, vectorA, vectorB);
        var plan = GemmTuner.TryChoose(problem, gemmTiles, out var known) ? known : MeasuredPlan(problem, a, b, c, epilogue, shape, batch);
        LaunchGemm(plan, F(a), F(b), F(c), bias, operand, product, shape, batch);
    }

    /// <summary>The plan the tuner keeps for a new problem after timing each candidate (<see cref="SecondsPerGemm"/>).</summary>
    private GemmPlan MeasuredPlan(GemmProblem problem, Tensor a, Tensor b, Tensor c, GemmEpilogue epilogue, GemmShape shape, int batch)
    {
        long deviceThreads = (long)Accelerator.MaxNumThreadsPerMultiprocessor * Accelerator.NumMultiprocessors;
        // Packed fp32 may run pipelined, as may packed tf32 and bf16.
        var candidates = OnTensorCores(shape.Precision)
            ? GemmPlans.TensorCoreCandidates(problem, gemmTiles, deviceThreads, KernelOptions.PipelinedGemm)
            : GemmPlans.Candidates(problem, gemmTiles, deviceThreads, packedRunsOtherKernel: PipelinesOnSimt(shape.Precision));
        return GemmTuner.Measure(problem, candidates, candidate => SecondsPerGemm(candidate, F(a), F(b), shape, batch, OnlyWritten(c, epilogue)));
    }

    /// <summary>
    /// Picks the GEMM's plan per problem: the SIMT or tensor-core kernel's tile configuration and split of k (measured
    /// on CUDA, 64 x 64 with k whole elsewhere; see <see cref="GemmTileTuner.EnvironmentVariable"/> to pin one or to
    /// measure everywhere). Tests replace it to measure on a device of their own.
    /// </summary>
    public GemmTileTuner GemmTuner { get; internal set; }

    /// <summary>
    /// Launches the GEMM with <paramref name="plan"/>: the tensor-core kernel for tf32 and bf16 where the device has
    /// tensor cores (its tile for the plan's, <see cref="GemmTensorCoreKernel.TileFor"/>), else the SIMT kernel with the
    /// plan's tile; k split as the plan says. One launch per block of c's tiles (<see cref="GemmTileBlocks"/>): the whole
    /// tiles without bounds checks, the last row and column of tiles with them. A packed plan first packs the operands
    /// into pooled scratch (<see cref="LaunchPackedGemm"/>), and the launches it makes then say whether the packing rounded
    /// them (<paramref name="preRounded"/>: TF32 values or BF16 pairs, k in words) and whether it packed them for a
    /// pipelined kernel (<paramref name="pipelined"/>, one launch over every tile: the packing pads them all).
    /// </summary>
    private void LaunchGemm(GemmPlan plan, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape shape, int batch, bool preRounded = false, bool pipelined = false)
    {
        if (plan.Packed && shape.K > 0)
        {
            LaunchPackedGemm(plan, a, b, c, bias, operand, product, shape, batch);
            return;
        }
        bool onTensorCores = OnTensorCores(shape.Precision);
        var (rows, columns, stage, group) = pipelined && onTensorCores ? TensorCorePipelineGeometry(plan.Tile) : GemmGeometry(plan, onTensorCores, preRounded);
        int depth = GemmSplitK.DepthFor(shape.K, plan.Splits, stage);
        Span<GemmTileBlock> blocks = stackalloc GemmTileBlock[GemmTileBlocks.Most];
        int count = GemmTileBlocks.Of(shape, rows, columns, stage, depth, blocks, padded: pipelined);
        foreach (var block in blocks[..count])
        {
            var kernel = pipelined ? (onTensorCores ? kernels.GemmTensorCorePipeline(shape.Precision, plan.Tile) : kernels.GemmSimtPipeline(plan.Tile))
                : onTensorCores ? kernels.GemmTensorCores(shape.Precision, plan.Tile, block.Whole, preRounded) : kernels.Sgemm(plan.Tile, shape.Precision, block.Whole);
            var blockShape = shape with { FirstRowTile = block.FirstRowTile, FirstColumnTile = block.FirstColumnTile };
            LaunchGemmBlock(kernel, new Index3D(block.ColumnTiles, block.RowTiles, batch), group, rows * columns, depth,
                a, b, c, bias, operand, product, blockShape);
        }
    }

    /// <summary>
    /// The GEMM of <paramref name="shape"/> as c = A' B'^T on operands packed into the NT layout with k padded to whole
    /// stages (<see cref="GemmOperandPacking"/>), rounded to the precision where the tensor-core kernels run it
    /// (<see cref="OnTensorCores"/>), or k-major for the pipelined SIMT kernel (<see cref="Pipelines"/>, then Lda and Ldb
    /// are the packed rows and the layout flags unused): one packing launch per operand (one matrix where the operand is
    /// broadcast over the batch), then <paramref name="plan"/>'s launches unpacked, k counted in the packed words.
    /// </summary>
    private void LaunchPackedGemm(GemmPlan plan, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias,
        ArrayView<float> operand, ArrayView<float> product, GemmShape shape, int batch)
    {
        bool rounds = OnTensorCores(shape.Precision), pipelined = Pipelines(shape.Precision);
        var rounding = rounds ? shape.Precision : Precision.Fp32;
        int depth = GemmOperandPacking.PaddedDepth(shape.K, rounding);
        PackedFragments Layout(PackedFragments fragments) => rounds ? fragments : pipelined ? PackedFragments.KMajor : PackedFragments.None;
        // op(a) is m x k, stored transposed when TransA; B' = op(b)^T is n x k, whose source b holds its transpose unless TransB
        var packA = new GemmPackShape(shape.M, shape.K, depth, shape.Lda, shape.StrideA, shape.TransA, rounding, Layout(PackedFragments.A));
        var packB = new GemmPackShape(shape.N, shape.K, depth, shape.Ldb, shape.StrideB, shape.TransB == 0 ? 1 : 0, rounding, Layout(PackedFragments.B));
        using var packedA = PackOperand(a, packA, shape.StrideA == 0 ? 1 : batch);
        using var packedB = PackOperand(b, packB, shape.StrideB == 0 ? 1 : batch);
        var packed = shape with
        {
            TransA = 0, TransB = 1, K = packA.RowWords, Lda = packA.LeadingDimension, Ldb = packB.LeadingDimension,
            StrideA = shape.StrideA == 0 ? 0 : packA.Elements, StrideB = shape.StrideB == 0 ? 0 : packB.Elements,
            VectorA = 1, VectorB = 1, AddressA = packedA.DeviceAddress, AddressB = packedB.DeviceAddress,
        };
        LaunchGemm(plan with { Packed = false }, packedA.As<float>(), packedB.As<float>(), c, bias, operand, product, packed, batch, preRounded: rounds, pipelined);
    }

    /// <summary>
    /// Whether products of <paramref name="precision"/> run on the tensor-core kernel (<see cref="GemmKernelKind.TensorCores"/>),
    /// whose packed plans have the packing round the operands (the kernel then stages the packed words unchanged).
    /// </summary>
    private bool OnTensorCores(Precision precision) => GemmKernelFor(precision) == GemmKernelKind.TensorCores;

    /// <summary>The operand <paramref name="source"/> packed as <paramref name="shape"/> says, <paramref name="batches"/> matrices, in pooled scratch.</summary>
    private PooledBuffer PackOperand(ArrayView<float> source, GemmPackShape shape, int batches)
    {
        var packed = pool.Rent(batches * shape.Elements * sizeof(float));
        kernels.GemmPack(GemmOperandPacking.Launch(shape, batches, Accelerator.MaxNumThreadsPerGroup), source, packed.As<float>(), shape);
        return packed;
    }

    /// <summary>
    /// One GEMM launch over <paramref name="tiles"/> (columns and rows of tiles of c, batch), k in parts
    /// <paramref name="depth"/> deep. With k split, one group per tile and part, the parts' sums in pooled scratch and one
    /// arrival counter per tile (<see cref="GemmSplitK"/>).
    /// </summary>
    private void LaunchGemmBlock(Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, GemmShape, GemmSplitK> kernel, Index3D tiles, Index3D group, int tileElements, int depth,
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> operand, ArrayView<float> product, GemmShape shape)
    {
        int parts = GemmSplitK.PartsOf(shape.K, depth);
        using var partials = parts > 1 ? pool.Rent((long)tiles.Size * parts * tileElements * sizeof(float)) : null;
        var split = partials is null ? new GemmSplitK(1, depth, ArrayView<float>.Empty, ArrayView<int>.Empty)
            : new GemmSplitK(parts, depth, partials.As<float>(), ArrivalCounters(tiles.Size));
        kernel(new KernelConfig(new Index3D(tiles.X, tiles.Y, tiles.Z * parts), group), a, b, c, bias, operand, product, shape, split);
    }

    /// <summary>
    /// The rows and columns of c per group, the k depth of a shared-memory stage and the group of the kernel that runs
    /// <paramref name="plan"/>: the tensor-core kernel's tile for the plan's (its stage in a packed row's words where the operands arrive
    /// packed for it, <paramref name="preRounded"/>), or the SIMT kernels' tile of the plan (pipelined or not).
    /// </summary>
    private static (int Rows, int Columns, int Stage, Index3D Group) GemmGeometry(GemmPlan plan, bool tensorCores, bool preRounded)
    {
        if (tensorCores && GemmTensorCoreKernel.TileFor(plan.Tile) is var tile)
            return (tile.Size, tile.Size, GemmTensorCoreKernel.StageDepth(tile, preRounded), new Index3D(GemmTensorCoreKernel.Threads(tile), 1, 1));
        int rows = GemmTiles.Rows(plan.Tile), columns = GemmTiles.Columns(plan.Tile);
        return (rows, columns, GemmKernel.Depth, new Index3D(columns / GemmKernel.PerThread, rows / GemmKernel.PerThread, 1));
    }

    /// <summary>
    /// Whether packed products in <paramref name="precision"/> run on a pipelined kernel, under
    /// <see cref="IlgpuKernelOptions.PipelinedGemm"/>: tf32 and bf16 on the tensor cores (<see cref="GemmTensorCorePipelineKernel"/>),
    /// fp32 on the SIMT units (<see cref="GemmSimtPipelineKernel"/>) where the device has sm_80's asynchronous copies (as
    /// it has tensor cores) or emulates them; every tile, k whole or split.
    /// </summary>
    public bool Pipelines(Precision precision) => OnTensorCores(precision) ? KernelOptions.PipelinedGemm : PipelinesOnSimt(precision);

    /// <summary>
    /// The kernel that runs <paramref name="plan"/> in <paramref name="precision"/>, as reports name it: the plan on the
    /// SIMT kernel ("128x64/k2"); on the tensor cores "tensor-cores " and the plan at the tile the staged kernel runs it
    /// with (<see cref="GemmTensorCoreKernel.PlanTile"/>: "tensor-cores 64x64/k2" for a 128 x 64 plan); " pipelined"
    /// after a packed plan a pipelined kernel runs at its own tile (<see cref="Pipelines"/>). The tuner's candidates for a
    /// problem have distinct names.
    /// </summary>
    public string GemmKernelName(GemmPlan plan, Precision precision)
    {
        bool tensorCores = OnTensorCores(precision), pipelined = plan.Packed && Pipelines(precision);
        var ran = tensorCores && !pipelined ? plan with { Tile = GemmTensorCoreKernel.PlanTile(plan.Tile) } : plan;
        return (tensorCores ? "tensor-cores " : "") + ran + (pipelined ? " pipelined" : "");
    }

    /// <summary>Whether every packed SIMT product in <paramref name="precision"/> runs on <see cref="GemmSimtPipelineKernel"/> (<see cref="Pipelines"/>).</summary>
    private bool PipelinesOnSimt(Precision precision) =>
        KernelOptions.PipelinedGemm && precision == Precision.Fp32 && (HasTensorCores || EmulatesMma);

    /// <summary>
    /// <see cref="GemmGeometry"/> of <see cref="GemmTensorCorePipelineKernel"/> at <paramref name="tile"/>: the tile, its
    /// stage in the packed shape's k (a row pair's words) and its group.
    /// </summary>
    private static (int Rows, int Columns, int Stage, Index3D Group) TensorCorePipelineGeometry(GemmTile tile) =>
        (GemmTiles.Rows(tile), GemmTiles.Columns(tile), GemmTensorCorePipelineKernel.PairWords, new Index3D(GemmTensorCorePipelineKernel.Threads(tile), 1, 1));

    /// <summary>
    /// Seconds per launch of the GEMM with <paramref name="plan"/> on the problem of <paramref name="shape"/>, with no
    /// epilogue, into <paramref name="c"/> when the real launch will overwrite it without reading it, else into a scratch
    /// buffer (so what the epilogue reads is untouched): 2 launches to warm up (the first compiles), then
    /// <see cref="TunerLaunches"/> timed between two synchronisations of the accelerator.
    /// </summary>
    private double SecondsPerGemm(GemmPlan plan, ArrayView<float> a, ArrayView<float> b, GemmShape shape, int batch, ArrayView<float>? c)
    {
        var plain = shape with { Alpha = 1f, Beta = 0f, HasBias = 0, Activation = GemmEpilogueStage.NoActivation, Operand = GemmEpilogueStage.NoOperand, HasProduct = 0 };
        using var scratch = c is null ? pool.Rent((long)batch * shape.M * shape.N * sizeof(float)) : null;
        var target = c ?? scratch!.As<float>();
        return SecondsPerRun(() => LaunchGemm(plan, a, b, target, target, target, target, plain, batch), warmUps: 2, TunerLaunches);
    }

    /// <summary>Timed launches per tile configuration when the tuner measures a new problem.</summary>
    private const int TunerLaunches = 5;

    /// <summary>
    /// Seconds per <paramref name="run"/> on the device: <paramref name="warmUps"/> runs (the first compiles its
    /// kernels), then <paramref name="runs"/> timed between two synchronisations of the accelerator.
    /// </summary>
    private double SecondsPerRun(Action run, int warmUps, int runs)
    {
        for (int i = 0; i < warmUps; i++) run();
        Accelerator.Synchronize();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < runs; i++) run();
        Accelerator.Synchronize();
        return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds / runs;
    }

    /// <summary>c's elements when the GEMM only writes c (beta 0, and no epilogue input shares its storage), else null.</summary>
    private ArrayView<float>? OnlyWritten(Tensor c, GemmEpilogue epilogue) =>
        epilogue.Beta == 0f && !SharesStorage(epilogue.Bias, c) && !SharesStorage(epilogue.Gate ?? epilogue.Residual, c) ? F(c) : null;

    private static bool SharesStorage(Tensor? tensor, Tensor c) => tensor is not null && ReferenceEquals(tensor.Storage, c.Storage);

    /// <summary>True when the accelerator is a CUDA device with tensor cores for TF32 and BF16 (compute capability 8.0+).</summary>
    public bool HasTensorCores => Accelerator is CudaAccelerator cuda && cuda.Architecture is { } architecture && architecture >= CudaArchitecture.SM_80;

    /// <summary>The device address of a contiguous float tensor's first element.</summary>
    private ulong DeviceAddress(Tensor t) => Buffer(t.Storage).DeviceAddress + (ulong)t.Offset * sizeof(float);

    /// <summary>
    /// The GEMM kernel that runs products of <paramref name="precision"/> on this accelerator: the tensor cores for tf32
    /// and bf16 where the device has them (<see cref="HasTensorCores"/>) or emulates them (<see cref="EmulatesMma"/>), else
    /// the SIMT kernel. fp32 never runs on tensor cores.
    /// </summary>
    public GemmKernelKind GemmKernelFor(Precision precision) =>
        precision == Precision.Fp32 ? GemmKernelKind.Simt
        : HasTensorCores || EmulatesMma ? GemmKernelKind.TensorCores : GemmKernelKind.Simt;

    private static int Flag(Tensor? tensor) => tensor is null ? 0 : 1;

    private ArrayView<float> OrC(Tensor? tensor, Tensor c) => F(tensor ?? c);

    /// <summary>The <see cref="GemmEpilogueStage"/> code of the epilogue's elementwise operand (gate, residual or none).</summary>
    private static int OperandCode(GemmEpilogue epilogue) =>
        epilogue.Gate is not null ? GemmEpilogueStage.GateOperand
        : epilogue.Residual is not null ? GemmEpilogueStage.ResidualOperand
        : GemmEpilogueStage.NoOperand;

    /// <inheritdoc />
    public void Reduce(ReduceKind kind, Tensor x, int outer, int axis, int inner, Tensor y) =>
        PerRow(kernels.ReduceAxis, outer * inner, axis, F(x), (int)kind, axis, inner, F(y));

    /// <inheritdoc />
    public void ReduceToShape(Tensor source, Tensor destination)
    {
        // kept: destination's shape with the source's strides; reduced: only the summed dims (size > 1 in source).
        var sourceStrides = source.Strides;
        var reducedShape = new List<int>();
        var reducedStrides = new List<int>();
        for (int d = 0; d < source.Rank; d++)
        {
            if (destination.Size(d) != 1 || source.Size(d) == 1) continue;
            reducedShape.Add(source.Size(d));
            reducedStrides.Add(sourceStrides[d]);
        }
        var kept = StridedView.Create(destination.Shape, sourceStrides, 0);
        var reduced = StridedView.Create(reducedShape.ToArray(), reducedStrides.ToArray(), 0);
        int reducedCount = reducedShape.Aggregate(1, (p, s) => p * s);
        Run(kernels.ReduceToShape, destination.Length, F(source), kept, reduced, reducedCount, F(destination));
    }

    /// <inheritdoc />
    public void BiasGelu(GeluKind kind, Tensor x, Tensor bias, Tensor y) =>
        Run(kernels.BiasGelu(kind), y.Length, F(x), F(bias), x.Size(1), F(y));

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) =>
        PerRow(kernels.LayerNorm, x.Size(0), x.Size(1), F(x), F(gamma), F(beta), x.Size(1), eps, F(y), F(mean), F(rstd));

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, bool accumulateDx, Tensor dgamma, Tensor dbeta)
    {
        int rows = x.Size(0), cols = x.Size(1);
        PerRow(kernels.LayerNormBackward, rows, cols, F(x), F(gamma), F(mean), F(rstd), F(dy), cols, accumulateDx ? 1 : 0, F(dx));
        LayerNormParameterGradients(x, mean, rstd, dy, dgamma, dbeta);
    }

    /// <inheritdoc />
    public void Softmax(Tensor x, Tensor y, bool log) => PerRow(kernels.Softmax, x.Size(0), x.Size(1), F(x), x.Size(1), log ? 1 : 0, F(y));

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, bool log) =>
        PerRow(kernels.SoftmaxBackward, y.Size(0), y.Size(1), F(y), F(dy), y.Size(1), log ? 1 : 0, F(dx));

    /// <inheritdoc />
    public void CrossEntropy(Tensor logits, Tensor labels, int ignoreIndex, Tensor logSumExp, Tensor loss, Tensor count)
    {
        int rows = logits.Size(0), cols = logits.Size(1);
        using var lossRows = pool.Rent((long)Math.Max(rows, 1) * sizeof(float));
        PerRow(kernels.CrossEntropyRows, rows, cols, F(logits), V<int>(labels), cols, ignoreIndex, F(logSumExp), lossRows.As<float>(), errors.View.AsContiguous());
        kernels.CrossEntropyMean(new KernelConfig(1, GroupFor(rows)), lossRows.As<float>(), V<int>(labels), rows, ignoreIndex, F(loss), F(count));
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor logits, Tensor labels, Tensor logSumExp, int ignoreIndex, Tensor scale, Tensor dlogits) =>
        Run(kernels.CrossEntropyBackward, dlogits.Length, F(logits), V<int>(labels), F(logSumExp), logits.Size(1), ignoreIndex, F(scale), F(dlogits));

    /// <inheritdoc />
    public void ArgMaxHits(Tensor logits, Tensor labels, Tensor maxima, Tensor hits) =>
        Run(kernels.ArgMaxHits, hits.Length, F(logits), V<int>(labels), F(maxima), logits.Size(1), F(hits));

    /// <inheritdoc />
    /// <remarks>
    /// Two launches: groups of <see cref="rowGroup"/> threads write partial sums (in double) to pooled scratch, then
    /// one group adds them in order, so the result does not depend on timing.
    /// </remarks>
    public void SumOfSquares(Tensor x, Tensor total, bool accumulate)
    {
        int groups = (int)Math.Clamp((x.Count + SumOfSquaresElementsPerGroup - 1) / SumOfSquaresElementsPerGroup, 1, MaxSumOfSquaresGroups);
        using var scratch = pool.Rent((long)groups * sizeof(double));
        var partials = scratch.As<double>().SubView(0, groups);
        kernels.SumOfSquaresPartials(new KernelConfig(groups, rowGroup), F(x), partials);
        kernels.AddPartials(new KernelConfig(1, GroupFor(groups)), partials, accumulate ? 1 : 0, F(total));
    }

    /// <inheritdoc />
    public void ClipToNorm(Tensor x, Tensor sumOfSquares, float maxNorm) =>
        Run(kernels.ClipToNorm, x.Length, F(x), F(sumOfSquares), maxNorm);

    /// <inheritdoc />
    public void EmbeddingGather(Tensor table, Tensor ids, Tensor y) =>
        Run(kernels.EmbeddingGather, y.Length, F(table), V<int>(ids), table.Size(1), table.Size(0), F(y), errors.View.AsContiguous());

    /// <inheritdoc />
    /// <remarks>Deterministic without atomics or host sorting: see <see cref="EmbeddingKernels"/>.</remarks>
    public void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable)
    {
        int count = ids.Length, dim = dtable.Size(1);
        if (count == 0 || dim == 0) return;
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)count);
        int tile = Math.Min(slots, EmbeddingKernels.SortTile);
        using var keyBuffer = pool.Rent((long)slots * sizeof(long));
        var keys = keyBuffer.As<long>();
        var tiles = new KernelConfig(slots / tile, GroupFor(tile / 2));
        kernels.SortTiles(tiles, V<int>(ids), count, tile, keys);
        for (int block = 2 * tile; block <= slots; block *= 2)
        {
            for (int distance = block / 2; distance >= tile; distance /= 2)
                Run(kernels.BitonicStage, slots, keys, block, distance);
            kernels.MergeTiles(tiles, keys, tile, block);
        }
        Run(kernels.ScatterRuns, (long)count * dim, keys, count, dim, dtable.Size(0), F(dy), F(dtable));
    }

    /// <inheritdoc />
    public void SelectIncreasingRows(Tensor table, Tensor ids, Tensor y) =>
        Run(kernels.GatherIncreasing, y.Length, F(table), V<int>(ids), table.Size(1), table.Size(0), F(y), errors.View.AsContiguous());

    /// <inheritdoc />
    /// <remarks>One launch over the table, each element finding its row's position by binary search.</remarks>
    public void ScatterIncreasingRows(Tensor dy, Tensor ids, Tensor dtable, bool accumulate) =>
        Run(kernels.ScatterIncreasing, dtable.Length, V<int>(ids), dtable.Size(1), F(dy), accumulate ? 1 : 0, F(dtable));

    /// <inheritdoc />
    public void DropoutMask(Tensor mask, float keep, ulong seed, long firstIndex) =>
        Run(kernels.DropoutMask, mask.Length, F(mask), keep, seed, firstIndex);

    /// <inheritdoc />
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        // Bias corrections 1 - beta^t in double on the host, as the kernel only sees the step through them.
        var settings = new AdamWSettings(lr, beta1, beta2, eps, weightDecay, (float)(1 - Math.Pow(beta1, step)), (float)(1 - Math.Pow(beta2, step)));
        Run(kernels.AdamW, param.Length, F(param), F(grad), F(m), F(v), settings);
    }

    /// <inheritdoc />
    public void SsmKernel(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor kernel) =>
        PerRow(kernels.S4DGenerate, kernel.Length, aRe.Length, F(aRe), F(aIm), F(c), F(logStep), aRe.Length, F(kernel));

    /// <inheritdoc />
    public void SsmKernelBackward(Tensor aRe, Tensor aIm, Tensor c, Tensor logStep, Tensor dKernel,
        Tensor dARe, Tensor dAIm, Tensor dC, Tensor dLogStep, bool accumulate)
    {
        int modes = aRe.Length, add = accumulate ? 1 : 0;
        using var stepParts = pool.Rent((long)Math.Max(modes, 1) * sizeof(float));
        var parts = stepParts.As<float>().SubView(0, modes);
        if (modes > 0)
            kernels.S4DBackward(new KernelConfig(modes, GroupFor(dKernel.Length)), F(aRe), F(aIm), F(c), F(logStep), F(dKernel), add, F(dARe), F(dAIm), F(dC), parts);
        kernels.S4DStepGradient(new KernelConfig(1, GroupFor(modes)), parts, F(logStep), add, F(dLogStep));
    }

    /// <summary>Releases the device memory, the accelerator and its ILGPU context.</summary>
    public void Dispose()
    {
        pool.Dispose();
        errors.Dispose();
        foreach (var table in twiddleTables.Values) table.Dispose();
        arrivalCounters?.Dispose();
        foreach (var counters in outgrownArrivalCounters) counters.Dispose();
        Accelerator.Dispose();
        context.Dispose();
    }

    /// <summary>Raises (once) the first input error a kernel recorded since the last check.</summary>
    private void ThrowRecordedError()
    {
        Span<int> word = stackalloc int[DeviceErrors.Length];
        errors.View.AsContiguous().CopyToCPU(word);
        if (word[0] == DeviceErrors.None) return;
        errors.View.MemSetToZero();
        throw DeviceErrors.ToException(word);
    }

    /// <summary>Launches an auto-grouped kernel over <paramref name="count"/> threads (nothing when 0).</summary>
    private static void Run<T1>(Action<Index1D, T1> kernel, long count, T1 a1) where T1 : struct
    {
        if (count > 0) kernel(checked((int)count), a1);
    }

    private static void Run<T1, T2>(Action<Index1D, T1, T2> kernel, long count, T1 a1, T2 a2) where T1 : struct where T2 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2);
    }

    private static void Run<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel, long count, T1 a1, T2 a2, T3 a3)
        where T1 : struct where T2 : struct where T3 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2, a3);
    }

    private static void Run<T1, T2, T3, T4>(Action<Index1D, T1, T2, T3, T4> kernel, long count, T1 a1, T2 a2, T3 a3, T4 a4)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2, a3, a4);
    }

    private static void Run<T1, T2, T3, T4, T5>(Action<Index1D, T1, T2, T3, T4, T5> kernel, long count, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2, a3, a4, a5);
    }

    private static void Run<T1, T2, T3, T4, T5, T6>(Action<Index1D, T1, T2, T3, T4, T5, T6> kernel, long count,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2, a3, a4, a5, a6);
    }

    private static void Run<T1, T2, T3, T4, T5, T6, T7>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7> kernel, long count,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2, a3, a4, a5, a6, a7);
    }

    private static void Run<T1, T2, T3, T4, T5, T6, T7, T8>(Action<Index1D, T1, T2, T3, T4, T5, T6, T7, T8> kernel, long count,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
    {
        if (count > 0) kernel(checked((int)count), a1, a2, a3, a4, a5, a6, a7, a8);
    }

    /// <summary>
    /// Launches a one-group-per-row kernel over <paramref name="rows"/> groups, each of the power of two covering the
    /// row's <paramref name="work"/> up to the accelerator's row group (short rows get small groups).
    /// </summary>
    private void PerRow<T1, T2, T3, T4>(Action<KernelConfig, T1, T2, T3, T4> kernel, int rows, int work, T1 a1, T2 a2, T3 a3, T4 a4)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct
    {
        if (rows > 0) kernel(new KernelConfig(rows, GroupFor(work)), a1, a2, a3, a4);
    }

    private void PerRow<T1, T2, T3, T4, T5>(Action<KernelConfig, T1, T2, T3, T4, T5> kernel, int rows, int work, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct
    {
        if (rows > 0) kernel(new KernelConfig(rows, GroupFor(work)), a1, a2, a3, a4, a5);
    }

    private void PerRow<T1, T2, T3, T4, T5, T6>(Action<KernelConfig, T1, T2, T3, T4, T5, T6> kernel, int rows, int work,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
    {
        if (rows > 0) kernel(new KernelConfig(rows, GroupFor(work)), a1, a2, a3, a4, a5, a6);
    }

    private void PerRow<T1, T2, T3, T4, T5, T6, T7>(Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> kernel, int rows, int work,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct
    {
        if (rows > 0) kernel(new KernelConfig(rows, GroupFor(work)), a1, a2, a3, a4, a5, a6, a7);
    }

    private void PerRow<T1, T2, T3, T4, T5, T6, T7, T8>(Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8> kernel, int rows, int work,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct
    {
        if (rows > 0) kernel(new KernelConfig(rows, GroupFor(work)), a1, a2, a3, a4, a5, a6, a7, a8);
    }

    private void PerRow<T1, T2, T3, T4, T5, T6, T7, T8, T9>(Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel, int rows, int work,
        T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct where T7 : struct where T8 : struct where T9 : struct
    {
        if (rows > 0) kernel(new KernelConfig(rows, GroupFor(work)), a1, a2, a3, a4, a5, a6, a7, a8, a9);
    }

    /// <summary>The power of two covering <paramref name="work"/>, clamped to [1, the accelerator's row group].</summary>
    private int GroupFor(int work) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(work, 1, rowGroup));

    /// <summary>Groups of <paramref name="per"/> that cover <paramref name="count"/>: ceil(count / per).</summary>
    internal static int Groups(int count, int per) => (count + per - 1) / per;

    /// <summary>A contiguous float tensor's elements.</summary>
    private ArrayView<float> F(Tensor t) => V<float>(t);

    /// <summary>A contiguous tensor's elements as <typeparamref name="T"/>.</summary>
    private ArrayView<T> V<T>(Tensor t) where T : unmanaged => Buffer(t.Storage).As<T>().SubView(t.Offset, t.Length);

    /// <summary>The whole storage behind a (possibly strided) tensor, addressed through <see cref="View"/>.</summary>
    private ArrayView<T> Whole<T>(Tensor t) where T : unmanaged => Buffer(t.Storage).As<T>().SubView(0, t.Storage.Length);

    private static StridedView View(Tensor t) => StridedView.Create(t.Shape, t.Strides, t.Offset);

    private PooledBuffer Buffer(TensorStorage storage) =>
        storage is IlgpuStorage gpu && ReferenceEquals(gpu.Backend, this)
            ? gpu.Buffer
            : throw new ArgumentException($"the {Device} backend got a tensor on {storage.Device}; copy it with To({Device}) first");
}

/// <summary>The GEMM kernels of <see cref="IlgpuBackend"/> (<see cref="IlgpuBackend.GemmKernelFor"/>).</summary>
public enum GemmKernelKind
{
    /// <summary>The SIMT kernel (<see cref="GemmKernel"/>), its tile and split of k tuned per problem.</summary>
    Simt,

    /// <summary>
    /// The tensor-core kernel (<see cref="GemmTensorCoreKernel"/>; <see cref="GemmTensorCorePipelineKernel"/> for the packed
    /// plans under <see cref="IlgpuKernelOptions.PipelinedGemm"/>), its plan tuned per problem.
    /// </summary>
    TensorCores,
}
