using BiGS.Native.Checkpoints;
using Xunit;

namespace BiGS.Native.Tests.Checkpoints;

/// <summary>The bigs-tiny checkpoints: both formats read, map onto each other and agree with the README.</summary>
public class BigsTinyCheckpointTests
{
    private static readonly List<string[]> ParameterTable = BigsTinyFixture.TableRows("## Parameter names and values");

    private static Dictionary<string, CheckpointTensor> TorchTensors() =>
        SafeTensorsReader.ReadAll(BigsTinyFixture.File("model.safetensors"));

    private static Dictionary<string, CheckpointTensor> FlaxTensors() =>
        FlaxMsgpackReader.ReadAll(BigsTinyFixture.File("flax_model.msgpack"));

    [Fact]
    public void ReadmeParameterTableIsComplete()
    {
        // 5 embedding tensors, 2 layers x 26 tensors, pooler 2, MLM head 5, classifier 2.
        Assert.Equal(5 + 2 * 26 + 2 + 5 + 2, ParameterTable.Count);
    }

    [Fact]
    public void TorchFileHoldsExactlyTheTableNamesAndShapes()
    {
        var tensors = TorchTensors();
        Assert.Equal(ParameterTable.Select(r => r[0]).Order(), tensors.Keys.Order());
        foreach (string[] row in ParameterTable)
        {
            Assert.Equal(BigsTinyFixture.Shape(row[1]), tensors[row[0]].Shape);
            Assert.Equal(ElementType.Float32, tensors[row[0]].StoredType);
        }
    }

    [Fact]
    public void FlaxFileHoldsExactlyTheTablePathsAndShapes()
    {
        var tensors = FlaxTensors();
        Assert.Equal(ParameterTable.Select(r => r[2]).Order(), tensors.Keys.Order());
        foreach (string[] row in ParameterTable)
            Assert.Equal(BigsTinyFixture.Shape(row[3]), tensors[row[2]].Shape);
    }

    [Fact]
    public void NameMapAgreesWithTheReadmeTableBothWays()
    {
        foreach (string[] row in ParameterTable)
        {
            bool tableSaysTransposed = row[3].Contains("transposed");
            Assert.True(FlaxNameMap.TryToTorchName(row[2], out string torchName, out bool transposed), row[2]);
            Assert.Equal((row[0], tableSaysTransposed), (torchName, transposed));
            Assert.True(FlaxNameMap.TryToFlaxPath(row[0], out string flaxPath, out transposed), row[0]);
            Assert.Equal((row[2], tableSaysTransposed), (flaxPath, transposed));
        }
    }

    [Fact]
    public void FlaxAndTorchFilesHoldIdenticalValues()
    {
        var torch = TorchTensors();
        var mapped = FlaxNameMap.ToTorch(FlaxTensors().Values);
        Assert.Equal(torch.Keys.Order(), mapped.Keys.Order());
        foreach ((string name, CheckpointTensor expected) in torch)
        {
            Assert.Equal(expected.Shape, mapped[name].Shape);
            Assert.Equal(expected.Floats!, mapped[name].Floats!);
        }
    }

    [Fact]
    public void DenseKernelIsTheTransposeOfTheTorchWeight()
    {
        CheckpointTensor kernel = FlaxTensors()["s4_bert/encoder/layer/0/dv/kernel"];
        CheckpointTensor weight = TorchTensors()["bigs.encoder.layer.0.dv.weight"];
        Assert.Equal([32, 96], kernel.Shape);
        for (int i = 0; i < 32; i++)
            for (int o = 0; o < 96; o++)
                Assert.Equal(kernel.Floats![i * 96 + o], weight.Floats![o * 32 + i]);
    }

    [Fact]
    public void TorchToFlaxRoundTripsTheWholeCheckpoint()
    {
        var flax = FlaxTensors();
        var back = FlaxNameMap.ToFlax(TorchTensors().Values);
        Assert.Equal(flax.Keys.Order(), back.Keys.Order());
        foreach ((string path, CheckpointTensor expected) in flax)
        {
            Assert.Equal(expected.Shape, back[path].Shape);
            Assert.Equal(expected.Floats!, back[path].Floats!);
        }
    }

    /// <summary>The README states the random distributions; check values fall in the stated ranges.</summary>
    [Fact]
    public void ValuesLieInTheRangesTheReadmeStates()
    {
        var torch = TorchTensors();
        foreach ((string name, CheckpointTensor tensor) in torch)
        {
            float[] v = tensor.Floats!;
            if (name.EndsWith("LayerNorm.weight"))
                Assert.All(v, x => Assert.InRange(x, 0.9f, 1.1f));                      // U(0.9, 1.1)
            else if (name.EndsWith("kernel.A_re"))
                Assert.All(v, x => Assert.InRange(x, -1f, -0.05f));                     // U(-1, -0.05)
            else if (name.EndsWith("kernel.log_step"))
                Assert.All(v, x => Assert.InRange(x, MathF.Log(0.01f), MathF.Log(0.5f))); // U(log 0.01, log 0.5)
            else if (name.EndsWith("kernel.A_im"))
                Assert.All(v, x => Assert.True(float.IsFinite(x)));
        }
        Assert.Equal("pt", SafeTensorsReader.Open(BigsTinyFixture.File("model.safetensors")).Metadata["format"]);
    }

    [Theory]
    [InlineData("golden.safetensors", "## golden.safetensors")]
    [InlineData("grads.safetensors", "## grads.safetensors")]
    public void GoldenAndGradsMatchTheirReadmeTables(string file, string heading)
    {
        List<string[]> rows = BigsTinyFixture.TableRows(heading);
        using SafeTensorsReader reader = SafeTensorsReader.Open(BigsTinyFixture.File(file));
        Assert.Equal(rows.Select(r => r[0]).Order(), reader.Tensors.Select(t => t.Name).Order());
        foreach (string[] row in rows)
        {
            Assert.True(reader.TryGetInfo(row[0], out SafeTensorsTensorInfo info));
            Assert.Equal(row[1], info.Type.SafeTensorsCode());
            Assert.Equal(BigsTinyFixture.Shape(row[2]), info.Shape);
        }
        Assert.Equal(rows.Count, reader.ReadTensors().Count());
    }

    /// <summary>README "Inputs": real-token counts per row and pad id 0 after them.</summary>
    [Theory]
    [InlineData(64, 64, 51)]
    [InlineData(40, 29, 40)]
    public void GoldenInputsMatchTheReadmeDescription(int length, int realTokensRow0, int realTokensRow1)
    {
        using SafeTensorsReader reader = SafeTensorsReader.Open(BigsTinyFixture.File("golden.safetensors"));
        int[] mask = reader.Read($"L{length}.attention_mask").Ints!;
        int[] ids = reader.Read($"L{length}.input_ids").Ints!;
        int[] realTokens = [realTokensRow0, realTokensRow1];
        for (int row = 0; row < 2; row++)
            for (int t = 0; t < length; t++)
            {
                bool real = t < realTokens[row];
                Assert.Equal(real ? 1 : 0, mask[row * length + t]);
                if (real) Assert.InRange(ids[row * length + t], 1, 511);
                else Assert.Equal(0, ids[row * length + t]);
            }
    }
}
