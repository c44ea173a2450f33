namespace BiGS.Native.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// The same elements with a new shape (one dimension may be -1 and is inferred). A view when the layout
    /// allows, otherwise a contiguous copy.
    /// </summary>
    public Tensor Reshape(params int[] newShape)
    {
        var resolved = ResolveReshape(newShape);
        var source = IsContiguous ? this : Contiguous();
        return new Tensor(source.Storage, resolved, ShapeUtil.ContiguousStrides(resolved), source.Offset);
    }

    /// <summary>Reorders dimensions: result dim i is this tensor's dim order[i]. A view.</summary>
    public Tensor Permute(params int[] order)
    {
        if (order.Length != Rank || order.Distinct().Count() != Rank || order.Any(d => d < 0 || d >= Rank))
            throw new ArgumentException($"Permute: order ({string.Join(",", order)}) is not a permutation of the {Rank} dims of {ShapeString}");
        return new Tensor(Storage, order.Select(d => shape[d]).ToArray(), order.Select(d => strides[d]).ToArray(), Offset);
    }

    /// <summary>Swaps two dimensions. A view.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = ShapeUtil.NormalizeAxis("Transpose", dim0, Rank), b = ShapeUtil.NormalizeAxis("Transpose", dim1, Rank);
        var order = Enumerable.Range(0, Rank).ToArray();
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>Elements [start, start+length) along <paramref name="dim"/>. A view.</summary>
    public Tensor Slice(int dim, int start, int length)
    {
        int d = ShapeUtil.NormalizeAxis("Slice", dim, Rank);
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: [{start}, {start + length}) is outside dimension {d} of size {shape[d]} in {ShapeString}");
        var newShape = ShapeArray();
        newShape[d] = length;
        return new Tensor(Storage, newShape, (int[])strides.Clone(), Offset + start * strides[d]);
    }

    /// <summary>Reverses the order along <paramref name="dim"/> (negative stride). A view.</summary>
    public Tensor Flip(int dim)
    {
        int d = ShapeUtil.NormalizeAxis("Flip", dim, Rank);
        var newStrides = (int[])strides.Clone();
        newStrides[d] = -strides[d];
        int offset = shape[d] == 0 ? Offset : Offset + (shape[d] - 1) * strides[d];
        return new Tensor(Storage, ShapeArray(), newStrides, offset);
    }

    /// <summary>Broadcasts to a larger shape (NumPy rules; new leading dims allowed) with stride 0. A view.</summary>
    public Tensor Expand(params int[] target)
    {
        if (target.Length < Rank)
            throw new ArgumentException($"Expand: cannot expand {ShapeString} to fewer dims {ShapeUtil.Format(target)}");
        var newStrides = new int[target.Length];
        int lead = target.Length - Rank;
        for (int i = 0; i < target.Length; i++)
        {
            if (i < lead) { newStrides[i] = 0; continue; }
            int own = shape[i - lead];
            if (own == target[i]) newStrides[i] = strides[i - lead];
            else if (own == 1) newStrides[i] = 0;
            else throw new ArgumentException($"Expand: cannot expand {ShapeString} to {ShapeUtil.Format(target)}: dimension {i} is {own}");
        }
        return new Tensor(Storage, (int[])target.Clone(), newStrides, Offset);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>. A view.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Unsqueeze: dim {dim} out of range for {ShapeString}");
        var newShape = shape.ToList();
        var newStrides = strides.ToList();
        newShape.Insert(d, 1);
        newStrides.Insert(d, d < Rank ? strides[d] * shape[d] : 1);
        return new Tensor(Storage, newShape.ToArray(), newStrides.ToArray(), Offset);
    }

    /// <summary>Removes a dimension of size 1. A view.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeUtil.NormalizeAxis("Squeeze", dim, Rank);
        if (shape[d] != 1) throw new ArgumentException($"Squeeze: dimension {d} of {ShapeString} has size {shape[d]}, not 1");
        return new Tensor(Storage, shape.Where((_, i) => i != d).ToArray(), strides.Where((_, i) => i != d).ToArray(), Offset);
    }

    /// <summary>
    /// True when this tensor and <paramref name="next"/> are contiguous views of the same storage and next's first
    /// element is the one right after this tensor's last (views carved back to back from one flat buffer).
    /// </summary>
    public bool IsFollowedBy(Tensor next) =>
        ReferenceEquals(Storage, next.Storage) && IsContiguous && next.IsContiguous && next.Offset == Offset + Count;

    /// <summary>
    /// A one-dimensional view of the storage from this tensor's first element through <paramref name="last"/>'s last:
    /// a run of views lying back to back (<see cref="IsFollowedBy"/>) as one tensor, for one launch over all of them.
    /// With <paramref name="last"/> this tensor itself, returns this tensor unchanged (whatever its layout).
    /// </summary>
    /// <exception cref="ArgumentException">The two are not contiguous views of one storage with last not starting before this.</exception>
    public Tensor SpanThrough(Tensor last)
    {
        if (ReferenceEquals(this, last)) return this;
        if (!ReferenceEquals(Storage, last.Storage) || !IsContiguous || !last.IsContiguous || last.Offset < Offset)
            throw new ArgumentException($"SpanThrough: {ShapeString} at {Offset} and {last.ShapeString} at {last.Offset} are not contiguous views of one storage in order");
        return new Tensor(Storage, [checked((int)(last.Offset + last.Count - Offset))], [1], Offset);
    }

    /// <summary>
    /// Views of this one-dimensional contiguous tensor shaped like each of <paramref name="likes"/>, back to back from
    /// its first element in their order: the layout of a flat buffer holding many tensors, each view followed by the
    /// next (<see cref="IsFollowedBy"/>).
    /// </summary>
    /// <exception cref="ArgumentException">This tensor is too short for them all.</exception>
    public List<Tensor> CarveLike(IEnumerable<Tensor> likes)
    {
        var views = new List<Tensor>();
        int offset = 0;
        foreach (var like in likes)
        {
            views.Add(Slice(0, offset, like.Length).Reshape(like.ShapeArray()));
            offset += like.Length;
        }
        return views;
    }

    /// <summary>
    /// <paramref name="tensors"/> with every maximal run of consecutive views that lie back to back in one storage
    /// (<see cref="IsFollowedBy"/>) replaced by one one-dimensional view of the run (<see cref="SpanThrough"/>); other
    /// tensors are kept as they are. Gradients carved from one flat buffer come back as a single tensor.
    /// </summary>
    public static List<Tensor> JoinAdjacentViews(IEnumerable<Tensor> tensors) =>
        [.. ConsecutiveRuns.Of(tensors, (before, next) => before.IsFollowedBy(next)).Select(run => run.First.SpanThrough(run.Last))];

    private int[] ResolveReshape(int[] newShape)
    {
        var resolved = (int[])newShape.Clone();
        int inferred = Array.IndexOf(resolved, -1);
        if (inferred >= 0)
        {
            long known = resolved.Where((d, i) => i != inferred).Aggregate(1L, (p, d) => p * d);
            if (known == 0 || Count % known != 0)
                throw new ArgumentException($"Reshape: cannot reshape {ShapeString} ({Count} elements) to {ShapeUtil.Format(newShape)}");
            resolved[inferred] = (int)(Count / known);
        }
        if (ShapeUtil.Count(resolved) != Count)
            throw new ArgumentException($"Reshape: cannot reshape {ShapeString} ({Count} elements) to {ShapeUtil.Format(newShape)}");
        return ShapeUtil.Checked(resolved);
    }
}
