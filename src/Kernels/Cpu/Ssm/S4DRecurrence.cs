using System.Numerics;

namespace BiGS.Native.Kernels.Cpu.Ssm;

/// <summary>
/// The S4D SSM run as a recurrence (the form used for step-by-step decoding), with a double-precision state.
/// For every channel independently, with x_{-1} = 0:
/// <code>
///   x_k = Abar x_{k-1} + Bbar u_k            (complex N, elementwise)
///   y_k = Re( sum_n C_n x_k,n ) + D u_k
/// </code>
/// Unrolling gives y_k = sum_{j&lt;=k} Re(sum_n C_n Bbar_n Abar_n^(k-j)) u_j + D u_k, i.e. the convolution with
/// the kernel of <see cref="S4DKernel"/>; the two forms must agree.
/// </summary>
public static class S4DRecurrence
{
    /// <summary>y (B, L, H) from u (B, L, H), all H channels sharing one SSM and one skip D.</summary>
    public static void Forward(ReadOnlySpan<float> aRe, ReadOnlySpan<float> aIm, ReadOnlySpan<float> c, float logStep,
                               float d, ReadOnlySpan<float> u, int batch, int length, int channels, Span<float> y)
    {
        var ssm = S4DDiscretization.From(aRe, aIm, c, logStep);
        SsmShapes.CheckSequence(nameof(u), u.Length, batch, length, channels);
        SsmShapes.CheckSequence(nameof(y), y.Length, batch, length, channels);

        var state = new Complex[ssm.StateSize];
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < channels; h++)
            {
                Array.Clear(state);
                for (int t = 0; t < length; t++)
                {
                    int index = (b * length + t) * channels + h;
                    double input = u[index];
                    double output = d * input;
                    for (int n = 0; n < state.Length; n++)
                    {
                        // x_k = Abar x_{k-1} + Bbar u_k ;  y_k += Re(C_n x_k,n)
                        state[n] = ssm.ABar[n] * state[n] + ssm.BBar[n] * input;
                        output += (ssm.C[n] * state[n]).Real;
                    }
                    y[index] = (float)output;
                }
            }
        }
    }
}
