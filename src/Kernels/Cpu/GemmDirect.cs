namespace BiGS.Native.Kernels.Cpu;

/// <summary>
/// The unblocked paths of <see cref="Gemm"/>: a plain triple loop for products too small to repay packing
/// and threading, and the C = beta * C update when there is nothing to multiply (alpha = 0 or k = 0).
/// </summary>
internal static unsafe class GemmDirect
{
    /// <summary>C[i,j] = alpha * sum_p op(A)[i,p] * op(B)[p,j] + beta * C[i,j] (old C unread when beta is 0).</summary>
    public static void Multiply(in GemmOperands op)
    {
        for (int i = 0; i < op.M; i++)
        {
            float* cRow = op.CAt(i, 0);
            for (int j = 0; j < op.N; j++)
            {
                float sum = 0f;
                for (int p = 0; p < op.K; p++)
                    sum += op.AAt(i, p) * op.BAt(p, j);
                cRow[j] = op.Beta == 0f ? op.Alpha * sum : op.Alpha * sum + op.Beta * cRow[j];
            }
        }
    }

    /// <summary>C = beta * C, writing zeros (not 0 * old value) when beta is 0 so NaN in C does not survive.</summary>
    public static void ScaleC(in GemmOperands op)
    {
        for (int i = 0; i < op.M; i++)
        {
            var row = new Span<float>(op.CAt(i, 0), op.N);
            if (op.Beta == 0f)
                row.Clear();
            else
                for (int j = 0; j < row.Length; j++)
                    row[j] *= op.Beta;
        }
    }
}
