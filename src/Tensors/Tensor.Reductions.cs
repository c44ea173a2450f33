namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>Sum along <paramref name="axis"/>.</summary>
    public Tensor Sum(int axis, bool keepDim = false) => Reduce(ReduceKind.Sum, axis, keepDim);

    /// <summary>Mean along <paramref name="axis"/>.</summary>
    public Tensor Mean(int axis, bool keepDim = false) => Reduce(ReduceKind.Mean, axis, keepDim);

    /// <summary>Maximum along <paramref name="axis"/>.</summary>
    public Tensor Max(int axis, bool keepDim = false) => Reduce(ReduceKind.Max, axis, keepDim);

    /// <summary>Sum of all elements as a scalar tensor (shape ()).</summary>
    public Tensor SumAll() => Reshape(-1).Sum(0);

    /// <summary>Mean of all elements as a scalar tensor.</summary>
    public Tensor MeanAll() => Reshape(-1).Mean(0);

    /// <summary>
    /// sum of x^2 over every element, accumulated in double and rounded to float once, as a one-element tensor (shape
    /// (1)) on this tensor's device: one reduction, no squared temporary.
    /// </summary>
    public Tensor SumOfSquares()
    {
        var total = Empty(DType.Float32, Device, 1);
        AddSumOfSquaresTo(total, accumulate: false);
        return total;
    }

    /// <summary>
    /// total[0] = (accumulate ? total[0] : 0) + the sum of x^2 over every element (see <see cref="SumOfSquares()"/>);
    /// <paramref name="total"/> is a one-element float tensor on this device. Nothing is read back to the host.
    /// </summary>
    public void AddSumOfSquaresTo(Tensor total, bool accumulate = true)
    {
        RequireDType("SumOfSquares", DType.Float32);
        total.RequireDType("SumOfSquares total", DType.Float32);
        RequireSameDevice("SumOfSquares", this, total);
        if (total.Count != 1 || !total.IsContiguous)
            throw new ArgumentException($"SumOfSquares: the total must be one contiguous element, got shape {total.ShapeString}");
        var source = Contiguous();
        Backend.SumOfSquares(source, total, accumulate);
        ReleaseCopy(source, this);
    }

    /// <summary>Reduces along one axis; the tensor is viewed as (outer, axis, inner).</summary>
    public Tensor Reduce(ReduceKind kind, int axis, bool keepDim = false)
    {
        RequireDType(kind.ToString(), DType.Float32);
        int d = ShapeUtil.NormalizeAxis(kind.ToString(), axis, Rank);
        int outer = (int)ShapeUtil.Count(shape.AsSpan(0, d));
        int inner = (int)ShapeUtil.Count(shape.AsSpan(d + 1));
        if (kind == ReduceKind.Max && shape[d] == 0)
            throw new ArgumentException($"Max: axis {d} of {ShapeString} is empty");
        var y = Empty(DType.Float32, Device, outer, inner);
        Backend.Reduce(kind, Contiguous(), outer, shape[d], inner, y);
        var reduced = shape.ToList();
        if (keepDim) reduced[d] = 1; else reduced.RemoveAt(d);
        return y.Reshape([.. reduced]);
    }

    /// <summary>
    /// sums = the column sums of <paramref name="matrix"/> (rows, cols), or sums += them with
    /// <paramref name="accumulate"/>: a bias gradient written straight into (or added onto) the parameter's gradient.
    /// <paramref name="sums"/> is a contiguous (cols) tensor on the matrix's device.
    /// </summary>
    public static void ColumnSumsInto(Tensor matrix, Tensor sums, bool accumulate)
    {
        matrix.RequireRank("ColumnSumsInto", 2);
        matrix.RequireDType("ColumnSumsInto", DType.Float32);
        RequireSameDevice("ColumnSumsInto", matrix, sums);
        if (sums.Rank != 1 || sums.Size(0) != matrix.Size(1) || !sums.IsContiguous)
            throw new ArgumentException($"ColumnSumsInto: the sums of {matrix.ShapeString} need a contiguous ({matrix.Size(1)}) tensor, got {sums.ShapeString}");
        var packed = matrix.Contiguous();
        matrix.Backend.ColumnSums(packed, sums, accumulate);
        ReleaseCopy(packed, matrix);
    }

    /// <summary>
    /// Sums this tensor (a gradient of a broadcast result) down to <paramref name="target"/> shape. A sum over leading
    /// dims only (a bias or an embedding row broadcast over batch and positions) runs as the column sums of a
    /// (leading elements, kept elements) matrix, which a GPU spreads over all its cores; the backend's general
    /// reduction gives each kept element one thread, so summing (32, 512, 768) to (768) there ran 768 threads.
    /// </summary>
    public Tensor SumToShape(ReadOnlySpan<int> target)
    {
        if (shape.AsSpan().SequenceEqual(target)) return this;
        var alignedTarget = new int[Rank];
        int lead = Rank - target.Length;
        if (lead < 0) throw new ArgumentException($"SumToShape: cannot reduce {ShapeString} to larger rank {ShapeUtil.Format(target)}");
        for (int i = 0; i < Rank; i++) alignedTarget[i] = i < lead ? 1 : target[i - lead];
        if (LeadingDimsSummedTo(alignedTarget) is var (rows, cols))
        {
            var sums = Empty(DType.Float32, Device, cols);
            ColumnSumsInto(Contiguous().Reshape(rows, cols), sums, accumulate: false);
            return sums.Reshape(target.ToArray());
        }
        var result = Allocate(DType.Float32, Device, alignedTarget, zeroed: true);
        Backend.ReduceToShape(Contiguous(), result);
        return result.Reshape(target.ToArray());
    }

    /// <summary>
    /// This tensor as a (rows, cols) matrix whose column sums are the sum to <paramref name="alignedTarget"/> (this
    /// tensor's rank), when that is 1 on a run of leading dims (rows: their elements) and equal to this shape after
    /// them (cols); null when the sum also covers a later dim.
    /// </summary>
    private (int Rows, int Cols)? LeadingDimsSummedTo(int[] alignedTarget)
    {
        int split = 0, rows = 1, cols = 1;
        while (split < Rank && alignedTarget[split] == 1) rows *= shape[split++];
        for (int d = split; d < Rank; d++)
        {
            if (alignedTarget[d] != shape[d]) return null;
            cols *= shape[d];
        }
        return (rows, cols);
    }
}
