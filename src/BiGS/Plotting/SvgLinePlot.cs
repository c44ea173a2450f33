using System.Globalization;
using System.Text;

namespace BiGS.Native.Plotting;

/// <summary>One named series of (x, y) points.</summary>
public sealed record PlotSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A dependency-free SVG line chart: axes with ticks, one polyline per series, a legend. Enough to plot SSM kernels
/// and loss curves that open in any browser.
/// </summary>
public sealed class SvgLinePlot
{
    private const int Width = 720, Height = 420, Left = 70, Right = 20, Top = 40, Bottom = 50;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
    private readonly List<PlotSeries> series = [];

    /// <summary>Creates an empty chart.</summary>
    public SvgLinePlot(string title, string xLabel, string yLabel)
    {
        Title = title;
        XLabel = xLabel;
        YLabel = yLabel;
    }

    /// <summary>Text centred above the chart; XML-escaped when written.</summary>
    public string Title { get; }

    /// <summary>Label of the horizontal axis.</summary>
    public string XLabel { get; }

    /// <summary>Label of the vertical axis.</summary>
    public string YLabel { get; }

    /// <summary>Adds a series (points with non-finite values are skipped).</summary>
    public SvgLinePlot Add(PlotSeries s)
    {
        if (s.X.Count != s.Y.Count) throw new ArgumentException($"series {s.Name}: {s.X.Count} x values but {s.Y.Count} y values");
        series.Add(s);
        return this;
    }

    /// <summary>The whole SVG document as text (axes, series, legend); points that are not finite are left out.</summary>
    public string Render()
    {
        var points = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        var (xMin, xMax) = Range(points.Select(p => p.First));
        var (yMin, yMax) = Range(points.Select(p => p.Second));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(Title)}</text>\n");
        AppendAxes(svg, xMin, xMax, yMin, yMax);
        for (int i = 0; i < series.Count; i++)
            AppendSeries(svg, series[i], Colors[i % Colors.Length], i, xMin, xMax, yMin, yMax);
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>Writes the SVG file atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, Render());

    private void AppendAxes(StringBuilder svg, double xMin, double xMax, double yMin, double yMax)
    {
        int plotRight = Width - Right, plotBottom = Height - Bottom;
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotRight - Left}\" height=\"{plotBottom - Top}\" fill=\"none\" stroke=\"#444\"/>\n");
        for (int t = 0; t <= 5; t++)
        {
            double fx = xMin + (xMax - xMin) * t / 5, fy = yMin + (yMax - yMin) * t / 5;
            double px = MapX(fx, xMin, xMax), py = MapY(fy, yMin, yMax);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:F1}\" y1=\"{plotBottom}\" x2=\"{px:F1}\" y2=\"{plotBottom + 5}\" stroke=\"#444\"/><text x=\"{px:F1}\" y=\"{plotBottom + 18}\" text-anchor=\"middle\">{Tick(fx)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left - 5}\" y1=\"{py:F1}\" x2=\"{plotRight}\" y2=\"{py:F1}\" stroke=\"#ddd\"/><text x=\"{Left - 8}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{Tick(fy)}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + plotRight) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Escape(XLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{(Top + plotBottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(Top + plotBottom) / 2})\">{Escape(YLabel)}</text>\n");
    }

    private static void AppendSeries(StringBuilder svg, PlotSeries s, string color, int index, double xMin, double xMax, double yMin, double yMax)
    {
        var coordinates = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second))
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{MapX(p.First, xMin, xMax):F1},{MapY(p.Second, yMin, yMax):F1}"));
        svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{string.Join(' ', coordinates)}\"/>\n");
        int legendY = Top + 16 + 16 * index;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Width - Right - 150}\" y1=\"{legendY - 4}\" x2=\"{Width - Right - 130}\" y2=\"{legendY - 4}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{Width - Right - 125}\" y=\"{legendY}\">{Escape(s.Name)}</text>\n");
    }

    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0) return (0, 1);
        double min = list.Min(), max = list.Max();
        return max > min ? (min, max) : (min - 0.5, max + 0.5);
    }

    private static double MapX(double x, double min, double max) => Left + (x - min) / (max - min) * (Width - Left - Right);

    private static double MapY(double y, double min, double max) => Height - Bottom - (y - min) / (max - min) * (Height - Top - Bottom);

    private static string Tick(double v) => v.ToString(Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-2 && v != 0) ? "0.##e0" : "0.###", CultureInfo.InvariantCulture);

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
