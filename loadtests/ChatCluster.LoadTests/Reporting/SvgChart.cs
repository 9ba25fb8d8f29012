using System.Globalization;
using System.Net;
using System.Text;

namespace ChatCluster.LoadTests.Reporting;

/// <summary>Small inline-SVG charts, so report.html needs no script or network to render.</summary>
public static class SvgChart
{
    public sealed record Series(string Name, string Color, IReadOnlyList<(double X, double Y)> Points);

    private const int Width = 860, Height = 280, Left = 64, Right = 150, Top = 30, Bottom = 40;

    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<Series> series)
    {
        var all = series.SelectMany(s => s.Points).ToList();
        var maxX = all.Count == 0 ? 1 : Math.Max(1, all.Max(p => p.X));
        var maxY = NiceCeiling(all.Count == 0 ? 1 : all.Max(p => p.Y));
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(double x) => Left + x / maxX * plotW;
        double Y(double y) => Top + plotH - y / maxY * plotH;

        var svg = Begin(title);
        Axes(svg, xLabel, yLabel, maxX, maxY, X, Y);
        var legendY = Top + 10;
        foreach (var s in series)
        {
            if (s.Points.Count > 0)
            {
                var points = string.Join(' ', s.Points.Select(p => F($"{X(p.X):0.#},{Y(p.Y):0.#}")));
                svg.Append(F($"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.8\" points=\"{points}\"/>"));
                if (s.Points.Count == 1) svg.Append(F($"<circle cx=\"{X(s.Points[0].X):0.#}\" cy=\"{Y(s.Points[0].Y):0.#}\" r=\"3\" fill=\"{s.Color}\"/>"));
            }
            svg.Append(F($"<rect x=\"{Width - Right + 12}\" y=\"{legendY - 9}\" width=\"12\" height=\"4\" fill=\"{s.Color}\"/>"));
            svg.Append(F($"<text x=\"{Width - Right + 30}\" y=\"{legendY - 4}\" class=\"l\">{E(s.Name)}</text>"));
            legendY += 18;
        }
        return End(svg);
    }

    public static string Bars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<Series> series)
    {
        var maxY = NiceCeiling(series.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(1).Max());
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double Y(double y) => Top + plotH - y / maxY * plotH;
        var svg = Begin(title);
        Axes(svg, "", yLabel, 0, maxY, _ => Left, Y);
        var group = plotW / (double)Math.Max(1, categories.Count);
        var bar = group * 0.8 / Math.Max(1, series.Count);
        for (var c = 0; c < categories.Count; c++)
        {
            var gx = Left + c * group + group * 0.1;
            svg.Append(F($"<text x=\"{Left + c * group + group / 2:0.#}\" y=\"{Height - Bottom + 16}\" class=\"t\" text-anchor=\"middle\">{E(categories[c])}</text>"));
            for (var s = 0; s < series.Count; s++)
            {
                var value = series[s].Points.Count > c ? series[s].Points[c].Y : 0;
                var x = gx + s * bar;
                svg.Append(F($"<rect x=\"{x:0.#}\" y=\"{Y(value):0.#}\" width=\"{Math.Max(1, bar - 2):0.#}\" height=\"{Top + plotH - Y(value):0.#}\" fill=\"{series[s].Color}\"><title>{E(series[s].Name)} {E(categories[c])}: {value:0.###}</title></rect>"));
            }
        }
        var legendY = Top + 10;
        foreach (var s in series)
        {
            svg.Append(F($"<rect x=\"{Width - Right + 12}\" y=\"{legendY - 10}\" width=\"12\" height=\"10\" fill=\"{s.Color}\"/>"));
            svg.Append(F($"<text x=\"{Width - Right + 30}\" y=\"{legendY - 1}\" class=\"l\">{E(s.Name)}</text>"));
            legendY += 18;
        }
        return End(svg);
    }

    private static StringBuilder Begin(string title)
    {
        var svg = new StringBuilder();
        svg.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{E(title)}\">"));
        svg.Append("<style>.t{font:11px sans-serif;fill:#555}.l{font:12px sans-serif;fill:#222}.h{font:bold 13px sans-serif;fill:#222}</style>");
        svg.Append(F($"<text x=\"{Left}\" y=\"18\" class=\"h\">{E(title)}</text>"));
        return svg;
    }

    private static void Axes(StringBuilder svg, string xLabel, string yLabel, double maxX, double maxY, Func<double, double> x, Func<double, double> y)
    {
        var plotBottom = Height - Bottom;
        for (var i = 0; i <= 4; i++)
        {
            var value = maxY * i / 4;
            svg.Append(F($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y(value):0.#}\" y2=\"{y(value):0.#}\" stroke=\"#e4e4e4\"/>"));
            svg.Append(F($"<text x=\"{Left - 6}\" y=\"{y(value) + 4:0.#}\" class=\"t\" text-anchor=\"end\">{Short(value)}</text>"));
        }
        if (maxX > 0)
        {
            for (var i = 0; i <= 5; i++)
            {
                var value = maxX * i / 5;
                svg.Append(F($"<text x=\"{x(value):0.#}\" y=\"{plotBottom + 16}\" class=\"t\" text-anchor=\"middle\">{Short(value)}</text>"));
            }
        }
        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{plotBottom}\" y2=\"{plotBottom}\" stroke=\"#888\"/>"));
        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{plotBottom}\" stroke=\"#888\"/>"));
        if (xLabel.Length > 0) svg.Append(F($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 6}\" class=\"t\" text-anchor=\"middle\">{E(xLabel)}</text>"));
        svg.Append(F($"<text x=\"14\" y=\"{(Top + plotBottom) / 2}\" class=\"t\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + plotBottom) / 2})\">{E(yLabel)}</text>"));
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>").ToString();

    private static double NiceCeiling(double value)
    {
        if (value <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value) return step * magnitude;
        }
        return 10 * magnitude;
    }

    private static string Short(double v) => v switch
    {
        >= 1_000_000 => F($"{v / 1_000_000:0.#}M"),
        >= 10_000 => F($"{v / 1000:0.#}k"),
        >= 100 => F($"{v:0}"),
        >= 1 => F($"{v:0.##}"),
        _ => F($"{v:0.###}"),
    };

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
