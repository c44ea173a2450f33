using BiGS.Native.Autograd;
using BiGS.Native.Checkpoints;
using BiGS.Native.Nn;
using BiGS.Native.Tensors;

namespace BiGS.Native.Training;

/// <summary>AdamW hyper-parameters (defaults: the BiGS authors' pretraining recipe, docs/TRAINING.md).</summary>
public sealed record AdamWOptions
{
    /// <summary>Decay b1 of the running gradient mean m = b1 m + (1 - b1) g.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Second-moment decay b2.</summary>
    public float Beta2 { get; init; } = 0.98f;

    /// <summary>Added to sqrt(v) in the denominator.</summary>
    public float Epsilon { get; init; } = 1e-6f;

    /// <summary>Decoupled weight decay of the decayed group.</summary>
    public float WeightDecay { get; init; } = 0.05f;

    /// <summary>
    /// When set, the SSM parameters (A_re, A_im, log_step) form their own group with this learning-rate multiplier
    /// and no weight decay; when null they join the other groups (the authors' single-group setting).
    /// </summary>
    public float? SsmLearningRateMultiplier { get; init; }
}

/// <summary>Parameters updated with the same learning-rate multiplier and weight decay.</summary>
/// <param name="Parameters">The parameters of the group.</param>
/// <param name="LearningRateMultiplier">The group's learning rate is the scheduled rate times this.</param>
/// <param name="WeightDecay">Decoupled weight decay (0 for no decay).</param>
public sealed record ParameterGroup(IReadOnlyList<Parameter> Parameters, float LearningRateMultiplier, float WeightDecay);

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) over parameter groups, with one first moment m and second moment v per
/// parameter. Each <see cref="Step"/> applies, with t the step count and lr the group's rate:
/// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd p).
/// The state (m, v, t) saves to and restores from a safetensors file, one tensor per parameter and moment.
/// When every parameter is a float tensor on one device, the gradients and moments are views of flat buffers (one
/// each), laid out back to back group by group, so <see cref="ZeroGrad"/> is one fill and clipping
/// (<see cref="GradientClipping"/>) one reduction and one scaling launch over all gradients. The values are never
/// copied: when they alone fill one buffer (a model moved to a device, <see cref="Module.To"/>) they are rearranged
/// within it into the same order, so a step is one AdamW launch per group; elsewhere (a model built on the CPU) they
/// stay in their own storages and a step updates them one by one.
/// </summary>
public sealed class AdamW
{
    private const string StepMetadataKey = "step";
    private readonly List<Slot> slots = [];

    /// <summary>The flat buffer every parameter's gradient is a view of (null when the parameters are not flattened).</summary>
    private readonly Tensor? flatGradients;

    /// <summary>The flat buffers the moments are views of (null when the parameters are not flattened).</summary>
    private (Tensor M, Tensor V)? flatMoments;

    /// <summary>Creates the optimizer; <paramref name="names"/> gives each parameter its name in saved state.</summary>
    /// <exception cref="ArgumentException">A parameter is in two groups, or two parameters share a name.</exception>
    public AdamW(IReadOnlyList<ParameterGroup> groups, AdamWOptions options, IReadOnlyDictionary<Parameter, string>? names = null)
    {
        Groups = groups;
        Options = options;
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var usedNames = new HashSet<string>();
        for (int g = 0; g < groups.Count; g++)
            for (int i = 0; i < groups[g].Parameters.Count; i++)
            {
                var parameter = groups[g].Parameters[i];
                if (!seen.Add(parameter))
                    throw new ArgumentException($"parameter {parameter.Name} appears in more than one group", nameof(groups));
                string name = names?.GetValueOrDefault(parameter) ?? $"group{g}.{i}.{parameter.Name}";
                if (!usedNames.Add(name))
                    throw new ArgumentException($"two parameters are both named {name}", nameof(names));
                slots.Add(new Slot(name, parameter, groups[g]));
            }
        if (SharedDevice(slots) is { } device)
        {
            flatGradients = Tensor.Zeros(device, FlatLength(slots)).KeepAlive();
            ArrangeValuesInSlotOrder(flatGradients);
            foreach (var (slot, home) in slots.Zip(flatGradients.CarveLike(ValuesOf(slots)))) slot.Parameter.UseGradientHome(home);
            LayOutMoments(slots, device);
        }
        else
            foreach (var slot in slots) slot.UseMoments(Tensor.ZerosLike(slot.Parameter.Value).KeepAlive(), Tensor.ZerosLike(slot.Parameter.Value).KeepAlive(), owned: true);
    }

    /// <summary>
    /// The groups for a model (docs/TRAINING.md decay mask): weight decay on every parameter except biases and
    /// LayerNorm weights; with <see cref="AdamWOptions.SsmLearningRateMultiplier"/> set, a third group of SSM
    /// parameters with that multiplier and no decay. State names are the model's parameter names.
    /// </summary>
    public static AdamW ForModel(Module model, AdamWOptions options)
    {
        var named = model.NamedParameters().ToList();
        var decayed = new List<Parameter>();
        var undecayed = new List<Parameter>();
        var ssm = new List<Parameter>();
        foreach (var (name, parameter) in named)
        {
            if (options.SsmLearningRateMultiplier is not null && IsSsmParameter(name)) ssm.Add(parameter);
            else if (IsDecayed(name)) decayed.Add(parameter);
            else undecayed.Add(parameter);
        }
        var groups = new List<ParameterGroup>
        {
            new(decayed, 1f, options.WeightDecay),
            new(undecayed, 1f, 0f),
        };
        if (options.SsmLearningRateMultiplier is { } multiplier) groups.Add(new(ssm, multiplier, 0f));
        var names = named.ToDictionary(p => p.Parameter, p => p.Name, ReferenceEqualityComparer.Instance as IEqualityComparer<Parameter>);
        return new AdamW(groups, options, names);
    }

    /// <summary>
    /// The decay mask: false for biases ("...bias") and LayerNorm scales and shifts ("...LayerNorm.weight"),
    /// true for everything else (weights, embeddings, SSM parameters unless grouped separately).
    /// </summary>
    public static bool IsDecayed(string parameterName) =>
        !parameterName.EndsWith("bias", StringComparison.Ordinal)
        && !parameterName.Contains("LayerNorm.", StringComparison.Ordinal);

    /// <summary>True for the SSM's state-matrix and step parameters: A_re, A_im, log_step.</summary>
    public static bool IsSsmParameter(string parameterName)
    {
        string local = parameterName[(parameterName.LastIndexOf('.') + 1)..];
        return local is "A_re" or "A_im" or "log_step";
    }

    /// <summary>The parameter groups, each with its own learning-rate multiplier and weight decay (see <see cref="IsDecayed"/>, <see cref="IsSsmParameter"/>).</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The hyper-parameters shared by every group (betas, epsilon, weight decay, the SSM learning-rate multiplier).</summary>
    public AdamWOptions Options { get; }

    /// <summary>Number of updates applied so far (t of the bias correction of the last update).</summary>
    public int StepCount { get; private set; }

    /// <summary>
    /// Applies one update to every parameter that has a gradient, each group at
    /// <paramref name="learningRate"/> times its multiplier.
    /// </summary>
    /// <remarks>
    /// Consecutive parameters of a group whose values, gradients and moments each lie back to back (the flat
    /// layout) are updated by one launch; the update of each element is the same as parameter by parameter.
    /// </remarks>
    public void Step(float learningRate)
    {
        StepCount++;
        var updated = slots.Where(s => s.Parameter.Grad is not null && s.HasState);
        foreach (var (first, last) in ConsecutiveRuns.Of(updated, Continues))
        {
            var group = first.Group;
            Tensor.AdamWStep(first.Parameter.Value.SpanThrough(last.Parameter.Value), first.Parameter.Grad!.SpanThrough(last.Parameter.Grad!),
                first.M.SpanThrough(last.M), first.V.SpanThrough(last.V), learningRate * group.LearningRateMultiplier,
                Options.Beta1, Options.Beta2, Options.Epsilon, group.WeightDecay, StepCount);
        }
    }

    /// <summary>True when <paramref name="next"/> is in <paramref name="before"/>'s group and its value, gradient and moments follow before's in their buffers.</summary>
    private static bool Continues(Slot before, Slot next) =>
        ReferenceEquals(before.Group, next.Group)
        && before.Parameter.Value.IsFollowedBy(next.Parameter.Value)
        && before.Parameter.Grad!.IsFollowedBy(next.Parameter.Grad!)
        && before.M.IsFollowedBy(next.M)
        && before.V.IsFollowedBy(next.V);

    /// <summary>
    /// ZeRO stage 1: keeps m and v only for the parameters <paramref name="keeps"/> selects and frees the others';
    /// <see cref="Step"/> then updates only the kept ones (another process updates the rest) and
    /// <see cref="LoadState"/> reads only theirs. <see cref="SaveState"/> needs every parameter's state: fill it in
    /// first with <see cref="SetState"/>.
    /// </summary>
    /// <remarks>The kept moments are laid out again back to back in new flat buffers, so the dropped ones' memory is freed.</remarks>
    public void KeepStateOnlyFor(Func<Parameter, bool> keeps)
    {
        foreach (var slot in slots)
            if (!keeps(slot.Parameter)) slot.DropState();
        var kept = slots.Where(s => s.HasState).ToList();
        if (SharedDevice(kept) is { } device) LayOutMoments(kept, device);
    }

    /// <summary>The parameter's moments m and v, or null where <see cref="KeepStateOnlyFor"/> dropped them.</summary>
    public (Tensor M, Tensor V)? StateOf(Parameter parameter) => SlotOf(parameter) is { HasState: true } slot ? (slot.M, slot.V) : null;

    /// <summary>Gives a parameter whose state was dropped its moments again (host values, the parameter's shape).</summary>
    public void SetState(Parameter parameter, ReadOnlySpan<float> m, ReadOnlySpan<float> v) => SlotOf(parameter).Restore(m, v);

    /// <summary>Bytes of m and v this optimizer holds (all parameters', or the kept ones' after <see cref="KeepStateOnlyFor"/>).</summary>
    public long StateBytes => slots.Where(s => s.HasState).Sum(s => 2L * s.Parameter.Value.Count * sizeof(float));

    /// <summary>
    /// Sets every parameter's gradient to zero, keeping the buffers: one fill of the flat gradient buffer, plus one
    /// per run of gradients outside it (set by hand).
    /// </summary>
    public void ZeroGrad()
    {
        flatGradients?.FillInPlace(0f);
        var others = slots.Select(s => s.Parameter.Grad).OfType<Tensor>().Where(g => !ReferenceEquals(g.Storage, flatGradients?.Storage));
        foreach (var run in Tensor.JoinAdjacentViews(others)) run.FillInPlace(0f);
    }

    /// <summary>Every parameter of every group.</summary>
    public IEnumerable<Parameter> Parameters() => slots.Select(s => s.Parameter);

    /// <summary>Writes m ("m.NAME"), v ("v.NAME") and the step count (metadata) atomically to a safetensors file.</summary>
    public void SaveState(string path)
    {
        var tensors = slots.SelectMany(s => new[]
        {
            CheckpointTensor.FromFloats("m." + s.Name, s.M.ShapeArray(), s.M.ToArray()),
            CheckpointTensor.FromFloats("v." + s.Name, s.V.ShapeArray(), s.V.ToArray()),
        }).ToList();   // every moment read (or the missing one reported) before the file is written
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { [StepMetadataKey] = StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Restores the state <see cref="SaveState"/> wrote; every parameter's m and v must be present with its shape.</summary>
    /// <exception cref="CheckpointFormatException">Missing tensors, wrong shapes or no step count.</exception>
    public void LoadState(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        if (!reader.Metadata.TryGetValue(StepMetadataKey, out string? stepText) || !int.TryParse(stepText, out int step) || step < 0)
            throw new CheckpointFormatException($"optimizer state has no valid \"{StepMetadataKey}\" metadata", path);
        foreach (var slot in slots.Where(s => s.HasState))
        {
            slot.M.CopyFrom(ReadMoment(reader, "m." + slot.Name, slot.M, path));
            slot.V.CopyFrom(ReadMoment(reader, "v." + slot.Name, slot.V, path));
        }
        StepCount = step;
    }

    private static Tensor ReadMoment(SafeTensorsReader reader, string name, Tensor like, string path)
    {
        if (!reader.TryGetInfo(name, out var info))
            throw new CheckpointFormatException($"optimizer state lacks tensor {name}", path);
        if (!info.Shape.AsSpan().SequenceEqual(like.Shape))
            throw new CheckpointFormatException(
                $"optimizer tensor {name} has shape [{string.Join(", ", info.Shape)}], the parameter has {like.ShapeString}", path);
        var tensor = reader.Read(name);
        return Tensor.FromArray(tensor.Floats ?? throw new CheckpointFormatException($"optimizer tensor {name} is not floating point", path),
            tensor.Shape).To(like.Device);
    }

    /// <summary>The device of every slot's parameter, when they are all float tensors on one device; else null.</summary>
    private static Device? SharedDevice(IReadOnlyList<Slot> chosen)
    {
        if (chosen.Count == 0) return null;
        var device = chosen[0].Parameter.Value.Device;
        return chosen.All(s => s.Parameter.Value.DType == DType.Float32 && s.Parameter.Value.Device.Equals(device)) ? device : null;
    }

    /// <summary>
    /// When the values alone fill one buffer (<see cref="Parameter.SoleBufferOf"/>), rearranges them within it into slot
    /// order: <paramref name="scratch"/>, a zeroed buffer as long, takes them in that order and is cleared again.
    /// </summary>
    private void ArrangeValuesInSlotOrder(Tensor scratch)
    {
        var parameters = slots.Select(s => s.Parameter).ToList();
        if (Parameter.SoleBufferOf(parameters) is not { } buffer) return;
        var values = ValuesOf(slots);
        foreach (var (staged, value) in scratch.CarveLike(values).Zip(values)) staged.CopyFrom(value);
        buffer.CopyFrom(scratch);
        foreach (var (parameter, view) in parameters.Zip(buffer.CarveLike(values))) parameter.Relocate(view);
        scratch.FillInPlace(0f);
    }

    /// <summary>
    /// Gives <paramref name="chosen"/> (slots with state, or new ones) moments that are views of two new flat buffers,
    /// back to back in slot order, holding their current values (zeros for new slots); frees the previous flat
    /// buffers, which no other slot may still view.
    /// </summary>
    private void LayOutMoments(IReadOnlyList<Slot> chosen, Device device)
    {
        int total = FlatLength(chosen);
        var m = Tensor.Zeros(device, total).KeepAlive();
        var v = Tensor.Zeros(device, total).KeepAlive();
        var values = ValuesOf(chosen);
        foreach (var (slot, mView, vView) in chosen.Zip(m.CarveLike(values), v.CarveLike(values)))
        {
            if (slot.HasState)
            {
                mView.CopyFrom(slot.M);
                vView.CopyFrom(slot.V);
            }
            slot.UseMoments(mView, vView, owned: false);
        }
        if (flatMoments is var (oldM, oldV))
        {
            oldM.Dispose();
            oldV.Dispose();
        }
        flatMoments = (m, v);
    }

    /// <summary>Elements of a flat buffer holding one element per parameter element of <paramref name="chosen"/>.</summary>
    private static int FlatLength(IReadOnlyList<Slot> chosen) => checked((int)chosen.Sum(s => s.Parameter.Value.Count));

    /// <summary>The parameter values of <paramref name="chosen"/>, in slot order.</summary>
    private static List<Tensor> ValuesOf(IReadOnlyList<Slot> chosen) => [.. chosen.Select(s => s.Parameter.Value)];

    private Slot SlotOf(Parameter parameter) =>
        slots.Find(s => ReferenceEquals(s.Parameter, parameter)) ?? throw new ArgumentException($"{parameter.Name} is not a parameter of this optimizer", nameof(parameter));

    /// <summary>
    /// A parameter with its moments (unless dropped: ZeRO stage 1) and group. The moments are views of the flat
    /// moment buffers, or tensors of their own (owned: freed when dropped).
    /// </summary>
    private sealed class Slot(string name, Parameter parameter, ParameterGroup group)
    {
        private Tensor? m, v;
        private bool ownsMoments;

        public string Name { get; } = name;
        public Parameter Parameter { get; } = parameter;
        public ParameterGroup Group { get; } = group;
        public bool HasState => m is not null;
        public Tensor M => m ?? throw DroppedState();
        public Tensor V => v ?? throw DroppedState();

        /// <summary>Uses <paramref name="mTensor"/> and <paramref name="vTensor"/> as the moments (views of flat buffers unless <paramref name="owned"/>).</summary>
        public void UseMoments(Tensor mTensor, Tensor vTensor, bool owned)
        {
            DropState();
            (m, v, ownsMoments) = (mTensor, vTensor, owned);
        }

        public void DropState()
        {
            if (ownsMoments)
            {
                m?.Dispose();
                v?.Dispose();
            }
            m = v = null;
        }

        public void Restore(ReadOnlySpan<float> mValues, ReadOnlySpan<float> vValues)
        {
            if (!HasState) UseMoments(Tensor.ZerosLike(Parameter.Value).KeepAlive(), Tensor.ZerosLike(Parameter.Value).KeepAlive(), owned: true);
            M.CopyFrom(mValues);
            V.CopyFrom(vValues);
        }

        private InvalidOperationException DroppedState() =>
            new($"the optimizer state of {Name} is kept by another rank (ZeRO stage 1); gather it first (AdamW.SetState)");
    }
}
