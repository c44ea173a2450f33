using System.Globalization;
using System.Text;

namespace BiGS.Native.Tokenization;

/// <summary>
/// The BERT text normaliser, applied in this order (as Hugging Face tokenizers' <c>BertNormalizer</c>):
/// <list type="number">
/// <item>clean text: drop U+0000, U+FFFD and "other" characters (categories Cc, Cf, Cs, Co, Cn, except tab,
/// newline and carriage return), then map every whitespace character to a plain space;</item>
/// <item>put a space on each side of every CJK ideograph, so each becomes a word of its own;</item>
/// <item>strip accents: canonical decomposition (NFD) then removal of the non-spacing marks (Mn), so é = e + U+0301 becomes e;</item>
/// <item>lowercase, one code point at a time.</item>
/// </list>
/// There is no compatibility (NFKC) step: "ﬁ", "²" and "½" stay as they are.
/// </summary>
/// <remarks>
/// A Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.Normalizer"/>, but not the library's own
/// <c>BertNormalizer</c>: that one deletes tabs and newlines instead of treating them as spaces (so "a\tb" becomes
/// one word "ab"), and leaves Hangul syllables composed where NFD splits them into jamo.
/// </remarks>
public sealed class BertNormalizer : Microsoft.ML.Tokenizers.Normalizer
{
    /// <summary>Creates a normaliser. <paramref name="stripAccents"/> null means "strip when lowercasing" (the BERT default).</summary>
    public BertNormalizer(bool cleanText = true, bool handleChineseChars = true, bool? stripAccents = null, bool lowercase = true)
    {
        CleanText = cleanText;
        HandleChineseChars = handleChineseChars;
        StripAccents = stripAccents ?? lowercase;
        Lowercase = lowercase;
    }

    /// <summary>Whether control/format characters are dropped and whitespace becomes a space.</summary>
    public bool CleanText { get; }

    /// <summary>Whether CJK ideographs are surrounded by spaces.</summary>
    public bool HandleChineseChars { get; }

    /// <summary>Whether accents (non-spacing marks after NFD) are removed.</summary>
    public bool StripAccents { get; }

    /// <summary>Whether text is lowercased.</summary>
    public bool Lowercase { get; }

    /// <summary>Returns the normalised form of <paramref name="original"/>.</summary>
    public override string Normalize(string original) => Normalize(original.AsSpan());

    /// <summary>Returns the normalised form of <paramref name="original"/>.</summary>
    public override string Normalize(ReadOnlySpan<char> original)
    {
        var output = new CharBuffer(original.Length);
        Normalize(original, output, new CharBuffer(original.Length));
        return output.Span.ToString();
    }

    /// <summary>Writes the normalised form of <paramref name="text"/> into <paramref name="output"/>, using <paramref name="scratch"/> as working space.</summary>
    internal void Normalize(ReadOnlySpan<char> text, CharBuffer output, CharBuffer scratch)
    {
        output.Clear();
        if (text.IndexOfAnyExceptInRange(' ', '~') < 0)
        {
            // Printable ASCII, most text: nothing to clean, no ideograph, no accent, so only lowercasing applies.
            var destination = output.AppendUninitialized(text.Length);
            if (Lowercase) Ascii.ToLower(text, destination, out _);
            else text.CopyTo(destination);
            return;
        }
        scratch.Clear();
        CleanAndIsolateIdeographs(text, scratch);

        ReadOnlySpan<char> cleaned = scratch.Span;
        if (StripAccents && !cleaned.IsNormalized(NormalizationForm.FormD))
            Decompose(cleaned, output);
        else
            output.Append(cleaned);

        if (StripAccents || Lowercase)
            RemoveMarksAndLowercaseInPlace(output);
    }

    /// <summary>Steps 1 and 2. Lone surrogates are read as U+FFFD (and so removed by cleaning).</summary>
    private void CleanAndIsolateIdeographs(ReadOnlySpan<char> text, CharBuffer output)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is >= ' ' and < '\u007f')
            {
                output.Append(c); // printable ASCII: nothing to clean, never an ideograph
                i++;
                continue;
            }
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int consumed);
            i += consumed;
            if (CleanText && IsRemovedByCleaning(rune))
                continue;
            if (CleanText && IsBertWhitespace(rune))
                output.Append(' ');
            else if (HandleChineseChars && IsCjkIdeograph(rune))
            {
                output.Append(' ');
                output.Append(rune);
                output.Append(' ');
            }
            else
                output.Append(rune);
        }
    }

    private static void Decompose(ReadOnlySpan<char> text, CharBuffer output)
    {
        int length = text.GetNormalizedLength(NormalizationForm.FormD);
        var destination = output.AppendUninitialized(length);
        if (!text.TryNormalize(destination, out int written, NormalizationForm.FormD) || written != length)
            throw new InvalidOperationException("NFD decomposition did not fit its computed length");
    }

    /// <summary>Steps 3 (mark removal) and 4. Simple case mapping never changes a code point's UTF-16 length, so this works in place.</summary>
    private void RemoveMarksAndLowercaseInPlace(CharBuffer buffer)
    {
        Span<char> chars = buffer.Span;
        int write = 0;
        int read = 0;
        while (read < chars.Length)
        {
            char c = chars[read];
            if (c < '\u0080')
            {
                chars[write++] = Lowercase && c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A')) : c;
                read++;
                continue;
            }
            Rune.DecodeFromUtf16(chars[read..], out Rune rune, out int consumed);
            read += consumed;
            if (StripAccents && Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
                continue;
            if (Lowercase)
                rune = Rune.ToLowerInvariant(rune);
            write += rune.EncodeToUtf16(chars[write..]);
        }
        buffer.Truncate(write);
    }

    /// <summary>U+0000, U+FFFD, and Unicode "other" characters (Cc, Cf, Cs, Co, Cn) except tab, newline and carriage return.</summary>
    internal static bool IsRemovedByCleaning(Rune rune)
    {
        if (rune.Value is 0 or 0xFFFD) return true;
        if (rune.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>Tab, newline, carriage return, and the Unicode White_Space characters.</summary>
    internal static bool IsBertWhitespace(Rune rune) => Rune.IsWhiteSpace(rune);

    /// <summary>
    /// The CJK Unified Ideograph blocks BERT splits out: U+4E00–9FFF, U+3400–4DBF, U+F900–FAFF (compatibility),
    /// and the supplementary-plane extensions. Kana and Hangul are not included. The ranges are those of
    /// Hugging Face tokenizers (whose extension-D/E range starts at U+2B920, where Google's BERT code has U+2B820).
    /// </summary>
    internal static bool IsCjkIdeograph(Rune rune) => rune.Value is
        (>= 0x4E00 and <= 0x9FFF) or
        (>= 0x3400 and <= 0x4DBF) or
        (>= 0x20000 and <= 0x2A6DF) or
        (>= 0x2A700 and <= 0x2B73F) or
        (>= 0x2B740 and <= 0x2B81F) or
        (>= 0x2B920 and <= 0x2CEAF) or
        (>= 0xF900 and <= 0xFAFF) or
        (>= 0x2F800 and <= 0x2FA1F);
}
