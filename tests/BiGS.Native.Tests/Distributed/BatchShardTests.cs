using BiGS.Native.Autograd;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Distributed;

/// <summary>Dropout inside a batch shard draws the shard's rows of the whole batch's mask.</summary>
public class BatchShardTests
{
    [Fact]
    public void Dropout_of_rows_1_to_2_of_4_is_those_rows_of_the_whole_batch_dropout_and_leaves_the_generator_where_it_does()
    {
        var wholeRng = new Rng(7);
        float[] whole = Ops.Dropout(new Variable(Tensor.Ones(4, 3, 5)), 0.5f, wholeRng).Value.ToArray();

        var shardRng = new Rng(7);
        float[] shard;
        using (BatchShard.Use(1, 2, 4)) shard = Ops.Dropout(new Variable(Tensor.Ones(2, 3, 5)), 0.5f, shardRng).Value.ToArray();

        Assert.Equal(whole[15..45], shard);
        Assert.Equal(wholeRng.GetState(), shardRng.GetState());
        Assert.Contains(0f, shard);
        Assert.Contains(2f, shard);
    }

    [Fact]
    public void A_draw_whose_first_dimension_is_not_the_shard_names_the_shape()
    {
        using var shard = BatchShard.Use(0, 2, 4);
        var error = Assert.Throws<InvalidOperationException>(() => Ops.Dropout(new Variable(Tensor.Ones(3, 5)), 0.5f, new Rng(1)));
        Assert.Contains("[3, 5]", error.Message);
    }
}
