namespace BiGS.Native.Tests.Training;

/// <summary>A vocabulary file, a corpus file and a tiny config.json for `bigs pretrain` runs that take a second.</summary>
internal sealed record TinyPretrainInputs(string Vocab, string Corpus, string Config, string Root)
{
    /// <summary>Writes the three files into a fresh directory under <paramref name="work"/>.</summary>
    public static TinyPretrainInputs Create(TemporaryDirectory work)
    {
        string root = work.Subdirectory();
        var inputs = new TinyPretrainInputs(Path.Combine(root, "vocab.txt"), Path.Combine(root, "corpus.txt"), Path.Combine(root, "config.json"), root);
        File.WriteAllLines(inputs.Vocab, TrainingTestKit.Tokenizer.Vocabulary.Tokens);
        File.WriteAllText(inputs.Corpus, TrainingTestKit.CorpusText(60));
        File.WriteAllText(inputs.Config, TrainingTestKit.Config().ToJson());
        return inputs;
    }

    /// <summary>`pretrain` on these inputs for <paramref name="steps"/> updates of batch 2, length 16, into <paramref name="output"/>.</summary>
    public string[] Args(string output, int steps) =>
        ["pretrain", "--corpus", Corpus, "--vocab", Vocab, "--config", Config, "--steps", steps.ToString(),
         "--batch-size", "2", "--max-length", "16", "--eval-every", "2", "--out", output];
}
