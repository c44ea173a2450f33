using System.Runtime.Intrinsics;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>One AdamW update (Loshchilov &amp; Hutter, decoupled weight decay) over a parameter buffer.</summary>
public static class AdamWKernel
{
    /// <summary>
    /// With bias-corrected moments at step t &gt;= 1:
    /// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; mhat = m/(1-b1^t); vhat = v/(1-b2^t);
    /// p -= lr (mhat / (sqrt(vhat) + eps) + weightDecay p).
    /// </summary>
    public static unsafe void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        string expected = $"param of length {param.Length}";
        KernelArguments.RequireLength(nameof(grad), grad.Length, param.Length, expected);
        KernelArguments.RequireLength(nameof(m), m.Length, param.Length, expected);
        KernelArguments.RequireLength(nameof(v), v.Length, param.Length, expected);
        if (step < 1)
            throw new ArgumentOutOfRangeException(nameof(step), step, "AdamW step counts from 1");
        var update = new Update(lr, beta1, beta2, eps, weightDecay, step);
        fixed (float* pp = param, pg = grad, pm = m, pv = v)
        {
            var ps = new RawSpan<float>(pp, param.Length);
            var gs = new RawSpan<float>(pg, grad.Length);
            var ms = new RawSpan<float>(pm, m.Length);
            var vs = new RawSpan<float>(pv, v.Length);
            CpuParallel.ForBlocks(param.Length, SimdLoops.ElementsPerBlock, (begin, end) =>
            {
                int count = end - begin;
                update.Apply(ps.Slice(begin, count), gs.Slice(begin, count), ms.Slice(begin, count), vs.Slice(begin, count));
            });
        }
    }

    /// <summary>The update with its step constants (bias corrections computed once, in double).</summary>
    private readonly struct Update(float lr, float beta1, float beta2, float eps, float weightDecay, int step)
    {
        private readonly float inverseCorrection1 = (float)(1.0 / (1.0 - Math.Pow(beta1, step)));
        private readonly float inverseCorrection2 = (float)(1.0 / (1.0 - Math.Pow(beta2, step)));

        public void Apply(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v)
        {
            int n = p.Length, i = 0;
            for (; i <= n - SimdLoops.Width; i += SimdLoops.Width)
            {
                var (newP, newM, newV) = Invoke(SimdLoops.Load(p, i), SimdLoops.Load(g, i), SimdLoops.Load(m, i), SimdLoops.Load(v, i));
                SimdLoops.Store(newP, p, i);
                SimdLoops.Store(newM, m, i);
                SimdLoops.Store(newV, v, i);
            }
            if (i == n) return;
            var (tailP, tailM, tailV) = Invoke(SimdLoops.LoadPadded(p[i..]), SimdLoops.LoadPadded(g[i..]),
                SimdLoops.LoadPadded(m[i..]), SimdLoops.LoadPadded(v[i..]));
            SimdLoops.StorePartial(tailP, p[i..]);
            SimdLoops.StorePartial(tailM, m[i..]);
            SimdLoops.StorePartial(tailV, v[i..]);
        }

        private (Vector256<float> P, Vector256<float> M, Vector256<float> V) Invoke(
            Vector256<float> p, Vector256<float> g, Vector256<float> m, Vector256<float> v)
        {
            m = SimdMath.MulAdd(Vector256.Create(beta1), m, Vector256.Create(1 - beta1) * g);
            v = SimdMath.MulAdd(Vector256.Create(beta2), v, Vector256.Create(1 - beta2) * g * g);
            var mhat = m * Vector256.Create(inverseCorrection1);
            var vhat = v * Vector256.Create(inverseCorrection2);
            var direction = mhat / (Vector256.Sqrt(vhat) + Vector256.Create(eps));
            p -= Vector256.Create(lr) * SimdMath.MulAdd(Vector256.Create(weightDecay), p, direction);
            return (p, m, v);
        }
    }
}
