using BiGS.Native.Tensors;

namespace BiGS.Native.Data;

/// <summary>The order a batch source walks its examples in: a fresh, reproducible permutation per epoch.</summary>
public static class EpochShuffle
{
    /// <summary>A Fisher-Yates shuffle of 0..count-1 by a generator seeded from (seed, epoch).</summary>
    public static int[] Order(int count, ulong seed, int epoch)
    {
        var shuffle = new Rng(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)));
        int[] result = Enumerable.Range(0, count).ToArray();
        for (int i = result.Length - 1; i > 0; i--)
        {
            int j = shuffle.NextInt(i + 1);
            (result[i], result[j]) = (result[j], result[i]);
        }
        return result;
    }
}
