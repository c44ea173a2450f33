using BiGS.Native.Tasks;

namespace BiGS.Native.Tests.Tasks;

public class DelimitedTableTests
{
    [Fact]
    public void Tsv_keeps_quotes_literal_skips_blank_lines_and_numbers_rows_by_file_line()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("a.tsv", "sentence\tlabel\r\n\"quoted\" text\t1\r\n\r\n  \nsecond\t0\n");
        var table = DelimitedTable.Read(path, DelimitedFormat.Tsv, hasHeader: true);
        Assert.Equal(["sentence", "label"], table.Header!);
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal(2, table.Rows[0].Line);
        Assert.Equal(["\"quoted\" text", "1"], table.Rows[0].Fields);
        Assert.Equal(5, table.Rows[1].Line);
        Assert.Equal(["second", "0"], table.Rows[1].Fields);
    }

    [Fact]
    public void Csv_follows_rfc4180_quoting_with_commas_doubled_quotes_and_line_breaks()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("a.csv", "text,label\r\n\"a, b\",1\r\n\"she said \"\"hi\"\"\",0\n\"two\nlines\",1\nplain,\n");
        var table = DelimitedTable.Read(path, DelimitedFormat.Csv, hasHeader: true);
        Assert.Equal(["text", "label"], table.Header!);
        Assert.Equal(["a, b", "1"], table.Rows[0].Fields);
        Assert.Equal(2, table.Rows[0].Line);
        Assert.Equal(["she said \"hi\"", "0"], table.Rows[1].Fields);
        Assert.Equal(["two\nlines", "1"], table.Rows[2].Fields);
        Assert.Equal(4, table.Rows[2].Line);
        Assert.Equal(["plain", ""], table.Rows[3].Fields);
        Assert.Equal(6, table.Rows[3].Line);
    }

    [Fact]
    public void A_byte_order_mark_is_dropped_from_the_first_column_name()
    {
        using var files = new TaskTestFiles();
        var path = files.WriteBytes("bom.tsv", [0xEF, 0xBB, 0xBF, .. "sentence\tlabel\nx\t1\n"u8.ToArray()]);
        Assert.Equal("sentence", DelimitedTable.Read(path, DelimitedFormat.Tsv, true).Header![0]);
    }

    [Fact]
    public void Unclosed_quote_names_the_line_where_it_opened()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("bad.csv", "text,label\nok,1\n\"never closed,0\nmore\n");
        var error = Assert.Throws<InvalidDataException>(() => DelimitedTable.Read(path, DelimitedFormat.Csv, true));
        Assert.Contains($"{path} line 3", error.Message);
    }

    [Fact]
    public void Invalid_utf8_names_the_file_line_and_byte_offset()
    {
        using var files = new TaskTestFiles();
        var path = files.WriteBytes("bad.tsv", [.. "sentence\tlabel\nok\t1\nbad "u8.ToArray(), 0xC3, 0x28, .. "\t0\n"u8.ToArray()]);
        var error = Assert.Throws<InvalidDataException>(() => DelimitedTable.Read(path, DelimitedFormat.Tsv, true));
        Assert.Contains($"{path} line 3: not valid UTF-8 (byte offset 24)", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t\n")]
    public void Empty_or_whitespace_only_file_is_an_error_naming_it(string content)
    {
        using var files = new TaskTestFiles();
        var path = files.Write("empty.tsv", content);
        var error = Assert.Throws<InvalidDataException>(() => DelimitedTable.Read(path, DelimitedFormat.Tsv, true));
        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.tsv");
        var error = Assert.Throws<FileNotFoundException>(() => DelimitedTable.Read(path, DelimitedFormat.Tsv, true));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Unknown_column_lists_the_header()
    {
        using var files = new TaskTestFiles();
        var table = DelimitedTable.Read(files.Write("a.tsv", "sentence\tlabel\nx\t1\n"), DelimitedFormat.Tsv, true);
        Assert.Equal(1, table.ColumnIndex("label"));
        var error = Assert.Throws<InvalidDataException>(() => table.ColumnIndex("score"));
        Assert.Contains("no column named 'score'", error.Message);
        Assert.Contains("'sentence', 'label'", error.Message);
    }

    [Fact]
    public void Format_follows_the_file_extension()
    {
        Assert.Equal(DelimitedFormat.Csv, DelimitedTable.FormatOf("x/train.CSV"));
        Assert.Equal(DelimitedFormat.Tsv, DelimitedTable.FormatOf("x/train.tsv"));
    }
}
