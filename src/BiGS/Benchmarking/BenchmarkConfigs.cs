using BiGS.Native.Modeling;

namespace BiGS.Native.Benchmarking;

/// <summary>The model sizes <c>bigs bench --config</c> knows by name, or a config.json file.</summary>
public static class BenchmarkConfigs
{
    /// <summary>The names accepted besides a file path.</summary>
    public static IReadOnlyList<string> Names { get; } = ["base", "large"];

    /// <summary>BiGS-base: 12 layers, d 768, I 3072, N 64, vocabulary 30522.</summary>
    public static BiGSConfig Base() => new() { NumHiddenLayers = 12, HiddenSize = 768, IntermediateSize = 3072, NumSsm = 64, VocabSize = 30522 };

    /// <summary>BiGS-large (the released checkpoints' size): 23 layers, d 1024, I 3072, N 64, vocabulary 30522.</summary>
    public static BiGSConfig Large() => new() { NumHiddenLayers = 23, HiddenSize = 1024, IntermediateSize = 3072, NumSsm = 64, VocabSize = 30522 };

    /// <summary>"base", "large", or the path of a config.json (or of a model directory holding one).</summary>
    public static BiGSConfig Resolve(string nameOrPath) => nameOrPath switch
    {
        "base" => Base(),
        "large" => Large(),
        _ => BiGSConfig.Load(nameOrPath),
    };
}
