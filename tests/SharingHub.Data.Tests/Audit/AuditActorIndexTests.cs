using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Data.Tests.Audit;

/// <summary>
/// The audit log's index by actor is kept apart from the log and brought up to date in the background: a read by actor
/// finds every entry of that actor, once, in order, whether the index has caught up, is behind, or has never run.
/// </summary>
public abstract class AuditActorIndexTests(DatabaseEngine engine) : DatabaseTest(engine)
{
    private AuditWriter Writer => Services.GetRequiredService<AuditWriter>();

    private AuditActorIndex Index => Services.GetRequiredService<AuditActorIndex>();

    private static AuditRecord Record(int i) => new(
        DateTimeOffset.UtcNow, $"req-{i}", "police", $"officer-{i % 3}", "s47-enquiry", null, "event.read", "success", "permit", false,
        [Guid.NewGuid()], ["health"], """{"resources":[]}""");

    private async Task AppendAsync(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            await Writer.AppendAsync(Record(i), CancellationToken.None);
        }
    }

    /// <summary>The sequences a read by actor returns, in order, and what a scan of the whole log finds for the same actor.</summary>
    private async Task<(List<long> ByIndex, List<long> ByScan)> ReadAsync(string actor)
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var byIndex = await AuditActorIndex.ByActor(db, db.AuditEntries.AsNoTracking(), actor).OrderBy(a => a.Sequence).Select(a => a.Sequence).ToListAsync();
        var byScan = await db.AuditEntries.AsNoTracking().Where(a => a.Actor == actor).OrderBy(a => a.Sequence).Select(a => a.Sequence).ToListAsync();
        return (byIndex, byScan);
    }

    private async Task<int> IndexedAsync()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        return await db.AuditActors.CountAsync();
    }

    [Fact]
    public async Task Given_entries_before_and_after_the_index_catches_up_then_a_read_by_actor_finds_each_once_in_order()
    {
        await Writer.StartAsync(CancellationToken.None);
        await AppendAsync(0, 30);

        // Never run: the log's tail is the whole log, and the read finds all ten of officer-1's entries there.
        var (before, scanned) = await ReadAsync("officer-1");
        Assert.Equal(10, before.Count);
        Assert.Equal(scanned, before);
        Assert.Equal(0, await IndexedAsync());

        // Caught up a chunk of 7 at a time: every entry copied once, and a second round has nothing to copy.
        Index.Chunk = 7;
        Assert.Equal(30, await Index.CatchUpAsync(CancellationToken.None));
        Assert.Equal(0, await Index.CatchUpAsync(CancellationToken.None));
        Assert.Equal(30, await IndexedAsync());
        var (caughtUp, _) = await ReadAsync("officer-1");
        Assert.Equal(before, caughtUp);

        // Behind again: the ten new entries are in the log's tail, the old ones in the index, and none is read twice.
        await AppendAsync(30, 30);
        var (behind, scannedNow) = await ReadAsync("officer-1");
        Assert.Equal(20, behind.Count);
        Assert.Equal(scannedNow, behind);
        Assert.Equal(30, await Index.CatchUpAsync(CancellationToken.None));
        Assert.Equal(behind, (await ReadAsync("officer-1")).ByIndex);
        Assert.Empty((await ReadAsync("nobody")).ByIndex);
    }

    [Fact]
    public async Task Given_entries_appended_while_the_index_catches_up_then_reads_stay_complete_and_the_index_ends_with_every_entry()
    {
        await Writer.StartAsync(CancellationToken.None);
        Index.Chunk = 5;
        using var stop = new CancellationTokenSource();
        var indexing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Index.CatchUpAsync(CancellationToken.None);
            }
        });
        for (var round = 0; round < 6; round++)
        {
            await Task.WhenAll(Enumerable.Range(round * 20, 20).Select(i => Writer.AppendAsync(Record(i), CancellationToken.None)));
            var (byIndex, byScan) = await ReadAsync("officer-2");
            Assert.Equal(byScan, byIndex);
        }
        await stop.CancelAsync();
        await indexing;
        await Index.CatchUpAsync(CancellationToken.None);
        Assert.Equal(120, await IndexedAsync());
        var (final, scan) = await ReadAsync("officer-2");
        Assert.Equal(40, final.Count);
        Assert.Equal(scan, final);
    }
}

public sealed class SqliteAuditActorIndexTests() : AuditActorIndexTests(DatabaseEngine.Sqlite)
{
    /// <summary>A read by actor searches the index and the log's tail by key, merged in sequence order: it never scans the log.</summary>
    [Fact]
    public async Task Given_a_page_read_by_actor_then_sqlite_searches_the_index_and_the_tail_by_key_and_never_scans_the_log()
    {
        await using var db = Services.GetRequiredService<IHubDbContextFactory>().Create();
        var page = AuditActorIndex.ByActor(db, db.AuditEntries.AsNoTracking().Where(a => a.Organisation == "police"), "officer-1")
            .Where(a => a.Sequence > 5).OrderBy(a => a.Sequence).Take(101);
        var command = page.CreateDbCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        await db.Database.OpenConnectionAsync();
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }
        var text = string.Join("\n", plan);
        Assert.Contains("SEARCH a0 USING COVERING INDEX sqlite_autoindex_AuditActors_1 (Actor=?)", text, StringComparison.Ordinal);
        Assert.Contains("SEARCH a1 USING INTEGER PRIMARY KEY (rowid>?)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", text, StringComparison.Ordinal);
    }
}

public sealed class PostgresAuditActorIndexTests() : AuditActorIndexTests(DatabaseEngine.Postgres);
