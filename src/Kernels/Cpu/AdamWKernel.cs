using System.Runtime.CompilerServices;

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

        /// <summary>Updates p, m and v in place, on the processor's widest lane vector.</summary>
        public void Apply(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v)
        {
            if (Lanes.UseWide) Apply<Lanes16>(p, g, m, v);
            else Apply<Lanes8>(p, g, m, v);
        }

        private void Apply<TLanes>(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v) where TLanes : struct, ILaneVector<TLanes>
        {
            int n = p.Length, i = 0, width = TLanes.Count;
            for (; i <= n - width; i += width)
            {
                var (newP, newM, newV) = Invoke(TLanes.LoadUnchecked(p, i), TLanes.LoadUnchecked(g, i),
                    TLanes.LoadUnchecked(m, i), TLanes.LoadUnchecked(v, i));
                newP.StoreUnchecked(p, i);
                newM.StoreUnchecked(m, i);
                newV.StoreUnchecked(v, i);
            }
            if (i == n) return;
            var (tailP, tailM, tailV) = Invoke(SimdLoops.LoadPadded<TLanes>(p[i..]), SimdLoops.LoadPadded<TLanes>(g[i..]),
                SimdLoops.LoadPadded<TLanes>(m[i..]), SimdLoops.LoadPadded<TLanes>(v[i..]));
            SimdLoops.StorePartial(tailP, p[i..]);
            SimdLoops.StorePartial(tailM, m[i..]);
            SimdLoops.StorePartial(tailV, v[i..]);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private (TLanes P, TLanes M, TLanes V) Invoke<TLanes>(TLanes p, TLanes g, TLanes m, TLanes v) where TLanes : struct, ILaneVector<TLanes>
        {
            m = TLanes.MulAdd(TLanes.Broadcast(beta1), m, TLanes.Broadcast(1 - beta1) * g);
            v = TLanes.MulAdd(TLanes.Broadcast(beta2), v, TLanes.Broadcast(1 - beta2) * g * g);
            var mhat = m * TLanes.Broadcast(inverseCorrection1);
            var vhat = v * TLanes.Broadcast(inverseCorrection2);
            var direction = mhat / (TLanes.Sqrt(vhat) + TLanes.Broadcast(eps));
            p -= TLanes.Broadcast(lr) * TLanes.MulAdd(TLanes.Broadcast(weightDecay), p, direction);
            return (p, m, v);
        }
    }
}
