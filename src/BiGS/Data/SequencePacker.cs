using BiGS.Native.Tokenization;

namespace BiGS.Native.Data;

/// <summary>
/// Packs a corpus into fixed-length training sequences: the word pieces of consecutive lines form one stream, cut
/// into pieces of max_length - 2 tokens, each wrapped as [CLS] pieces... [SEP]; the last is padded with [PAD].
/// Work and memory are linear in the corpus size however long its lines are.
/// </summary>
public sealed class SequencePacker
{
    private readonly BertTokenizer tokenizer;
    private readonly int maxLength;

    /// <summary>Creates a packer for sequences of <paramref name="maxLength"/> tokens (at least 3).</summary>
    public SequencePacker(BertTokenizer tokenizer, int maxLength)
    {
        if (maxLength < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "a packed sequence needs room for [CLS], a token and [SEP]");
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    /// <summary>The packed sequences of the lines, in order, each exactly max_length ids.</summary>
    public List<int[]> Pack(IEnumerable<CorpusLine> lines)
    {
        int perSequence = maxLength - 2;
        var sequences = new List<int[]>();
        var pending = new List<int>(perSequence);
        foreach (var line in lines)
        {
            var ids = tokenizer.Encode(line.Text).InputIds; // [CLS] pieces... [SEP]
            for (int i = 1; i < ids.Length - 1; i++)
            {
                pending.Add(ids[i]);
                if (pending.Count == perSequence) Flush();
            }
        }
        if (pending.Count > 0) Flush();
        return sequences;

        void Flush()
        {
            var sequence = new int[maxLength];
            Array.Fill(sequence, tokenizer.PadId);
            sequence[0] = tokenizer.ClsId;
            pending.CopyTo(sequence, 1);
            sequence[pending.Count + 1] = tokenizer.SepId;
            sequences.Add(sequence);
            pending.Clear();
        }
    }
}
