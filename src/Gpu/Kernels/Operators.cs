using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>A unary function and its derivative, for the generic elementwise kernels (one compiled kernel per struct).</summary>
public interface IUnaryFunction
{
    /// <summary>op(x).</summary>
    float Apply(float x);

    /// <summary>op'(x), given y = op(x) where that is cheaper.</summary>
    float Derivative(float x, float y);
}

/// <summary>A function of two floats for the elementwise kernels, passed as a struct type argument so that ILGPU compiles it inline.</summary>
public interface IBinaryFunction
{
    /// <summary>a op b.</summary>
    float Apply(float a, float b);
}

#pragma warning disable CS1591 // the operator structs are named after the function they compute
public readonly struct NegFunction : IUnaryFunction { public float Apply(float x) => -x; public float Derivative(float x, float y) => -1f; }
public readonly struct AbsFunction : IUnaryFunction { public float Apply(float x) => XMath.Abs(x); public float Derivative(float x, float y) => x > 0f ? 1f : x < 0f ? -1f : 0f; }
public readonly struct ExpFunction : IUnaryFunction { public float Apply(float x) => XMath.Exp(x); public float Derivative(float x, float y) => y; }
public readonly struct LogFunction : IUnaryFunction { public float Apply(float x) => XMath.Log(x); public float Derivative(float x, float y) => 1f / x; }
public readonly struct SqrtFunction : IUnaryFunction { public float Apply(float x) => XMath.Sqrt(x); public float Derivative(float x, float y) => 0.5f / y; }
/// <summary>x^(-1/2); d/dx = -x^(-3/2) / 2 = -y^3 / 2.</summary>
public readonly struct RsqrtFunction : IUnaryFunction { public float Apply(float x) => 1f / XMath.Sqrt(x); public float Derivative(float x, float y) => -0.5f * y * y * y; }
public readonly struct SquareFunction : IUnaryFunction { public float Apply(float x) => x * x; public float Derivative(float x, float y) => 2f * x; }
/// <summary>1/x; d/dx = -1/x^2 = -y^2.</summary>
public readonly struct ReciprocalFunction : IUnaryFunction { public float Apply(float x) => 1f / x; public float Derivative(float x, float y) => -y * y; }
public readonly struct TanhFunction : IUnaryFunction { public float Apply(float x) => Gelu.HyperbolicTangent(x); public float Derivative(float x, float y) => 1f - y * y; }
public readonly struct SigmoidFunction : IUnaryFunction { public float Apply(float x) => 1f / (1f + XMath.Exp(-x)); public float Derivative(float x, float y) => y * (1f - y); }
public readonly struct ReluFunction : IUnaryFunction { public float Apply(float x) => x > 0f ? x : 0f; public float Derivative(float x, float y) => x > 0f ? 1f : 0f; }
public readonly struct GeluTanhFunction : IUnaryFunction { public float Apply(float x) => Gelu.Tanh(x); public float Derivative(float x, float y) => Gelu.TanhDerivative(x); }
public readonly struct GeluErfFunction : IUnaryFunction { public float Apply(float x) => Gelu.Erf(x); public float Derivative(float x, float y) => Gelu.ErfDerivative(x); }

public readonly struct AddFunction : IBinaryFunction { public float Apply(float a, float b) => a + b; }
public readonly struct SubFunction : IBinaryFunction { public float Apply(float a, float b) => a - b; }
public readonly struct MulFunction : IBinaryFunction { public float Apply(float a, float b) => a * b; }
public readonly struct DivFunction : IBinaryFunction { public float Apply(float a, float b) => a / b; }
public readonly struct MaxFunction : IBinaryFunction { public float Apply(float a, float b) => a > b ? a : b; }
public readonly struct MinFunction : IBinaryFunction { public float Apply(float a, float b) => a < b ? a : b; }
#pragma warning restore CS1591

/// <summary>
/// The two GELU forms and their derivatives in float, for the GPU kernels, and the hyperbolic tangent. Nothing here calls
/// the GPU's tanh (<c>tanh.approx.f32</c>, whose relative error reaches 2^-11): the tanh GELU is written with the
/// exponential (<c>ex2.approx.f32</c>, a couple of ulps), as is tanh.
/// </summary>
public static class Gelu
{
    private const float SqrtTwoOverPi = 0.7978845608028654f, InvSqrt2 = 0.7071067811865476f, InvSqrt2Pi = 0.3989422804014327f;

    /// <summary>
    /// gelu_tanh(x) = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); since (1 + tanh u)/2 = sigmoid(2u), this is
    /// x sigmoid(2u), which has no cancellation anywhere.
    /// </summary>
    public static float Tanh(float x) => x * SigmoidOfTwice(TanhArgument(x)).Sigmoid;

    /// <summary>
    /// d/dx gelu_tanh = sigmoid(2u) + 2x sigmoid(2u) sigmoid(-2u) u', u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2) (the tanh form's
    /// (1 + t)/2 + x/2 (1 - t^2) u', with 1 - t^2 = 4 sigmoid(2u) sigmoid(-2u)).
    /// </summary>
    public static float TanhDerivative(float x)
    {
        var (sigmoid, slope) = SigmoidOfTwice(TanhArgument(x));
        return sigmoid + 2f * x * slope * SqrtTwoOverPi * (1f + 3f * 0.044715f * x * x);
    }

    /// <summary>
    /// tanh(x): x (1 + x^2 P(x^2)) by its Taylor series to x^11 for |x| &lt; 1/4 (the next term is below 1e-9 of it), else
    /// sign(x) (1 - t)/(1 + t) with t = e^(-2|x|) in (0, e^-0.5], where 1 - t loses at most two bits.
    /// </summary>
    public static float HyperbolicTangent(float x)
    {
        float ax = XMath.Abs(x);
        if (ax < 0.25f)
        {
            float s = x * x;
            return x * (1f + s * (-1f / 3 + s * (2f / 15 + s * (-17f / 315 + s * (62f / 2835 + s * (-1382f / 155925))))));
        }
        float t = XMath.Exp(-2f * ax), r = (1f - t) / (1f + t);
        return x < 0f ? -r : r;
    }

    private static float TanhArgument(float x) => SqrtTwoOverPi * (x + 0.044715f * x * x * x);

    /// <summary>
    /// sigmoid(2u) and sigmoid(2u) sigmoid(-2u), from t = e^(-2|u|) in (0, 1] (no overflow for any u): with r = 1/(1 + t),
    /// sigmoid(2|u|) = r, sigmoid(-2|u|) = t r, and their product t r^2.
    /// </summary>
    private static (float Sigmoid, float Slope) SigmoidOfTwice(float u)
    {
        float t = XMath.Exp(-2f * XMath.Abs(u)), r = 1f / (1f + t);
        return (u >= 0f ? r : t * r, t * r * r);
    }

    /// <summary>gelu_erf(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)).</summary>
    public static float Erf(float x) => 0.5f * x * (1f + ErrorFunction(x * InvSqrt2));

    /// <summary>d/dx gelu_erf = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi).</summary>
    public static float ErfDerivative(float x) => 0.5f * (1f + ErrorFunction(x * InvSqrt2)) + x * XMath.Exp(-0.5f * x * x) * InvSqrt2Pi;

    /// <summary>
    /// erf(x) by Abramowitz and Stegun 7.1.26: 1 - (a1 t + ... + a5 t^5) e^(-x^2), t = 1/(1 + p|x|); |error| &lt; 1.5e-7.
    /// </summary>
    public static float ErrorFunction(float x)
    {
        float ax = XMath.Abs(x);
        float t = 1f / (1f + 0.3275911f * ax);
        float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
        float r = 1f - poly * XMath.Exp(-ax * ax);
        return x < 0f ? -r : r;
    }
}
