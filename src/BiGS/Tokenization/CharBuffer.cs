using System.Text;

namespace BiGS.Native.Tokenization;

/// <summary>
/// A growable, reusable run of UTF-16 characters, so the tokenizer pipeline can pass spans between stages
/// without allocating a string per stage or per character.
/// </summary>
internal sealed class CharBuffer(int initialCapacity = 256)
{
    private char[] chars = new char[Math.Max(16, initialCapacity)];

    /// <summary>Number of characters written.</summary>
    public int Length { get; private set; }

    /// <summary>The characters written so far.</summary>
    public Span<char> Span => chars.AsSpan(0, Length);

    /// <summary>Forgets the content but keeps the storage.</summary>
    public void Clear() => Length = 0;

    /// <summary>Drops everything after the first <paramref name="length"/> characters.</summary>
    public void Truncate(int length) => Length = length;

    /// <summary>Appends one UTF-16 code unit.</summary>
    public void Append(char c)
    {
        if (Length == chars.Length) EnsureCapacity(Length + 1);
        chars[Length++] = c;
    }

    /// <summary>Appends one code point (one or two UTF-16 code units).</summary>
    public void Append(Rune rune)
    {
        EnsureCapacity(Length + 2);
        Length += rune.EncodeToUtf16(chars.AsSpan(Length));
    }

    /// <summary>Appends a run of characters.</summary>
    public void Append(ReadOnlySpan<char> text)
    {
        EnsureCapacity(Length + text.Length);
        text.CopyTo(chars.AsSpan(Length));
        Length += text.Length;
    }

    /// <summary>Reserves <paramref name="count"/> characters at the end and returns them for writing.</summary>
    public Span<char> AppendUninitialized(int count)
    {
        EnsureCapacity(Length + count);
        var reserved = chars.AsSpan(Length, count);
        Length += count;
        return reserved;
    }

    private void EnsureCapacity(int capacity)
    {
        if (capacity <= chars.Length) return;
        Array.Resize(ref chars, Math.Max(capacity, chars.Length * 2));
    }
}
