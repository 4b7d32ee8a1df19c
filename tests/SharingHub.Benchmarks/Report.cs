using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SharingHub.Benchmarks;

/// <summary>One request kind's parts, per route (secured, baseline).</summary>
internal sealed record Breakdown(string Name, IReadOnlyList<BreakdownRoute> Routes);

internal sealed record BreakdownRoute(string Route, int Requests, double TotalMs, double Commands, double CommandMs, IReadOnlyList<(string Name, double Count, double Ms, double GcMs)> Spans)
{
    /// <summary>Garbage collections per request and their pauses (ms), inside the request's parts.</summary>
    public double Collections { get; init; }
    public double GcMs { get; init; }
}

internal sealed record Figure(string Area, string Name, double PerSecond, double? BytesPerOperation, double RatioToBaseline, string Baseline, Kind Kind = Kind.None);

/// <summary>What a figure measures, where a target is set for it.</summary>
internal enum Kind
{
    None,
    Read,
    Chronology,
    Token,
    AuditAppend,
    AuditSingle,
    AuditVerify,
    Proof,
    Ingest,
}

/// <summary>
/// A broad query's answer (or its refusal by a cost limit): its first run in the process (which also compiles its query and
/// code paths) and the slowest of the runs after it. The target is under a second either way.
/// </summary>
internal sealed record CostCheck(string Name, int Status, double FirstMs, double WarmMs, int Events)
{
    public double SlowestMs => Math.Max(FirstMs, WarmMs);

    public bool WithinASecond => SlowestMs < 1_000;
}

/// <summary>Figures as Markdown tables (and JSON), each with its ratio to a baseline measured in the same run (machines are noisy).</summary>
internal sealed class Report
{
    private readonly List<Figure> _figures = [];
    private readonly List<LatencyFigure> _latencies = [];
    private readonly List<CostCheck> _costs = [];
    private readonly List<string> _sections = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public void Add(Figure figure) => _figures.Add(figure);

    public void AddLatency(LatencyFigure figure) => _latencies.Add(figure);

    public void AddCost(CostCheck check) => _costs.Add(check);

    private readonly List<Breakdown> _breakdowns = [];

    public void AddBreakdown(Breakdown breakdown) => _breakdowns.Add(breakdown);

    /// <summary>A part of the report with its own table (linkage quality is not a rate against a baseline).</summary>
    public void AddSection(string markdown) => _sections.Add(markdown);

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
                    $"| {f.Area} | {f.Name} | {(f.PerSecond < 100 ? f.PerSecond.ToString("N3", CultureInfo.InvariantCulture) : f.PerSecond.ToString("N0", CultureInfo.InvariantCulture))} | {(f.BytesPerOperation is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {f.RatioToBaseline:N2} | {f.Baseline} |"));
            }
        }
        if (_latencies.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Over HTTP, secured against the in-process baseline with security off (latencies in ms; ratio = secured / baseline).");
            text.AppendLine("The OData rows compare two secured requests instead: the OData query against its FHIR search equivalent.");
            text.AppendLine();
            text.AppendLine("The last column is the secured p50 against the least it could be: the baseline's p50 plus one durable commit of");
            text.AppendLine("the same engine measured in this run (the audit entry every secured read commits before it answers).");
            text.AppendLine();
            text.AppendLine("| measure | secured req/s | p50 | p95 | p99 | baseline req/s | p50 | p95 | ratio p50 | ratio p95 | p50 / (baseline + commit) |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var l in _latencies)
            {
                text.AppendLine(l.Row(FloorBenchmark.Measured));
            }
        }
        if (_costs.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Broad counts, includes and expands, and a practitioner's own lists (`/me`, `/enquiries/mine`): answered, or refused by a cost limit (4xx), within a second:");
            text.AppendLine();
            text.AppendLine("| query | status | first of its shape in the process (ms) | slowest of the 4 after it (ms) | under 1 s |");
            text.AppendLine("| --- | ---: | ---: | ---: | --- |");
            foreach (var c in _costs)
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {c.Name} | {c.Status} | {c.FirstMs:N0} | {c.WarmMs:N0} | {(c.WithinASecond ? "yes" : "NO")} |"));
            }
        }
        Breakdowns(text);
        Growth(text);
        Targets(text);
        foreach (var section in _sections)
        {
            text.AppendLine();
            text.Append(section);
        }
        return text.ToString();
    }

    /// <summary>Where a request's time goes, part by part, secured beside its baseline (the hub's profiler; means per request).</summary>
    private void Breakdowns(StringBuilder text)
    {
        if (_breakdowns.Count == 0)
        {
            return;
        }
        text.AppendLine();
        text.AppendLine("Where a request's time goes (the hub's profiler on for a separate pass, one request at a time; mean ms per request, with");
        text.AppendLine("how many times a part ran per request). Parts do not overlap, except those listed \"of which\" under another (the wait for the");
        text.AppendLine("audit entry: its time queued, then each step of the batch that committed it) and database commands, which run inside them and in");
        text.AppendLine("the handler's own queries; \"the rest\" is routing, the handler's record queries, mapping and what no span covers. \"GC\" after a part is");
        text.AppendLine("the garbage collections' pauses inside it (the process's, which at one request at a time fall in that request), when over 0.01 ms.");
        foreach (var b in _breakdowns)
        {
            text.AppendLine();
            text.AppendLine($"**{b.Name}**");
            text.AppendLine();
            text.AppendLine("| part | " + string.Join(" | ", b.Routes.Select(r => r.Route.Replace("|", "/", StringComparison.Ordinal))) + " |");
            text.AppendLine("| --- |" + string.Concat(b.Routes.Select(_ => " ---: |")));
            string Cell(double ms, double count) => string.Create(CultureInfo.InvariantCulture, $"{ms:N3}{(count > 1.01 ? $" ({count:N0}x)" : "")}");
            text.AppendLine("| whole request | " + string.Join(" | ", b.Routes.Select(r => Cell(r.TotalMs, 1))) + " |");
            // A part named after another with a dot (audit.wait.flush) runs inside it: listed under it, not counted twice.
            var names = b.Routes.SelectMany(r => r.Spans.Select(s => s.Name)).Distinct(StringComparer.Ordinal).ToList();
            bool Inside(string name) => names.Any(n => name.StartsWith(n + ".", StringComparison.Ordinal));
            string Row(string span) => string.Join(" | ", b.Routes.Select(r => r.Spans.FirstOrDefault(s => s.Name == span) is { Name: not null } s
                ? Cell(s.Ms, s.Count) + (s.GcMs > 0.01 ? string.Create(CultureInfo.InvariantCulture, $", GC {s.GcMs:N3}") : "") : "-"));
            foreach (var span in names.Where(n => !Inside(n)))
            {
                text.AppendLine($"| {span} | " + Row(span) + " |");
                foreach (var part in names.Where(n => n.StartsWith(span + ".", StringComparison.Ordinal)))
                {
                    text.AppendLine($"| &nbsp;&nbsp;of which {part[(span.Length + 1)..]} | " + Row(part) + " |");
                }
            }
            text.AppendLine("| the rest | " + string.Join(" | ", b.Routes.Select(r => Cell(r.TotalMs - r.Spans.Where(s => !Inside(s.Name)).Sum(s => s.Ms), 1))) + " |");
            text.AppendLine("| database commands (time, inside the above) | " + string.Join(" | ", b.Routes.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Commands:N1} ({r.CommandMs:N3} ms)"))) + " |");
            text.AppendLine("| garbage collections (pauses, inside the above) | " + string.Join(" | ", b.Routes.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Collections:N2} ({r.GcMs:N3} ms)"))) + " |");
        }
    }

    /// <summary>The same reads (secured, one at a time) at each data size, each p95 against the p95 at 100,000 events (or the smallest size run).</summary>
    private void Growth(StringBuilder text)
    {
        var reads = _latencies.Where(l => l.Kind is Kind.Read or Kind.Chronology && l.Concurrency == 1).ToList();
        if (reads.Select(r => r.Events).Distinct().Count() < 2)
        {
            return;
        }
        text.AppendLine();
        text.AppendLine("How cost grows with data: the same record and the same child's chronology, secured, one request at a time (ms):");
        text.AppendLine();
        text.AppendLine("| engine | read | events | p50 | p95 | p99 | p95 / p95 at the reference size |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var group in reads.GroupBy(r => (r.Engine, r.Kind)))
        {
            var reference = ReferenceSize(group);
            foreach (var r in group.OrderBy(r => r.Events))
            {
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Engine} | {(r.Kind == Kind.Read ? "single record" : "chronology")} | {r.Events:N0} | {r.Secured.P50:N2} | {r.Secured.P95:N2} | {r.Secured.P99:N2} | {r.Secured.P95 / reference.Secured.P95:N2} (vs {reference.Events:N0}) |"));
            }
        }
    }

    private static LatencyFigure ReferenceSize(IEnumerable<LatencyFigure> sizes) =>
        sizes.OrderBy(r => r.Events).FirstOrDefault(r => r.Events == 100_000) ?? sizes.OrderBy(r => r.Events).First();

    /// <summary>Each target of the benchmark issue with where this run stands.</summary>
    private void Targets(StringBuilder text)
    {
        var rows = new List<(string Target, string Measured, bool? Met)>();
        string Range(IEnumerable<double> values, string format = "N2") =>
            values.Min().ToString(format, CultureInfo.InvariantCulture) + (values.Max() - values.Min() > 0.005 ? "-" + values.Max().ToString(format, CultureInfo.InvariantCulture) : "");
        var secured = _latencies.Where(l => l.Kind is Kind.Read or Kind.Chronology).ToList();
        foreach (var kind in new[] { Kind.Read, Kind.Chronology })
        {
            var of = secured.Where(l => l.Kind == kind).ToList();
            if (of.Count > 0)
            {
                rows.Add(($"secured {(kind == Kind.Read ? "single-record read" : "chronology")} at most 1.5x its baseline (p50), every size and concurrency",
                    Range(of.Select(l => l.RatioP50)) + "x", of.All(l => l.RatioP50 <= 1.5)));
            }
        }
        foreach (var engine in secured.Where(l => l.Kind == Kind.Read && l.Concurrency == 1).GroupBy(l => l.Engine))
        {
            var reference = ReferenceSize(engine);
            var largest = engine.MaxBy(l => l.Events)!;
            if (largest.Events > reference.Events)
            {
                var ratio = largest.Secured.P95 / reference.Secured.P95;
                rows.Add(($"{engine.Key}: single-record read p95 at 10,000,000 events at most 1.3x its p95 at 100,000 (measured: {largest.Events:N0} against {reference.Events:N0})",
                    string.Create(CultureInfo.InvariantCulture, $"{ratio:N2}x ({largest.Secured.P95:N2} ms against {reference.Secured.P95:N2} ms)"), largest.Events >= 10_000_000 ? ratio <= 1.3 : null));
            }
        }
        var token = _latencies.Where(l => l.Kind == Kind.Token).ToList();
        if (token.Count > 0)
        {
            rows.Add(("authenticated requests at most 1.05x unauthenticated (cached token validation, p50)", Range(token.Select(l => l.RatioP50)) + "x", token.All(l => l.RatioP50 <= 1.05)));
        }
        var floor = FloorBenchmark.Measured;
        foreach (var single in _figures.Where(f => f.Kind == Kind.AuditSingle && !double.IsNaN(floor.SqliteCommitMs)))
        {
            var ms = 1_000 / single.PerSecond;
            rows.Add(("durable audit append, one caller at a time, within 2x the machine's one-row durable commit (SQLite)",
                string.Create(CultureInfo.InvariantCulture, $"{ms / floor.SqliteCommitMs:N2}x ({ms:N3} ms against {floor.SqliteCommitMs:N3} ms)"), ms <= 2 * floor.SqliteCommitMs));
        }
        var appends = _figures.Where(f => f.Kind == Kind.AuditAppend).ToList();
        if (appends.Count > 0)
        {
            rows.Add(("durable audit appends from 64 callers at least 20,000 per second", Range(appends.Select(f => f.PerSecond), "N0") + "/s", appends.All(f => f.PerSecond >= 20_000)));
        }
        var proofs = _figures.Where(f => f.Kind == Kind.Proof).ToList();
        if (proofs.Count > 0)
        {
            rows.Add(("inclusion and consistency proofs at 1,000,000 entries at least 5,000 per second", Range(proofs.Select(f => f.PerSecond), "N0") + "/s",
                proofs.All(f => f.Name.Contains("1,000,000", StringComparison.Ordinal)) ? proofs.All(f => f.PerSecond >= 5_000) : null));
        }
        var chronologies = secured.Where(l => l.Kind == Kind.Chronology && l.Concurrency == 1 && l.Engine == SharingHub.Data.Storage.DatabaseEngine.Sqlite).ToList();
        if (chronologies.Count > 0)
        {
            var largest = chronologies.MaxBy(l => l.Events)!;
            rows.Add(($"secured chronology under 5 ms p50, one at a time, SQLite at 1,000,000 events (measured at {largest.Events:N0})",
                string.Create(CultureInfo.InvariantCulture, $"{largest.Secured.P50:N2} ms"), largest.Events >= 1_000_000 ? largest.Secured.P50 < 5 : null));
        }
        var verify = _figures.Where(f => f.Kind == Kind.AuditVerify).ToList();
        if (verify.Count > 0)
        {
            rows.Add(("audit verification at least 1,000,000 entries per second", Range(verify.Select(f => f.PerSecond), "N0") + "/s", verify.All(f => f.PerSecond >= 1_000_000)));
        }
        var ingest = _figures.Where(f => f.Kind == Kind.Ingest).ToList();
        if (ingest.Count > 0)
        {
            rows.Add(("ingestion at least 0.5x plain batched inserts of the same rows", Range(ingest.Select(f => f.RatioToBaseline)) + "x", ingest.All(f => f.RatioToBaseline >= 0.5)));
        }
        var named = _costs.Where(c => c.Name.EndsWith("/odata/Events?$expand=subjects&$top=100", StringComparison.Ordinal)
            || c.Name.EndsWith("/odata/People?$count=true&$top=1", StringComparison.Ordinal)).ToList();
        if (named.Count > 0)
        {
            rows.Add(("$expand=subjects&$top=100 and People?$count=true&$top=1 under 100 ms at every size (slowest of 4 after the first of its shape)",
                string.Create(CultureInfo.InvariantCulture,
                    $"{named.Min(c => c.WarmMs):N0}-{named.Max(c => c.WarmMs):N0} ms (the first of its shape in the process: {named.Min(c => c.FirstMs):N0}-{named.Max(c => c.FirstMs):N0} ms)"),
                named.All(c => c.WarmMs < 100)));
        }
        if (_costs.Count > 0)
        {
            var largest = _costs.Max(c => c.Events);
            var atLargest = _costs.Where(c => c.Events == largest).ToList();
            rows.Add(($"no count, include or expand over 10,000,000 rows runs over a second (measured at {largest:N0} events)",
                string.Create(CultureInfo.InvariantCulture, $"{atLargest.Count(c => !c.WithinASecond)} of {atLargest.Count} over a second; slowest {atLargest.Max(c => c.SlowestMs):N0} ms"),
                largest >= 10_000_000 ? atLargest.All(c => c.WithinASecond) : null));
        }
        if (rows.Count == 0)
        {
            return;
        }
        text.AppendLine();
        text.AppendLine("Targets (met: yes / no; - where this run did not reach the size the target names):");
        text.AppendLine();
        text.AppendLine("| target | measured | met |");
        text.AppendLine("| --- | --- | --- |");
        foreach (var (target, measured, met) in rows)
        {
            text.AppendLine($"| {target} | {measured} | {met switch { true => "yes", false => "no", null => "-" }} |");
        }
    }

    public string Json() => JsonSerializer.Serialize(new
    {
        started = _started,
        machine = Machine,
        figures = _figures.Select(f => new { f.Area, f.Name, f.PerSecond, f.BytesPerOperation, f.RatioToBaseline, f.Baseline, kind = f.Kind.ToString() }),
        http = _latencies.Select(l => new { l.Name, kind = l.Kind.ToString(), engine = l.Engine.ToString(), l.Events, l.Concurrency, secured = l.Secured, baseline = l.Baseline, ratioP50 = l.RatioP50, ratioP95 = l.RatioP95 }),
        costLimits = _costs.Select(c => new { c.Name, c.Events, c.Status, c.FirstMs, c.WarmMs, c.SlowestMs, c.WithinASecond }),
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
