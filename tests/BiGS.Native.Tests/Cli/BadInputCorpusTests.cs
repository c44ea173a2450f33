using BiGS.Native.Tests.Checkpoints;

namespace BiGS.Native.Tests.Cli;

/// <summary>
/// The bad-input corpus (tests/fixtures/bad-inputs: configs, safetensors, msgpack, TSV/CSV, corpora, vocabularies)
/// and bad command lines: each case must exit with 1, print one <c>error:</c> line (parse errors add one line
/// pointing to --help) and leave every file that was there before as it was, adding none.
/// </summary>
[Collection("Console")]
public class BadInputCorpusTests
{
    private const string Overwrite = "choose a new directory, or give --overwrite to write into it (files of the names written are replaced; nothing else is deleted)";

    /// <summary>Name, command line and the error line; {w} stands for the case's working directory.</summary>
    public static TheoryData<string, string[], string> Cases => new()
    {
        // config.json (row: 2^31-1 sizes and hidden_size 10^6 overflowed; 100000 layers allocated without end)
        { "vocab_size 2^31-1", Pretrain("--config", "{w}/bad/config/vocab-size-2e31.json"),
            "error: {w}/bad/config/vocab-size-2e31.json: vocab_size x hidden_size (word embeddings) = 17,179,869,176 elements, more than a tensor can hold (2,147,483,647)" },
        { "max_position_embeddings 2^31-1", Pretrain("--config", "{w}/bad/config/max-position-2e31.json"),
            "error: {w}/bad/config/max-position-2e31.json: max_position_embeddings x hidden_size (position embeddings) = 17,179,869,176 elements, more than a tensor can hold (2,147,483,647)" },
        { "hidden_size 10^6", Pretrain("--config", "{w}/bad/config/hidden-size-1e6.json"),
            "error: {w}/bad/config/hidden-size-1e6.json: vocab_size x hidden_size (word embeddings) = 30,522,000,000 elements, more than a tensor can hold (2,147,483,647)" },
        { "num_hidden_layers 100000", Pretrain("--config", "{w}/bad/config/layers-100000.json"),
            "error: {w}/bad/config/layers-100000.json: the model would have 944,946,427,776 parameters (num_hidden_layers 100000, hidden_size 768, intermediate_size 3072, vocab_size 30522); training needs 14,080.8 GiB for them, more than the" },
        { "hidden_size a string", Pretrain("--config", "{w}/bad/config/hidden-size-string.json"),
            "error: {w}/bad/config/hidden-size-string.json: hidden_size must be an integer, got \"big\"" },
        { "num_hidden_layers negative", Pretrain("--config", "{w}/bad/config/negative-layers.json"),
            "error: {w}/bad/config/negative-layers.json: num_hidden_layers must be a positive integer, got -2" },
        { "config truncated", Pretrain("--config", "{w}/bad/config/truncated.json"),
            "error: {w}/bad/config/truncated.json: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed. LineNumber: 0 | BytePositionInLine: 41." },

        // safetensors inputs of `forward` (row: an attention_mask of another shape ran and wrote tensors)
        { "attention_mask shape", Forward("{w}/bad/inputs/attention-mask-shape.safetensors"),
            "error: {w}/bad/inputs/attention-mask-shape.safetensors: attention_mask must be an integer tensor of input_ids' shape (2, 5), got integer (2, 4)" },
        { "token_type_ids shape", Forward("{w}/bad/inputs/token-type-ids-shape.safetensors"),
            "error: {w}/bad/inputs/token-type-ids-shape.safetensors: token_type_ids must be an integer tensor of input_ids' shape (2, 5), got integer (5, 2)" },
        { "labels batch", Forward("{w}/bad/inputs/labels-batch.safetensors"),
            "error: {w}/bad/inputs/labels-batch.safetensors: labels must have input_ids' batch 2 as its first of at most two dimensions, got integer (3)" },
        { "float input_ids", Forward("{w}/bad/inputs/float-input-ids.safetensors"),
            "error: {w}/bad/inputs/float-input-ids.safetensors: input_ids must be an integer tensor of shape (batch, length), got float (2, 5)" },
        { "input id past the vocabulary", Forward("{w}/bad/inputs/id-out-of-range.safetensors"),
            "error: {w}/bad/inputs/id-out-of-range.safetensors: input_ids holds 7592 at flat index 1, outside [0, 512) of the model's vocab_size" },
        { "safetensors offsets past the data", Forward("{w}/bad/inputs/lying-offsets.safetensors"),
            "error: {w}/bad/inputs/lying-offsets.safetensors: tensor 'input_ids': data_offsets [0, 4080] run past the 80-byte data block" },
        { "safetensors header truncated", Forward("{w}/bad/inputs/truncated-header.safetensors"),
            "error: {w}/bad/inputs/truncated-header.safetensors: header length 1000 exceeds the 22 bytes after the 8-byte length prefix (file size 30)" },
        { "--output under a file", ["forward", "--model", "{w}/model", "--inputs", "{w}/bad/inputs/good.safetensors", "--output", "{w}/a-file/out.safetensors"],
            "error: cannot create directory {w}/a-file: {w}/a-file is a file, not a directory" },

        // msgpack
        { "random msgpack", ["forward", "--model", "{w}/bad/random-msgpack", "--inputs", "{w}/bad/inputs/good.safetensors", "--output", "{w}/out.safetensors"],
            "error: {w}/bad/random-msgpack/flax_model.msgpack: invalid UTF-8 in str at offset 1" },

        // TSV/CSV
        { "no label column", Finetune("{w}/bad/tasks/no-label-column"),
            "error: {w}/bad/tasks/no-label-column/train.tsv line 1: no column named 'label' in the header (columns: 'sentence', 'score')" },
        { "short row", Finetune("{w}/bad/tasks/ragged-row"),
            "error: {w}/bad/tasks/ragged-row/train.tsv line 3: too few columns: the row has 1, task 'sst2' reads up to column 2 (the header has 2)" },
        { "bad CSV label", Finetune("{w}/bad/tasks/bad-label-csv"),
            "error: {w}/bad/tasks/bad-label-csv/train.csv line 3: label 'positive' is outside the task's range: task 'sst2' expects one of '0', '1'" },

        // corpora
        { "empty corpus", Pretrain("--corpus", "{w}/bad/corpus/empty.txt"), "error: corpus {w}/bad/corpus/empty.txt is empty or only whitespace" },
        { "blank corpus", Pretrain("--corpus", "{w}/bad/corpus/blank-lines.txt"), "error: corpus {w}/bad/corpus/blank-lines.txt is empty or only whitespace" },
        { "invalid UTF-8 corpus", Pretrain("--corpus", "{w}/bad/corpus/invalid-utf8.txt"), "error: {w}/bad/corpus/invalid-utf8.txt: line 2: invalid UTF-8 near byte offset 17" },

        // vocabularies
        { "empty vocab", ["tokenize", "--vocab", "{w}/bad/vocab/empty.txt", "hello"], "error: {w}/bad/vocab/empty.txt: the vocabulary is empty" },
        { "vocab without [UNK]", ["tokenize", "--vocab", "{w}/bad/vocab/no-unk.txt", "hello"], "error: {w}/bad/vocab/no-unk.txt: the vocabulary has no unknown token '[UNK]'" },
        { "duplicate vocab token", Pretrain("--vocab", "{w}/bad/vocab/duplicate-token.txt"), "error: {w}/bad/vocab/duplicate-token.txt: line 7: duplicate token 'the' (first seen on line 6)" },
        { "tokenizer.json not JSON", Pretrain("--vocab", "{w}/bad/vocab/tokenizer-not-json.json"),
            "error: {w}/bad/vocab/tokenizer-not-json.json: not valid JSON: 'this is not json' is an invalid JSON literal. Expected the literal 'true'. LineNumber: 0 | BytePositionInLine: 1." },

        // command lines (row: `--steps abc` printed the whole help)
        { "--steps abc", Pretrain("--steps", "abc"), "error: Cannot parse argument 'abc' for option '--steps' as expected type 'System.Int32'." },
        { "--save-every 0", Pretrain("--save-every", "0"), "error: --save-every must be at least 1, got 0" },
        { "--eval-every -1", Pretrain("--eval-every", "-1"), "error: --eval-every must be at least 1, got -1" },
        { "--dropout 1", Pretrain("--dropout", "1"), "error: --dropout must be in [0, 1), got 1" },
        { "--lr -1", [.. Finetune("{w}/bad/tasks/ragged-row"), "--lr", "-1"], "error: --lr must be a positive number, got -1" },
        { "unknown option", Pretrain("--stepz", "3"), "error: Unrecognized command or argument '--stepz'." },
        { "unknown command", ["pretrian"], "error: unknown command 'pretrian'" },
        { "--top-k 0", ["fill-mask", "--model", "{w}/model", "--top-k", "0", "a [MASK]"], "error: --top-k must be at least 1, got 0" },

        // run directories (rows: an unrelated --out was overwritten; finetune --model X --out X replaced X)
        { "foreign --out", Pretrain("--out", "{w}/foreign"), $"error: --out {{w}}/foreign exists and is not a pretrain run directory (it has no bigs_run.json); {Overwrite}" },
        { "--out of another kind", [.. Finetune("{w}/bad/tasks/ragged-row")[..^2], "--out", "{w}/pretrain-run"],
            $"error: --out {{w}}/pretrain-run is a pretrain run directory, not a finetune one; {Overwrite}" },
        { "--out is --model", [.. Finetune("{w}/bad/tasks/ragged-row")[..^2], "--out", "{w}/model"],
            "error: --out {w}/model is the --model model {w}/model; a run never writes into the model it starts from, so choose another --out" },
        { "--resume without checkpoint", Pretrain("--resume", "{w}/foreign"), "error: no complete checkpoint (a directory with trainer_state.json) in {w}/foreign" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_input_is_one_error_line_exit_code_1_and_no_file_changed(string name, string[] args, string expected)
    {
        using var work = new TemporaryDirectory();
        string w = work.Path;
        CopyDirectory(Path.Combine(AppContext.BaseDirectory, "fixtures", "bad-inputs"), Path.Combine(w, "bad"));
        Directory.CreateDirectory(Path.Combine(w, "model"));
        foreach (string file in new[] { "config.json", "model.safetensors" })
            File.Copy(BigsTinyFixture.File(file), Path.Combine(w, "model", file));
        File.Copy(Path.Combine(w, "bad", "model-vocab.txt"), Path.Combine(w, "model", "vocab.txt"));
        File.WriteAllText(Path.Combine(w, "a-file"), "a file");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(w, "foreign")).FullName, "metrics.jsonl"), "someone else's\n");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(w, "pretrain-run")).FullName, "bigs_run.json"),
            "{\"format\": \"bigs-run\", \"kind\": \"pretrain\", \"checkpoints\": []}");
        var before = FileTree.Snapshot(w);

        var (exit, _, error) = CliRunner.Run([.. args.Select(a => a.Replace("{w}", w))]);

        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(exit == 1, $"{name}: exit code {exit}, {error}");
        Assert.True(lines.Length == 1 || (lines.Length == 2 && lines[1].StartsWith("see 'bigs ") && lines[1].EndsWith(" --help' for the usage")), $"{name}: {error}");
        Assert.True(expected != "", $"{name}: {lines[0]}");
        Assert.StartsWith(expected.Replace("{w}", w), lines[0]);
        Assert.Equal(before, FileTree.Snapshot(w));
    }

    /// <summary>`pretrain` with the extra options, and --steps 1 --out {w}/run where they do not give their own.</summary>
    private static string[] Pretrain(params string[] extra) =>
        ["pretrain", .. extra.Contains("--steps") ? [] : new[] { "--steps", "1" }, .. extra.Contains("--out") ? [] : new[] { "--out", "{w}/run" }, .. extra];

    private static string[] Forward(string inputs) => ["forward", "--model", "{w}/model", "--inputs", inputs, "--output", "{w}/out.safetensors"];

    private static string[] Finetune(string data) => ["finetune", "--task", "sst2", "--data", data, "--model", "{w}/model", "--out", "{w}/ft"];

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
