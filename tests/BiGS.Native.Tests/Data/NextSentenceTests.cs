using BiGS.Native.Autograd;
using BiGS.Native.Data;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;
using BiGS.Native.Tests.Training;
using BiGS.Native.Training;

namespace BiGS.Native.Tests.Data;

/// <summary>Sentence-pair batches for next-sentence prediction and the masked-LM + next-sentence objective.</summary>
public class NextSentenceTests
{
    private const int MaxLength = 16;
    private static readonly string[] Lines = TrainingTestKit.CorpusText(40).Split('\n');
    private static readonly MlmMasking Masking = new(TrainingTestKit.Tokenizer, maxPredictions: 3);

    private static NextSentenceBatchSource Source(int batchSize, ulong seed = 5) =>
        new(Lines, TrainingTestKit.Tokenizer, Masking, MaxLength, batchSize, seed);

    [Fact]
    public void Each_example_is_a_line_and_its_successor_or_another_line_with_the_matching_label()
    {
        var batch = Source(batchSize: 200).Next();
        int[] ids = batch.InputIds.ToIntArray(), labels = batch.Labels!.ToIntArray(), types = batch.TokenTypeIds!.ToIntArray();
        int[] next = batch.NextSentenceLabel!.ToIntArray();
        int successors = 0;
        for (int b = 0; b < next.Length; b++)
        {
            // undo the masking: the label holds the original id wherever a token was chosen
            int[] original = Enumerable.Range(b * MaxLength, MaxLength).Select(i => labels[i] == MlmMasking.IgnoreLabel ? ids[i] : labels[i]).ToArray();
            var matches = Enumerable.Range(0, Lines.Length - 1).Where(first => EncodesPair(original, first, first + 1)).ToList();
            Assert.Equal(types[(b * MaxLength)..((b + 1) * MaxLength)], PairTokenTypes(original));
            if (next[b] == NextSentenceBatchSource.IsNextLabel)
            {
                Assert.NotEmpty(matches);
                successors++;
            }
            else
            {
                Assert.Equal(NextSentenceBatchSource.IsRandomLabel, next[b]);
                var nonSuccessors = from first in Enumerable.Range(0, Lines.Length)
                                    from second in Enumerable.Range(0, Lines.Length)
                                    where second != first && second != first + 1
                                    select (first, second);
                Assert.Contains(nonSuccessors, pair => EncodesPair(original, pair.first, pair.second));
            }
        }
        Assert.InRange(successors, 70, 130); // a fair coin over 200 pairs
    }

    [Fact]
    public void Source_state_restores_the_exact_continuation()
    {
        var source = Source(batchSize: 7);
        for (int i = 0; i < 8; i++) source.Next(); // past the first epoch of 39 pairs
        var state = source.GetState();
        var expected = source.Next();
        var restored = Source(batchSize: 7, seed: 77);
        restored.SetState(state);
        var actual = restored.Next();
        Assert.Equal(expected.InputIds.ToIntArray(), actual.InputIds.ToIntArray());
        Assert.Equal(expected.Labels!.ToIntArray(), actual.Labels!.ToIntArray());
        Assert.Equal(expected.NextSentenceLabel!.ToIntArray(), actual.NextSentenceLabel!.ToIntArray());
        var maskedLm = TrainingTestKit.Source(TrainingTestKit.Corpus(), 3);
        Assert.Throws<InvalidDataException>(() => maskedLm.SetState(state));
    }

    [Fact]
    public void Objective_loss_equals_the_pretraining_model_loss_over_every_position_plus_next_sentence()
    {
        using var scope = new TensorScope();
        var model = new BiGSForPreTraining(TrainingTestKit.Config(dropout: 0f), seed: 4);
        model.Eval();
        var batch = Source(batchSize: 6).Next();
        using var noGrad = GradMode.NoGrad();
        var result = new MaskedLanguageModelingObjective().Compute(model, batch);
        var reference = model.Forward(batch);
        Assert.Equal(reference.Loss!.Value.Item(), result.Loss.Value.Item(), 5);
        double maskedLmOnly = model.Forward(batch with { NextSentenceLabel = null }).Loss!.Value.Item();
        Assert.Equal(maskedLmOnly, result.NextSentence!.MaskedLmLoss.Item(), 5);
        Assert.Equal(6, result.NextSentence.Pairs);
    }

    [Fact]
    public void Too_few_lines_are_refused_with_the_count()
    {
        var error = Assert.Throws<ArgumentException>(() => new NextSentenceBatchSource(Lines[..2], TrainingTestKit.Tokenizer, Masking, MaxLength, 2, 1));
        Assert.Contains("at least 3 lines, got 2", error.Message);
    }

    private static bool EncodesPair(int[] original, int first, int second) =>
        original.SequenceEqual(TrainingTestKit.Tokenizer.Encode(Lines[first], Lines[second], MaxLength, padToMaxLength: true, truncation: true).InputIds);

    /// <summary>Token types of [CLS] A [SEP] B [SEP] [PAD]...: 0 through the first [SEP], 1 through the second, 0 on padding.</summary>
    private static int[] PairTokenTypes(int[] ids)
    {
        int firstSep = Array.IndexOf(ids, TrainingTestKit.Tokenizer.SepId), secondSep = Array.IndexOf(ids, TrainingTestKit.Tokenizer.SepId, firstSep + 1);
        return Enumerable.Range(0, ids.Length).Select(i => i > firstSep && i <= secondSep ? 1 : 0).ToArray();
    }
}
