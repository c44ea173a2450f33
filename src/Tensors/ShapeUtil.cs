namespace BiGS.Native.Tensors;

/// <summary>Shape arithmetic shared by the tensor layer: element counts, strides, broadcasting, formatting.</summary>
public static class ShapeUtil
{
    /// <summary>Number of elements of a shape (1 for a scalar shape ()).</summary>
    public static long Count(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        return count;
    }

    /// <summary>Row-major (C-order) strides of a contiguous tensor of this shape.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>Formats a shape as "(3,4)".</summary>
    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(",", shape.ToArray()) + ")";

    /// <summary>
    /// NumPy broadcasting: align shapes on the right; each pair of dims must be equal or one of them 1.
    /// </summary>
    public static int[] Broadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = DimFromRight(a, rank - 1 - i);
            int db = DimFromRight(b, rank - 1 - i);
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast: dimension {i} is {da} vs {db}");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    private static int DimFromRight(ReadOnlySpan<int> shape, int fromRight) =>
        fromRight < shape.Length ? shape[shape.Length - 1 - fromRight] : 1;

    /// <summary>Validates dims (non-negative) and returns a copy.</summary>
    public static int[] Checked(ReadOnlySpan<int> shape)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"shape {Format(shape)} has a negative dimension");
        return shape.ToArray();
    }

    /// <summary>Resolves a possibly negative axis (-1 = last) against a rank.</summary>
    public static int NormalizeAxis(string op, int axis, int rank)
    {
        int resolved = axis < 0 ? axis + rank : axis;
        if (resolved < 0 || resolved >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} is out of range for rank {rank}");
        return resolved;
    }
}
