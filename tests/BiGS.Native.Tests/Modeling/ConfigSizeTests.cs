using BiGS.Native.Modeling;

namespace BiGS.Native.Tests.Modeling;

/// <summary>The 64-bit size checks a config passes before any tensor is allocated.</summary>
public class ConfigSizeTests
{
    [Theory]
    [InlineData(50, 8, 1, 16, 4, 16)]
    [InlineData(97, 12, 3, 20, 6, 33)]
    public void Parameter_count_equals_that_of_the_built_model(int vocab, int hidden, int layers, int inner, int ssm, int positions)
    {
        var config = new BiGSConfig
        {
            VocabSize = vocab, HiddenSize = hidden, NumHiddenLayers = layers, IntermediateSize = inner, NumSsm = ssm, MaxPositionEmbeddings = positions,
        };
        Assert.Equal(new BiGSModel(config).ParameterCount(), config.ParameterCount());
    }

    [Fact]
    public void A_model_larger_than_memory_is_refused_with_its_sizes_before_allocation()
    {
        var config = new BiGSConfig { NumHiddenLayers = 24 };   // BiGS-large-like: about 0.4 billion parameters, 6 GiB to train
        var error = Assert.Throws<ConfigException>(() => config.RequireSizesFit(memoryBytes: 1L << 30));
        Assert.StartsWith($"the model would have {config.ParameterCount():N0} parameters (num_hidden_layers 24, hidden_size 768", error.Message);
        config.RequireSizesFit(memoryBytes: 64L << 30);
    }

    [Theory]
    [InlineData("vocab_size", int.MaxValue, "vocab_size x hidden_size (word embeddings)")]
    [InlineData("max_position_embeddings", int.MaxValue, "max_position_embeddings x hidden_size (position embeddings)")]
    [InlineData("intermediate_size", 3_000_000, "hidden_size x intermediate_size")]
    [InlineData("num_labels", 3_000_000, "num_labels x hidden_size (classifier)")]
    public void A_size_whose_tensor_overflows_32_bits_names_its_fields(string field, int value, string named)
    {
        var error = Assert.Throws<ConfigException>(() => BiGSConfig.Parse($"{{\"{field}\": {value}}}"));
        Assert.StartsWith(named, error.Message);
        Assert.Contains("more than a tensor can hold (2,147,483,647)", error.Message);
    }
}
