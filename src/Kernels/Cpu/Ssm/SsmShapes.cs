namespace BiGS.Native.Kernels.Cpu.Ssm;

/// <summary>Shape checks shared by the SSM kernels, with messages that name the offending argument.</summary>
internal static class SsmShapes
{
    /// <summary>Checks that a (B, L, H) sequence span has B * L * H values and that the sizes are not negative.</summary>
    public static void CheckSequence(string name, int actualLength, int batch, int length, int channels)
    {
        if (batch < 0 || length < 0 || channels < 0)
            throw new ArgumentOutOfRangeException(name,
                $"sequence sizes must be non-negative; got batch={batch}, length={length}, channels={channels}");
        long expected = (long)batch * length * channels;
        if (actualLength != expected)
            throw new ArgumentException(
                $"{name} has {actualLength} values; expected (batch, length, channels) = ({batch}, {length}, {channels}) = {expected}",
                name);
    }

    /// <summary>Checks that a kernel span holds exactly <paramref name="length"/> values.</summary>
    public static void CheckKernel(string name, int actualLength, int length)
    {
        if (actualLength != length)
            throw new ArgumentException($"{name} has {actualLength} values; expected the sequence length {length}", name);
    }
}
