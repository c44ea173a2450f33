using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BiGS.Native.Kernels.Cpu;

/// <summary>An elementwise function of one vector of 8 floats (a struct, so the loop is specialised and inlined).</summary>
internal interface IUnaryOperator
{
    /// <summary>Applies the function to each lane.</summary>
    Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>An elementwise function of two vectors of 8 floats.</summary>
internal interface IBinaryOperator
{
    /// <summary>Applies the function lane by lane.</summary>
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
}

/// <summary>An elementwise function of three vectors of 8 floats.</summary>
internal interface ITernaryOperator
{
    /// <summary>Applies the function lane by lane.</summary>
    Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c);
}

/// <summary>
/// The one set of SIMD loops behind every elementwise kernel. Each operator is written once, on
/// <see cref="Vector256{T}"/>: with AVX it is one register; on 128-bit hardware (SSE, NEON) .NET runs each
/// Vector256 operation as two Vector128 operations. The last (length mod 8) elements go through the same
/// operator on a zero-padded copy, so there is no separate scalar version of any math and in-place calls
/// (input and output the same memory) stay correct.
/// </summary>
internal static unsafe class SimdLoops
{
    public const int Width = 8;

    /// <summary>Elements a parallel block should at least hold to be worth a thread.</summary>
    public const int ElementsPerBlock = 32 * 1024;

    /// <summary>Rows per parallel block so that a block holds about <see cref="ElementsPerBlock"/> elements.</summary>
    public static int RowsPerBlock(int cols) => Math.Max(1, ElementsPerBlock / Math.Max(1, cols));

    /// <summary>Loads up to 8 floats, padding the missing lanes with zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadPadded(ReadOnlySpan<float> source)
    {
        Span<float> buffer = stackalloc float[Width];
        buffer.Clear();
        source.CopyTo(buffer);
        return Vector256.Create<float>(buffer);
    }

    /// <summary>Stores the first <c>destination.Length</c> (at most 8) lanes of <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StorePartial(Vector256<float> value, Span<float> destination)
    {
        Span<float> buffer = stackalloc float[Width];
        value.CopyTo(buffer);
        buffer[..destination.Length].CopyTo(destination);
    }

    /// <summary>Loads 8 floats starting at <paramref name="index"/> (caller guarantees they exist).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ReadOnlySpan<float> source, int index) =>
        Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)index);

    /// <summary>Stores 8 floats starting at <paramref name="index"/> (caller guarantees room).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, Span<float> destination, int index) =>
        value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)index);

    /// <summary>y[i] = op(x[i]) on the calling thread.</summary>
    public static void Map<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOperator
    {
        int n = y.Length, i = 0;
        for (; i <= n - Width; i += Width)
            Store(op.Invoke(Load(x, i)), y, i);
        if (i < n)
            StorePartial(op.Invoke(LoadPadded(x[i..n])), y[i..]);
    }

    /// <summary>y[i] = op(a[i], b[i]) on the calling thread.</summary>
    public static void Map<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOperator
    {
        int n = y.Length, i = 0;
        for (; i <= n - Width; i += Width)
            Store(op.Invoke(Load(a, i), Load(b, i)), y, i);
        if (i < n)
            StorePartial(op.Invoke(LoadPadded(a[i..n]), LoadPadded(b[i..n])), y[i..]);
    }

    /// <summary>y[i] = op(a[i], b[i], c[i]) on the calling thread.</summary>
    public static void Map<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y)
        where TOp : struct, ITernaryOperator
    {
        int n = y.Length, i = 0;
        for (; i <= n - Width; i += Width)
            Store(op.Invoke(Load(a, i), Load(b, i), Load(c, i)), y, i);
        if (i < n)
            StorePartial(op.Invoke(LoadPadded(a[i..n]), LoadPadded(b[i..n]), LoadPadded(c[i..n])), y[i..]);
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
        where TOp : struct, ITernaryOperator
    {
        var lower = Vector256<double>.Zero;
        var upper = Vector256<double>.Zero;
        int n = a.Length, i = 0;
        for (; i <= n - Width; i += Width)
            AddWidened(op.Invoke(Load(a, i), Load(b, i), Load(c, i)), ref lower, ref upper);
        if (i < n)
        {
            var tail = op.Invoke(LoadPadded(a[i..n]), LoadPadded(b[i..n]), LoadPadded(c[i..n]));
            AddWidened(MaskTail(tail, n - i), ref lower, ref upper);
        }
        return Vector256.Sum(lower + upper);
    }

    /// <summary>sum a[i] b[i] with exact products: both operands are widened to double before multiplying.</summary>
    public static double DotWidened(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var lower = Vector256<double>.Zero;
        var upper = Vector256<double>.Zero;
        int n = a.Length, i = 0;
        for (; i <= n - Width; i += Width)
        {
            var (aLo, aHi) = Vector256.Widen(Load(a, i));
            var (bLo, bHi) = Vector256.Widen(Load(b, i));
            lower += aLo * bLo; // exact: a product of two floats fits in a double
            upper += aHi * bHi;
        }
        double sum = Vector256.Sum(lower + upper);
        for (; i < n; i++)
            sum += (double)a[i] * b[i];
        return sum;
    }

    /// <summary>Loads <paramref name="count"/> (1..8) floats at <paramref name="index"/>, zero-padding a short tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadAt(ReadOnlySpan<float> source, int index, int count) =>
        count == Width ? Vector256.Create(source.Slice(index, Width)) : LoadPadded(source.Slice(index, count));

    /// <summary>Largest element (x must not be empty).</summary>
    public static float Max(ReadOnlySpan<float> x)
    {
        int n = x.Length, i = 0;
        var best = Vector256.Create(float.NegativeInfinity);
        for (; i <= n - Width; i += Width)
            best = Vector256.Max(best, Load(x, i));
        float max = MaxLane(best);
        for (; i < n; i++)
            max = Math.Max(max, x[i]);
        return max;
    }

    /// <summary>Largest lane of a vector.</summary>
    public static float MaxLane(Vector256<float> v)
    {
        var half = Vector128.Max(v.GetLower(), v.GetUpper());
        return Math.Max(Math.Max(half[0], half[1]), Math.Max(half[2], half[3]));
    }

    /// <summary>Zeroes lanes at and after <paramref name="count"/> (so padding never reaches a sum).</summary>
    private static Vector256<float> MaskTail(Vector256<float> v, int count) =>
        Vector256.ConditionalSelect(
            Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle(),
            v, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened(Vector256<float> v, ref Vector256<double> lower, ref Vector256<double> upper)
    {
        var (lo, hi) = Vector256.Widen(v);
        lower += lo;
        upper += hi;
    }

    private readonly struct FirstOf : ITernaryOperator
    {
        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => a;
    }

    private readonly struct UnaryOfFirst<TOp>(TOp op) : ITernaryOperator where TOp : struct, IUnaryOperator
    {
        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c) => op.Invoke(a);
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
