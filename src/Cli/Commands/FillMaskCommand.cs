using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BiGS.Native.Inference;
using BiGS.Native.Modeling;
using BiGS.Native.Tasks;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// <c>bigs fill-mask</c>: the most probable tokens for every [MASK] of a text, from a masked-LM checkpoint (ours
/// or the authors'). The input is not padded, as in the predictions `pretrain` prints; --pad pads it to the
/// model's maximum length as the authors' example does. BiGS reads the padding in both directions, so the two differ.
/// </summary>
public static class FillMaskCommand
{
    private static readonly JsonSerializerOptions OutputJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>bigs fill-mask</c> command, its options bound to their handler, for the root command to add.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Masked-LM model directory (config.json + model.safetensors or flax_model.msgpack)", Required = true };
        var topK = new Option<int>("--top-k") { Description = "Candidates per [MASK]", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var pad = new Option<bool>("--pad") { Description = "Pad the input to the model's max_position_embeddings, as the authors' example does (default: no padding, as pretrain's predictions)" };
        var device = DeviceOption.Create();
        var text = new Argument<string>("text") { Description = "Text with one or more [MASK] tokens" };
        var command = new Command("fill-mask", "Predict the tokens behind [MASK] with a masked-LM checkpoint");
        foreach (var option in new Option[] { model, topK, json, pad, device }) command.Options.Add(option);
        command.Arguments.Add(text);
        command.SetAction(r => CliErrors.Guard(() => Run(r.GetValue(model)!, r.GetValue(text)!, r.GetValue(topK), r.GetValue(json), r.GetValue(pad), r.GetValue(device))));
        return command;
    }

    private static int Run(string modelPath, string text, int topK, bool asJson, bool pad, string? device)
    {
        if (topK < 1) throw new ArgumentException($"--top-k must be at least 1, got {topK}");
        string modelDirectory = ModelPath.Resolve(modelPath);
        var model = BiGSForMaskedLM.FromPretrained(modelDirectory);
        if (model.LoadReport!.NewlyInitialized.Any(n => n.StartsWith("cls.", StringComparison.Ordinal)))
            throw new ArgumentException($"{modelDirectory} has no masked-LM head (it holds {string.Join(", ", model.Config.Architectures.DefaultIfEmpty("an encoder"))})");
        model.To(DeviceOption.Resolve(device));
        var tokenizer = ModelTokenizer.Load(modelDirectory);
        ModelTokenizer.RequireFits(tokenizer, model.Config, modelDirectory);
        var predictions = new FillMask(model, tokenizer).Predict(text, topK, pad ? model.Config.MaxPositionEmbeddings : null);
        Console.WriteLine(asJson ? ToJson(text, predictions) : ToText(predictions));
        return 0;
    }

    private static string ToText(IReadOnlyList<MaskPrediction> predictions) =>
        string.Join('\n', predictions.Select((mask, i) =>
            $"[MASK] {i + 1} (token {mask.Position}):\n" + string.Join('\n', mask.Candidates.Select((c, rank) =>
                $"  {rank + 1,3}  {c.Token,-16} {c.Probability.ToString("0.0000", CultureInfo.InvariantCulture)}"))));

    private static string ToJson(string text, IReadOnlyList<MaskPrediction> predictions)
    {
        var masks = new JsonArray();
        foreach (var mask in predictions)
        {
            var candidates = new JsonArray();
            foreach (var c in mask.Candidates)
                candidates.Add(new JsonObject { ["token"] = c.Token, ["token_id"] = c.TokenId, ["score"] = c.Probability });
            masks.Add(new JsonObject { ["position"] = mask.Position, ["candidates"] = candidates });
        }
        return new JsonObject { ["text"] = text, ["masks"] = masks }.ToJsonString(OutputJson);
    }
}
