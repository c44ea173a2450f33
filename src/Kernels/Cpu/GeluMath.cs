using System.Runtime.CompilerServices;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>Which GELU: the tanh approximation (BiGS layers) or the exact erf form (MLM head).</summary>
public enum GeluKind
{
    /// <summary>gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    Tanh,

    /// <summary>gelu(x) = 0.5 x (1 + erf(x / sqrt2)) = x Phi(x).</summary>
    Erf,
}

/// <summary>A GELU variant: its value and its derivative on a lane vector.</summary>
internal interface IGeluFunction
{
    static abstract TLanes Value<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>;

    static abstract TLanes Derivative<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>;
}

/// <summary>
/// Tanh-approximated GELU, written with 0.5 (1 + tanh(u)) = sigmoid(2u) so that neither the value nor the
/// derivative cancels for negative x:
///   u = k (x + c x^3), k = sqrt(2/pi), c = 0.044715, s = sigmoid(2u)
///   gelu(x)  = x s
///   gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3c x^2)  with t = tanh(u) = 2s - 1
///            = s + 2 x s (1 - s) k (1 + 3c x^2).
/// </summary>
internal readonly struct GeluTanh : IGeluFunction
{
    private const float K = 0.797884561f; // sqrt(2/pi)
    private const float C = 0.044715f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TLanes SigmoidOfTwoU<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>
    {
        var twoU = TLanes.Broadcast(2 * K) * x * TLanes.MulAdd(TLanes.Broadcast(C), x * x, TLanes.Broadcast(1f));
        return SimdMath.Sigmoid(twoU);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Value<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => x * SigmoidOfTwoU(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Derivative<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>
    {
        var s = SigmoidOfTwoU(x);
        var du = TLanes.Broadcast(K) * TLanes.MulAdd(TLanes.Broadcast(3 * C), x * x, TLanes.Broadcast(1f));
        return TLanes.MulAdd(TLanes.Broadcast(2f) * x * s * (TLanes.Broadcast(1f) - s), du, s);
    }
}

/// <summary>
/// Exact GELU: gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x), with Phi/phi the standard normal CDF/density
/// (0.5 (1 + erf(x/sqrt2)) and exp(-x^2/2)/sqrt(2 pi)).
/// </summary>
internal readonly struct GeluErf : IGeluFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Value<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => x * SimdMath.NormalCdf(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes Derivative<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> =>
        TLanes.MulAdd(x, SimdMath.NormalPdf(x), SimdMath.NormalCdf(x));
}

internal readonly struct GeluOperator<TGelu> : IUnaryOperator where TGelu : IGeluFunction
{
    public TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes> => TGelu.Value(x);
}

/// <summary>dx = dy * gelu'(x), as (x, dy) -&gt; dx.</summary>
internal readonly struct GeluBackwardOperator<TGelu> : IBinaryOperator where TGelu : IGeluFunction
{
    public TLanes Invoke<TLanes>(TLanes x, TLanes dy) where TLanes : struct, ILaneVector<TLanes> => dy * TGelu.Derivative(x);
}

/// <summary>y = gelu(x + bias), as (x, bias) -&gt; y.</summary>
internal readonly struct BiasGeluOperator<TGelu> : IBinaryOperator where TGelu : IGeluFunction
{
    public TLanes Invoke<TLanes>(TLanes x, TLanes bias) where TLanes : struct, ILaneVector<TLanes> => TGelu.Value(x + bias);
}

/// <summary>y = gelu(x + bias) * gate, as (x, bias, gate) -&gt; y.</summary>
internal readonly struct GatedBiasGeluOperator<TGelu> : ITernaryOperator where TGelu : IGeluFunction
{
    public TLanes Invoke<TLanes>(TLanes x, TLanes bias, TLanes gate) where TLanes : struct, ILaneVector<TLanes> => TGelu.Value(x + bias) * gate;
}

/// <summary>dx = dy * gelu'(x + bias), as (x, bias, dy) -&gt; dx.</summary>
internal readonly struct BiasGeluBackwardOperator<TGelu> : ITernaryOperator where TGelu : IGeluFunction
{
    public TLanes Invoke<TLanes>(TLanes x, TLanes bias, TLanes dy) where TLanes : struct, ILaneVector<TLanes> =>
        dy * TGelu.Derivative(x + bias);
}
