using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;

namespace BiGS.Native.Tests.Modeling;

/// <summary>Broken model directories give an error naming the problem, never a crash or a silently wrong model.</summary>
public sealed class BadCheckpointTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "bigs-bad-" + Guid.NewGuid().ToString("N"));

    public BadCheckpointTests()
    {
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(TinyFixture.Directory, "config.json"), Path.Combine(directory, "config.json"));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Weights(string name = PretrainedLoader.SafeTensorsFile) => Path.Combine(directory, name);

    private static byte[] Original(string file) => File.ReadAllBytes(Path.Combine(TinyFixture.Directory, file));

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("flax_model.msgpack")]
    public void Truncated_weights_name_the_file(string file)
    {
        var bytes = Original(file);
        foreach (int cut in new[] { 4, 100, bytes.Length / 2, bytes.Length - 3 })
        {
            File.WriteAllBytes(Weights(file), bytes[..cut]);
            var e = Assert.Throws<CheckpointFormatException>(() => BiGSForMaskedLM.FromPretrained(directory));
            Assert.Contains(file, e.Message);
        }
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("flax_model.msgpack")]
    public void Garbage_bytes_are_a_format_error(string file)
    {
        var bytes = Original(file);
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var corrupt = (byte[])bytes.Clone();
            for (int i = 0; i < 8; i++) corrupt[rng.Next(Math.Min(corrupt.Length, 4096))] = (byte)rng.Next(256);
            File.WriteAllBytes(Weights(file), corrupt);
            var e = Record.Exception(() => BiGSForMaskedLM.FromPretrained(directory));
            Assert.True(e is null or CheckpointFormatException, $"trial {trial}: unexpected {e?.GetType().Name}: {e?.Message}");
        }
    }

    [Fact]
    public void Missing_unexpected_and_mis_shaped_tensors_are_listed_together()
    {
        var tensors = SafeTensorsReader.ReadAll(Path.Combine(TinyFixture.Directory, PretrainedLoader.SafeTensorsFile));
        tensors.Remove("bigs.encoder.layer.1.dv.weight");
        tensors.Remove("bigs.embeddings.LayerNorm.bias");
        tensors["bigs.encoder.layer.0.fs4.kernel.C"] = CheckpointTensor.FromFloats("bigs.encoder.layer.0.fs4.kernel.C", [8, 2], new float[16]);
        tensors["mystery.weight"] = CheckpointTensor.FromFloats("mystery.weight", [3], new float[3]);
        SafeTensorsWriter.Write(Weights(), tensors.Values);
        var message = Assert.Throws<CheckpointFormatException>(() => BiGSForMaskedLM.FromPretrained(directory)).Message;
        Assert.Contains("bigs.encoder.layer.1.dv.weight", message);
        Assert.Contains("bigs.embeddings.LayerNorm.bias", message);
        Assert.Contains("bigs.encoder.layer.0.fs4.kernel.C", message);
        Assert.Contains("mystery.weight", message);
    }

    [Fact]
    public void Another_heads_weights_are_ignored_and_a_new_head_is_reported()
    {
        var tensors = SafeTensorsReader.ReadAll(Path.Combine(TinyFixture.Directory, PretrainedLoader.SafeTensorsFile));
        foreach (var name in tensors.Keys.Where(k => k.StartsWith("classifier.")).ToList()) tensors.Remove(name);
        SafeTensorsWriter.Write(Weights(), tensors.Values);
        var model = BiGSForSequenceClassification.FromPretrained(directory);
        Assert.Equal(["classifier.weight", "classifier.bias"], model.LoadReport!.NewlyInitialized.Order().Reverse());
        Assert.Contains("cls.predictions.bias", model.LoadReport.Ignored);
    }

    [Fact]
    public void A_directory_without_weights_or_config_says_so()
    {
        Assert.Contains("neither", Assert.Throws<FileNotFoundException>(() => BiGSForMaskedLM.FromPretrained(directory)).Message);
        File.Delete(Path.Combine(directory, "config.json"));
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => BiGSForMaskedLM.FromPretrained(directory)).Message);
    }

    [Fact]
    public void Save_then_load_round_trips_every_parameter()
    {
        var model = BiGSForMaskedLM.FromPretrained(TinyFixture.Directory);
        model.SavePretrained(directory);
        var reloaded = BiGSForMaskedLM.FromPretrained(directory);
        var original = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.ToArray());
        foreach (var (name, parameter) in reloaded.NamedParameters())
            Assert.Equal(original[name], parameter.Value.ToArray());
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
        Assert.Equal(["BiGSForMaskedLM"], BiGSConfig.Load(directory).Architectures);
    }
}
