using ILGPU;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// A strided view passed to kernels by value: rank, element offset, and up to <see cref="MaxRank"/> sizes and strides
/// (stride 0 broadcasts, a negative stride flips). Maps a row-major position of the view's shape to a storage index.
/// </summary>
public readonly struct StridedView
{
    /// <summary>The most dimensions a view passed to a GPU kernel may have.</summary>
    public const int MaxRank = 6;

    private readonly int rank, offset;
    private readonly int size0, size1, size2, size3, size4, size5;
    private readonly int stride0, stride1, stride2, stride3, stride4, stride5;

    private StridedView(int rank, int offset, ReadOnlySpan<int> sizes, ReadOnlySpan<int> strides)
    {
        this.rank = rank;
        this.offset = offset;
        size0 = At(sizes, 0); size1 = At(sizes, 1); size2 = At(sizes, 2); size3 = At(sizes, 3); size4 = At(sizes, 4); size5 = At(sizes, 5);
        stride0 = At(strides, 0); stride1 = At(strides, 1); stride2 = At(strides, 2); stride3 = At(strides, 3); stride4 = At(strides, 4); stride5 = At(strides, 5);
    }

    /// <summary>A view of <paramref name="sizes"/> with <paramref name="strides"/> starting at <paramref name="offset"/>.</summary>
    public static StridedView Create(ReadOnlySpan<int> sizes, ReadOnlySpan<int> strides, int offset)
    {
        if (sizes.Length > MaxRank)
            throw new ArgumentException($"GPU kernels take views of at most {MaxRank} dimensions, got rank {sizes.Length}");
        if (strides.Length != sizes.Length)
            throw new ArgumentException($"view has {sizes.Length} dimensions but {strides.Length} strides");
        return new StridedView(sizes.Length, offset, sizes, strides);
    }

    /// <summary>Storage index of the element at row-major position <paramref name="flat"/>.</summary>
    public int Index(int flat)
    {
        int index = offset;
        for (int d = rank - 1; d >= 0; d--)
        {
            int size = Size(d);
            index += flat % size * Stride(d);
            flat /= size;
        }
        return index;
    }

    private int Size(int d) => d == 0 ? size0 : d == 1 ? size1 : d == 2 ? size2 : d == 3 ? size3 : d == 4 ? size4 : size5;

    private int Stride(int d) => d == 0 ? stride0 : d == 1 ? stride1 : d == 2 ? stride2 : d == 3 ? stride3 : d == 4 ? stride4 : stride5;

    private static int At(ReadOnlySpan<int> values, int d) => d < values.Length ? values[d] : 1;
}
