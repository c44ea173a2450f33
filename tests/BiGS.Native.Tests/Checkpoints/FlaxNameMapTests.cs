using BiGS.Native.Checkpoints;
using Xunit;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>Name rules of docs/BIGS.md section 4 beyond the tiny fixture: other heads, generic Dense maps, unknown paths.</summary>
public class FlaxNameMapTests
{
    [Theory]
    [InlineData("cls/seq_relationship/kernel", "cls.seq_relationship.weight", true)]
    [InlineData("cls/seq_relationship/bias", "cls.seq_relationship.bias", false)]
    [InlineData("qa_outputs/kernel", "qa_outputs.weight", true)]
    [InlineData("classifier/bias", "classifier.bias", false)]
    [InlineData("cls/predictions/bias", "cls.predictions.bias", false)]
    [InlineData("s4_bert/encoder/layer/22/bs4/log_step", "bigs.encoder.layer.22.bs4.kernel.log_step", false)]
    [InlineData("s4_bert/encoder/layer/3/fs4/D", "bigs.encoder.layer.3.fs4.D", false)]
    [InlineData("my_head/dense_1/kernel", "my_head.dense_1.weight", true)]
    public void MapsHeadsAndGenericDenseBothWays(string flax, string torch, bool transposed)
    {
        Assert.True(FlaxNameMap.TryToTorchName(flax, out string name, out bool t));
        Assert.Equal((torch, transposed), (name, t));
        Assert.True(FlaxNameMap.TryToFlaxPath(torch, out string path, out t));
        Assert.Equal((flax, transposed), (path, t));
    }

    [Theory]
    [InlineData("s4_bert/encoder/layer/0/fs4/B")]
    [InlineData("s4_bert/embeddings/LayerNorm/mean")]
    [InlineData("s4_bert/embeddings/word_embeddings/kernel")]
    [InlineData("lonely")]
    public void UnknownFlaxPathsAreNotMapped(string flax) => Assert.False(FlaxNameMap.TryToTorchName(flax, out _, out _));

    [Fact]
    public void BulkMappingListsEveryUnknownPathAtOnce()
    {
        CheckpointTensor[] tensors =
        [
            CheckpointTensor.FromFloats("s4_bert/pooler/dense/bias", [1], [0]),
            CheckpointTensor.FromFloats("s4_bert/encoder/layer/0/fs4/B", [1], [0]),
            CheckpointTensor.FromFloats("odd", [1], [0]),
        ];
        var e = Assert.Throws<CheckpointFormatException>(() => FlaxNameMap.ToTorch(tensors));
        Assert.Contains("2 tensor(s) cannot be renamed", e.Message);
        Assert.Contains("unknown Flax path 's4_bert/encoder/layer/0/fs4/B'", e.Message);
        Assert.Contains("unknown Flax path 'odd'", e.Message);
        Assert.Throws<CheckpointFormatException>(() => FlaxNameMap.ToFlax([CheckpointTensor.FromLongs("bigs.embeddings.position_ids", [2], [0, 1])]));
    }

    [Fact]
    public void KernelsAreTransposedAndOtherTensorsShareData()
    {
        var kernel = CheckpointTensor.FromFloats("classifier/kernel", [3, 2], [1, 2, 3, 4, 5, 6]);
        CheckpointTensor weight = FlaxNameMap.ToTorch(kernel);
        Assert.Equal("classifier.weight", weight.Name);
        Assert.Equal([2, 3], weight.Shape);
        Assert.Equal([1f, 3, 5, 2, 4, 6], weight.Floats!);
        Assert.Equal([1f, 2, 3, 4, 5, 6], FlaxNameMap.ToFlax(weight).Floats!);

        var bias = CheckpointTensor.FromFloats("classifier/bias", [2], [7, 8]);
        Assert.Same(bias.Floats, FlaxNameMap.ToTorch(bias).Floats);
    }

    [Fact]
    public void NonMatrixKernelIsReported()
    {
        var kernel = CheckpointTensor.FromFloats("head/kernel", [2, 2, 2], new float[8]);
        var e = Assert.Throws<CheckpointFormatException>(() => FlaxNameMap.ToTorch(kernel));
        Assert.Contains("'head/kernel' has shape [2, 2, 2]", e.Message);
    }
}
