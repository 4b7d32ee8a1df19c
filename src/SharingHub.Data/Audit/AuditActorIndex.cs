using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// The audit log's index by actor (<c>AuditActors</c>), kept apart from the log and brought up to date in the background.
/// An index on the log itself made every batch of appends write a page of it per distinct actor: with 64 callers a batch's
/// flush was 1.5 ms against 0.5 ms without it. The index is copied from the log in sequence order, so it holds every entry
/// up to its highest sequence and none after; a read by actor takes the entries the index names and, for entries after
/// its highest sequence, looks at the log's tail itself (<see cref="ByActor"/>): nothing is missed while it catches up,
/// after a restore, or when it has not run at all.
/// </summary>
public sealed class AuditActorIndex(IHubDbContextFactory contexts, SqliteWriteTurns turns, ILogger<AuditActorIndex> logger)
{
    /// <summary>
    /// Entries copied a transaction: small enough that the audit writer's next batch waits little for its turn (500 take about
    /// 3 ms on SQLite; 2,000 took 12 ms), large enough that the commits are few (20,000 appends a second need 40).
    /// </summary>
    public int Chunk { get; set; } = 500;

    /// <summary>
    /// The entries of <paramref name="entries"/> (a query over the log) whose actor is <paramref name="actor"/>: those the index names,
    /// and those after the index's highest sequence, read from the log. The two parts do not overlap.
    /// </summary>
    public static IQueryable<AuditEntry> ByActor(HubDbContext db, IQueryable<AuditEntry> entries, string actor)
    {
        ArgumentNullException.ThrowIfNull(db);
        var indexed = db.AuditActors.Where(x => x.Actor == actor).Select(x => x.Sequence);
        return entries.Where(a => indexed.Contains(a.Sequence))
            .Concat(entries.Where(a => a.Sequence > (db.AuditActors.Max(x => (long?)x.Sequence) ?? 0) && a.Actor == actor));
    }

    // The entries after the highest sequence the index holds, in order, a chunk at a time ({0}: the chunk's size).
    private const string Copy = """
        INTO "AuditActors" ("Actor", "Sequence")
        SELECT e."Actor", e."Sequence" FROM "AuditEntries" AS e
        WHERE e."Sequence" > COALESCE((SELECT MAX(x."Sequence") FROM "AuditActors" AS x), 0)
        ORDER BY e."Sequence" LIMIT {0}
        """;

    private const string SqliteCopy = "INSERT OR IGNORE " + Copy;

    private const string PostgresCopy = "INSERT " + Copy + " ON CONFLICT DO NOTHING";

    /// <summary>Copies the log's entries after the index's highest sequence into the index, a chunk a transaction, until it has them all.</summary>
    /// <returns>How many entries were copied.</returns>
    public async Task<long> CatchUpAsync(CancellationToken cancellationToken)
    {
        long copied = 0;
        while (true)
        {
            int rows;
            // Its turn at SQLite's one write lock, like the hub's other steady writers; several nodes may copy at once on PostgreSQL
            // (each statement copies after the highest sequence it sees, and a row already there is left as it is).
            using (await turns.TakeAsync(cancellationToken))
            {
                await using var db = contexts.Create();
                rows = await db.Database.ExecuteSqlRawAsync(contexts.Engine == DatabaseEngine.Sqlite ? SqliteCopy : PostgresCopy, [Chunk], cancellationToken);
            }
            copied += rows;
            if (rows < Chunk)
            {
                return copied;
            }
        }
    }

    /// <summary>Brings the index up to date once; a failure is logged and left to the next round (reads stay complete meanwhile).</summary>
    public async Task RoundAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CatchUpAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever the cause, the round only ends: the index is derived from the log, and the hub must not stop over it.
            logger.LogWarning("The audit log's index by actor was not brought up to date: {Error}; reads by actor look at more of the log until it is", e.GetType().Name);
        }
    }
}

/// <summary>
/// Brings the audit log's index by actor up to date every <see cref="AuditOptions.ActorIndexSeconds"/> (one by default), on
/// every node (each round is idempotent); none when it is 0.
/// </summary>
public sealed class AuditActorIndexing(AuditActorIndex index, Microsoft.Extensions.Options.IOptions<AuditOptions> options, TimeProvider clock) : QuietlyStoppedService
{
    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (options.Value.ActorIndexSeconds == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ActorIndexSeconds), clock);
        do
        {
            await index.RoundAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
