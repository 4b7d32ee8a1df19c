using System.Globalization;
using SharingHub.Benchmarks;
using SharingHub.Data.Storage;

// A benchmark prints figures; it is not a test. Build in Release, then run from the repository root:
//   dotnet run -c Release --project tests/SharingHub.Benchmarks -- [all|floor|policy|audit|fhir|crypto|linkage|flood|http|ingest, or several: audit,http] [--smoke]
//   ... crash [--kills 100] [--seed 28] [--engine both] [--inject-loss]   (issue 28: SIGKILL under load; exit code 1 when anything was
//       lost; --inject-loss deletes one acknowledged write behind the hub's back and exits 0 only if the checks catch it)
//   ... parsers [--count 100000] [--seed 28] [--family NAME] [--engine both]   (issue 28: generated inputs to every parser; exit code 1 on a 5xx, a slow answer or a leak)
//   ... ingest [--rounds 8] [--engine both] [--events ...]   (ingestion alone, as in http; more rounds to attach a profiler to the hub)
//       [--nhs-of-others]                                    (each bundle's patient carries the NHS number of an unrelated person the demo holds)
//   ... cluster [--smoke]                                    (issue 30: 3 hub nodes on PostgreSQL behind HAProxy: session, replay,
//       SIGKILL under load, notifications, 1/2/3-node throughput; exit code 1 when a check fails)
//   ... soak [--minutes 30] [--engine both]                  (issue 28: steady mixed load; memory, handles and p95 flat; audit verifies)
//   ... replay "FAMILY" INDEX [--seed 28]                     (prints one generated input of a failure, as sent)
//   ... statistics [--events 10000,100000,1000000] [--engine both]   (issue 29: a year's measures and the feed at each size)
//   ... audit-scale [--entries 1000000,10000000]             (issue 30: the PostgreSQL audit log over 24 monthly partitions:
//       appends, proofs and bytes per entry at each size; not in "all": ten million entries take about ten minutes)
//       [--engine sqlite|postgres|both] [--events 10000,100000,1000000] [--people 100000,1000000] [--out DIR]
var smoke = args.Contains("--smoke");
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
// One part, several separated by commas (policy,audit,http), or all.
var parts = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).DefaultIfEmpty("all").First().Split(',');
bool Runs(params string[] names) => parts.Contains("all") || parts.Any(names.Contains);
var engines = (Option("--engine") ?? (smoke ? "sqlite" : "both")) switch
{
    "sqlite" => new[] { DatabaseEngine.Sqlite },
    "postgres" => [DatabaseEngine.Postgres],
    "both" => [DatabaseEngine.Sqlite, DatabaseEngine.Postgres],
    var other => throw new ArgumentException($"--engine {other}: use sqlite, postgres or both"),
};
var sizes = (Option("--events") ?? (smoke ? "300,600" : "10000,100000,1000000")).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var report = new Report();
// PostgreSQL as production runs it: the durable audit commit is measured as durable on both engines.
SharingHub.Testing.PostgresServer.Durable = true;
if (Runs("floor", "audit", "http"))
{
    // The machine's durable commit, measured first in the same run as every figure it bounds (issue 27).
    await FloorBenchmark.RunAsync(report, smoke, postgres: engines.Contains(DatabaseEngine.Postgres));
}
if (Runs("policy"))
{
    PolicyBenchmark.Run(report, smoke);
}
if (Runs("audit"))
{
    await AuditBenchmark.RunAsync(report, smoke);
}
if (Runs("fhir"))
{
    FhirBenchmark.Run(report, smoke);
}
if (Runs("crypto"))
{
    await CryptoBenchmark.RunAsync(report, smoke);
}
if (Runs("linkage"))
{
    LinkageBenchmark.Run(report, (Option("--people") ?? "100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(), smoke);
}
if (parts.Contains("audit-scale"))
{
    await AuditScaleBenchmark.RunAsync(report, (Option("--entries") ?? (smoke ? "5000,20000" : "1000000,10000000")).Split(',')
        .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(), smoke);
}
var failed = false;
// Not a performance part (never in "all"): the crash run of issue 28, reported like the benchmarks.
if (parts.Contains("crash"))
{
    var kills = int.Parse(Option("--kills") ?? (smoke ? "3" : "100"), CultureInfo.InvariantCulture);
    var seed = int.Parse(Option("--seed") ?? "28", CultureInfo.InvariantCulture);
    foreach (var engine in engines)
    {
        failed |= !await CrashBenchmark.RunAsync(report, engine, kills, seed, injectLoss: args.Contains("--inject-loss"));
    }
}
// Not a performance part only (never in "all"): three hub nodes behind HAProxy (issue 30); exit code 1 when a check fails.
if (parts.Contains("cluster"))
{
    failed |= !await ClusterBenchmark.RunAsync(report, smoke);
}
if (Runs("flood"))
{
    foreach (var engine in engines)
    {
        await FloodBenchmark.RunAsync(report, engine, smoke);
    }
}
// Not a performance part either: parsers at volume (issue 28, family 6), --count inputs per family.
// Soak (issue 28, family 7): --minutes of steady mixed load; exit code 1 unless memory, handles and p95 stay flat.
if (parts.Contains("soak"))
{
    var minutes = double.Parse(Option("--minutes") ?? (smoke ? "1" : "30"), CultureInfo.InvariantCulture);
    foreach (var engine in engines)
    {
        failed |= !await SoakBenchmark.RunAsync(report, engine, TimeSpan.FromMinutes(minutes));
    }
}
if (parts.Contains("replay"))
{
    // replay "FHIR transaction bundles" 2552 [--seed 28]: prints that generated input.
    var positional = args.SkipWhile(a => a != "replay").Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
    await ParserFuzz.ReplayAsync(positional[0], int.Parse(positional[1], CultureInfo.InvariantCulture), int.Parse(Option("--seed") ?? "28", CultureInfo.InvariantCulture));
    return 0;
}
if (parts.Contains("parsers"))
{
    var count = int.Parse(Option("--count") ?? (smoke ? "200" : "100000"), CultureInfo.InvariantCulture);
    var seed = int.Parse(Option("--seed") ?? "28", CultureInfo.InvariantCulture);
    // --family "bearer tokens (JWT)": only the families whose name starts so (the same inputs as in a full run).
    var family = Option("--family");
    foreach (var engine in engines)
    {
        failed |= !await ParserFuzz.RunAsync(report, engine, count, seed, family);
    }
}
// Issue 29: a year's measures at each size (explicit only: it loads its own populations).
if (parts.Contains("statistics"))
{
    foreach (var engine in engines)
    {
        foreach (var events in sizes)
        {
            await StatisticsBenchmark.RunAsync(report, engine, events, smoke);
        }
    }
}
if (Runs("http"))
{
    foreach (var engine in engines)
    {
        foreach (var events in sizes)
        {
            await HttpBenchmark.RunAsync(report, engine, events, smoke);
        }
    }
}
// Ingestion alone (its figures are also part of "http"): for working on the write path without the reads' twenty minutes.
if (parts.Contains("ingest") && !Runs("http"))
{
    IngestBenchmark.Rounds = Option("--rounds") is { } rounds ? int.Parse(rounds, CultureInfo.InvariantCulture) : null;
    IngestBenchmark.OthersNumbers = args.Contains("--nhs-of-others");
    foreach (var engine in engines)
    {
        foreach (var events in sizes)
        {
            await HttpBenchmark.RunAsync(report, engine, events, smoke, ingestOnly: true);
        }
    }
}
report.Print(Option("--out"));
return failed ? 1 : 0;
