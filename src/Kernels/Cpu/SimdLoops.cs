using System.Runtime.CompilerServices;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>An elementwise function of one lane vector (a struct, so the loop is specialised and inlined).</summary>
internal interface IUnaryOperator
{
    /// <summary>Applies the function to each lane.</summary>
    TLanes Invoke<TLanes>(TLanes x) where TLanes : struct, ILaneVector<TLanes>;
}

/// <summary>An elementwise function of two lane vectors.</summary>
internal interface IBinaryOperator
{
    /// <summary>Applies the function lane by lane.</summary>
    TLanes Invoke<TLanes>(TLanes a, TLanes b) where TLanes : struct, ILaneVector<TLanes>;
}

/// <summary>An elementwise function of three lane vectors.</summary>
internal interface ITernaryOperator
{
    /// <summary>Applies the function lane by lane.</summary>
    TLanes Invoke<TLanes>(TLanes a, TLanes b, TLanes c) where TLanes : struct, ILaneVector<TLanes>;
}

/// <summary>
/// The one set of SIMD loops behind every elementwise kernel. Each operator is written once, generic over the lane
/// vector; the loops run it on <see cref="Lanes16"/> (AVX-512) where the processor has 512-bit vectors and on
/// <see cref="Lanes8"/> otherwise (one AVX register; on 128-bit hardware .NET runs each 256-bit operation as two
/// 128-bit ones). The last (length mod lanes) elements go through the same operator on a zero-padded copy, so there
/// is no separate scalar version of any math and in-place calls (input and output the same memory) stay correct.
/// </summary>
internal static unsafe class SimdLoops
{
    /// <summary>Elements a parallel block should at least hold to be worth a thread.</summary>
    public const int ElementsPerBlock = 32 * 1024;

    /// <summary>Rows per parallel block so that a block holds about <see cref="ElementsPerBlock"/> elements.</summary>
    public static int RowsPerBlock(int cols) => Math.Max(1, ElementsPerBlock / Math.Max(1, cols));

    /// <summary>Loads up to <c>TLanes.Count</c> floats, padding the missing lanes with zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes LoadPadded<TLanes>(ReadOnlySpan<float> source) where TLanes : struct, ILaneVector<TLanes>
    {
        Span<float> buffer = stackalloc float[TLanes.Count];
        buffer.Clear();
        source.CopyTo(buffer);
        return TLanes.Load(buffer);
    }

    /// <summary>Stores the first <c>destination.Length</c> (at most <c>TLanes.Count</c>) lanes of <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial<TLanes>(TLanes value, Span<float> destination) where TLanes : struct, ILaneVector<TLanes>
    {
        Span<float> buffer = stackalloc float[TLanes.Count];
        value.Store(buffer);
        buffer[..destination.Length].CopyTo(destination);
    }

    /// <summary>Loads <paramref name="count"/> (1..lanes) floats at <paramref name="index"/>, zero-padding a short tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLanes LoadAt<TLanes>(ReadOnlySpan<float> source, int index, int count) where TLanes : struct, ILaneVector<TLanes> =>
        count == TLanes.Count ? TLanes.Load(source.Slice(index, count)) : LoadPadded<TLanes>(source.Slice(index, count));

    /// <summary>Stores the first <paramref name="count"/> (1..lanes) lanes at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreAt<TLanes>(TLanes value, Span<float> destination, int index, int count) where TLanes : struct, ILaneVector<TLanes>
    {
        if (count == TLanes.Count) value.StoreUnchecked(destination, index);
        else StorePartial(value, destination.Slice(index, count));
    }

    /// <summary>y[i] = op(x[i]) on the calling thread.</summary>
    public static void Map<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOperator
    {
        if (Lanes.UseWide) MapLanes<TOp, Lanes16>(op, x, y);
        else MapLanes<TOp, Lanes8>(op, x, y);
    }

    /// <summary>y[i] = op(a[i], b[i]) on the calling thread.</summary>
    public static void Map<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOperator
    {
        if (Lanes.UseWide) MapLanes<TOp, Lanes16>(op, a, b, y);
        else MapLanes<TOp, Lanes8>(op, a, b, y);
    }

    /// <summary>y[i] = op(a[i], b[i], c[i]) on the calling thread.</summary>
    public static void Map<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
        where TOp : struct, ITernaryOperator
    {
        if (Lanes.UseWide) MapLanes<TOp, Lanes16>(op, a, b, c, y);
        else MapLanes<TOp, Lanes8>(op, a, b, c, y);
    }

    private static void MapLanes<TOp, TLanes>(TOp op, ReadOnlySpan<float> x, Span<float> y)
        where TOp : struct, IUnaryOperator where TLanes : struct, ILaneVector<TLanes>
    {
        int n = y.Length, i = 0, width = TLanes.Count;
        for (; i <= n - width; i += width)
            op.Invoke(TLanes.LoadUnchecked(x, i)).StoreUnchecked(y, i);
        if (i < n)
            StorePartial(op.Invoke(LoadPadded<TLanes>(x[i..n])), y[i..]);
    }

    private static void MapLanes<TOp, TLanes>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
        where TOp : struct, IBinaryOperator where TLanes : struct, ILaneVector<TLanes>
    {
        int n = y.Length, i = 0, width = TLanes.Count;
        for (; i <= n - width; i += width)
            op.Invoke(TLanes.LoadUnchecked(a, i), TLanes.LoadUnchecked(b, i)).StoreUnchecked(y, i);
        if (i < n)
            StorePartial(op.Invoke(LoadPadded<TLanes>(a[i..n]), LoadPadded<TLanes>(b[i..n])), y[i..]);
    }

    private static void MapLanes<TOp, TLanes>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
        where TOp : struct, ITernaryOperator where TLanes : struct, ILaneVector<TLanes>
    {
        int n = y.Length, i = 0, width = TLanes.Count;
        for (; i <= n - width; i += width)
            op.Invoke(TLanes.LoadUnchecked(a, i), TLanes.LoadUnchecked(b, i), TLanes.LoadUnchecked(c, i)).StoreUnchecked(y, i);
        if (i < n)
            StorePartial(op.Invoke(LoadPadded<TLanes>(a[i..n]), LoadPadded<TLanes>(b[i..n]), LoadPadded<TLanes>(c[i..n])), y[i..]);
    }

    /// <summary>y[i] = op(x[i]), split over the worker threads when large.</summary>
    public static void MapParallel<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOperator
    {
        if (y.Length < 2 * ElementsPerBlock) { Map(op, x, y); return; }
        fixed (float* px = x, py = y)
        {
            var xs = new RawSpan<float>(px, x.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(y.Length, ElementsPerBlock, (begin, end) =>
                Map(op, xs.Slice(begin, end - begin), ys.Slice(begin, end - begin)));
        }
    }

    /// <summary>y[i] = op(a[i], b[i]), split over the worker threads when large.</summary>
    public static void MapParallel<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOperator
    {
        if (y.Length < 2 * ElementsPerBlock) { Map(op, a, b, y); return; }
        fixed (float* pa = a, pb = b, py = y)
        {
            var @as = new RawSpan<float>(pa, a.Length);
            var bs = new RawSpan<float>(pb, b.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(y.Length, ElementsPerBlock, (begin, end) =>
                Map(op, @as.Slice(begin, end - begin), bs.Slice(begin, end - begin), ys.Slice(begin, end - begin)));
        }
    }

    /// <summary>y[i] = op(a[i], b[i], c[i]), split over the worker threads when large.</summary>
    public static void MapParallel<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
        where TOp : struct, ITernaryOperator
    {
        if (y.Length < 2 * ElementsPerBlock) { Map(op, a, b, c, y); return; }
        fixed (float* pa = a, pb = b, pc = c, py = y)
        {
            var @as = new RawSpan<float>(pa, a.Length);
            var bs = new RawSpan<float>(pb, b.Length);
            var cs = new RawSpan<float>(pc, c.Length);
            var ys = new RawSpan<float>(py, y.Length);
            CpuParallel.ForBlocks(y.Length, ElementsPerBlock, (begin, end) =>
                Map(op, @as.Slice(begin, end - begin), bs.Slice(begin, end - begin), cs.Slice(begin, end - begin), ys.Slice(begin, end - begin)));
        }
    }

    /// <summary>Sum of all elements, accumulated in double (each float vector widened to two double vectors).</summary>
    public static double SumWidened(ReadOnlySpan<float> x) => SumWidened(new FirstOf(), x, x, x);

    /// <summary>Sum of op(x[i]) accumulated in double.</summary>
    public static double SumWidened<TOp>(TOp op, ReadOnlySpan<float> x) where TOp : struct, IUnaryOperator =>
        SumWidened(new UnaryOfFirst<TOp>(op), x, x, x);

    /// <summary>Sum of op(a[i], b[i], c[i]) accumulated in double: the float results are widened before they are added.</summary>
    public static double SumWidened<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c)
        where TOp : struct, ITernaryOperator =>
        Lanes.UseWide ? SumWidenedLanes<TOp, Lanes16>(op, a, b, c) : SumWidenedLanes<TOp, Lanes8>(op, a, b, c);

    private static double SumWidenedLanes<TOp, TLanes>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c)
        where TOp : struct, ITernaryOperator where TLanes : struct, ILaneVector<TLanes>
    {
        TLanes low = default, high = default;
        int n = a.Length, i = 0, width = TLanes.Count;
        for (; i <= n - width; i += width)
            (low, high) = TLanes.AddWidened(op.Invoke(TLanes.LoadUnchecked(a, i), TLanes.LoadUnchecked(b, i), TLanes.LoadUnchecked(c, i)), low, high);
        // The sums are totalled before the tail's calls: a vector live across a call would be kept in memory.
        double total = TLanes.TotalOfWidened(low, high);
        return i < n ? total + TailSumWidened<TOp, TLanes>(op, a[i..n], b[i..n], c[i..n]) : total;
    }

    /// <summary>Sum of op over fewer than <c>TLanes.Count</c> elements, in double.</summary>
    private static double TailSumWidened<TOp, TLanes>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c)
        where TOp : struct, ITernaryOperator where TLanes : struct, ILaneVector<TLanes>
    {
        var tail = op.Invoke(LoadPadded<TLanes>(a), LoadPadded<TLanes>(b), LoadPadded<TLanes>(c));
        // Zero the padding lanes: op(0, 0, 0) need not be 0 (exp, for one), and it must never reach the sum.
        var zero = TLanes.Broadcast(0f);
        var (low, high) = TLanes.AddWidened(TLanes.Select(TLanes.FirstLanes(a.Length), tail, zero), zero, zero);
        return TLanes.TotalOfWidened(low, high);
    }

    /// <summary>sum a[i] b[i] with exact products: both operands are widened to double before multiplying.</summary>
    public static double DotWidened(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        Lanes.UseWide ? DotWidenedLanes<Lanes16>(a, b) : DotWidenedLanes<Lanes8>(a, b);

    private static double DotWidenedLanes<TLanes>(ReadOnlySpan<float> a, ReadOnlySpan<float> b) where TLanes : struct, ILaneVector<TLanes>
    {
        TLanes low = default, high = default;
        int n = a.Length, i = 0, width = TLanes.Count;
        for (; i <= n - width; i += width)
            (low, high) = TLanes.AddWidenedProduct(TLanes.LoadUnchecked(a, i), TLanes.LoadUnchecked(b, i), low, high);
        double total = TLanes.TotalOfWidened(low, high);
        for (; i < n; i++)
            total += (double)a[i] * b[i];
        return total;
    }

    /// <summary>Largest element (x must not be empty).</summary>
    public static float Max(ReadOnlySpan<float> x) => Lanes.UseWide ? MaxLanes<Lanes16>(x) : MaxLanes<Lanes8>(x);

    private static float MaxLanes<TLanes>(ReadOnlySpan<float> x) where TLanes : struct, ILaneVector<TLanes>
    {
        int n = x.Length, i = 0, width = TLanes.Count;
        var best = TLanes.Broadcast(float.NegativeInfinity);
        for (; i <= n - width; i += width)
            best = TLanes.Max(best, TLanes.LoadUnchecked(x, i));
        float max = best.MaxLane();
        for (; i < n; i++)
            max = Math.Max(max, x[i]);
        return max;
    }

    private readonly struct FirstOf : ITernaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b, TLanes c) where TLanes : struct, ILaneVector<TLanes> => a;
    }

    private readonly struct UnaryOfFirst<TOp>(TOp op) : ITernaryOperator where TOp : struct, IUnaryOperator
    {
        public TLanes Invoke<TLanes>(TLanes a, TLanes b, TLanes c) where TLanes : struct, ILaneVector<TLanes> => op.Invoke(a);
    }
}

/// <summary>
/// A pinned buffer as pointer + length, so a span can be rebuilt inside a parallel lambda
/// (spans themselves cannot be captured). Only valid while the caller keeps the memory pinned.
/// </summary>
internal readonly unsafe struct RawSpan<T> where T : unmanaged
{
    private readonly T* start;

    public RawSpan(T* start, int length)
    {
        this.start = start;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The span [begin, begin + count), bounds-checked against the pinned length.</summary>
    public Span<T> Slice(int begin, int count)
    {
        if ((uint)begin > (uint)Length || (uint)count > (uint)(Length - begin))
            throw new ArgumentOutOfRangeException(nameof(begin), $"slice [{begin}, {begin + count}) outside buffer of length {Length}");
        return new Span<T>(start + begin, count);
    }

    /// <summary>The whole pinned buffer.</summary>
    public Span<T> All => new(start, Length);
}
