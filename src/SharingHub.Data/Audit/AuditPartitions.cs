using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// On PostgreSQL the audit log is partitioned by month of <c>RecordedAt</c> (declarative range partitioning): each
/// month's entries, and their indexes, are a table of their own (<c>AuditEntries_2026_12</c>), so appending touches
/// only the current month's small indexes however long the log grows, and an old month can be detached and archived
/// whole once its checkpoints are kept elsewhere. Entries outside every month's partition (a clock far off) go to
/// <c>AuditEntries_default</c>. The primary key is (Sequence, RecordedAt), as PostgreSQL requires of a partitioned table;
/// a sequence number stays unique because one writer at a time appends (the audit writer's advisory lock), and
/// <c>audit verify</c> finds any duplicate or gap. SQLite keeps one table.
/// </summary>
public sealed partial class AuditPartitions(IHubDbContextFactory contexts, TimeProvider clock, ILogger<AuditPartitions> logger)
{
    /// <summary>How many months ahead of the current one have their partition ready.</summary>
    public const int MonthsAhead = 3;

    /// <summary>The SQL function the migration makes: creates one month's partition unless it exists, returns its name.</summary>
    internal const string FunctionSql = """
        CREATE OR REPLACE FUNCTION sharinghub_audit_partition(month timestamptz) RETURNS text LANGUAGE plpgsql AS $f$
        DECLARE
          first timestamp := date_trunc('month', month AT TIME ZONE 'UTC');
          name text := 'AuditEntries_' || to_char(first, 'YYYY_MM');
        BEGIN
          IF to_regclass(format('%I', name)) IS NULL THEN
            BEGIN
              EXECUTE format('CREATE TABLE %I PARTITION OF "AuditEntries" FOR VALUES FROM (%L) TO (%L)',
                name, first AT TIME ZONE 'UTC', (first + interval '1 month') AT TIME ZONE 'UTC');
            EXCEPTION WHEN duplicate_table THEN
              NULL; -- another hub node made it first
            END;
          END IF;
          RETURN name;
        END $f$;
        """;

    /// <summary>Makes the current month's partition and the next <see cref="MonthsAhead"/> months' (PostgreSQL; nothing on SQLite).</summary>
    /// <returns>The partitions that exist for those months.</returns>
    public async Task<IReadOnlyList<string>> EnsureAsync(CancellationToken ct)
    {
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return [];
        }
        var now = clock.GetUtcNow();
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var made = new List<string>();
        await using var db = contexts.Create();
        for (var ahead = 0; ahead <= MonthsAhead; ahead++)
        {
            try
            {
                made.Add(await db.Database.SqlQuery<string>($"SELECT sharinghub_audit_partition({month.AddMonths(ahead)}) AS \"Value\"").SingleAsync(ct));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
            {
                // Entries of that month already sit in the default partition (written while the clock was far ahead, or
                // before the month's partition was made): PostgreSQL will not make the partition over them.
                logger.LogError("The audit partition for {Month:yyyy-MM} cannot be made: entries of that month are in AuditEntries_default; " +
                    "move them into a new partition (detach the default, create the month, re-attach) during maintenance", month.AddMonths(ahead));
            }
        }
        return made;
    }

    /// <summary>The audit log's partitions and how many entries each holds (PostgreSQL; empty on SQLite or if not partitioned).</summary>
    public async Task<IReadOnlyList<(string Name, long Entries)>> ListAsync(CancellationToken ct)
    {
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return [];
        }
        await using var db = contexts.Create();
        var names = await PartitionNamesAsync(db, ct);
        var counts = (await db.Database.SqlQuery<PartitionCount>($"""
            SELECT tableoid::regclass::text AS "Name", count(*) AS "Entries" FROM "AuditEntries" GROUP BY 1
            """).ToListAsync(ct)).ToDictionary(c => c.Name.Trim('"'), c => c.Entries, StringComparer.Ordinal);
        var result = names.Select(n => (n, counts.GetValueOrDefault(n))).ToList();
        return result;
    }

    /// <summary>
    /// Each month partition's lowest and highest sequence number (PostgreSQL; empty on SQLite): one lookup per month, each
    /// pruned to its month by the recorded time and answered from the ends of its primary key's index. Months without entries
    /// and the default partition are left out.
    /// </summary>
    internal async Task<IReadOnlyList<AuditMonthRange>> SequenceRangesAsync(CancellationToken ct)
    {
        if (contexts.Engine != DatabaseEngine.Postgres)
        {
            return [];
        }
        await using var db = contexts.Create();
        var names = await PartitionNamesAsync(db, ct);
        var ranges = new List<AuditMonthRange>(names.Count);
        foreach (var name in names)
        {
            var month = MonthName().Match(name);
            if (!month.Success)
            {
                continue;
            }
            var first = new DateTimeOffset(int.Parse(month.Groups[1].Value, CultureInfo.InvariantCulture),
                int.Parse(month.Groups[2].Value, CultureInfo.InvariantCulture), 1, 0, 0, 0, TimeSpan.Zero);
            var next = first.AddMonths(1);
            var range = await db.Database.SqlQuery<SequenceRange>($"""
                SELECT min("Sequence") AS "Min", max("Sequence") AS "Max" FROM "AuditEntries" WHERE "RecordedAt" >= {first} AND "RecordedAt" < {next}
                """).SingleAsync(ct);
            if (range is { Min: { } min, Max: { } max })
            {
                ranges.Add(new AuditMonthRange(first, min, max));
            }
        }
        return ranges;
    }

    private static Task<List<string>> PartitionNamesAsync(HubDbContext db, CancellationToken ct) =>
        db.Database.SqlQuery<string>($"""
            SELECT c.relname AS "Value" FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass('"AuditEntries"') ORDER BY c.relname
            """).ToListAsync(ct);

    [GeneratedRegex(@"^AuditEntries_(\d{4})_(\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex MonthName();
}

internal sealed class SequenceRange
{
    public long? Min { get; set; }
    public long? Max { get; set; }
}

internal sealed class PartitionCount
{
    public string Name { get; set; } = "";
    public long Entries { get; set; }
}

/// <summary>Keeps the coming months' audit partitions made: at start and every six hours, whichever node (each is idempotent).</summary>
public sealed class AuditPartitionMaintenance(AuditPartitions partitions, ILogger<AuditPartitionMaintenance> logger) : QuietlyStoppedService
{
    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(6));
        do
        {
            try
            {
                await partitions.EnsureAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The database is unreachable (readiness says so); the next round, or the default partition, covers it.
                logger.LogWarning("Audit partitions not checked: {Error}", e.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
