using BiGS.Native.Gpu;
using System.Text.RegularExpressions;
using BiGS.Native.Gpu.Kernels;
using Xunit;

namespace BiGS.Native.Tests.Gpu;

/// <summary>
/// The tensor-core GEMM kernels compiled to PTX by ILGPU's PTX backend for Ampere (sm_80) and Hopper (sm_90) without a
/// device, with each tile configuration: they compile, their <c>mma.sync</c> instructions are there (8 per k-slice for
/// 2 x 4 mma tiles per warp, 16 for 4 x 4) and name the accumulator registers directly, with no local-memory traffic
/// around them, and the split-k protocol is there. Their numerics run on a CUDA device (<see cref="GemmEpilogueCudaTests"/>)
/// and, with the mma emulated, in CI (<see cref="GemmEpilogueEmulatedMmaTests"/>, <see cref="GemmTileConfigurationEmulatedMmaTests"/>).
/// </summary>
public class GemmTensorCorePtxTests
{
    /// <summary>Each tensor-core kernel with each tile configuration.</summary>
    public static TheoryData<string, Type> KernelsAndTiles() => [.. RoundingKernelsAndTiles(), .. PackedKernelsAndTiles()];

    /// <summary>The kernels that round as they stage, with each tile configuration.</summary>
    public static TheoryData<string, Type> RoundingKernelsAndTiles() => WithEachTile(nameof(GemmTensorCoreKernel.Tf32), nameof(GemmTensorCoreKernel.Bf16));

    /// <summary>The kernels on operands packed in row pairs, with each tile configuration.</summary>
    public static TheoryData<string, Type> PackedKernelsAndTiles() =>
        WithEachTile(nameof(GemmTensorCoreKernel.Tf32Rounded), nameof(GemmTensorCoreKernel.Bf16Pairs));

    private static TheoryData<string, Type> WithEachTile(params string[] kernels)
    {
        var data = new TheoryData<string, Type>();
        foreach (var tile in new[] { typeof(TensorCoreTile64x64), typeof(TensorCoreTile128x128) })
            foreach (string kernel in kernels) data.Add(kernel, tile);
        return data;
    }

    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32), typeof(TensorCoreTile64x64), 80, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16), typeof(TensorCoreTile64x64), 80, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32), typeof(TensorCoreTile128x128), 90, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16), typeof(TensorCoreTile128x128), 90, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Rounded), typeof(TensorCoreTile64x64), 80, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Pairs), typeof(TensorCoreTile128x128), 90, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32")]
    public void Kernel_compiles_to_ptx_with_its_mma_instructions(string kernel, Type tile, int architecture, string mma)
    {
        string ptx = Compile(kernel, tile, architecture);
        // ILGPU 1.5.3 targets sm_80 when asked for sm_90 (PTX for sm_80 runs on sm_90).
        int target = int.Parse(Regex.Match(ptx, @"\.target sm_(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(target, 80, architecture);
        var lines = ptx.Split('\n');
        var mmaLines = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(mma, StringComparison.Ordinal)).ToArray();
        int perStep = MmaPerStep(tile);
        Assert.True(mmaLines.Length > 0 && mmaLines.Length % perStep == 0, $"{kernel}: {mmaLines.Length} '{mma}' in the PTX, expected a multiple of {perStep}");
        foreach (int i in mmaLines)
        {
            Assert.Contains("{gemm_acc", lines[i], StringComparison.Ordinal);
            Assert.DoesNotContain(".local", lines[i - 1] + lines[i + 1], StringComparison.Ordinal);
        }
        AssertSplitK(ptx, kernel);
    }

    /// <summary>
    /// The split-k protocol (<see cref="GemmSplitK"/>): a device-wide fence, the arrival counter and the coherent reads,
    /// and the barrier that ors the first thread's answer to every thread (no shared flag).
    /// </summary>
    private static void AssertSplitK(string ptx, string kernel)
    {
        Assert.Contains("membar.gl", ptx, StringComparison.Ordinal);
        Assert.Contains("bar.red.or.pred", ptx, StringComparison.Ordinal);
        Assert.True(Regex.Matches(ptx, @"atom\.add\.u32").Count >= 2, $"{kernel}: fewer than 2 atom.add.u32 (counter and reads)");
    }

    [Theory]
    [InlineData(typeof(GemmTile64x64), typeof(EdgeTiles))]
    [InlineData(typeof(GemmTile128x64), typeof(EdgeTiles))]
    [InlineData(typeof(GemmTile64x128), typeof(EdgeTiles))]
    [InlineData(typeof(GemmTile128x128), typeof(EdgeTiles))]
    [InlineData(typeof(GemmTile64x64), typeof(WholeTiles))]
    [InlineData(typeof(GemmTile128x128), typeof(WholeTiles))]
    public void Simt_kernel_stages_and_reads_its_tiles_with_128_bit_accesses_and_no_tensor_core_instruction(Type tile, Type edges)
    {
        string ptx = CompileSimt(tile, edges);
        Assert.DoesNotContain("mma.sync", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
        AssertSplitK(ptx, tile.Name);
        AssertVectorStaging(ptx, tile.Name);
        // at each k a thread reads its values of op(a) and op(b) with four 128-bit loads from the 16-byte aligned shared
        // tiles (the stage's steps are written out, so the PTX holds four for each of its Depth steps), and no scalar
        // shared load
        Assert.Equal(4 * GemmKernel.Depth, System.Text.RegularExpressions.Regex.Matches(ptx, @"ld\.shared\.v4\.f32").Count);
        // from 64-bit indices, so that ptxas folds each step's constant offset into its load: all but each operand's first
        Assert.Equal(4 * GemmKernel.Depth - 2, LoadsFromA64BitIndex(ptx, @"ld\.shared\.v4\.f32"));
        Assert.DoesNotContain("ld.shared.f32", ptx, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(ptx, @"\.shared \.align 16 ").Count);
    }

    /// <summary>
    /// In the kernels that round as they stage, each fragment register is one 32-bit shared load in both precisions
    /// (BF16 pairs are packed in shared memory as the mma takes them): a warp's k-step loads its a fragments of 4
    /// registers (2 or 4) and 4 b fragments of 2 for its mma
    /// (8 or 16), so 2 loads per mma with 64 x 64 tiles and 1.5 with 128 x 128, and no other (split k's last group learns
    /// it from a barrier reduction, <see cref="AssertSplitK"/>). Each fragment load's address is a 64-bit word index times 4 plus the tile, so that ptxas folds the
    /// index's constant part into the load.
    /// </summary>
    [Theory]
    [MemberData(nameof(RoundingKernelsAndTiles))]
    public void Tensor_core_kernels_load_each_fragment_register_with_one_shared_load(string kernel, Type tile)
    {
        string ptx = Compile(kernel, tile, 80);
        int mma = Regex.Matches(ptx, @"mma\.sync").Count, loads = Regex.Matches(ptx, @"ld\.shared\.(f32|b32|u32)").Count;
        int mmaRows = MmaPerStep(tile) / 4, fragmentLoads = 4 * mmaRows + 2 * 4;
        Assert.Equal(MmaPerStep(tile), mma);
        Assert.Equal(fragmentLoads, loads);
        Assert.Equal(fragmentLoads, LoadsFromA64BitIndex(ptx, @"ld\.shared\.(f32|b32|u32)"));
    }

    /// <summary>
    /// On operands packed in row pairs (<see cref="GemmTensorCoreKernel.PreRoundedMma{TMma}"/>) a fragment of a, or the b
    /// fragments of two blocks of 8 columns, is one 128-bit shared load: a k-step loads 2 or 4 vectors of a and 2 of b
    /// for its 8 or 16 mma, those after each operand's first from a 64-bit index (ptxas folds their constant offsets into
    /// the loads); no 32-bit or 64-bit shared load is left.
    /// </summary>
    [Theory]
    [MemberData(nameof(PackedKernelsAndTiles))]
    public void Kernels_on_row_pairs_load_fragments_with_128_bit_shared_loads(string kernel, Type tile)
    {
        string ptx = Compile(kernel, tile, 80);
        int mmaRows = MmaPerStep(tile) / 4, vectorLoads = mmaRows + 2;
        Assert.Equal(MmaPerStep(tile), Regex.Matches(ptx, @"mma\.sync").Count);
        Assert.Equal(vectorLoads, Regex.Matches(ptx, @"ld\.shared\.v4\.(f32|b32|u32)").Count);
        // each operand's first load is at the lane's vector; the others, constant offsets from it in a 64-bit index
        Assert.Equal(vectorLoads - 2, LoadsFromA64BitIndex(ptx, @"ld\.shared\.v4\.(f32|b32|u32)"));
        Assert.Equal(0, Regex.Matches(ptx, @"ld\.shared\.(f32|b32|u32|b64|u64)").Count);
    }

    /// <summary>
    /// The kernels on packed, pre-rounded operands stage them unchanged: their whole-tile kernels store each slot of four
    /// words with one 128-bit shared store, and hold fewer of the rounding's instructions than the kernels that round as
    /// they stage: none of BF16's <c>cvt.rn.bf16x2.f32</c>, and of TF32's finiteness test (<c>abs.f32</c>, one per value
    /// staged) only the epilogue's.
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Rounded), nameof(GemmTensorCoreKernel.Tf32), "abs.f32")]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Pairs), nameof(GemmTensorCoreKernel.Bf16), "cvt.rn.bf16x2.f32")]
    public void Pre_rounded_kernels_stage_the_packed_words_unchanged(string preRounded, string rounding, string roundingInstruction)
    {
        foreach (var tile in new[] { typeof(TensorCoreTile64x64), typeof(TensorCoreTile128x128) })
        {
            string packed = Compile(preRounded, tile, 80, typeof(WholeTiles)), unpacked = Compile(rounding, tile, 80, typeof(WholeTiles));
            Assert.Matches(@"st\.shared\.v4\.(f32|b32|u32)", packed);
            int inPacked = Regex.Matches(packed, Regex.Escape(roundingInstruction)).Count, inUnpacked = Regex.Matches(unpacked, Regex.Escape(roundingInstruction)).Count;
            Assert.True(inPacked < inUnpacked, $"{preRounded} {tile.Name}: {inPacked} {roundingInstruction}, {rounding}: {inUnpacked}");
            if (roundingInstruction.StartsWith("cvt", StringComparison.Ordinal)) Assert.Equal(0, inPacked);
        }
    }

    /// <summary>
    /// The epilogue places each accumulator in c with shifts and masks: ptxas turns a <c>rem.s32</c> by a constant into a
    /// full division (about 20 instructions), which the epilogue's loop over 32 or 64 accumulators paid for each (6 of
    /// the kernel's 10 divisions before). What remains is the prologue's: lane and warp, and the batch and part of k.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelsAndTiles))]
    public void Tensor_core_kernels_divide_integers_only_in_their_prologue(string kernel, Type tile) =>
        Assert.InRange(Regex.Matches(Compile(kernel, tile, 80), @"\b(div|rem)\.[su](32|64)\b").Count, 0, 4);

    /// <summary>
    /// Whole-tile kernels (<see cref="WholeTiles"/>) hold no bounds check in their staging: of the clamps that find how
    /// much of a slot lies inside the matrix (40 min.s32 and 40 max.s32 in each kernel for any shape) only the part's
    /// end of k is left, one min.s32.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelsAndTiles))]
    public void Whole_tile_kernels_check_no_bounds_in_their_staging(string kernel, Type tile) =>
        AssertNoStagingBounds(Compile(kernel, tile, 80, typeof(WholeTiles)), kernel);

    /// <summary>The SIMT kernel as <see cref="Whole_tile_kernels_check_no_bounds_in_their_staging"/>.</summary>
    [Fact]
    public void Whole_tile_simt_kernel_checks_no_bounds_in_its_staging() =>
        AssertNoStagingBounds(CompileSimt(typeof(GemmTile128x128), typeof(WholeTiles)), "Sgemm");

    private static void AssertNoStagingBounds(string ptx, string kernel)
    {
        Assert.True(Regex.Matches(ptx, @"\bmin\.s32\b").Count == 1, $"{kernel}: min.s32 other than the part's end of k");
        Assert.DoesNotMatch(@"\bmax\.s32\b", ptx);
    }

    /// <summary>
    /// <paramref name="kernel"/> of <see cref="GemmTensorCoreKernel"/> with tile configuration <paramref name="tile"/>,
    /// for any shape (<see cref="EdgeTiles"/>) unless <paramref name="edges"/> says otherwise, in PTX.
    /// </summary>
    private static string Compile(string kernel, Type tile, int architecture, Type? edges = null) =>
        KernelPtx.Compile(typeof(GemmTensorCoreKernel).GetMethod(kernel)!.MakeGenericMethod(tile, edges ?? typeof(EdgeTiles)), architecture);

    /// <summary>The fp32 SIMT kernel with tile configuration <paramref name="tile"/> and <paramref name="edges"/>, in PTX.</summary>
    private static string CompileSimt(Type tile, Type edges) =>
        KernelPtx.Compile(typeof(GemmKernel).GetMethod(nameof(GemmKernel.Sgemm))!.MakeGenericMethod(tile, typeof(Fp32Operands), edges), 80);

    /// <summary>A warp's mma per k-step: 4 columns of mma tiles by WarpRows / 16 rows.</summary>
    private static int MmaPerStep(Type tile) => 4 * ((ITensorCoreTile)Activator.CreateInstance(tile)!).WarpRows / 16;

    /// <summary>
    /// The loads matching <paramref name="load"/> whose address the line before computes from a 64-bit index
    /// (<c>mad.lo.u64 address, index, size, tile</c>). A 32-bit index is widened after its sum (<c>mul.wide</c>), and a
    /// 32-bit sum may wrap, so ptxas cannot fold a constant part of it into the load's offset.
    /// </summary>
    private static int LoadsFromA64BitIndex(string ptx, string load)
    {
        var lines = ptx.Split('\n');
        return Enumerable.Range(1, lines.Length - 1).Count(i =>
            Regex.IsMatch(lines[i], load) && Regex.Match(lines[i], @"\[(%rd\d+)\]") is { Success: true } address
            && Regex.IsMatch(lines[i - 1], $@"mad\.lo\.u64\s+{Regex.Escape(address.Groups[1].Value)},"));
    }

    /// <summary>
    /// The BF16 kernel rounds and packs its operands with <c>cvt.rn.bf16x2.f32</c>, one instruction a pair (at least two
    /// for each of the four 64-bit vector stores), not with <see cref="GemmRounding.ToBf16"/>'s arithmetic (whose
    /// + 0x7FFF would show as the operand 32767; as a whole word, since ILGPU's labels are long numbers that can hold
    /// those digits, such as L_2848332767). The conversions come two to an asm block (one line of PTX), four values
    /// with one <c>out</c> operand, which ILGPU passes through local memory (a block a pair stored twice as often).
    /// </summary>
    [Theory]
    [InlineData(typeof(TensorCoreTile64x64))]
    [InlineData(typeof(TensorCoreTile128x128))]
    public void Bf16_kernel_rounds_and_packs_its_operands_with_the_conversion_instruction(Type tile)
    {
        string ptx = Compile(nameof(GemmTensorCoreKernel.Bf16), tile, 80);
        Assert.True(Regex.Matches(ptx, @"cvt\.rn\.bf16x2\.f32").Count >= 8, "fewer than 8 cvt.rn.bf16x2.f32");
        Assert.All(ptx.Split('\n').Where(line => line.Contains("cvt.rn.bf16x2.f32", StringComparison.Ordinal)),
            line => Assert.Equal(2, Regex.Matches(line, @"cvt\.rn\.bf16x2\.f32").Count));
        Assert.DoesNotMatch(@"\b32767\b", ptx);
    }

    [Theory]
    [MemberData(nameof(KernelsAndTiles))]
    public void Tensor_core_kernels_stage_with_vector_loads_and_stores(string kernel, Type tile) =>
        AssertVectorStaging(Compile(kernel, tile, 80), kernel);

    /// <summary>
    /// Each operand's two shared stages take what its layout needs: rows of the stage's k plus 4 padding words, in fp32
    /// words for TF32 and in words of two BF16 halves for BF16 (half the shared memory, less 4 words a row); rows of
    /// the stage's words unpadded where they arrive packed in row pairs (TF32 values or BF16 pairs).
    /// </summary>
    [Theory]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32), typeof(TensorCoreTile64x64), 2 * 64 * (32 + 4) * 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16), typeof(TensorCoreTile64x64), 2 * 64 * (32 / 2 + 4) * 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32), typeof(TensorCoreTile128x128), 2 * 128 * (16 + 4) * 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16), typeof(TensorCoreTile128x128), 2 * 128 * (16 / 2 + 4) * 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Tf32Rounded), typeof(TensorCoreTile64x64), 2 * 64 * 32 * 4)]
    [InlineData(nameof(GemmTensorCoreKernel.Bf16Pairs), typeof(TensorCoreTile128x128), 2 * 128 * 16 * 4)]
    public void Tensor_core_kernels_allocate_two_stages_of_their_layout_per_operand(string kernel, Type tile, int bytes)
    {
        var stages = Regex.Matches(Compile(kernel, tile, 80), @"\.shared \.align 16 \.b8 \w+\[(\d+)\]");
        Assert.Equal([bytes, bytes], stages.Select(stage => int.Parse(stage.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The staging of op(a) and op(b) has its 128-bit path (<c>ld.v4.f32</c>: ILGPU addresses device memory generically)
    /// for each operand, in the first stage and in the loop: at least 4 such loads; and each of those four sites stores a
    /// run that is adjacent in the shared tile with one vector store (128 bits of fp32, or 64 bits of four BF16 halves)
    /// instead of four scalar ones, which a warp's threads would make into bank conflicts.
    /// </summary>
    private static void AssertVectorStaging(string ptx, string kernel)
    {
        int vectorLoads = Regex.Matches(ptx, @"\bld(\.global)?\.v4\.f32\b").Count;
        Assert.True(vectorLoads >= 4, $"{kernel}: {vectorLoads} 128-bit loads (ld.v4.f32) in the PTX, expected at least 4");
        string vectorStore = kernel == nameof(GemmTensorCoreKernel.Bf16) ? @"st\.shared\.(b64|u64)\b" : @"st\.shared\.v4\.f32\b";
        Assert.Equal(4, Regex.Matches(ptx, vectorStore).Count);
    }
}
