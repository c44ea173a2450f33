using BiGS.Native.Data;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Training;
using Xunit;

namespace BiGS.Native.Tests.Data;

public class MaskingAndPackingTests
{
    private static readonly BiGS.Native.Tokenization.BertTokenizer Tok = TrainingTestKit.Tokenizer;

    [Fact]
    public void Packing_wraps_consecutive_pieces_in_cls_sep_and_pads_the_last()
    {
        var lines = new[] { "the lord god", "earth and heaven", "light" }.Select((t, i) => new CorpusLine("t", i + 1, t));
        var sequences = new SequencePacker(Tok, 5).Pack(lines); // 3 pieces per sequence
        int Id(string w) => Tok.TokenToId(w)!.Value;
        Assert.Equal(3, sequences.Count);
        Assert.Equal([Tok.ClsId, Id("the"), Id("lord"), Id("god"), Tok.SepId], sequences[0]);
        Assert.Equal([Tok.ClsId, Id("earth"), Id("and"), Id("heaven"), Tok.SepId], sequences[1]);
        Assert.Equal([Tok.ClsId, Id("light"), Tok.SepId, Tok.PadId, Tok.PadId], sequences[2]);
    }

    [Fact]
    public void Masking_statistics_follow_15_percent_and_80_10_10()
    {
        var masking = new MlmMasking(Tok, maxPredictions: 1000);
        var rng = new Rng(11);
        int[] sequence = [Tok.ClsId, .. Enumerable.Range(0, 198).Select(i => 5 + i % 16), Tok.SepId, Tok.PadId];
        long chosen = 0, masked = 0, kept = 0, random = 0;
        const int trials = 400;
        for (int t = 0; t < trials; t++)
        {
            var result = masking.Apply(sequence, rng);
            for (int i = 0; i < sequence.Length; i++)
            {
                if (result.Labels[i] == MlmMasking.IgnoreLabel)
                {
                    Assert.Equal(sequence[i], result.InputIds[i]);
                    continue;
                }
                Assert.True(i > 0 && i < 199, $"special token at {i} was chosen");
                Assert.Equal(sequence[i], result.Labels[i]);
                chosen++;
                if (result.InputIds[i] == Tok.MaskId) masked++;
                else if (result.InputIds[i] == sequence[i]) kept++;
                else random++;
            }
            Assert.Equal(30, result.Labels.Count(l => l != MlmMasking.IgnoreLabel)); // round(0.15 * 198)
        }
        Assert.InRange(masked / (double)chosen, 0.78, 0.82);
        // a random draw equals the original 1 time in V, which moves a little mass from "random" to "kept"
        Assert.InRange(kept / (double)chosen, 0.09, 0.115);
        Assert.InRange(random / (double)chosen, 0.085, 0.11);
    }

    [Fact]
    public void Masking_is_capped_and_deterministic_for_a_seed()
    {
        var masking = new MlmMasking(Tok, maxPredictions: 20);
        int[] sequence = [Tok.ClsId, .. Enumerable.Repeat(7, 300), Tok.SepId];
        var a = masking.Apply(sequence, new Rng(3));
        var b = masking.Apply(sequence, new Rng(3));
        var c = masking.Apply(sequence, new Rng(4));
        Assert.Equal(20, a.Labels.Count(l => l != MlmMasking.IgnoreLabel));
        Assert.Equal(a.InputIds, b.InputIds);
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(a.Labels, c.Labels);
        Assert.Equal(20, MlmMasking.DefaultMaxPredictions(128));
        Assert.Equal(80, MlmMasking.DefaultMaxPredictions(512));
    }

    [Fact]
    public void Batch_source_state_restores_the_exact_continuation()
    {
        var corpus = TrainingTestKit.Corpus();
        var source = TrainingTestKit.Source(corpus, 3);
        for (int i = 0; i < 25; i++) source.Next(); // past an epoch boundary
        Assert.True(source.Epoch >= 1);
        var state = source.GetState();
        var expected = source.Next();
        var restored = TrainingTestKit.Source(corpus, 3, seed: 99);
        restored.SetState(state);
        var actual = restored.Next();
        Assert.Equal(expected.InputIds.ToIntArray(), actual.InputIds.ToIntArray());
        Assert.Equal(expected.Labels!.ToIntArray(), actual.Labels!.ToIntArray());
        var other = TrainingTestKit.Source(TrainingTestKit.Corpus(lines: 200), 3);
        Assert.Throws<InvalidDataException>(() => other.SetState(state));
    }

    [Fact]
    public void Held_out_split_is_the_tail()
    {
        var corpus = TrainingTestKit.Corpus(lines: 200);
        int total = corpus.Train.Count + corpus.HeldOut.Count;
        Assert.Equal(Math.Max(1, (int)(total * PretrainingCorpus.HeldOutFraction)), corpus.HeldOut.Count);
    }
}
