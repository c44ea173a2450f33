using System.CommandLine;
using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs convert</c>: a Flax checkpoint (the authors' flax_model.msgpack) to config.json + model.safetensors with
/// PyTorch-port names. Streams: the file is read twice (shapes first, then data), one tensor in memory at a time.
/// </summary>
public static class ConvertCommand
{
    /// <summary>The <c>bigs convert</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Model directory holding flax_model.msgpack and config.json, or the .msgpack file", Required = true };
        var to = new Option<string>("--to") { Description = "Output directory (config.json + model.safetensors)", Required = true };
        var command = new Command("convert", "Convert a Flax msgpack checkpoint to config.json + model.safetensors");
        command.Options.Add(from);
        command.Options.Add(to);
        command.SetAction(r => CliErrors.Guard(() => Run(r.GetValue(from)!, r.GetValue(to)!)));
        return command;
    }

    private static int Run(string from, string toDirectory)
    {
        string weights = Directory.Exists(from) ? Path.Combine(from, PretrainedLoader.FlaxFile) : from;
        string configDirectory = Directory.Exists(from) ? from : Path.GetDirectoryName(Path.GetFullPath(from))!;
        if (!File.Exists(weights)) throw new FileNotFoundException($"no Flax checkpoint at {weights}");
        var config = BiGSConfig.Load(configDirectory);
        Convert(weights, Path.Combine(toDirectory, PretrainedLoader.SafeTensorsFile));
        config.Save(toDirectory);
        Console.WriteLine($"converted {weights} -> {toDirectory}");
        return 0;
    }

    /// <summary>Writes the checkpoint's tensors, renamed and transposed to the PyTorch layout, as safetensors.</summary>
    public static void Convert(string flaxPath, string safetensorsPath)
    {
        var layout = PretrainedLoader.ReadTorchNamed(flaxPath).Select(t => (t.Name, t.Shape)).ToList();
        using var data = PretrainedLoader.ReadTorchNamed(flaxPath).GetEnumerator();
        var entries = layout.Select(entry => new SafeTensorsEntry(entry.Name, ElementType.Float32, entry.Shape, stream =>
        {
            if (!data.MoveNext() || data.Current.Name != entry.Name)
                throw new InvalidDataException($"{flaxPath} changed while it was being converted (at {entry.Name})");
            SafeTensorsWriter.EntryFor(data.Current).WriteData(stream);
        })).ToList();
        SafeTensorsWriter.Write(safetensorsPath, entries, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
