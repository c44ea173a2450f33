namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product op(a) op(b) over the last two dims, op = transpose when asked. Leading (batch) dims must be
    /// equal or absent/1 on one side (broadcast). A rank-2 right operand applied to a batched left operand without
    /// transposes runs as one large GEMM.
    /// </summary>
    /// <remarks>Runs at <see cref="MatMulPrecision.Current"/>.</remarks>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        a.RequireDType("matmul", DType.Float32);
        b.RequireDType("matmul", DType.Float32);
        RequireSameDevice("matmul", a, b);
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul: {a.ShapeString} x {b.ShapeString}: both operands need at least 2 dims");
        int m = transposeA ? a.Size(-1) : a.Size(-2), k = transposeA ? a.Size(-2) : a.Size(-1);
        int kb = transposeB ? b.Size(-1) : b.Size(-2), n = transposeB ? b.Size(-2) : b.Size(-1);
        if (k != kb)
            throw new ArgumentException($"matmul: {a.ShapeString} x {b.ShapeString}: inner dimensions {k} and {kb} differ");

        var batchA = a.shape[..^2];
        var batchB = b.shape[..^2];
        if (b.Rank == 2 && !transposeA) return MatMulFlattened(a, b, transposeB, m, n);
        var batch = BroadcastBatch(a, b, batchA, batchB);
        int batchCount = (int)ShapeUtil.Count(batch);
        var a3 = a.Contiguous().Reshape((int)ShapeUtil.Count(batchA), a.Size(-2), a.Size(-1));
        var b3 = b.Contiguous().Reshape((int)ShapeUtil.Count(batchB), b.Size(-2), b.Size(-1));
        var c = Empty(DType.Float32, a.Device, batchCount, m, n);
        a.Backend.MatMul(a3, transposeA, b3, transposeB, c, GemmEpilogue.None, MatMulPrecision.Current);
        ReleaseCopy(a3, a);
        ReleaseCopy(b3, b);
        return c.Reshape([.. batch, m, n]);
    }

    /// <summary>(..., m, k) x (k, n): the leading dims fold into the rows of one GEMM.</summary>
    private static Tensor MatMulFlattened(Tensor a, Tensor b, bool transposeB, int m, int n)
    {
        int rows = (int)(a.Count / a.Size(-1));
        var a3 = a.Contiguous().Reshape(1, rows, a.Size(-1));
        var b3 = b.Contiguous().Reshape(1, b.Size(0), b.Size(1));
        var c = Empty(DType.Float32, a.Device, 1, rows, n);
        a.Backend.MatMul(a3, false, b3, transposeB, c, GemmEpilogue.None, MatMulPrecision.Current);
        ReleaseCopy(a3, a);
        ReleaseCopy(b3, b);
        return c.Reshape([.. a.shape[..^2], m, n]);
    }

    private static int[] BroadcastBatch(Tensor a, Tensor b, int[] batchA, int[] batchB)
    {
        long countA = ShapeUtil.Count(batchA), countB = ShapeUtil.Count(batchB);
        if (countA == 1) return batchB;
        if (countB == 1 || batchA.AsSpan().SequenceEqual(batchB)) return batchA;
        throw new ArgumentException($"matmul: {a.ShapeString} x {b.ShapeString}: batch dimensions {ShapeUtil.Format(batchA)} and {ShapeUtil.Format(batchB)} differ");
    }

    /// <summary>
    /// The GEMM entry point of a Linear layer's three products (NN, NT, TN: forward, dX, dW) with a fused
    /// <paramref name="epilogue"/>: c = act(alpha op(a) op(b) + beta c + bias) * gate + residual, in place, at
    /// <see cref="MatMulPrecision.Current"/>. a and b are rank 2 (any strides); c is rank 2 and contiguous.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes that do not chain, or an epilogue tensor of the wrong shape, dtype or device.</exception>
    public static void GemmInto(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor c, GemmEpilogue epilogue)
    {
        if (a.Rank != 2 || b.Rank != 2 || c.Rank != 2 || !c.IsContiguous)
            throw new ArgumentException($"gemm: needs rank-2 operands and a contiguous target, got {a.ShapeString} x {b.ShapeString} -> {c.ShapeString}");
        RequireSameDevice("gemm", a, b);
        RequireSameDevice("gemm", a, c);
        int m = transposeA ? a.Size(1) : a.Size(0), k = transposeA ? a.Size(0) : a.Size(1);
        int kb = transposeB ? b.Size(1) : b.Size(0), n = transposeB ? b.Size(0) : b.Size(1);
        if (k != kb) throw new ArgumentException($"gemm: {a.ShapeString} x {b.ShapeString}: inner dimensions {k} and {kb} differ");
        if (c.Size(0) != m || c.Size(1) != n)
            throw new ArgumentException($"gemm: result is ({m},{n}) but the target is {c.ShapeString}");
        RequireEpilogueOperand("bias", epilogue.Bias, c, [n]);
        RequireEpilogueOperand("gate", epilogue.Gate, c, [m, n]);
        RequireEpilogueOperand("residual", epilogue.Residual, c, [m, n]);
        if (epilogue.Gate is not null && epilogue.Residual is not null)
            throw new ArgumentException("gemm: an epilogue takes a gate or a residual, not both");
        RequireEpilogueOperand("product", epilogue.Product, c, [m, n]);
        var (packedA, packedB) = (a.Contiguous(), b.Contiguous());
        a.Backend.MatMul(packedA.Unsqueeze(0), transposeA, packedB.Unsqueeze(0), transposeB, c.Unsqueeze(0), epilogue, MatMulPrecision.Current);
        ReleaseCopy(packedA, a);
        ReleaseCopy(packedB, b);
    }

    private static void RequireEpilogueOperand(string name, Tensor? operand, Tensor c, int[] shape)
    {
        if (operand is null) return;
        operand.RequireDType($"gemm {name}", DType.Float32);
        RequireSameDevice($"gemm {name}", c, operand);
        if (!operand.Shape.SequenceEqual(shape) || !operand.IsContiguous)
            throw new ArgumentException($"gemm: the {name} must be contiguous of shape {ShapeUtil.Format(shape)}, got {operand.ShapeString}");
    }
}
