namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Walks several strided views of one shape together, row by row (a row = the innermost dimension).
/// Dimensions are first simplified: size-1 dimensions are dropped and a dimension is merged into the one
/// outside it when every operand steps through both as one run (outer stride = inner stride * inner size),
/// so e.g. a contiguous (B, L, d) view becomes a single row of B*L*d elements.
/// </summary>
internal sealed class StridedPlan
{
    private readonly int[] shape;
    private readonly int[][] strides;

    /// <summary>Builds the simplified plan; <paramref name="operandStrides"/>[k] are operand k's strides (same rank as shape).</summary>
    public StridedPlan(ReadOnlySpan<int> shape, params int[][] operandStrides)
    {
        this.shape = new int[Math.Max(1, shape.Length)];
        strides = operandStrides.Select(_ => new int[this.shape.Length]).ToArray();
        int rank = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            if (rank > 0 && MergesWithPrevious(operandStrides, d, shape[d], rank))
            {
                this.shape[rank - 1] *= shape[d];
                for (int k = 0; k < strides.Length; k++) strides[k][rank - 1] = operandStrides[k][d];
                continue;
            }
            this.shape[rank] = shape[d];
            for (int k = 0; k < strides.Length; k++) strides[k][rank] = operandStrides[k][d];
            rank++;
        }
        if (rank == 0)
        {
            this.shape[0] = 1; // a single element: one row of length 1 (strides stay 0)
            rank = 1;
        }
        Rank = rank;
        RowCount = 1;
        for (int d = 0; d < rank - 1; d++) RowCount *= this.shape[d];
    }

    /// <summary>Dimensions left after simplification (at least 1).</summary>
    public int Rank { get; }

    /// <summary>Elements in a row (the innermost simplified dimension).</summary>
    public int RowLength => shape[Rank - 1];

    /// <summary>Number of rows (product of the outer simplified dimensions).</summary>
    public int RowCount { get; }

    /// <summary>Stride of operand <paramref name="operand"/> along a row.</summary>
    public int RowStride(int operand) => strides[operand][Rank - 1];

    /// <summary>Offset of row <paramref name="row"/> in operand <paramref name="operand"/>, relative to its base offset.</summary>
    public int RowOffset(int operand, int row)
    {
        int offset = 0;
        for (int d = Rank - 2; d >= 0; d--)
        {
            offset += row % shape[d] * strides[operand][d];
            row /= shape[d];
        }
        return offset;
    }

    private bool MergesWithPrevious(int[][] operandStrides, int d, int size, int rank)
    {
        for (int k = 0; k < operandStrides.Length; k++)
            if ((long)strides[k][rank - 1] != (long)operandStrides[k][d] * size) return false;
        return true;
    }

    /// <summary>Row-major contiguous strides of <paramref name="shape"/>.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var result = new int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            result[d] = stride;
            stride *= shape[d];
        }
        return result;
    }

    /// <summary>Number of elements of <paramref name="shape"/>; throws for a negative dimension.</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 0)
                throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] has negative dimension {d}", nameof(shape));
            count *= shape[d];
        }
        return count;
    }

    /// <summary>
    /// Throws unless every element of the view (offset, strides) over <paramref name="shape"/> lies inside a buffer of
    /// <paramref name="length"/> elements (negative strides reach below the offset).
    /// </summary>
    public static void RequireViewInside(string name, int length, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        if (strides.Length != shape.Length)
            throw new ArgumentException($"{name} has {strides.Length} strides but the shape has rank {shape.Length}", name);
        if (ElementCount(shape) == 0) return;
        long lowest = offset, highest = offset;
        for (int d = 0; d < shape.Length; d++)
        {
            long reach = (long)(shape[d] - 1) * strides[d];
            if (reach < 0) lowest += reach; else highest += reach;
        }
        if (lowest < 0 || highest >= length)
            throw new ArgumentException(
                $"{name} view (offset {offset}, strides [{string.Join(", ", strides.ToArray())}], shape [{string.Join(", ", shape.ToArray())}]) " +
                $"reaches elements {lowest}..{highest}, outside its buffer of length {length}", name);
    }
}
