namespace BiGS.Native.Kernels.Random;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), a counter-based generator:
/// the n-th random number is a pure function of (key, n), so every thread of a GPU kernel draws its own element
/// without shared state, and the CPU draws exactly the same values. One block of the cipher turns the 128-bit counter
/// (n / 4, 0) under a 64-bit key into four 32-bit words; element n takes word n mod 4. Plain scalar code, compiled by
/// ILGPU for the GPU kernels and run as is on the CPU.
/// </summary>
public static class Philox
{
    private const uint MultiplierA = 0xD2511F53, MultiplierB = 0xCD9E8D57;
    private const uint KeyStepA = 0x9E3779B9, KeyStepB = 0xBB67AE85;   // golden ratio, sqrt(3) - 1
    private const int Rounds = 10;

    /// <summary>The 32 random bits of element <paramref name="index"/> of the stream keyed by <paramref name="key"/>.</summary>
    public static uint Bits(ulong key, long index)
    {
        uint c0 = (uint)(index >> 2), c1 = (uint)(index >> 34), c2 = 0, c3 = 0;
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (int round = 0; round < Rounds; round++)
        {
            // (c0, c1, c2, c3) <- (hi(B c2) ^ c1 ^ k0, lo(B c2), hi(A c0) ^ c3 ^ k1, lo(A c0))
            ulong productA = (ulong)MultiplierA * c0, productB = (ulong)MultiplierB * c2;
            uint n0 = (uint)(productB >> 32) ^ c1 ^ k0, n2 = (uint)(productA >> 32) ^ c3 ^ k1;
            c1 = (uint)productB;
            c3 = (uint)productA;
            c0 = n0;
            c2 = n2;
            k0 += KeyStepA;
            k1 += KeyStepB;
        }
        int word = (int)(index & 3);
        return word == 0 ? c0 : word == 1 ? c1 : word == 2 ? c2 : c3;
    }

    /// <summary>A uniform float in [0, 1) from the top 24 bits of <see cref="Bits"/>.</summary>
    public static float Uniform(ulong key, long index) => (Bits(key, index) >> 8) * (1f / (1 << 24));

    /// <summary>The inverted-dropout factor of element <paramref name="index"/>: 1/keep when its uniform is below keep, else 0.</summary>
    public static float DropoutFactor(ulong key, long index, float keep) => Uniform(key, index) < keep ? 1f / keep : 0f;

    /// <summary>mask[i] = <see cref="DropoutFactor"/>(key, firstIndex + i, keep) for every element.</summary>
    public static void DropoutMask(Span<float> mask, float keep, ulong key, long firstIndex)
    {
        for (int i = 0; i < mask.Length; i++) mask[i] = DropoutFactor(key, firstIndex + i, keep);
    }
}
