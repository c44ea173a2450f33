using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Tensors;

public class TensorViewTests
{
    private static Tensor Grid(int rows, int cols) => Tensor.Arange(rows * cols).Reshape(rows, cols);

    [Fact]
    public void Views_carved_back_to_back_join_into_one_span_and_others_stay_apart()
    {
        var flat = Tensor.Arange(20);
        var a = flat.Slice(0, 0, 6).Reshape(2, 3);
        var b = flat.Slice(0, 6, 4);
        var c = flat.Slice(0, 12, 8).Reshape(2, 4);   // a gap of two elements before it
        var other = Tensor.Arange(3);
        Assert.True(a.IsFollowedBy(b));
        Assert.False(b.IsFollowedBy(c));
        Assert.False(b.IsFollowedBy(a));
        Assert.False(Grid(3, 4).Transpose(0, 1).IsFollowedBy(other));

        var joined = Tensor.JoinAdjacentViews([a, b, c, other]);
        Assert.Equal(3, joined.Count);
        Assert.Same(flat.Storage, joined[0].Storage);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), joined[0].ToArray());
        Assert.Same(c, joined[1]);
        Assert.Same(other, joined[2]);
        Assert.Throws<ArgumentException>(() => b.SpanThrough(a));
    }

    [Fact]
    public void Transpose_is_a_view_with_swapped_indices()
    {
        var x = Grid(3, 4);
        var t = x.Transpose(0, 1);
        Assert.False(t.IsContiguous);
        Assert.Same(x.Storage, t.Storage);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(x[r, c], t[c, r]);
        Assert.Equal(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, t.Contiguous().ToArray());
    }

    [Fact]
    public void Permute_of_rank3_matches_index_arithmetic()
    {
        var x = Tensor.Arange(2 * 3 * 5).Reshape(2, 3, 5);
        var p = x.Permute(2, 0, 1).Contiguous();
        Assert.Equal(new[] { 5, 2, 3 }, p.ShapeArray());
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 5; c++)
                    Assert.Equal(a * 15 + b * 5 + c, p[c, a, b]);
    }

    [Fact]
    public void Slice_and_flip_select_the_expected_elements()
    {
        var x = Grid(4, 3);
        Assert.Equal(new float[] { 3, 4, 5, 6, 7, 8 }, x.Slice(0, 1, 2).ToArray());
        Assert.Equal(new float[] { 1, 4, 7, 10 }, x.Slice(1, 1, 1).ToArray());
        Assert.Equal(new float[] { 9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2 }, x.Flip(0).ToArray());
        Assert.Equal(new float[] { 2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9 }, x.Flip(1).ToArray());
        Assert.Equal(new float[] { 11, 10, 9 }, x.Flip(0).Flip(1).Slice(0, 0, 1).ToArray());
    }

    [Fact]
    public void Expand_broadcasts_with_stride_zero()
    {
        var row = Tensor.FromArray([1f, 2f, 3f], 1, 3);
        var e = row.Expand(2, 3);
        Assert.Equal(0, e.Strides[0]);
        Assert.Equal(new float[] { 1, 2, 3, 1, 2, 3 }, e.ToArray());
        Assert.Equal(new[] { 4, 2, 3 }, row.Expand(4, 2, 3).ShapeArray());
    }

    [Fact]
    public void Reshape_infers_one_dimension_and_copies_non_contiguous_views()
    {
        var x = Grid(2, 6);
        Assert.Equal(new[] { 3, 4 }, x.Reshape(3, -1).ShapeArray());
        var t = x.Transpose(0, 1).Reshape(12);
        Assert.Equal(new float[] { 0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11 }, t.ToArray());
    }

    [Fact]
    public void Unsqueeze_and_squeeze_round_trip()
    {
        var x = Grid(2, 3);
        var u = x.Unsqueeze(1);
        Assert.Equal(new[] { 2, 1, 3 }, u.ShapeArray());
        Assert.Equal(x.ToArray(), u.Squeeze(1).ToArray());
    }

    [Fact]
    public void Bad_views_name_the_shapes()
    {
        var x = Grid(2, 3);
        Assert.Contains("(2,3)", Assert.Throws<ArgumentException>(() => x.Reshape(4, 2)).Message);
        Assert.Contains("(2,3)", Assert.Throws<ArgumentException>(() => x.Expand(4, 3)).Message);
        Assert.Contains("dimension 1 of size 3", Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 2, 2)).Message);
        Assert.Throws<ArgumentException>(() => x.Permute(0, 0));
    }

    [Fact]
    public void Integer_tensors_keep_their_dtype_and_narrow_checked()
    {
        var ids = Tensor.FromLongs([1L, 2L, 3L], 3);
        Assert.Equal(DType.Int64, ids.DType);
        Assert.Equal(new[] { 1, 2, 3 }, ids.ToInt32().ToIntArray());
        Assert.Throws<OverflowException>(() => Tensor.FromLongs([1L << 40], 1).ToInt32());
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => ids.ToArray()).Message);
    }
}
