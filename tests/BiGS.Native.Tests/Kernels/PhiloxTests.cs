using BiGS.Native.Kernels.Random;

namespace BiGS.Native.Tests.Kernels;

/// <summary>The counter-based generator against the published known-answer vector and its dropout contract.</summary>
public sealed class PhiloxTests
{
    /// <summary>Random123's kat_vectors: philox4x32-10 with counter 0 and key 0 gives 6627e8d5 e169c58d bc57ac4c 9b00dbd8.</summary>
    [Fact]
    public void The_zero_counter_and_key_give_the_published_block()
    {
        uint[] expected = [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8];
        for (int word = 0; word < 4; word++) Assert.Equal(expected[word], Philox.Bits(0, word));
    }

    [Fact]
    public void A_dropout_mask_keeps_about_the_asked_fraction_scaled_by_its_inverse()
    {
        var mask = new float[20000];
        Philox.DropoutMask(mask, 0.9f, 12345, 0);
        Assert.All(mask, v => Assert.True(v == 0f || v == 1f / 0.9f));
        double kept = mask.Count(v => v != 0f) / (double)mask.Length;
        Assert.InRange(kept, 0.89, 0.91);   // binomial sd 0.002
        var other = new float[mask.Length];
        Philox.DropoutMask(other, 0.9f, 12346, 0);
        Assert.NotEqual(mask, other);
    }
}
