namespace BiGS.Native.Checkpoints;

/// <summary>
/// Maps Flax checkpoint paths (<c>s4_bert/encoder/layer/0/dv/kernel</c>) to the PyTorch-port names
/// (<c>bigs.encoder.layer.0.dv.weight</c>) and back, per docs/BIGS.md section 4. The rules depend only on
/// the last two path segments, so any head maps predictably:
/// <list type="bullet">
/// <item>top-level <c>s4_bert</c> is renamed <c>bigs</c>; other top-level names are kept; <c>/</c> becomes <c>.</c></item>
/// <item>SSM module <c>fs4</c>/<c>bs4</c>: <c>A_re, A_im, C, log_step</c> become <c>kernel.X</c>; <c>D</c> stays <c>D</c></item>
/// <item>module named <c>*LayerNorm</c>: <c>scale</c> becomes <c>weight</c>, <c>bias</c> stays</item>
/// <item>module named <c>*_embeddings</c>: <c>embedding</c> becomes <c>weight</c></item>
/// <item>any other module is a Dense map: <c>kernel</c> (in, out) becomes <c>weight</c> (out, in), data transposed; <c>bias</c> stays</item>
/// </list>
/// Anything else is unknown and reported, never silently dropped.
/// </summary>
public static class FlaxNameMap
{
    private const string FlaxRoot = "s4_bert";
    private const string TorchRoot = "bigs";
    private static readonly string[] SsmKernelParameters = ["A_re", "A_im", "C", "log_step"];

    /// <summary>The PyTorch-port name of a Flax path; false when no rule covers it.</summary>
    /// <param name="flaxPath">A <c>/</c>-joined Flax path.</param>
    /// <param name="torchName">The mapped name, or empty.</param>
    /// <param name="transposed">True for Dense kernels, whose data must be transposed.</param>
    public static bool TryToTorchName(string flaxPath, out string torchName, out bool transposed)
    {
        string[] segments = flaxPath.Split('/');
        torchName = "";
        transposed = false;
        if (segments.Length < 2)
            return false;
        string module = segments[^2], leaf = segments[^1];
        string[]? torchLeaf = null;
        if (IsSsmModule(module))
            torchLeaf = SsmKernelParameters.Contains(leaf) ? ["kernel", leaf] : leaf == "D" ? ["D"] : null;
        else if (IsLayerNorm(module))
            torchLeaf = leaf == "scale" ? ["weight"] : leaf == "bias" ? ["bias"] : null;
        else if (IsEmbedding(module))
            torchLeaf = leaf == "embedding" ? ["weight"] : null;
        else if (leaf == "kernel" || leaf == "bias")
        {
            transposed = leaf == "kernel";
            torchLeaf = [transposed ? "weight" : "bias"];
        }
        if (torchLeaf is null)
            return false;
        string root = segments[0] == FlaxRoot ? TorchRoot : segments[0];
        torchName = string.Join('.', [root, .. segments[1..^1], .. torchLeaf]);
        return true;
    }

    /// <summary>The Flax path of a PyTorch-port name; false when no rule covers it.</summary>
    /// <param name="torchName">A <c>.</c>-joined PyTorch-port name.</param>
    /// <param name="flaxPath">The mapped path, or empty.</param>
    /// <param name="transposed">True for Dense weights, whose data must be transposed.</param>
    public static bool TryToFlaxPath(string torchName, out string flaxPath, out bool transposed)
    {
        string[] segments = torchName.Split('.');
        flaxPath = "";
        transposed = false;
        if (segments.Length < 2)
            return false;
        string leaf = segments[^1];
        string[] modulePath = segments[..^1];
        string? flaxLeaf;
        if (segments.Length >= 3 && IsSsmModule(segments[^3]) && segments[^2] == "kernel")
        {
            flaxLeaf = SsmKernelParameters.Contains(leaf) ? leaf : null;
            modulePath = segments[..^2];
        }
        else if (IsSsmModule(segments[^2]))
            flaxLeaf = leaf == "D" ? "D" : null;
        else if (IsLayerNorm(segments[^2]))
            flaxLeaf = leaf == "weight" ? "scale" : leaf == "bias" ? "bias" : null;
        else if (IsEmbedding(segments[^2]))
            flaxLeaf = leaf == "weight" ? "embedding" : null;
        else
        {
            transposed = leaf == "weight";
            flaxLeaf = transposed ? "kernel" : leaf == "bias" ? "bias" : null;
        }
        if (flaxLeaf is null)
            return false;
        string root = modulePath[0] == TorchRoot ? FlaxRoot : modulePath[0];
        flaxPath = string.Join('/', [root, .. modulePath[1..], flaxLeaf]);
        return true;
    }

    /// <summary>The tensor under its PyTorch-port name (Dense kernels transposed to (out, in)).</summary>
    /// <exception cref="CheckpointFormatException">No rule covers the path, or a kernel is not rank 2.</exception>
    public static CheckpointTensor ToTorch(CheckpointTensor flaxTensor) =>
        TryToTorchName(flaxTensor.Name, out string name, out bool transposed)
            ? Rename(flaxTensor, name, transposed)
            : throw new CheckpointFormatException($"unknown Flax parameter path '{flaxTensor.Name}' (no PyTorch name rule covers it)");

    /// <summary>The tensor under its Flax path (Dense weights transposed to (in, out)).</summary>
    /// <exception cref="CheckpointFormatException">No rule covers the name, or a weight is not rank 2.</exception>
    public static CheckpointTensor ToFlax(CheckpointTensor torchTensor) =>
        TryToFlaxPath(torchTensor.Name, out string path, out bool transposed)
            ? Rename(torchTensor, path, transposed)
            : throw new CheckpointFormatException($"unknown PyTorch parameter name '{torchTensor.Name}' (no Flax path rule covers it)");

    /// <summary>Maps a whole Flax checkpoint; every unknown path is listed in one error.</summary>
    public static Dictionary<string, CheckpointTensor> ToTorch(IEnumerable<CheckpointTensor> flaxTensors) =>
        MapAll(flaxTensors, (CheckpointTensor t, out string n, out bool tr) => TryToTorchName(t.Name, out n, out tr), "Flax path");

    /// <summary>Maps a whole PyTorch-port checkpoint; every unknown name is listed in one error.</summary>
    public static Dictionary<string, CheckpointTensor> ToFlax(IEnumerable<CheckpointTensor> torchTensors) =>
        MapAll(torchTensors, (CheckpointTensor t, out string n, out bool tr) => TryToFlaxPath(t.Name, out n, out tr), "PyTorch name");

    private delegate bool NameRule(CheckpointTensor tensor, out string mappedName, out bool transposed);

    private static Dictionary<string, CheckpointTensor> MapAll(IEnumerable<CheckpointTensor> tensors, NameRule rule, string kind)
    {
        var mapped = new Dictionary<string, CheckpointTensor>();
        var problems = new List<string>();
        foreach (CheckpointTensor tensor in tensors)
        {
            if (!rule(tensor, out string name, out bool transposed))
                problems.Add($"unknown {kind} '{tensor.Name}'");
            else if (mapped.ContainsKey(name))
                problems.Add($"{kind} '{tensor.Name}' maps onto '{name}', which another tensor already maps onto");
            else
                mapped[name] = Rename(tensor, name, transposed);
        }
        if (problems.Count > 0)
            throw new CheckpointFormatException($"{problems.Count} tensor(s) cannot be renamed:\n  " + string.Join("\n  ", problems));
        return mapped;
    }

    private static CheckpointTensor Rename(CheckpointTensor tensor, string name, bool transposed)
    {
        if (!transposed)
            return tensor.WithName(name);
        if (tensor.Shape.Length != 2)
            throw new CheckpointFormatException(
                $"Dense parameter '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}]; only rank-2 kernels can be mapped to '{name}'");
        return tensor.Transposed(name);
    }

    private static bool IsSsmModule(string module) => module is "fs4" or "bs4";

    private static bool IsLayerNorm(string module) => module.EndsWith("LayerNorm", StringComparison.Ordinal);

    private static bool IsEmbedding(string module) => module.EndsWith("_embeddings", StringComparison.Ordinal);
}
