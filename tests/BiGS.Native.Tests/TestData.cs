using BiGS.Native.Tensors;

namespace BiGS.Native.Tests;

/// <summary>Seeded random inputs and comparison helpers shared by the tests.</summary>
internal static class TestData
{
    public static float[] Random(int count, ulong seed, float scale = 1f)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(scale * rng.NextNormal())).ToArray();
    }

    public static Tensor RandomTensor(ulong seed, params int[] shape) =>
        Tensor.FromArray(Random((int)ShapeUtil.Count(shape), seed), shape);

    public static Tensor PositiveTensor(ulong seed, params int[] shape) =>
        Tensor.FromArray(Random((int)ShapeUtil.Count(shape), seed).Select(v => 0.5f + Math.Abs(v)).ToArray(), shape);

    /// <summary>
    /// The result of <paramref name="work"/> (which should read its result back from the device, so that it waits for the
    /// launches), or a failure naming <paramref name="what"/> when it has not finished within <paramref name="seconds"/>:
    /// a test of a launch that could stall fails instead of holding up the whole run.
    /// </summary>
    public static T WithinSeconds<T>(int seconds, Func<T> work, string what)
    {
        var task = Task.Run(work);
        if (!task.Wait(TimeSpan.FromSeconds(seconds))) Assert.Fail($"{what}: not finished after {seconds} s");
        return task.Result;
    }

    /// <summary>Asserts |a - b| &lt;= atol + rtol |b| elementwise, reporting the first offending index.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)expected[i] - actual[i]);
            if (!(diff <= atol + rtol * Math.Abs(expected[i])))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9} (|diff| {diff:G3})");
        }
    }

    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double atol, double rtol, string what = "") =>
        AssertClose(expected.Select(v => (float)v).ToArray(), actual, atol, rtol, what);
}
