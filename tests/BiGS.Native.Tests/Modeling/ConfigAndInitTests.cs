using System.Text.Json;
using BiGS.Native.Modeling;
using BiGS.Native.Ssm;

namespace BiGS.Native.Tests.Modeling;

public class ConfigAndInitTests
{
    [Fact]
    public void Missing_fields_take_the_documented_defaults()
    {
        var config = BiGSConfig.Parse("{}");
        Assert.Equal(30522, config.VocabSize);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal(24, config.NumHiddenLayers);
        Assert.Equal(64, config.NumSsm);
        Assert.Equal("hippo", config.Scaling);
        Assert.Equal("non_padding_mean", config.PoolerType);
        Assert.True(config.PreNorm);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(1e-12f, config.LayerNormEps);
    }

    [Fact]
    public void Fixture_config_reads_and_unknown_fields_survive_a_round_trip()
    {
        var config = BiGSConfig.Load(TinyFixture.Directory);
        Assert.Equal(512, config.VocabSize);
        Assert.Equal(16, config.NumSsm);
        Assert.Equal(64, config.MaxPositionEmbeddings);
        Assert.True(config.ExtraFields.ContainsKey("use_pykeops_kernel"));
        var again = BiGSConfig.Parse(config.ToJson());
        Assert.Equal(config.ToJson(), again.ToJson());
        using var json = JsonDocument.Parse(again.ToJson());
        Assert.False(json.RootElement.GetProperty("use_pykeops_kernel").GetBoolean());
    }

    [Theory]
    [InlineData("{\"scaling\": \"cubic\"}", "scaling")]
    [InlineData("{\"pooler_type\": \"max\"}", "pooler_type")]
    [InlineData("{\"hidden_size\": 0}", "hidden_size")]
    [InlineData("{\"num_ssm\": \"many\"}", "num_ssm")]
    [InlineData("{\"hidden_dropout_prob\": 1.5}", "hidden_dropout_prob")]
    [InlineData("{\"model_type\": \"bert\"}", "model_type")]
    public void Invalid_fields_are_named(string json, string field) =>
        Assert.Contains(field, Assert.Throws<ConfigException>(() => BiGSConfig.Parse(json)).Message);

    public static TheoryData<int> HippoSizes => new() { 4, 8, 16, 64 };

    [Theory]
    [MemberData(nameof(HippoSizes))]
    public void Hippo_initialisation_matches_the_reference_values(int n)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "hippo", "hippo_init.json")));
        var reference = json.RootElement.GetProperty(n.ToString());
        var expectedRe = reference.GetProperty("A_re").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var expectedIm = reference.GetProperty("A_im").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var (aRe, aIm) = SsmInitialization.HippoLegS(n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expectedRe[i], aRe[i], 1e-9);
            Assert.True(Math.Abs(expectedIm[i] - aIm[i]) <= 1e-9 * Math.Max(1, Math.Abs(expectedIm[i])), $"A_im[{i}]: {aIm[i]} vs {expectedIm[i]}");
        }
    }

    [Fact]
    public void Lin_and_inv_initialisations_follow_their_formulas()
    {
        var (linRe, linIm) = SsmInitialization.StateMatrix("lin", 4);
        Assert.All(linRe, v => Assert.Equal(-0.5, v));
        Assert.Equal(3 * Math.PI, linIm[3], 12);
        var (_, invIm) = SsmInitialization.StateMatrix("inv", 4);
        Assert.Equal(4 / Math.PI * (4 / 5.0 - 1), invIm[2], 12);
    }
}
