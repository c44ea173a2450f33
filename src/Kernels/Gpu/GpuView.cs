namespace BiGS.Native.Kernels.Gpu;

/// <summary>
/// A strided view (rank, element offset, shape, strides) passed by value to kernels; its layout matches
/// <c>view_t</c> in prelude.h.
/// </summary>
public unsafe struct GpuView
{
    /// <summary>The most dimensions a view can have on a GPU (MAX_RANK in prelude.h).</summary>
    public const int MaxRank = 8;

    private int rank;
    private int offset;
    private fixed int shape[MaxRank];
    private fixed int strides[MaxRank];

    /// <summary>Number of dimensions.</summary>
    public readonly int Rank => rank;

    /// <summary>Storage index of the first element.</summary>
    public readonly int Offset => offset;

    /// <summary>Builds a view; throws when the rank exceeds <see cref="MaxRank"/>.</summary>
    public static GpuView Create(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset)
    {
        if (shape.Length > MaxRank)
            throw new ArgumentException($"GPU kernels take views of at most {MaxRank} dimensions, got rank {shape.Length}");
        if (strides.Length != shape.Length)
            throw new ArgumentException($"view has {shape.Length} dimensions but {strides.Length} strides");
        var view = new GpuView { rank = shape.Length, offset = offset };
        for (int d = 0; d < shape.Length; d++)
        {
            view.shape[d] = shape[d];
            view.strides[d] = strides[d];
        }
        return view;
    }
}
