using System.Globalization;
using System.Runtime.InteropServices;

namespace SharingHub.Benchmarks;

internal sealed record Figure(string Area, string Name, double PerSecond, double? BytesPerOperation, double RatioToBaseline, string Baseline);

/// <summary>Figures as a Markdown table, each with its ratio to a baseline measured in the same run (machines are noisy).</summary>
internal sealed class Report
{
    private readonly List<Figure> _figures = [];

    public void Add(Figure figure) => _figures.Add(figure);

    public void Print()
    {
        Console.WriteLine($"SharingHub benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine();
        Console.WriteLine("| area | measure | per second | bytes allocated per op | ratio to baseline | baseline |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | --- |");
        foreach (var f in _figures)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {f.Area} | {f.Name} | {f.PerSecond:N0} | {(f.BytesPerOperation is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {f.RatioToBaseline:N2} | {f.Baseline} |"));
        }
    }
}
