using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace BiGS.Native.Ssm;

/// <summary>
/// Initial values of the diagonal state matrix A = A_re + i A_im of an S4D SSM (docs/BIGS.md 5.2).
/// </summary>
public static class SsmInitialization
{
    /// <summary>A_re and A_im (length n) for a scaling name: "hippo", "lin" or "inv".</summary>
    public static (double[] ARe, double[] AIm) StateMatrix(string scaling, int n) => scaling switch
    {
        "hippo" => HippoLegS(n),
        "lin" => (Enumerable.Repeat(-0.5, n).ToArray(), Enumerable.Range(0, n).Select(k => Math.PI * k).ToArray()),
        "inv" => (Enumerable.Repeat(-0.5, n).ToArray(),
                  Enumerable.Range(0, n).Select(k => n / Math.PI * (n / (2.0 * k + 1) - 1)).ToArray()),
        _ => throw new ArgumentException($"scaling must be \"hippo\", \"lin\" or \"inv\", got \"{scaling}\""),
    };

    /// <summary>
    /// Diagonalised HiPPO-LegS. With p_k = sqrt(1+2k), q_k = sqrt(k+1/2):
    /// <code>S = -(tril(p p^T) - diag(k)) + q q^T</code>
    /// S is -1/2 on the diagonal plus a skew-symmetric part, so A_re = mean(diag S) = -1/2 and the imaginary
    /// parts are the eigenvalues of the Hermitian matrix -i (S - diag S), in ascending order.
    /// </summary>
    public static (double[] ARe, double[] AIm) HippoLegS(int n)
    {
        var s = NormalPlusLowRank(n);
        double diagonalMean = Enumerable.Range(0, n).Average(k => s[k, k]);
        var hermitian = Matrix<Complex>.Build.Dense(n, n, (r, c) => r == c ? Complex.Zero : -Complex.ImaginaryOne * s[r, c]);
        var eigenvalues = hermitian.Evd(Symmetricity.Hermitian).EigenValues.Select(e => e.Real).Order().ToArray();
        return (Enumerable.Repeat(diagonalMean, n).ToArray(), eigenvalues);
    }

    private static double[,] NormalPlusLowRank(int n)
    {
        var s = new double[n, n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                double p = Math.Sqrt((1.0 + 2 * r) * (1.0 + 2 * c));
                double lower = r >= c ? p : 0.0;
                double diagonal = r == c ? r : 0.0;
                s[r, c] = -(lower - diagonal) + Math.Sqrt((r + 0.5) * (c + 0.5));
            }
        return s;
    }
}
