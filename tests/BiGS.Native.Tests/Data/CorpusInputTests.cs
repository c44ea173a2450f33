using System.IO.Compression;
using System.Text;
using BiGS.Native.Data;
using BiGS.Native.Tests.Training;
using Xunit;

namespace BiGS.Native.Tests.Data;

public class CorpusInputTests : IDisposable
{
    private readonly TemporaryDirectory work = new();

    /// <inheritdoc />
    public void Dispose() => work.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(work.Subdirectory(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static PretrainingCorpus Load(string path) => PretrainingCorpus.Load([path], TrainingTestKit.Tokenizer, 16);

    [Fact]
    public void Empty_and_whitespace_corpora_are_rejected_by_name()
    {
        foreach (string text in new[] { "", "  \n\t\n\r\n   " })
        {
            string path = Write("empty.txt", Encoding.UTF8.GetBytes(text));
            var error = Assert.Throws<InvalidDataException>(() => Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains("empty", error.Message);
        }
    }

    [Fact]
    public void Invalid_utf8_names_file_and_line()
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes("the lord\nlet there be light\ngod "), 0xFF, 0xFE, .. Encoding.ASCII.GetBytes("was\n")];
        string path = Write("bad.txt", bytes);
        var error = Assert.Throws<InvalidDataException>(() => Load(path));
        Assert.Contains("bad.txt: line 3: invalid UTF-8", error.Message);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Load("/nonexistent/corpus.txt"));
        Assert.Contains("/nonexistent/corpus.txt", error.Message);
    }

    [Fact]
    public void Gzip_blank_line_documents_and_crlf_are_read()
    {
        string path = Path.Combine(work.Subdirectory(), "c.txt.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes("\uFEFFthe lord\r\n\r\ngod said\r\nlet there be light"));
        var lines = TextCorpus.ReadLines(path).ToList();
        Assert.Equal(["the lord", "god said", "let there be light"], lines.Select(l => l.Text));
        Assert.Equal([1L, 3L, 4L], lines.Select(l => l.LineNumber));
    }

    [Fact]
    public void A_ten_megabyte_line_packs_in_linear_time()
    {
        var text = new StringBuilder(10_000_000);
        while (text.Length < 10_000_000) text.Append("let there be light ");
        string path = Write("huge.txt", Encoding.ASCII.GetBytes(text.ToString()));
        var corpus = Load(path);
        int sequences = corpus.Train.Count + corpus.HeldOut.Count;
        long pieces = text.Length / "let there be light ".Length * 4;
        Assert.Equal((pieces + 13) / 14, sequences); // 14 pieces per sequence of 16
    }
}
