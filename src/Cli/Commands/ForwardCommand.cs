using System.CommandLine;
using BiGS.Native.Autograd;
using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs forward</c>: runs a model on integer inputs from a safetensors file and writes every output (and, with
/// --backward, the loss and the gradient of every parameter) to another safetensors file. This is how a port is
/// validated against reference numbers.
/// </summary>
public static class ForwardCommand
{
    /// <summary>The <c>bigs forward</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (config.json + model.safetensors or flax_model.msgpack)", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "safetensors with input_ids (B,L) and optional token_type_ids, attention_mask, position_ids, labels", Required = true };
        var output = new Option<string>("--output") { Description = "safetensors file to write", Required = true };
        var head = new Option<string?>("--head") { Description = "Head to run (default: the one config.json names)" };
        head.AcceptOnlyFromAmong([.. BiGSHeads.Names]);
        var backward = new Option<bool>("--backward") { Description = "Also compute the loss (needs labels) and every parameter's gradient" };
        var device = DeviceOption.Create();
        var precision = PrecisionOption.Create();
        var command = new Command("forward", "Run a model on inputs from a safetensors file and save its outputs (and gradients)");
        foreach (var option in new Option[] { model, inputs, output, head, backward, device, precision }) command.Options.Add(option);
        command.SetAction(r => CliErrors.Guard(() =>
        {
            using var scope = PrecisionOption.Use(r, precision);
            return Run(r.GetValue(model)!, r.GetValue(inputs)!, r.GetValue(output)!, r.GetValue(head), r.GetValue(backward),
                DeviceOption.Resolve(r.GetValue(device)));
        }));
        return command;
    }

    private static int Run(string modelDirectory, string inputsPath, string outputPath, string? headName, bool backward, Device device)
    {
        var model = BiGSHeads.FromPretrained(ModelPath.Resolve(modelDirectory), headName is null ? null : BiGSHeads.Parse(headName));
        model.To(device);
        var input = ReadInput(inputsPath, model.Config, device);
        if (backward && input.Labels is null && input.StartPositions is null)
            throw new ArgumentException($"{inputsPath}: --backward needs a 'labels' tensor (or start_positions/end_positions)");
        var results = new List<CheckpointTensor>();
        using (backward ? null : GradMode.NoGrad())
        {
            var outputs = model.Forward(input);
            AddOutputs(results, outputs);
            if (backward)
            {
                var loss = outputs.Loss ?? throw new InvalidOperationException("the model produced no loss for these labels");
                loss.Backward();
                results.Add(Float("loss", loss.Value.Reshape(1)));
                results.AddRange(model.NamedParameters().Select(p =>
                    Float("grad." + p.Name, p.Parameter.Grad ?? Tensor.ZerosLike(p.Parameter.Value))));
            }
        }
        SafeTensorsWriter.Write(outputPath, results);
        Console.WriteLine($"wrote {results.Count} tensors to {outputPath}");
        return 0;
    }

    /// <summary>Optional inputs that must have the shape (batch, length) of input_ids, and be integers.</summary>
    private static readonly string[] PerTokenInputs = ["token_type_ids", "attention_mask", "position_ids"];

    /// <summary>Optional inputs with one value per sequence: shape (batch).</summary>
    private static readonly string[] PerSequenceInputs = ["next_sentence_label", "start_positions", "end_positions"];

    private static BiGSInput ReadInput(string path, BiGSConfig config, Device device)
    {
        var tensors = SafeTensorsReader.ReadAll(path);
        RequireShapes(tensors, path);
        RequireInRange(tensors, "input_ids", config.VocabSize, "vocab_size", path);
        RequireInRange(tensors, "token_type_ids", config.TypeVocabSize, "type_vocab_size", path);
        RequireInRange(tensors, "position_ids", config.MaxPositionEmbeddings, "max_position_embeddings", path);
        if (tensors["input_ids"].Shape[1] > config.MaxPositionEmbeddings)
            throw new InvalidDataException($"{path}: input_ids has {tensors["input_ids"].Shape[1]} tokens per sequence, more than the model's max_position_embeddings {config.MaxPositionEmbeddings}");
        Tensor? Optional(string name) => tensors.TryGetValue(name, out var t) ? ToTensor(t).To(device) : null;
        var ids = Optional("input_ids")!;
        return new BiGSInput(ids)
        {
            TokenTypeIds = Optional("token_type_ids"),
            AttentionMask = Optional("attention_mask"),
            PositionIds = Optional("position_ids"),
            Labels = Optional("labels"),
            NextSentenceLabel = Optional("next_sentence_label"),
            StartPositions = Optional("start_positions"),
            EndPositions = Optional("end_positions"),
            OutputHiddenStates = true,
        };
    }

    /// <summary>
    /// input_ids is an integer (batch, length) tensor; token_type_ids, attention_mask and position_ids have its
    /// shape; labels has its batch first (per sequence, per token or per label); the rest are one per sequence.
    /// </summary>
    private static void RequireShapes(IReadOnlyDictionary<string, CheckpointTensor> tensors, string path)
    {
        if (!tensors.TryGetValue("input_ids", out var ids)) throw new KeyNotFoundException($"{path}: no 'input_ids' tensor");
        if (ids.Shape.Length != 2 || ids.Floats is not null)
            throw new InvalidDataException($"{path}: input_ids must be an integer tensor of shape (batch, length), got {Describe(ids)}");
        foreach (string name in PerTokenInputs.Where(tensors.ContainsKey))
            if (!tensors[name].Shape.SequenceEqual(ids.Shape) || tensors[name].Floats is not null)
                throw new InvalidDataException($"{path}: {name} must be an integer tensor of input_ids' shape {ShapeText(ids.Shape)}, got {Describe(tensors[name])}");
        foreach (string name in PerSequenceInputs.Where(tensors.ContainsKey))
            if (!tensors[name].Shape.SequenceEqual([ids.Shape[0]]))
                throw new InvalidDataException($"{path}: {name} must have shape ({ids.Shape[0]}), one value per sequence of input_ids, got {Describe(tensors[name])}");
        if (tensors.TryGetValue("labels", out var labels) && (labels.Shape.Length is < 1 or > 2 || labels.Shape[0] != ids.Shape[0]))
            throw new InvalidDataException($"{path}: labels must have input_ids' batch {ids.Shape[0]} as its first of at most two dimensions, got {Describe(labels)}");
    }

    /// <summary>Every value of an integer tensor (when present) in [0, <paramref name="limit"/>), the config field named.</summary>
    private static void RequireInRange(IReadOnlyDictionary<string, CheckpointTensor> tensors, string name, int limit, string field, string path)
    {
        if (!tensors.TryGetValue(name, out var t)) return;
        long[] values = t.Longs ?? t.Ints!.Select(v => (long)v).ToArray();
        int bad = Array.FindIndex(values, v => v < 0 || v >= limit);
        if (bad >= 0)
            throw new InvalidDataException($"{path}: {name} holds {values[bad]} at flat index {bad}, outside [0, {limit}) of the model's {field}");
    }

    private static string Describe(CheckpointTensor t) => $"{(t.Floats is null ? "integer" : "float")} {ShapeText(t.Shape)}";

    private static string ShapeText(IEnumerable<int> shape) => $"({string.Join(", ", shape)})";

    private static Tensor ToTensor(CheckpointTensor t) =>
        t.Floats is { } f ? Tensor.FromArray(f, t.Shape)
        : t.Ints is { } i ? Tensor.FromInts(i, t.Shape)
        : Tensor.FromLongs(t.Longs!, t.Shape);

    private static void AddOutputs(List<CheckpointTensor> results, BiGSOutput outputs)
    {
        results.Add(Float("last_hidden_state", outputs.LastHiddenState.Value));
        for (int i = 0; i < (outputs.HiddenStates?.Count ?? 0); i++)
            results.Add(Float($"hidden_states.{i}", outputs.HiddenStates![i].Value));
        AddIfPresent(results, "pooler_output", outputs.PoolerOutput);
        AddIfPresent(results, "logits", outputs.Logits);
        AddIfPresent(results, "seq_relationship_logits", outputs.SeqRelationshipLogits);
        AddIfPresent(results, "start_logits", outputs.StartLogits);
        AddIfPresent(results, "end_logits", outputs.EndLogits);
    }

    private static void AddIfPresent(List<CheckpointTensor> results, string name, Variable? value)
    {
        if (value != null) results.Add(Float(name, value.Value));
    }

    private static CheckpointTensor Float(string name, Tensor t) => CheckpointTensor.FromFloats(name, t.ShapeArray(), t.ToArray());
}
