using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using BiGS.Native.Gpu.Kernels;
using BiGS.Native.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;
using GemmKernelMethod = System.Action<ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, ILGPU.ArrayView<float>,
    ILGPU.ArrayView<float>, ILGPU.ArrayView<float>, BiGS.Native.Gpu.Kernels.GemmShape, BiGS.Native.Gpu.Kernels.GemmSplitK>;

namespace BiGS.Native.Gpu;

/// <summary>
/// Every kernel of one accelerator as a typed delegate, compiled by ILGPU on first use (lazily: a command that never
/// runs a kernel never compiles it) and then kept. The delegate types make the compiler check each launch's
/// arguments against the kernel's parameters. Every launch is counted under the kernel's readable name (its property
/// here, or for kernels chosen by an argument the property and the choice, as in "Unary.Exp"): see <see cref="Launches"/>.
/// With <paramref name="skipLaunches"/> (the <c>ilgpu-dry</c> device) nothing is compiled and a launch is only counted;
/// with <paramref name="emulateMma"/> the tensor-core GEMMs are their emulation (<see cref="GemmTensorCoreEmulation"/>).
/// </summary>
internal sealed class KernelLibrary(Accelerator accelerator, bool skipLaunches = false, bool emulateMma = false)
{
    private readonly Dictionary<string, Delegate> generic = [];

    public Accelerator Accelerator { get; } = accelerator;

    /// <summary>The launch counts of the kernels loaded so far.</summary>
    public KernelLaunchCounters Launches { get; } = new(skipLaunches ? null : accelerator);

    // ---------------------------------------------------------------- elementwise (auto-grouped)
    public Action<Index1D, ArrayView<float>, float> Fill => Auto(ref fill, ElementwiseKernels.Fill);
    public Action<Index1D, ArrayView<int>, StridedView, ArrayView<int>> CopyStrided32 => Auto(ref copyStrided32, ElementwiseKernels.CopyStrided32);
    public Action<Index1D, ArrayView<int>> Iota => Auto(ref iota, ElementwiseKernels.Iota);
    public Action<Index1D, ArrayView<long>, StridedView, ArrayView<long>> CopyStrided64 => Auto(ref copyStrided64, ElementwiseKernels.CopyStrided64);
    public Action<Index1D, ArrayView<float>, float, ArrayView<float>> AddScaled => Auto(ref addScaled, ElementwiseKernels.AddScaled);
    public Action<Index1D, ArrayView<float>, float, ulong, long> DropoutMask => Auto(ref dropoutMask, ElementwiseKernels.DropoutMask);
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWSettings> AdamW => Auto(ref adamW, ElementwiseKernels.AdamW);
    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>> ArgMaxHits => Auto(ref argMaxHits, TrainingKernels.ArgMaxHits);
    public Action<Index1D, ArrayView<float>, ArrayView<float>, float> ClipToNorm => Auto(ref clipToNorm, TrainingKernels.ClipToNorm);

    public Action<Index1D, ArrayView<float>, ArrayView<float>> Unary(UnaryOp op) => op switch
    {
        UnaryOp.Neg => Generic($"Unary.{op}", ElementwiseKernels.Unary<NegFunction>),
        UnaryOp.Abs => Generic($"Unary.{op}", ElementwiseKernels.Unary<AbsFunction>),
        UnaryOp.Exp => Generic($"Unary.{op}", ElementwiseKernels.Unary<ExpFunction>),
        UnaryOp.Log => Generic($"Unary.{op}", ElementwiseKernels.Unary<LogFunction>),
        UnaryOp.Sqrt => Generic($"Unary.{op}", ElementwiseKernels.Unary<SqrtFunction>),
        UnaryOp.Rsqrt => Generic($"Unary.{op}", ElementwiseKernels.Unary<RsqrtFunction>),
        UnaryOp.Square => Generic($"Unary.{op}", ElementwiseKernels.Unary<SquareFunction>),
        UnaryOp.Reciprocal => Generic($"Unary.{op}", ElementwiseKernels.Unary<ReciprocalFunction>),
        UnaryOp.Tanh => Generic($"Unary.{op}", ElementwiseKernels.Unary<TanhFunction>),
        UnaryOp.Sigmoid => Generic($"Unary.{op}", ElementwiseKernels.Unary<SigmoidFunction>),
        UnaryOp.Relu => Generic($"Unary.{op}", ElementwiseKernels.Unary<ReluFunction>),
        UnaryOp.GeluTanh => Generic($"Unary.{op}", ElementwiseKernels.Unary<GeluTanhFunction>),
        _ => Generic($"Unary.{op}", ElementwiseKernels.Unary<GeluErfFunction>),
    };

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> UnaryBackward(UnaryOp op) => op switch
    {
        UnaryOp.Neg => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<NegFunction>),
        UnaryOp.Abs => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<AbsFunction>),
        UnaryOp.Exp => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<ExpFunction>),
        UnaryOp.Log => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<LogFunction>),
        UnaryOp.Sqrt => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<SqrtFunction>),
        UnaryOp.Rsqrt => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<RsqrtFunction>),
        UnaryOp.Square => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<SquareFunction>),
        UnaryOp.Reciprocal => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<ReciprocalFunction>),
        UnaryOp.Tanh => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<TanhFunction>),
        UnaryOp.Sigmoid => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<SigmoidFunction>),
        UnaryOp.Relu => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<ReluFunction>),
        UnaryOp.GeluTanh => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<GeluTanhFunction>),
        _ => Generic($"UnaryBackward.{op}", ElementwiseKernels.UnaryBackward<GeluErfFunction>),
    };

    public Action<Index1D, ArrayView<float>, StridedView, ArrayView<float>, StridedView, ArrayView<float>> Binary(BinaryOp op) => op switch
    {
        BinaryOp.Add => Generic($"Binary.{op}", ElementwiseKernels.Binary<AddFunction>),
        BinaryOp.Sub => Generic($"Binary.{op}", ElementwiseKernels.Binary<SubFunction>),
        BinaryOp.Mul => Generic($"Binary.{op}", ElementwiseKernels.Binary<MulFunction>),
        BinaryOp.Div => Generic($"Binary.{op}", ElementwiseKernels.Binary<DivFunction>),
        BinaryOp.Max => Generic($"Binary.{op}", ElementwiseKernels.Binary<MaxFunction>),
        _ => Generic($"Binary.{op}", ElementwiseKernels.Binary<MinFunction>),
    };

    public Action<Index1D, ArrayView<float>, float, int, ArrayView<float>> BinaryScalar(BinaryOp op) => op switch
    {
        BinaryOp.Add => Generic($"BinaryScalar.{op}", ElementwiseKernels.BinaryScalar<AddFunction>),
        BinaryOp.Sub => Generic($"BinaryScalar.{op}", ElementwiseKernels.BinaryScalar<SubFunction>),
        BinaryOp.Mul => Generic($"BinaryScalar.{op}", ElementwiseKernels.BinaryScalar<MulFunction>),
        BinaryOp.Div => Generic($"BinaryScalar.{op}", ElementwiseKernels.BinaryScalar<DivFunction>),
        BinaryOp.Max => Generic($"BinaryScalar.{op}", ElementwiseKernels.BinaryScalar<MaxFunction>),
        _ => Generic($"BinaryScalar.{op}", ElementwiseKernels.BinaryScalar<MinFunction>),
    };

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> BiasGelu(GeluKind kind) => kind == GeluKind.Tanh
        ? Generic($"BiasGelu.{kind}", ElementwiseKernels.BiasGelu<GeluTanhFunction>)
        : Generic($"BiasGelu.{kind}", ElementwiseKernels.BiasGelu<GeluErfFunction>);

    // ---------------------------------------------------------------- column sums, alone or fused (one group per tile)
    public Action<KernelConfig, ArrayView<float>, ColumnTiles, int, ArrayView<float>, ArrayView<int>, ArrayView<float>> ColumnSums =>
        Grouped(ref columnSums, ColumnTileKernels.ColumnSums);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<int>, ArrayView<float>> BiasProductBackward => Grouped(ref biasProductBackward, ColumnTileKernels.BiasProductBackward);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<int>,
        ArrayView<float>, ArrayView<float>> LayerNormParameterGradients => Grouped(ref layerNormParameters, ColumnTileKernels.LayerNormParameterGradients);

    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<float>, ArrayView<int>,
        ArrayView<float>> BiasGeluBackward(GeluKind kind) =>
        GenericGrouped<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<float>,
            ArrayView<int>, ArrayView<float>>>($"BiasGeluBackward.{kind}", $"BiasGeluBackward.{kind}", kind == GeluKind.Tanh
            ? (Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>>)
                ColumnTileKernels.BiasGeluBackward<GeluTanhFunction>
            : ColumnTileKernels.BiasGeluBackward<GeluErfFunction>);

    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>> GatedGeluBackward(GeluKind kind) =>
        GenericGrouped<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>>>(
            $"GatedGeluBackward.{kind}", $"GatedGeluBackward.{kind}", kind == GeluKind.Tanh
            ? (Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>>)ColumnTileKernels.GatedGeluBackward<GeluTanhFunction>
            : ColumnTileKernels.GatedGeluBackward<GeluErfFunction>);

    // ---------------------------------------------------------------- rows and reductions (one group per row)
    public Action<KernelConfig, ArrayView<float>, int, int, int, ArrayView<float>> ReduceAxis => Grouped(ref reduceAxis, RowKernels.ReduceAxis);
    public Action<Index1D, ArrayView<float>, StridedView, StridedView, int, ArrayView<float>> ReduceToShape => Auto(ref reduceToShape, RowKernels.ReduceToShape);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, ArrayView<float>, ArrayView<float>, ArrayView<float>> LayerNorm =>
        Grouped(ref layerNorm, RowKernels.LayerNorm);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, ArrayView<float>> LayerNormBackward =>
        Grouped(ref layerNormBackward, RowKernels.LayerNormBackward);
    public Action<KernelConfig, ArrayView<float>, int, int, ArrayView<float>> Softmax => Grouped(ref softmax, RowKernels.Softmax);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, ArrayView<float>> SoftmaxBackward => Grouped(ref softmaxBackward, RowKernels.SoftmaxBackward);
    public Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<float>, ArrayView<int>> CrossEntropyRows =>
        Grouped(ref crossEntropyRows, RowKernels.CrossEntropyRows);
    public Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<float>> CrossEntropyMean =>
        Grouped(ref crossEntropyMean, RowKernels.CrossEntropyMean);
    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, ArrayView<float>, ArrayView<float>> CrossEntropyBackward =>
        Auto(ref crossEntropyBackward, RowKernels.CrossEntropyBackward);

    // ---------------------------------------------------------------- embeddings
    public Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<int>> EmbeddingGather => Auto(ref gather, EmbeddingKernels.Gather);
    public Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<int>> GatherIncreasing => Auto(ref gatherIncreasing, EmbeddingKernels.GatherIncreasing);
    public Action<Index1D, ArrayView<int>, int, ArrayView<float>, int, ArrayView<float>> ScatterIncreasing => Auto(ref scatterIncreasing, EmbeddingKernels.ScatterIncreasing);
    public Action<KernelConfig, ArrayView<int>, int, int, ArrayView<long>> SortTiles => Grouped(ref sortTiles, EmbeddingKernels.SortTiles);
    public Action<KernelConfig, ArrayView<long>, int, int> MergeTiles => Grouped(ref mergeTiles, EmbeddingKernels.MergeTiles);
    public Action<Index1D, ArrayView<long>, int, int> BitonicStage => Auto(ref bitonicStage, EmbeddingKernels.BitonicStage);
    public Action<Index1D, ArrayView<long>, int, int, int, ArrayView<float>, ArrayView<float>> ScatterRuns => Auto(ref scatterRuns, EmbeddingKernels.ScatterRuns);

    // ---------------------------------------------------------------- SSM, FFT, GEMM
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> S4DGenerate =>
        Grouped(ref s4dGenerate, SsmKernels.Generate);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> S4DBackward =>
        Grouped(ref s4dBackward, SsmKernels.Backward);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, ArrayView<float>> S4DStepGradient => Grouped(ref s4dStep, SsmKernels.StepGradient);
    public Action<KernelConfig, ArrayView<float>, ArrayView<double>> SumOfSquaresPartials => Grouped(ref sumOfSquaresPartials, TrainingKernels.SumOfSquaresPartials);
    public Action<KernelConfig, ArrayView<double>, int, ArrayView<float>> AddPartials => Grouped(ref addPartials, TrainingKernels.AddPartials);
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> FoldSkip => Auto(ref foldSkip, FftKernels.FoldSkip);
    public Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass> Radix1Stage => Auto(ref radix1Stage, FftKernels.Radix1Stage);
    public Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass> Radix2Stage => Auto(ref radix2Stage, FftKernels.Radix2Stage);
    public Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass> Radix4Stage => Auto(ref radix4Stage, FftKernels.Radix4Stage);
    public Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass> Radix8Stage => Auto(ref radix8Stage, FftKernels.Radix8Stage);
    public Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass> Radix16Stage => Auto(ref radix16Stage, FftKernels.Radix16Stage);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<int>, ArrayView<float>> CrossSpectrum =>
        Grouped(ref crossSpectrum, ColumnTileKernels.CrossSpectrum);
    public Action<Index1D, ArrayView<float>, int, int, ArrayView<float>, ArrayView<float>> KernelGradient => Auto(ref kernelGradient, FftKernels.KernelGradient);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>> SharedKernelSpectrum =>
        Grouped(ref sharedKernelSpectrum, SharedFftKernels.KernelSpectrum);
    public Action<KernelConfig, ArrayView<float>, ColumnLayout, int, ArrayView<float>, int, ArrayView<float>, ArrayView<float>> SharedConvolve =>
        Grouped(ref sharedConvolve, SharedFftKernels.Convolve);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ColumnLayout, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> SharedConvolutionBackward =>
        Grouped(ref sharedConvolutionBackward, SharedFftKernels.ConvolutionBackward);
    public Action<KernelConfig, ArrayView<float>, int, ArrayView<float>, int, ArrayView<float>, ArrayView<float>> SharedKernelGradient =>
        Grouped(ref sharedKernelGradient, SharedFftKernels.KernelGradient);
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, GemmPackShape> GemmPack => Grouped(ref gemmPack, GemmOperandPacking.Pack);
    /// <summary>
    /// The SIMT GEMM specialised for tile configuration <paramref name="tile"/>, <paramref name="precision"/> and
    /// <paramref name="whole"/> tiles or not (<see cref="IGemmEdges"/>; every one counted as "Gemm.Simt").
    /// </summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK> Sgemm(
        GemmTile tile, Precision precision, bool whole) =>
        GenericGrouped<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK>>(
            $"Gemm.Simt.{GemmTiles.Name(tile)}.{precision}{EdgesName(whole)}", "Gemm.Simt", ForTile(tile, new SimtMethods(precision, whole)));

    /// <summary>The kernel method <paramref name="methods"/> gives for the configuration type of <paramref name="tile"/>.</summary>
    private static GemmKernelMethod ForTile<TMethods>(GemmTile tile, TMethods methods) where TMethods : ITileMethods => tile switch
    {
        GemmTile.Tile64x64 => methods.For<GemmTile64x64>(),
        GemmTile.Tile128x64 => methods.For<GemmTile128x64>(),
        GemmTile.Tile64x128 => methods.For<GemmTile64x128>(),
        GemmTile.Tile128x128 => methods.For<GemmTile128x128>(),
        _ => throw new ArgumentOutOfRangeException(nameof(tile), tile, "not a GEMM tile configuration"),
    };

    /// <summary>A GEMM kernel's method for each SIMT tile configuration type (<see cref="IGemmTile"/>).</summary>
    private interface ITileMethods
    {
        GemmKernelMethod For<TTile>() where TTile : struct, IGemmTile;
    }

    private readonly record struct SimtMethods(Precision Precision, bool Whole) : ITileMethods
    {
        public GemmKernelMethod For<TTile>() where TTile : struct, IGemmTile =>
            Whole ? SimtMethod<TTile, WholeTiles>(Precision) : SimtMethod<TTile, EdgeTiles>(Precision);
    }

    private static GemmKernelMethod SimtMethod<TTile, TEdges>(Precision precision) where TTile : struct, IGemmTile where TEdges : struct, IGemmEdges =>
        precision switch
        {
            Precision.Fp32 => GemmKernel.Sgemm<TTile, Fp32Operands, TEdges>,
            Precision.Tf32 => GemmKernel.Sgemm<TTile, Tf32Operands, TEdges>,
            _ => GemmKernel.Sgemm<TTile, Bf16Operands, TEdges>,
        };

    /// <summary>The part of a GEMM kernel's key that says whether it is compiled for whole tiles.</summary>
    private static string EdgesName(bool whole) => whole ? ".whole" : "";

    /// <summary>
    /// The tensor-core GEMM of <paramref name="precision"/> (tf32 or bf16) with the tile that runs plans of
    /// <paramref name="tile"/> (<see cref="GemmTensorCoreKernel.TileFor"/>), for <paramref name="whole"/> tiles or not, on
    /// operands it rounds itself or, <paramref name="preRounded"/>, packed already rounded (TF32 values or BF16 pairs,
    /// <see cref="GemmOperandPacking"/>). Every one counted as "Gemm.Tf32" or "Gemm.Bf16", or "Gemm.Tf32Rounded" or
    /// "Gemm.Bf16Pairs".
    /// </summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK> GemmTensorCores(
        Precision precision, GemmTile tile, bool whole, bool preRounded)
    {
        var planTile = GemmTensorCoreKernel.PlanTile(tile);
        string name = (precision, preRounded) switch
        {
            (Precision.Tf32, false) => "Gemm.Tf32",
            (Precision.Tf32, true) => "Gemm.Tf32Rounded",
            (_, false) => "Gemm.Bf16",
            _ => "Gemm.Bf16Pairs",
        };
        return GenericGrouped<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK>>(
            $"{name}.{GemmTiles.Name(planTile)}{EdgesName(whole)}", name, planTile == GemmTile.Tile128x128
                ? TensorCoreMethod<TensorCoreTile128x128>(precision, whole, preRounded) : TensorCoreMethod<TensorCoreTile64x64>(precision, whole, preRounded));
    }

    private GemmKernelMethod TensorCoreMethod<TTile>(Precision precision, bool whole, bool preRounded) where TTile : struct, ITensorCoreTile =>
        whole ? TensorCoreMethod<TTile, WholeTiles>(precision, preRounded) : TensorCoreMethod<TTile, EdgeTiles>(precision, preRounded);

    /// <summary>
    /// The tensor-core GEMM of <paramref name="precision"/> with tile <typeparamref name="TTile"/> and edges
    /// <typeparamref name="TEdges"/>, on operands it rounds or <paramref name="preRounded"/>, or its emulation.
    /// </summary>
    private GemmKernelMethod TensorCoreMethod<TTile, TEdges>(Precision precision, bool preRounded) where TTile : struct, ITensorCoreTile where TEdges : struct, IGemmEdges =>
        (precision == Precision.Tf32, preRounded, emulateMma) switch
        {
            (true, false, false) => GemmTensorCoreKernel.Tf32<TTile, TEdges>,
            (true, false, true) => GemmTensorCoreEmulation.Tf32<TTile, TEdges>,
            (true, true, false) => GemmTensorCoreKernel.Tf32Rounded<TTile, TEdges>,
            (true, true, true) => GemmTensorCoreEmulation.Tf32Rounded<TTile, TEdges>,
            (false, false, false) => GemmTensorCoreKernel.Bf16<TTile, TEdges>,
            (false, false, true) => GemmTensorCoreEmulation.Bf16<TTile, TEdges>,
            (false, true, false) => GemmTensorCoreKernel.Bf16Pairs<TTile, TEdges>,
            (false, true, true) => GemmTensorCoreEmulation.Bf16Pairs<TTile, TEdges>,
        };

    /// <summary>
    /// The pipelined tensor-core GEMM (<see cref="GemmTensorCorePipelineKernel"/>) of <paramref name="precision"/> with
    /// <paramref name="tile"/> on packed operands, or its emulation; counted as "Gemm.Tf32Pipeline" or "Gemm.Bf16Pipeline".
    /// </summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK> GemmTensorCorePipeline(
        Precision precision, GemmTile tile)
    {
        string name = precision == Precision.Tf32 ? "Gemm.Tf32Pipeline" : "Gemm.Bf16Pipeline";
        return GenericGrouped<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK>>(
            $"{name}.{GemmTiles.Name(tile)}", name, ForTile(tile, new TensorCorePipelineMethods(precision == Precision.Tf32, emulateMma)));
    }

    private readonly record struct TensorCorePipelineMethods(bool Tf32, bool Emulated) : ITileMethods
    {
        public GemmKernelMethod For<TTile>() where TTile : struct, IGemmTile => (Tf32, Emulated) switch
        {
            (true, false) => GemmTensorCorePipelineKernel.Tf32<TTile>,
            (true, true) => GemmTensorCorePipelineKernel.EmulatedTf32<TTile>,
            (false, false) => GemmTensorCorePipelineKernel.Bf16<TTile>,
            (false, true) => GemmTensorCorePipelineKernel.EmulatedBf16<TTile>,
        };
    }

    /// <summary>
    /// The pipelined fp32 SIMT GEMM (<see cref="GemmSimtPipelineKernel"/>) of <paramref name="tile"/> on operands packed
    /// k-major, or its emulation; counted as "Gemm.SimtPipeline".
    /// </summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK> GemmSimtPipeline(
        GemmTile tile) =>
        GenericGrouped<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, GemmSplitK>>(
            $"Gemm.SimtPipeline.{GemmTiles.Name(tile)}", "Gemm.SimtPipeline", ForTile(tile, new SimtPipelineMethods(emulateMma)));

    private readonly record struct SimtPipelineMethods(bool Emulated) : ITileMethods
    {
        public GemmKernelMethod For<TTile>() where TTile : struct, IGemmTile =>
            Emulated ? GemmSimtPipelineKernel.EmulatedFp32<TTile> : GemmSimtPipelineKernel.Fp32<TTile>;
    }

    private Action<Index1D, ArrayView<float>, float>? fill;
    private Action<Index1D, ArrayView<int>, StridedView, ArrayView<int>>? copyStrided32;
    private Action<Index1D, ArrayView<int>>? iota;
    private Action<Index1D, ArrayView<long>, StridedView, ArrayView<long>>? copyStrided64;
    private Action<Index1D, ArrayView<float>, float, ArrayView<float>>? addScaled;
    private Action<Index1D, ArrayView<float>, float, ulong, long>? dropoutMask;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWSettings>? adamW;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, ArrayView<float>>? argMaxHits;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float>? clipToNorm;
    private Action<KernelConfig, ArrayView<float>, int, int, int, ArrayView<float>>? reduceAxis;
    private Action<Index1D, ArrayView<float>, StridedView, StridedView, int, ArrayView<float>>? reduceToShape;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, ArrayView<float>, ArrayView<float>, ArrayView<float>>? layerNorm;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, ArrayView<float>>? layerNormBackward;
    private Action<KernelConfig, ArrayView<float>, ColumnTiles, int, ArrayView<float>, ArrayView<int>, ArrayView<float>>? columnSums;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<int>, ArrayView<float>>? biasProductBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<int>,
        ArrayView<float>, ArrayView<float>>? layerNormParameters;
    private Action<KernelConfig, ArrayView<float>, int, int, ArrayView<float>>? softmax;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int, ArrayView<float>>? softmaxBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<float>, ArrayView<int>>? crossEntropyRows;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<float>>? crossEntropyMean;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, ArrayView<float>, ArrayView<float>>? crossEntropyBackward;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<int>>? gather;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, ArrayView<float>, ArrayView<int>>? gatherIncreasing;
    private Action<Index1D, ArrayView<int>, int, ArrayView<float>, int, ArrayView<float>>? scatterIncreasing;
    private Action<KernelConfig, ArrayView<int>, int, int, ArrayView<long>>? sortTiles;
    private Action<KernelConfig, ArrayView<long>, int, int>? mergeTiles;
    private Action<Index1D, ArrayView<long>, int, int>? bitonicStage;
    private Action<Index1D, ArrayView<long>, int, int, int, ArrayView<float>, ArrayView<float>>? scatterRuns;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>? s4dGenerate;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? s4dBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, ArrayView<float>>? s4dStep;
    private Action<KernelConfig, ArrayView<float>, ArrayView<double>>? sumOfSquaresPartials;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, GemmPackShape>? gemmPack;
    private Action<KernelConfig, ArrayView<double>, int, ArrayView<float>>? addPartials;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>? foldSkip;
    private Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass>? radix1Stage;
    private Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass>? radix2Stage;
    private Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass>? radix4Stage;
    private Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass>? radix8Stage;
    private Action<Index1D, ArrayView<float>, ColumnLayout, ArrayView<float>, int, ArrayView<float>, ColumnLayout, StagePass>? radix16Stage;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ColumnTiles, ArrayView<float>, ArrayView<int>, ArrayView<float>>? crossSpectrum;
    private Action<Index1D, ArrayView<float>, int, int, ArrayView<float>, ArrayView<float>>? kernelGradient;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, ArrayView<float>, ArrayView<float>>? sharedKernelSpectrum;
    private Action<KernelConfig, ArrayView<float>, ColumnLayout, int, ArrayView<float>, int, ArrayView<float>, ArrayView<float>>? sharedConvolve;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ColumnLayout, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>? sharedConvolutionBackward;
    private Action<KernelConfig, ArrayView<float>, int, ArrayView<float>, int, ArrayView<float>, ArrayView<float>>? sharedKernelGradient;

    /// <summary>Compiles an auto-grouped kernel once (ILGPU infers the delegate type from the method), counted as <paramref name="name"/>.</summary>
    private TDelegate Auto<TDelegate>(ref TDelegate? slot, Delegate kernel, [CallerMemberName] string name = "") where TDelegate : Delegate
    {
        lock (generic) return slot ??= (TDelegate)Load(name, kernel, autoGrouped: true);
    }

    /// <summary>Compiles an explicitly grouped kernel once (launched with a <see cref="KernelConfig"/>), counted as <paramref name="name"/>.</summary>
    private TDelegate Grouped<TDelegate>(ref TDelegate? slot, Delegate kernel, [CallerMemberName] string name = "") where TDelegate : Delegate
    {
        lock (generic) return slot ??= (TDelegate)Load(name, kernel, autoGrouped: false);
    }

    /// <summary>Compiles one instantiation of a generic auto-grouped kernel once per name (its counter's name too).</summary>
    private TDelegate Generic<TDelegate>(string name, TDelegate kernel) where TDelegate : Delegate => Cached<TDelegate>(name, name, kernel, autoGrouped: true);

    /// <summary>
    /// Compiles one instantiation of a generic explicitly grouped kernel once per <paramref name="key"/>, as launcher
    /// <typeparamref name="TLauncher"/>, its launches counted as <paramref name="name"/>.
    /// </summary>
    private TLauncher GenericGrouped<TLauncher>(string key, string name, Delegate kernel) where TLauncher : Delegate =>
        Cached<TLauncher>(key, name, kernel, autoGrouped: false);

    private TDelegate Cached<TDelegate>(string key, string name, Delegate kernel, bool autoGrouped) where TDelegate : Delegate
    {
        lock (generic)
        {
            if (!generic.TryGetValue(key, out var loaded)) generic[key] = loaded = Load(name, kernel, autoGrouped);
            return (TDelegate)loaded;
        }
    }

    /// <summary>
    /// Compiles <paramref name="kernel"/> with ILGPU's loader of the matching arity (its generic arguments are the kernel's
    /// parameter types): <c>LoadAutoGroupedStreamKernel</c> gives Action&lt;Index1D, ...&gt;, <c>LoadStreamKernel</c>
    /// gives Action&lt;KernelConfig, ...&gt;, with the kernel's launch bounds (<see cref="GemmLaunchBounds.Of"/>: the
    /// GEMM kernels'). The result is cast to the declared delegate type by the caller, so a mismatch fails on first use
    /// and every launch site is checked by the compiler against that declaration. Launches are counted as
    /// <paramref name="name"/>; when launches are skipped, the delegate does nothing else.
    /// </summary>
    private Delegate Load(string name, Delegate kernel, bool autoGrouped)
    {
        var types = kernel.Method.GetParameters().Select(p => p.ParameterType).ToArray();
        if (skipLaunches) return Launches.Counted(name, DoNothing(autoGrouped ? types : [typeof(KernelConfig), .. types]));
        object[] arguments = autoGrouped ? [Accelerator, kernel] : [Accelerator, kernel, GemmLaunchBounds.Of(kernel.Method)];
        string loader = autoGrouped ? "LoadAutoGroupedStreamKernel" : "LoadStreamKernel";
        var loaderMethod = typeof(KernelLoaders).GetMethods()
            .Single(m => m.Name == loader && m.IsGenericMethodDefinition && m.GetGenericArguments().Length == types.Length
                && m.GetParameters() is [_, var action, .. var rest] && action.ParameterType.Name.StartsWith("Action", StringComparison.Ordinal)
                && rest.Select(p => p.ParameterType).SequenceEqual(autoGrouped ? [] : [typeof(KernelSpecialization)]));
        return Launches.Counted(name, (Delegate)loaderMethod.MakeGenericMethod(types).Invoke(null, arguments)!);
    }

    /// <summary>A launcher that launches nothing: an Action over <paramref name="types"/> with an empty body.</summary>
    private static Delegate DoNothing(Type[] types)
    {
        var parameters = types.Select(Expression.Parameter).ToArray();
        return Expression.Lambda(Expression.GetActionType(types), Expression.Empty(), parameters).Compile();
    }
}
