namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// Argument checks for <see cref="Gemm"/>: dimensions, row strides and span lengths, with messages
/// that name the method, the operand, its stored shape and the numbers that disagree.
/// </summary>
internal readonly struct GemmArguments
{
    private readonly string method;
    private readonly int batch;

    /// <summary>Checks that batch, m, n and k are non-negative.</summary>
    public GemmArguments(string method, int batch, int m, int n, int k)
    {
        this.method = method;
        this.batch = batch;
        if (batch < 0 || m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"{method}: dimensions must be non-negative but batch={batch}, m={m}, n={n}, k={k}");
    }

    /// <summary>
    /// Checks one operand whose op() view is (rows, cols): stored (cols, rows) when <paramref name="transposed"/>.
    /// Its row stride must cover a stored row, the batch stride must be non-negative, and the span must reach
    /// the last element of the last matrix: <c>(batch-1)*stride + (storedRows-1)*ld + storedCols</c>.
    /// </summary>
    public void RequireOperand(string name, string? transName, bool transposed, int rows, int cols, int ld, long stride, int length)
    {
        (int storedRows, int storedCols) = transposed ? (cols, rows) : (rows, cols);
        string operand = transName is null ? name : $"{name} ({transName}={(transposed ? "true" : "false")})";
        string ldName = "ld" + name.ToLowerInvariant();
        if (ld < storedCols)
            throw new ArgumentException(
                $"{method}: {ldName} {ld} is less than the {storedCols} columns of {operand} stored as ({storedRows},{storedCols})");
        if (stride < 0)
            throw new ArgumentException($"{method}: stride{name} must be non-negative but is {stride}");
        if (batch == 0 || storedRows == 0 || storedCols == 0) return;

        long needed = (batch - 1) * stride + (long)(storedRows - 1) * ld + storedCols;
        if (length >= needed) return;
        string layout = batch == 1
            ? $"({storedRows},{storedCols}) with {ldName} {ld}"
            : $"{batch} matrices ({storedRows},{storedCols}) with {ldName} {ld} and stride{name} {stride}";
        throw new ArgumentException($"{method}: {operand} needs {needed} elements for {layout} but has {length}");
    }
}
