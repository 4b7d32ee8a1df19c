using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// The audit log on SQLite: durable appends with group commit against one commit per entry (the
/// baseline), verification speed against bare hashing of the same entries, and inclusion proof size
/// and time at the size reached.
/// </summary>
internal static class AuditBenchmark
{
    public static async Task RunAsync(Report report, bool smoke)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var services = await database.StartServicesAsync();
        var writer = services.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);
        var grouped = smoke ? 200 : 50_000;
        var single = smoke ? 20 : 2_000;

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < single; i++)
        {
            await writer.AppendAsync(Record(i), CancellationToken.None);
        }
        var singleRate = single / clock.Elapsed.TotalSeconds;

        clock.Restart();
        using var callers = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, grouped).Select(async i =>
        {
            await callers.WaitAsync();
            try
            {
                await writer.AppendAsync(Record(i), CancellationToken.None);
            }
            finally
            {
                callers.Release();
            }
        }));
        var groupRate = grouped / clock.Elapsed.TotalSeconds;
        report.Add(new Figure("audit", "durable append, one caller at a time (baseline)", singleRate, null, 1, "itself"));
        report.Add(new Figure("audit", "durable append, 64 concurrent callers, group commit", groupRate, null, groupRate / singleRate, "one at a time (speed-up)"));

        var checkpoint = await services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        var entries = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).ToListAsync();
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().ToListAsync();
        clock.Restart();
        foreach (var entry in entries)
        {
            _ = AuditHashing.LeafHash(entry);
        }
        var hashRate = entries.Count / clock.Elapsed.TotalSeconds;
        clock.Restart();
        var verified = AuditVerifier.Verify(entries, checkpoints, services.GetRequiredService<AuditCheckpointer>().PublicKeys);
        var verifyRate = entries.Count / clock.Elapsed.TotalSeconds;
        if (!verified.Ok)
        {
            throw new InvalidOperationException($"the benchmark's own log did not verify: {verified.Problem}");
        }
        report.Add(new Figure("audit", "hash every entry's stored form (baseline)", hashRate, null, 1, "itself"));
        report.Add(new Figure("audit", $"verify {entries.Count:N0} entries and {checkpoints.Count} checkpoints", verifyRate, null, hashRate / verifyRate, "bare hashing (cost ratio)"));

        clock.Restart();
        var proof = await services.GetRequiredService<AuditProofs>().InclusionAsync(entries.Count / 2, checkpoint!.TreeSize, CancellationToken.None);
        var proofSeconds = clock.Elapsed.TotalSeconds;
        report.Add(new Figure("audit", $"inclusion proof at {checkpoint.TreeSize:N0} entries: {proof!.Count} hashes ({proof.Count * 32} bytes)", 1 / proofSeconds, null, 1, "itself"));
        await writer.StopAsync(CancellationToken.None);
    }

    private static AuditRecord Record(int i) => new(
        DateTimeOffset.UtcNow, $"bench-{i}", "police", $"officer-{i % 50}", "s47-enquiry", Guid.NewGuid(), "event.read", "success", "permit", false,
        [Guid.NewGuid()], ["health"], """{"resources":[{"type":"event","decision":"permit","fields":["occurredAt","summary"],"rules":["macpt.health-clinical"]}]}""");
}
