using BiGS.Native.Kernels.Random;
using ILGPU;
using ILGPU.Algorithms;

namespace BiGS.Native.Gpu.Kernels;

/// <summary>
/// One thread per element (auto-grouped 1-D launches). Views arrive already sliced to the tensor's first element,
/// except where a <see cref="StridedView"/> addresses the whole storage.
/// </summary>
public static class ElementwiseKernels
{
    /// <summary>y = value.</summary>
    public static void Fill(Index1D i, ArrayView<float> y, float value) => y[i] = value;

    /// <summary>y[i] = i.</summary>
    public static void Iota(Index1D i, ArrayView<int> y) => y[i] = i;

    /// <summary>dst[i] = src[view(i)] for 4-byte elements (float32 and int32 move the same bits).</summary>
    public static void CopyStrided32(Index1D i, ArrayView<int> source, StridedView view, ArrayView<int> destination) =>
        destination[i] = source[view.Index(i)];

    /// <summary>dst[i] = src[view(i)] for 8-byte elements (int64).</summary>
    public static void CopyStrided64(Index1D i, ArrayView<long> source, StridedView view, ArrayView<long> destination) =>
        destination[i] = source[view.Index(i)];

    /// <summary>y = op(x).</summary>
    public static void Unary<TFunction>(Index1D i, ArrayView<float> x, ArrayView<float> y) where TFunction : struct, IUnaryFunction =>
        y[i] = default(TFunction).Apply(x[i]);

    /// <summary>dx = dy op'(x), with y = op(x).</summary>
    public static void UnaryBackward<TFunction>(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
        where TFunction : struct, IUnaryFunction =>
        dx[i] = dy[i] * default(TFunction).Derivative(x[i], y[i]);

    /// <summary>y = a op b, a and b strided views of y's shape over their whole storages (stride 0 broadcasts).</summary>
    public static void Binary<TFunction>(Index1D i, ArrayView<float> a, StridedView aView, ArrayView<float> b, StridedView bView, ArrayView<float> y)
        where TFunction : struct, IBinaryFunction =>
        y[i] = default(TFunction).Apply(a[aView.Index(i)], b[bView.Index(i)]);

    /// <summary>y = a op s, or s op a when <paramref name="scalarFirst"/> is not 0.</summary>
    public static void BinaryScalar<TFunction>(Index1D i, ArrayView<float> a, float s, int scalarFirst, ArrayView<float> y)
        where TFunction : struct, IBinaryFunction =>
        y[i] = scalarFirst != 0 ? default(TFunction).Apply(s, a[i]) : default(TFunction).Apply(a[i], s);

    /// <summary>y += alpha x.</summary>
    public static void AddScaled(Index1D i, ArrayView<float> x, float alpha, ArrayView<float> y) => y[i] += alpha * x[i];

    /// <summary>y = gelu(x + bias) over rows of <paramref name="cols"/>.</summary>
    public static void BiasGelu<TGelu>(Index1D i, ArrayView<float> x, ArrayView<float> bias, int cols, ArrayView<float> y)
        where TGelu : struct, IUnaryFunction =>
        y[i] = default(TGelu).Apply(x[i] + bias[i % cols]);

    /// <summary>mask[i] = 1/keep where Philox uniform number firstIndex + i (key <paramref name="seed"/>) is below keep, else 0.</summary>
    public static void DropoutMask(Index1D i, ArrayView<float> mask, float keep, ulong seed, long firstIndex) =>
        mask[i] = Philox.DropoutFactor(seed, firstIndex + i, keep);

    /// <summary>
    /// AdamW: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / c1 / (sqrt(v / c2) + eps) + wd p), with the
    /// bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t from the host.
    /// </summary>
    public static void AdamW(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, AdamWSettings s)
    {
        float grad = g[i];
        float mi = s.Beta1 * m[i] + (1f - s.Beta1) * grad;
        float vi = s.Beta2 * v[i] + (1f - s.Beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        float param = p[i];
        p[i] = param - s.LearningRate * (mi / s.Correction1 / (XMath.Sqrt(vi / s.Correction2) + s.Epsilon) + s.WeightDecay * param);
    }
}

/// <summary>The scalars of one AdamW update (bias corrections c = 1 - beta^t computed on the host).</summary>
public readonly record struct AdamWSettings(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay,
    float Correction1, float Correction2);
