using System.Text.Json;
using BiGS.Native.Autograd;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Tasks;
using BiGS.Native.Tokenization;

namespace BiGS.Native.Tests.Cli;

/// <summary><c>bigs fill-mask</c> against a full forward pass of the masked-LM model with a double-precision softmax.</summary>
[Collection("Console")]
public class FillMaskCommandTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Top_k_matches_the_softmax_of_the_full_model_output(bool pad)
    {
        using var setup = new TinyTaskSetup();
        const string text = "the cat is [MASK] .";
        string[] args = ["fill-mask", "--model", setup.ModelDirectory, "--top-k", "3", "--json", .. (pad ? ["--pad"] : Array.Empty<string>()), text];
        var (exitCode, output, error) = TinyTaskSetup.Run(args);
        Assert.True(exitCode == 0, error);
        using var result = JsonDocument.Parse(output);
        var mask = Assert.Single(result.RootElement.GetProperty("masks").EnumerateArray());
        Assert.Equal(4, mask.GetProperty("position").GetInt32());   // [CLS] the cat is [MASK]

        var expected = ReferenceProbabilities(setup.ModelDirectory, text, pad ? 16 : null, position: 4);
        var top = expected.Select((p, id) => (p, id)).OrderByDescending(t => t.p).Take(3).ToArray();
        var candidates = mask.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal(3, candidates.Length);
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(top[k].id, candidates[k].GetProperty("token_id").GetInt32());
            Assert.Equal(top[k].p, candidates[k].GetProperty("score").GetDouble(), 5);
        }
    }

    [Fact]
    public void A_text_without_mask_is_an_error()
    {
        using var setup = new TinyTaskSetup();
        var (exitCode, _, error) = TinyTaskSetup.Run("fill-mask", "--model", setup.ModelDirectory, "the cat is good .");
        Assert.Equal(1, exitCode);
        Assert.Contains("has no [MASK]", error);
    }

    /// <summary>softmax over the whole vocabulary, in double, of the model's logits at one position.</summary>
    private static double[] ReferenceProbabilities(string modelDirectory, string text, int? padTo, int position)
    {
        var model = BiGSForMaskedLM.FromPretrained(modelDirectory);
        var tokenizer = BertTokenizer.FromVocab(Path.Combine(modelDirectory, "vocab.txt"));
        var encoding = tokenizer.Encode(text, maxLength: padTo, padToMaxLength: padTo is not null, truncation: padTo is not null);
        int length = encoding.InputIds.Length;
        using var noGrad = GradMode.NoGrad();
        var logits = model.Forward(new BiGSInput(Tensor.FromInts(encoding.InputIds, 1, length))
        {
            AttentionMask = Tensor.FromInts(encoding.AttentionMask, 1, length),
        }).Logits!.Value.ToArray();
        int vocab = model.Config.VocabSize;
        var row = logits.AsSpan(position * vocab, vocab).ToArray().Select(v => (double)v).ToArray();
        double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
        return row.Select(v => Math.Exp(v - max) / sum).ToArray();
    }
}
