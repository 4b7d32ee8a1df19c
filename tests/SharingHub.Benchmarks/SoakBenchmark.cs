using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// Soak (issue 28, family 7): the hub as its own process under a steady mixed load (OData writes, chronology and triage
/// reads, strategy meetings) for a set time. Every 10 seconds: the hub's resident memory, threads and open file handles
/// (from /proc) and the p95 of the requests that finished in that window. At the end the audit log must verify with an
/// entry for every request, and memory, handles and p95 must be flat: the last quarter against the first after warm-up.
/// </summary>
internal static class SoakBenchmark
{
    public static async Task<bool> RunAsync(Report report, DatabaseEngine engine, TimeSpan duration)
    {
        await using var database = await TestDatabase.CreateAsync(engine, pooled: true);
        await using var services = await database.StartServicesAsync();
        var setup = await CrashBenchmark.SetUpAsync(services);
        // The writes go to other people's records, twenty of them in turn: a working day adds records across a caseload, and
        // the child whose chronology is read keeps its size (the first runs wrote every event about that child, whose
        // chronology passed the 2,000-candidate limit after seven minutes and was refused from then on).
        var builder = new RecordBuilder(services.GetRequiredService<SharingHub.Core.Crypto.IFieldCipher>(), services.GetRequiredService<SharingHub.Core.Crypto.IBlindIndexer>());
        var store = services.GetRequiredService<SharingHub.Core.Records.IRecordStore>();
        var others = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            var pnc = (1_000_000 + i).ToString(CultureInfo.InvariantCulture);
            others.Add((await store.AddAsync(builder.Person("police", "Sam", $"Soakperson{(char)('a' + i)}", "2012-03-04", SharingHub.Core.Records.IdentifierKind.PncId,
                "2018/" + pnc + SharingHub.Core.People.AgencyIdentifiers.PncCheckLetter("18", pnc)), CancellationToken.None)).Id);
        }
        await using var hub = await HubProcess.StartAsync(database);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = hub.Url, Timeout = TimeSpan.FromSeconds(30) };
        var police = await CrashBenchmark.TokenAsync(http, "demo-police-officer");
        var lcpp = await CrashBenchmark.TokenAsync(http, "demo-la-lcpp");
        var frontDoor = await CrashBenchmark.TokenAsync(http, "demo-la-front-door");
        var latencies = new ConcurrentQueue<double>();
        var failures = 0;
        var failedBy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var requests = 0L;
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        using var inFlight = new SemaphoreSlim(16);
        var pending = new ConcurrentDictionary<Task, byte>();
        var tick = 0;
        var nextSample = TimeSpan.FromSeconds(10);
        while (clock.Elapsed < duration)
        {
            tick++;
            foreach (var make in Mix(tick, setup, others[tick % others.Count], police, lcpp, frontDoor))
            {
                await inFlight.WaitAsync();
                var task = Task.Run(async () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var request = make();
                        using var response = await http.SendAsync(request);
                        await response.Content.ReadAsByteArrayAsync();
                        if (!response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref failures);
                            failedBy.AddOrUpdate($"{request.Method} {request.RequestUri?.AbsolutePath.Split('/')[1]} {(int)response.StatusCode}", 1, (_, n) => n + 1);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref failures);
                        failedBy.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
                    }
                    finally
                    {
                        latencies.Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Increment(ref requests);
                        inFlight.Release();
                    }
                });
                pending[task] = 0;
                _ = task.ContinueWith(t => pending.TryRemove(t, out _), TaskScheduler.Default);
            }
            if (clock.Elapsed >= nextSample)
            {
                var window = new List<double>();
                while (latencies.TryDequeue(out var ms))
                {
                    window.Add(ms);
                }
                window.Sort();
                samples.Add(new Sample(clock.Elapsed, Proc(hub.ProcessId, "VmRSS"), Proc(hub.ProcessId, "Threads"), OpenFiles(hub.ProcessId),
                    window.Count == 0 ? 0 : window[(int)(window.Count * 0.95)], window.Count));
                nextSample += TimeSpan.FromSeconds(10);
            }
            await Task.Delay(100);
        }
        await Task.WhenAll(pending.Keys);

        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        var verification = AuditVerifier.Verify(db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).AsEnumerable(), await db.AuditCheckpoints.AsNoTracking().ToListAsync(),
            services.GetRequiredService<AuditCheckpointer>().PublicKeys);
        // After warm-up (the first fifth), the first quarter of what is left against the last quarter.
        var steady = samples.Skip(samples.Count / 5).ToList();
        var quarter = Math.Max(1, steady.Count / 4);
        static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
        var early = steady.Take(quarter).ToList();
        var late = steady.TakeLast(quarter).ToList();
        var memory = Median(late.Select(s => s.RssKb)) / Median(early.Select(s => s.RssKb));
        var files = Median(late.Select(s => s.Files)) - Median(early.Select(s => s.Files));
        var threads = Median(late.Select(s => s.Threads)) - Median(early.Select(s => s.Threads));
        var p95 = Median(late.Select(s => s.P95)) / Median(early.Select(s => s.P95));
        // Flat: memory within 1.25x, no more than a handful more files or threads, p95 within 2x (a noisy machine).
        var passed = verification.Ok && failures == 0 && memory < 1.25 && files <= 8 && threads <= 8 && p95 < 2;

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture,
            $"#### Soak ({engine}): {duration.TotalMinutes:N0} min of steady mixed load, {requests:N0} requests ({requests / duration.TotalSeconds:N0}/s), {failures} failed");
        table.AppendLine();
        table.AppendLine("| minute | resident MiB | threads | open files | p95 ms | requests in 10 s |");
        table.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var s in samples.Where((_, i) => i % 6 == 5 || i == samples.Count - 1))
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| {s.At.TotalMinutes:N1} | {s.RssKb / 1024:N0} | {s.Threads:N0} | {s.Files:N0} | {s.P95:N1} | {s.Count:N0} |");
        }
        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture,
            $"Last quarter against the first after warm-up: memory {memory:N2}x, open files {files:+0;-0;0}, threads {threads:+0;-0;0}, p95 {p95:N2}x; " +
            $"audit log {(verification.Ok ? "verifies" : "DOES NOT verify: " + verification.Problem)} ({verification.EntriesChecked:N0} entries). {(passed ? "Flat." : "NOT FLAT.")}{FailedBy(failedBy)}");
        report.AddSection(table.ToString());
        Console.Error.WriteLine($"soak ({engine}): {(passed ? "flat" : "NOT flat")}; memory {memory:N2}x, files {files:+0;-0;0}, threads {threads:+0;-0;0}, p95 {p95:N2}x, {failures} failed, audit {(verification.Ok ? "verifies" : "broken")}");
        return passed;
    }

    private static string FailedBy(ConcurrentDictionary<string, int> failedBy) => failedBy.IsEmpty ? ""
        : " Failed requests: " + string.Join(", ", failedBy.OrderByDescending(f => f.Value).Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key}: {f.Value}"))) + ".";

    private sealed record Sample(TimeSpan At, double RssKb, double Threads, double Files, double P95, int Count);

    /// <summary>The requests of one 100 ms tick: about 30 a second in all, writes and reads mixed as a working day mixes them.</summary>
    private static IEnumerable<Func<HttpRequestMessage>> Mix(int tick, CrashBenchmark.Setup setup, Guid writtenAbout, string police, string lcpp, string frontDoor)
    {
        HttpRequestMessage With(HttpRequestMessage request, string token, string? purpose = null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (purpose is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", purpose);
            }
            if (purpose == "s47-enquiry")
            {
                request.Headers.TryAddWithoutValidation("X-Enquiry-Id", setup.Enquiry.ToString());
            }
            if (purpose == "front-door-triage")
            {
                request.Headers.TryAddWithoutValidation("X-Referral-Id", setup.Referral.ToString());
            }
            return request;
        }
        yield return () => With(new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient/{setup.LaChild}/$chronology"), lcpp, "s47-enquiry");
        yield return () => With(new HttpRequestMessage(HttpMethod.Get, $"/fhir/Observation/{setup.Incident}"), frontDoor, "front-door-triage");
        if (tick % 2 == 0)
        {
            yield return () => With(new HttpRequestMessage(HttpMethod.Post, "/odata/Events")
            {
                Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["occurredAt"] = "2026-10-20T21:30:00Z", ["category"] = "missing-episode", ["significance"] = "high", ["summary"] = $"Soak {tick}",
                    ["detail"] = "Found by officers", ["dataClass"] = "police.incident", ["sourceReference"] = $"SOAK-{tick}",
                    ["subjects@odata.bind"] = new[] { $"People({writtenAbout})" },
                }), Encoding.UTF8, "application/json"),
            }, police);
        }
        if (tick % 50 == 0)
        {
            yield return () => With(new HttpRequestMessage(HttpMethod.Post, $"/enquiries/{setup.Enquiry}/strategy-meetings")
            {
                Content = JsonContent.Create(new
                {
                    heldAt = DateTimeOffset.UtcNow.AddHours(-1),
                    attendees = new[] { new { agency = "la", user = "demo-la-lcpp", role = "lcpp" } },
                    contributions = new[] { new { agency = "police", summary = "Call-outs" } },
                    decisions = $"Soak meeting {tick}",
                }),
            }, lcpp);
        }
    }

    private static double Proc(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return double.NaN;
    }

    private static double OpenFiles(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
