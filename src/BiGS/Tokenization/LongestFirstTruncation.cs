namespace BiGS.Native.Tokenization;

/// <summary>
/// The <c>longest_first</c> truncation rule of Hugging Face tokenizers, on word-piece counts
/// (special tokens excluded: the caller subtracts them from the length limit to get the budget).
/// </summary>
public static class LongestFirstTruncation
{
    /// <summary>How many tokens of a single sequence of <paramref name="length"/> tokens are kept: its first <paramref name="budget"/>.</summary>
    public static int KeptLength(int length, int budget) => Math.Min(length, budget);

    /// <summary>
    /// How many tokens of each sequence of a pair are kept. With s the shorter length and l the longer
    /// (on equal lengths the second sequence counts as the longer one):
    /// <list type="bullet">
    /// <item>s + l ≤ budget: nothing is cut;</item>
    /// <item>s ≤ budget − s: only the longer is cut, to budget − s;</item>
    /// <item>otherwise both are cut: the shorter to ⌊budget/2⌋ and the longer to ⌊budget/2⌋ + budget mod 2.</item>
    /// </list>
    /// </summary>
    public static (int First, int Second) KeptLengths(int firstLength, int secondLength, int budget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budget);
        if (firstLength + secondLength <= budget)
            return (firstLength, secondLength);

        bool firstIsShorter = firstLength <= secondLength;
        int shorter = firstIsShorter ? firstLength : secondLength;
        int keptShorter, keptLonger;
        if (shorter <= budget - shorter)
        {
            keptShorter = shorter;
            keptLonger = budget - shorter;
        }
        else
        {
            keptShorter = budget / 2;
            keptLonger = budget / 2 + budget % 2;
        }
        return firstIsShorter ? (keptShorter, keptLonger) : (keptLonger, keptShorter);
    }
}
