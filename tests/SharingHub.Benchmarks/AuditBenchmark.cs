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
        // Pooled, as the hub's own SQLite connection string is: a proof or a verification opens a pooled connection.
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite, pooled: true);
        await using var services = await database.StartServicesAsync();
        var writer = services.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);
        var grouped = smoke ? 2_000 : 50_000;
        var single = smoke ? 200 : 2_000;

        // One caller at a time, first without and then with a signed checkpoint in every batch's transaction
        // (issue 18 #12): the difference is what covering every acknowledged entry costs.
        writer.SignEveryBatch = false;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < single; i++)
        {
            await writer.AppendAsync(Record(i), CancellationToken.None);
        }
        var singleRate = single / clock.Elapsed.TotalSeconds;
        writer.SignEveryBatch = true;
        clock.Restart();
        for (var i = 0; i < single; i++)
        {
            await writer.AppendAsync(Record(i), CancellationToken.None);
        }
        var signedRate = single / clock.Elapsed.TotalSeconds;

        // The index by actor the appends above did not write (it is kept apart from the log): what bringing it up to date
        // costs, over the entries appended so far; and then, as in the hub, it is brought up to date every second while the
        // 64 callers append, taking its turns at SQLite's write lock with their batches.
        var actorIndex = services.GetRequiredService<AuditActorIndex>();
        clock.Restart();
        var indexed = await actorIndex.CatchUpAsync(CancellationToken.None);
        var indexRate = indexed / clock.Elapsed.TotalSeconds;
        using var stopIndexing = new CancellationTokenSource();
        var indexing = Task.Run(async () =>
        {
            using var second = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await second.WaitForNextTickAsync(CancellationToken.None) && !stopIndexing.IsCancellationRequested)
            {
                await actorIndex.RoundAsync(CancellationToken.None);
            }
        });

        var steps = new BatchSteps();
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
        steps.Dispose();
        await stopIndexing.CancelAsync();
        await indexing;
        report.Add(new Figure("audit", "durable append, one caller at a time, no checkpoint (baseline)", singleRate, null, 1, "itself"));
        report.Add(new Figure("audit", "durable append, one caller at a time, signed checkpoint in each batch", signedRate, null, singleRate / signedRate, "no checkpoint (cost ratio)", Kind.AuditSingle));
        if (!double.IsNaN(FloorBenchmark.Measured.SqliteCommitMs))
        {
            report.Add(new Figure("audit", "durable append, one caller at a time, signed checkpoint in each batch, against the floor", signedRate, null,
                1_000 / signedRate / FloorBenchmark.Measured.SqliteCommitMs, "SQLite one-row commit (cost ratio)"));
        }
        report.Add(new Figure("audit", "durable append, 64 concurrent callers, group commit, signed checkpoint in each batch, the index by actor brought up to date every second beside them", groupRate, null, groupRate / singleRate, "one at a time, no checkpoint (speed-up)", Kind.AuditAppend));
        report.Add(new Figure("audit", $"the log's index by actor brought up to date apart from the appends ({indexed:N0} entries, {actorIndex.Chunk:N0} a transaction)",
            indexRate, null, indexRate / groupRate, "64 callers' appends (speed-up)"));
        report.AddSection(steps.Section(groupRate, clock.Elapsed.TotalSeconds));


        var checkpoint = await services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);
        await using var db = services.GetRequiredService<IHubDbContextFactory>().Create();
        var entries = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).ToListAsync();
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().ToListAsync();
        // One pass first so both are measured as compiled code (tiered compilation would otherwise time its first tier).
        foreach (var entry in entries)
        {
            _ = AuditHashing.LeafHash(entry);
        }
        AuditVerifier.Verify(entries, checkpoints, services.GetRequiredService<AuditCheckpointer>().PublicKeys);
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
        report.Add(new Figure("audit", "hash every entry's stored form, one core (baseline)", hashRate, null, 1, "itself"));
        report.Add(new Figure("audit", $"verify {entries.Count:N0} entries in memory and {checkpoints.Count} checkpoints, columns with their bytes", verifyRate, null, hashRate / verifyRate, "bare hashing (cost ratio)"));

        await writer.StopAsync(CancellationToken.None);

        // Proofs at scale: bulk-load entries (chained exactly as the writer does), sign, then time proofs.
        var target = smoke ? 5_000 : 1_000_000;
        var loaded = entries.Count;
        clock.Restart();
        while (loaded < target)
        {
            var chunk = Math.Min(20_000, target - loaded);
            await writer.WriteBatchAsync(Enumerable.Range(loaded, chunk).Select(Record).ToList());
            loaded += chunk;
        }
        var bulkRate = (loaded - entries.Count) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var big = await services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);
        // Verification as `sharinghub audit verify` does it, streamed from the database: first the log (the stored bytes
        // hashed as stored, read lean), then the index (every entry's columns against its bytes), then both as the command runs them.
        var contexts = services.GetRequiredService<IHubDbContextFactory>();
        var keys = services.GetRequiredService<AuditCheckpointer>().PublicKeys;
        double readRate;
        await using (var stream = contexts.Create())
        {
            var all = await stream.AuditCheckpoints.AsNoTracking().ToListAsync();
            clock.Restart();
            long read = 0;
            foreach (var _ in StoredAuditLog.ReadLog(contexts))
            {
                read++;
            }
            readRate = read / clock.Elapsed.TotalSeconds;
            clock.Restart();
            var log = await StoredAuditLog.VerifyAsync(contexts, [], keys, CancellationToken.None, logOnly: true);
            var logRate = log.EntriesChecked / clock.Elapsed.TotalSeconds;
            // The check as it was before entries kept their bytes (and as it still is for entries written before): every
            // entry materialised and serialised again from its columns, then hashed.
            clock.Restart();
            var before = AuditVerifier.Verify(stream.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).AsEnumerable().Select(e =>
            {
                e.Canonical = null;
                return e;
            }), all, keys);
            var beforeRate = before.EntriesChecked / clock.Elapsed.TotalSeconds;
            clock.Restart();
            var whole = await StoredAuditLog.VerifyAsync(contexts, [], keys, CancellationToken.None);
            var wholeRate = whole.EntriesChecked / clock.Elapsed.TotalSeconds;
            if (!log.Ok || !whole.Ok || !before.Ok)
            {
                throw new InvalidOperationException($"the benchmark's own log did not verify: {log.Problem ?? whole.Problem}");
            }
            report.Add(new Figure("audit", $"read the log's {read:N0} entries from the database (sequence, chain links, stored bytes), nothing checked", readRate, null, hashRate / readRate, "bare hashing (cost ratio)"));
            report.Add(new Figure("audit", $"verify {before.EntriesChecked:N0} entries streamed, each serialised again from its columns and hashed (the check before entries kept their bytes; baseline)",
                beforeRate, null, 1, "itself"));
            report.Add(new Figure("audit", $"audit verify --log-only: {log.EntriesChecked:N0} entries streamed, stored bytes hashed as stored, chain, tree, {log.CheckpointsChecked:N0} checkpoints",
                logRate, null, logRate / beforeRate, "the check before (speed-up)", Kind.AuditVerify));
            report.Add(new Figure("audit", $"audit verify: the same and every entry's columns against its stored bytes, {whole.EntriesChecked:N0} entries streamed", wholeRate, null,
                wholeRate / beforeRate, "the check before (speed-up)", Kind.AuditVerify));
        }
        var proofs = services.GetRequiredService<AuditProofs>();
        await proofs.InclusionAsync(1, big!.TreeSize, CancellationToken.None);
        var samples = smoke ? 200 : 2_000;
        var random = new Random(7);
        var size = 0;
        clock.Restart();
        for (var i = 0; i < samples; i++)
        {
            size = (await proofs.InclusionAsync(random.NextInt64(1, big.TreeSize + 1), big.TreeSize, CancellationToken.None))!.Count;
        }
        var proofRate = samples / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (var i = 0; i < samples; i++)
        {
            await proofs.ConsistencyAsync(random.NextInt64(1, big.TreeSize), big.TreeSize, CancellationToken.None);
        }
        var consistencyRate = samples / clock.Elapsed.TotalSeconds;
        report.Add(new Figure("audit", $"bulk load to {big.TreeSize:N0} entries (one transaction per 20,000)", bulkRate, null, bulkRate / groupRate, "group-committed appends (speed-up)"));
        report.Add(new Figure("audit", $"inclusion proof at {big.TreeSize:N0} entries: {size} hashes ({size * 32} bytes)", proofRate, null, 1, "itself", Kind.Proof));
        report.Add(new Figure("audit", $"consistency proof at {big.TreeSize:N0} entries", consistencyRate, null, consistencyRate / proofRate, "inclusion proof", Kind.Proof));

        // A hub process started on this log (a restart, another node): its writer's first append needs the tree's right edge
        // (read from the stored subtrees; before, built by hashing every entry's hash again inside that append's transaction),
        // and so does its checkpointer's first pass (before, the same again on the writer's loop, and every subtree stored again).
        await using (var restarted = await database.StartServicesAsync())
        {
            var restartedWriter = restarted.GetRequiredService<AuditWriter>();
            await restartedWriter.StartAsync(CancellationToken.None);
            clock.Restart();
            await restartedWriter.AppendAsync(Record(loaded), CancellationToken.None);
            var firstAppend = clock.Elapsed.TotalSeconds;
            clock.Restart();
            await restarted.GetRequiredService<AuditCheckpointer>().ExtendNowAsync(CancellationToken.None);
            var firstPass = clock.Elapsed.TotalSeconds;
            await restartedWriter.StopAsync(CancellationToken.None);
            var readSeconds = loaded / readRate;
            report.Add(new Figure("audit", $"a restarted hub's first append onto a log of {loaded:N0} entries (the tree's edge found first)", 1 / firstAppend, null,
                firstAppend / readSeconds, "reading the whole log (share of its time)"));
            report.Add(new Figure("audit", $"a restarted hub's checkpointer, first pass over a log of {loaded:N0} entries (stored subtrees counted, the edge found)", 1 / firstPass, null,
                firstPass / readSeconds, "reading the whole log (share of its time)"));
        }
    }

    private static AuditRecord Record(int i) => Record(DateTimeOffset.UtcNow, i);

    /// <summary>A benchmark's audit entry: a police officer reading one health event for an enquiry.</summary>
    internal static AuditRecord Record(DateTimeOffset at, long i) => new(
        at, $"bench-{i}", "police", $"officer-{i % 50}", "s47-enquiry", Guid.NewGuid(), "event.read", "success", "permit", false,
        [Guid.NewGuid()], ["health"], """{"resources":[{"type":"event","decision":"permit","fields":["occurredAt","summary"],"rules":["macpt.health-clinical"]}]}""");
}
