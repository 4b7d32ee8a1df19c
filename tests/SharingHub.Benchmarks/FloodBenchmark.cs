using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// Floods (issue 28, family 5): one person's client floods the hub (many concurrent requests, far over their per-person
/// limit) while another practitioner reads a chronology at a steady pace, both from 127.0.0.1. The well-behaved reader's
/// p50 and p95 are measured quiet and during the flood, in the same run; the flood's answers are counted (429 with
/// Retry-After once over the limit). A refused request costs the hub its token check and the limiter, not the work.
/// </summary>
internal static class FloodBenchmark
{
    public static async Task RunAsync(Report report, DatabaseEngine engine, bool smoke)
    {
        await using var database = await TestDatabase.CreateAsync(engine, pooled: true);
        await using var services = await database.StartServicesAsync();
        var setup = await CrashBenchmark.SetUpAsync(services);
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"#### A flood from one client ({engine}): 32 concurrent connections as one person, against another practitioner's chronology reads (5 a second)");
        table.AppendLine();
        table.AppendLine("| refusals held (tarpit) | flood requests/s | flood answers: 200 / 429 / other | reader quiet p50 / p95 ms | reader during the flood p50 / p95 ms | during / quiet p50, p95 |");
        table.AppendLine("|---|---:|---|---:|---:|---:|");
        var allOk = true;
        foreach (var delay in new[] { 0, 500 })
        {
            await using var hub = await HubProcess.StartAsync(database, [$"--SharingHub:RateLimits:RejectionDelayMilliseconds={delay}"], rateLimits: true);
            var row = await MeasureAsync(hub, setup, smoke);
            allOk &= row.AllOk;
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {(delay == 0 ? "no (sent at once)" : $"{delay} ms")} | {row.FloodPerSecond:N0} | {row.Served:N0} / {row.Refused:N0} / {row.Other:N0} | {row.Quiet.P50:N2} / {row.Quiet.P95:N2} | {row.Flooded.P50:N2} / {row.Flooded.P95:N2} | {row.Flooded.P50 / row.Quiet.P50:N2}x, {row.Flooded.P95 / row.Quiet.P95:N2}x |");
        }
        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"Every refusal carried Retry-After; the reader's answers were all 200: {allOk}.");
        report.AddSection(table.ToString());
    }

    private sealed record Row(double FloodPerSecond, long Served, long Refused, long Other, Paced Quiet, Paced Flooded, bool AllOk);

    private static async Task<Row> MeasureAsync(HubProcess hub, CrashBenchmark.Setup setup, bool smoke)
    {
        using var http = new HttpClient { BaseAddress = hub.Url };
        var reader = await CrashBenchmark.TokenAsync(http, "demo-la-lcpp");
        var flooder = await CrashBenchmark.TokenAsync(http, "demo-police-officer");
        var reads = smoke ? 20 : 300;
        HttpRequestMessage Read()
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/Patient/{setup.LaChild}/$chronology");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reader);
            request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", "s47-enquiry");
            request.Headers.TryAddWithoutValidation("X-Enquiry-Id", setup.Enquiry.ToString());
            return request;
        }
        // Warm up, then the quiet figure. Paced at 5 reads a second: 300 a minute, half the per-person limit.
        await PacedAsync(http, Read, 20, TimeSpan.Zero);
        var quiet = await PacedAsync(http, Read, reads, TimeSpan.FromMilliseconds(smoke ? 0 : 200));

        using var stop = new CancellationTokenSource();
        var answers = new int[600];
        var floodClock = Stopwatch.StartNew();
        // A separate connection pool for the flood, as a separate client machine would have.
        using var floodHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = hub.Url };
        var missingRetryAfter = 0;
        var flood = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/odata/Events?$top=5");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", flooder);
                request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", "s47-enquiry");
                request.Headers.TryAddWithoutValidation("X-Enquiry-Id", setup.Enquiry.ToString());
                try
                {
                    using var response = await floodHttp.SendAsync(request, stop.Token);
                    Interlocked.Increment(ref answers[(int)response.StatusCode]);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is null)
                    {
                        Interlocked.Increment(ref missingRetryAfter);
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        })).ToList();
        await Task.Delay(smoke ? 200 : 2_000);
        var flooded = await PacedAsync(http, Read, reads, TimeSpan.FromMilliseconds(smoke ? 0 : 200));
        await stop.CancelAsync();
        await Task.WhenAll(flood);
        var total = answers.Sum();
        return new Row(total / floodClock.Elapsed.TotalSeconds, answers[200], answers[429], total - answers[200] - answers[429], quiet, flooded,
            quiet.AllOk && flooded.AllOk && missingRetryAfter == 0);
    }

    private sealed record Paced(double P50, double P95, bool AllOk);

    private static async Task<Paced> PacedAsync(HttpClient http, Func<HttpRequestMessage> request, int count, TimeSpan pace)
    {
        var times = new List<double>(count);
        var ok = true;
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (var message = request())
            using (var response = await http.SendAsync(message))
            {
                await response.Content.ReadAsByteArrayAsync();
                ok &= response.StatusCode == HttpStatusCode.OK;
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            times.Add(elapsed.TotalMilliseconds);
            if (pace > elapsed)
            {
                await Task.Delay(pace - elapsed);
            }
        }
        times.Sort();
        return new Paced(times[count / 2], times[(int)(count * 0.95)], ok);
    }
}
