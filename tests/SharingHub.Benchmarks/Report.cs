using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SharingHub.Benchmarks;

internal sealed record Figure(string Area, string Name, double PerSecond, double? BytesPerOperation, double RatioToBaseline, string Baseline);

/// <summary>A broad query's answer (or its refusal by a cost limit) and the slowest of its runs: the target is under a second either way.</summary>
internal sealed record CostCheck(string Name, int Status, double SlowestMs)
{
    public bool WithinASecond => SlowestMs < 1_000;
}

/// <summary>Figures as Markdown tables (and JSON), each with its ratio to a baseline measured in the same run (machines are noisy).</summary>
internal sealed class Report
{
    private readonly List<Figure> _figures = [];
    private readonly List<LatencyFigure> _latencies = [];
    private readonly List<CostCheck> _costs = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public void Add(Figure figure) => _figures.Add(figure);

    public void AddLatency(LatencyFigure figure) => _latencies.Add(figure);

    public void AddCost(CostCheck check) => _costs.Add(check);

    public LatencyFigure? LatencyOf(string name) => _latencies.FirstOrDefault(l => l.Name == name);

    public string Machine => $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}";

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"SharingHub benchmark, {_started:yyyy-MM-dd HH:mm} UTC; {Machine}");
        if (_figures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| area | measure | per second | bytes allocated per op | ratio to baseline | baseline |");
            text.AppendLine("| --- | --- | ---: | ---: | ---: | --- |");
            foreach (var f in _figures)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {f.Area} | {f.Name} | {f.PerSecond:N0} | {(f.BytesPerOperation is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {f.RatioToBaseline:N2} | {f.Baseline} |"));
            }
        }
        if (_latencies.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Over HTTP, secured against the in-process baseline with security off (latencies in ms; ratio = secured / baseline):");
            text.AppendLine();
            text.AppendLine("| measure | secured req/s | p50 | p95 | p99 | baseline req/s | p50 | p95 | ratio p50 | ratio p95 |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var l in _latencies)
            {
                text.AppendLine(l.Row());
            }
        }
        if (_costs.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Broad counts, includes and expands: answered, or refused by a cost limit (4xx), within a second:");
            text.AppendLine();
            text.AppendLine("| query | status | slowest of 3 (ms) | under 1 s |");
            text.AppendLine("| --- | ---: | ---: | --- |");
            foreach (var c in _costs)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {c.Name} | {c.Status} | {c.SlowestMs:N0} | {(c.WithinASecond ? "yes" : "NO")} |"));
            }
        }
        return text.ToString();
    }

    public string Json() => JsonSerializer.Serialize(new
    {
        started = _started,
        machine = Machine,
        figures = _figures,
        http = _latencies.Select(l => new { l.Name, secured = l.Secured, baseline = l.Baseline, ratioP50 = l.RatioP50, ratioP95 = l.RatioP95 }),
        costLimits = _costs.Select(c => new { c.Name, c.Status, c.SlowestMs, c.WithinASecond }),
    }, new JsonSerializerOptions { WriteIndented = true });

    public void Print(string? folder)
    {
        Console.WriteLine(Markdown());
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "benchmark.md"), Markdown());
            File.WriteAllText(Path.Combine(folder, "benchmark.json"), Json());
            Console.WriteLine($"written to {Path.Combine(folder, "benchmark.md")} and benchmark.json");
        }
    }
}
