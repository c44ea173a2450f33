using BiGS.Native.Checkpoints;
using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Modeling;

/// <summary>
/// The bigs-tiny reference data (tests/fixtures/bigs-tiny, see its README): weights in both formats, the
/// authors' forward outputs (golden.safetensors) and gradients (grads.safetensors), with the README's tolerances.
/// </summary>
internal static class TinyFixture
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "fixtures", "bigs-tiny");

    private static readonly Lazy<Dictionary<string, CheckpointTensor>> LazyGolden =
        new(() => SafeTensorsReader.ReadAll(Path.Combine(Directory, "golden.safetensors")));

    private static readonly Lazy<Dictionary<string, CheckpointTensor>> LazyGrads =
        new(() => SafeTensorsReader.ReadAll(Path.Combine(Directory, "grads.safetensors")));

    public static Dictionary<string, CheckpointTensor> Golden => LazyGolden.Value;

    public static Dictionary<string, CheckpointTensor> Grads => LazyGrads.Value;

    public static BiGSConfig Config => BiGSConfig.Load(Directory);

    /// <summary>A model of the given head filled from one of the two weight files, moved to <paramref name="device"/>.</summary>
    public static T Load<T>(Func<BiGSConfig, T> create, string weightsFile, Device device) where T : BiGSPreTrainedModel
    {
        var model = create(Config);
        PretrainedLoader.LoadWeights(model, Path.Combine(Directory, weightsFile));
        model.Eval();
        model.To(device);
        return model;
    }

    /// <summary>The fixture batch of length <paramref name="length"/> with its ids and mask on <paramref name="device"/>.</summary>
    public static BiGSInput Input(int length, Device device, Tensor? labels = null) => new(IntTensor(Golden[$"L{length}.input_ids"], device))
    {
        TokenTypeIds = IntTensor(Golden[$"L{length}.token_type_ids"], device),
        AttentionMask = IntTensor(Golden[$"L{length}.attention_mask"], device),
        Labels = labels,
        OutputHiddenStates = true,
    };

    public static Tensor IntTensor(CheckpointTensor t, Device device) => Tensor.FromInts(t.Ints!, t.Shape).To(device);

    /// <summary>Forward tolerance of the README: |a - b| &lt;= 2e-5 + 2e-5 |b| elementwise.</summary>
    public static void AssertForward(string goldenName, Tensor actual)
    {
        var expected = Golden[goldenName];
        Assert.Equal(expected.Shape, actual.ShapeArray());
        TestData.AssertClose(expected.Floats!, actual.ToArray(), 2e-5, 2e-5, goldenName);
    }

    /// <summary>Loss tolerance: |a - b| &lt;= 1e-5 max(1, |b|).</summary>
    public static void AssertLoss(string name, float actual)
    {
        float expected = Grads[name].Floats![0];
        Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{name}: expected {expected:G9}, got {actual:G9}");
    }

    /// <summary>
    /// Gradient tolerance, per tensor: max|a - b| &lt;= 1e-4 max|b| + 1e-7 (1e-3 for the SSM parameters);
    /// a null actual gradient stands for zeros.
    /// </summary>
    public static void AssertGradient(string name, string parameterName, Tensor? actual)
    {
        var expected = Grads[name].Floats!;
        var values = actual?.ToArray() ?? new float[expected.Length];
        Assert.Equal(expected.Length, values.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        double relative = IsSsmParameter(parameterName) ? 1e-3 : 1e-4;
        double worst = expected.Select((v, i) => Math.Abs((double)v - values[i])).Max();
        Assert.True(worst <= relative * scale + 1e-7, $"{name}: max |diff| {worst:G3} exceeds {relative} x {scale:G3}");
    }

    private static bool IsSsmParameter(string name) =>
        name.EndsWith(".A_re") || name.EndsWith(".A_im") || name.EndsWith(".log_step") || name.EndsWith(".C") || name.EndsWith(".D");
}
