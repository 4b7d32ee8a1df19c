using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// The audit log on PostgreSQL as it grows (issue 30): whether appending and proving stay as fast with a long log as with a
/// short one, and what the log costs on disk. The log is loaded (chained and sealed exactly as the writer does) with its
/// entries spread over the 24 months before this one, each month in its own partition, as a log kept for two years is;
/// at each size the same measures are taken: durable appends one at a time (dated where the loaded history has got to, so
/// into a month's partition as full as the others, and time and sequence grow together as in a live log),
/// inclusion and consistency proofs at the log's size, and the bytes the log's tables and indexes hold per entry.
/// </summary>
internal static class AuditScaleBenchmark
{
    private const int Months = 24;

    public static async Task RunAsync(Report report, IReadOnlyList<int> sizes, bool smoke)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Postgres, pooled: true);
        await using var services = await database.StartServicesAsync();
        var writer = services.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);
        var contexts = services.GetRequiredService<IHubDbContextFactory>();
        var checkpointer = services.GetRequiredService<AuditCheckpointer>();
        var proofs = services.GetRequiredService<AuditProofs>();
        var now = DateTimeOffset.UtcNow;
        var thisMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var start = thisMonth.AddMonths(-Months);
        await using (var db = contexts.Create())
        {
            for (var month = start; month < thisMonth; month = month.AddMonths(1))
            {
                await db.Database.SqlQuery<string>($"SELECT sharinghub_audit_partition({month}) AS \"Value\"").SingleAsync();
            }
        }
        await services.GetRequiredService<AuditPartitions>().EnsureAsync(CancellationToken.None);

        var largest = sizes.Max();
        var span = thisMonth - start;
        long loaded = 0;
        var appended = 0;
        var table = new StringBuilder();
        table.AppendLine("Audit log on PostgreSQL as it grows (entries over the 24 months before this one, a partition per month; measures at each size):");
        table.AppendLine();
        table.AppendLine("| entries | bulk load (entries/s) | append one at a time p50 (ms) | p95 (ms) | inclusion proofs/s | consistency proofs/s | bare statement round trips/s (`SELECT 1`, prepared) | bytes on disk per entry (entries, indexes, tree nodes) |");
        table.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        (double P50, double Inclusion, double Consistency)? first = null;
        foreach (var size in sizes.Order())
        {
            var clock = Stopwatch.StartNew();
            var before = loaded;
            while (loaded + appended < size)
            {
                var chunk = (int)Math.Min(20_000, size - loaded - appended);
                // Dated in order across the history: entry i of the largest log at i/largest of the way through the 24 months.
                await writer.WriteBatchAsync(Enumerable.Range(0, chunk).Select(k => AuditBenchmark.Record(start + span * ((loaded + k) / (double)largest), loaded + k)).ToList());
                loaded += chunk;
            }
            var loadRate = (loaded - before) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);

            // Durable appends, one caller at a time, dated where the log has got to (as a log grows: time and sequence
            // together, so the next size's load carries on after them), into a month's partition as full as the others.
            var appends = smoke ? 50 : 500;
            var latencies = new double[appends];
            var at = start + span * (loaded / (double)largest);
            for (var i = 0; i < appends; i++)
            {
                var one = Stopwatch.StartNew();
                await writer.AppendAsync(AuditBenchmark.Record(at, i), CancellationToken.None);
                latencies[i] = one.Elapsed.TotalMilliseconds;
            }
            appended += appends;
            Array.Sort(latencies);
            var (p50, p95) = (latencies[appends / 2], latencies[appends * 95 / 100]);

            var checkpoint = await checkpointer.CheckpointNowAsync(CancellationToken.None);
            var treeSize = checkpoint!.TreeSize;
            var samples = smoke ? 100 : 2_000;
            var random = new Random(7);
            await proofs.InclusionAsync(1, treeSize, CancellationToken.None);
            clock.Restart();
            for (var i = 0; i < samples; i++)
            {
                await proofs.InclusionAsync(random.NextInt64(1, treeSize + 1), treeSize, CancellationToken.None);
            }
            var inclusionRate = samples / clock.Elapsed.TotalSeconds;
            clock.Restart();
            for (var i = 0; i < samples; i++)
            {
                await proofs.ConsistencyAsync(random.NextInt64(1, treeSize), treeSize, CancellationToken.None);
            }
            var consistencyRate = samples / clock.Elapsed.TotalSeconds;
            // What bounds a proof here: a bare statement through the same pool, one at a time (a context, a pooled
            // connection, one prepared statement, its round trip to a server sharing the machine's cores).
            clock.Restart();
            for (var i = 0; i < samples; i++)
            {
                await using var db = contexts.Create();
                await db.Database.OpenConnectionAsync();
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = "SELECT 1";
                await command.PrepareAsync();
                await command.ExecuteScalarAsync();
            }
            var roundTripRate = samples / clock.Elapsed.TotalSeconds;

            long bytes;
            await using (var db = contexts.Create())
            {
                bytes = await db.Database.SqlQuery<long>($"""
                    SELECT (COALESCE((SELECT sum(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i WHERE i.inhparent = '"AuditEntries"'::regclass), 0)
                        + pg_total_relation_size('"AuditNodes"') + pg_total_relation_size('"AuditCheckpoints"'))::bigint AS "Value"
                    """).SingleAsync();
            }
            var perEntry = bytes / (double)treeSize;
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {treeSize:N0} | {loadRate:N0} | {p50:N2} | {p95:N2} | {inclusionRate:N0} | {consistencyRate:N0} | {roundTripRate:N0} | {perEntry:N0} |"));
            first ??= (p50, inclusionRate, consistencyRate);
            var (baseP50, baseInclusion, baseConsistency) = first.Value;
            var label = string.Create(CultureInfo.InvariantCulture, $"{treeSize:N0} entries");
            var baseline = string.Create(CultureInfo.InvariantCulture, $"the first size, {sizes.Min():N0} (cost ratio)");
            report.Add(new Figure("audit-scale", $"PostgreSQL, durable append one at a time (p50), log of {label}", 1_000 / p50, null, p50 / baseP50, baseline));
            report.Add(new Figure("audit-scale", $"PostgreSQL, inclusion proof, log of {label}", inclusionRate, null, baseInclusion / inclusionRate, baseline));
            report.Add(new Figure("audit-scale", $"PostgreSQL, consistency proof, log of {label}", consistencyRate, null, baseConsistency / consistencyRate, baseline));
            report.Add(new Figure("audit-scale", $"PostgreSQL, inclusion proof against a bare prepared statement's round trip, log of {label}", inclusionRate, null,
                roundTripRate / inclusionRate, "SELECT 1, one at a time (cost ratio)"));
            Console.WriteLine($"audit-scale: {treeSize:N0} entries: load {loadRate:N0}/s, append p50 {p50:N2} ms p95 {p95:N2} ms, inclusion {inclusionRate:N0}/s, " +
                $"consistency {consistencyRate:N0}/s, bare round trips {roundTripRate:N0}/s, {perEntry:N0} bytes per entry");
        }
        report.AddSection(table.ToString());
        await writer.StopAsync(CancellationToken.None);
    }
}
