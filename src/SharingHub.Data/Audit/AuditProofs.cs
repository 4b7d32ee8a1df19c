using Microsoft.EntityFrameworkCore;
using Npgsql;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// Inclusion and consistency proofs for anyone checking the log from outside, built from stored
/// complete subtrees, so they stay fast at millions of entries. Which subtrees a proof needs depends
/// only on the positions, never on the hashes, so the proof is planned first and every subtree it
/// needs is read in one round trip (it was one query per subtree: 20-30 at a million entries).
/// </summary>
public sealed class AuditProofs(IHubDbContextFactory contexts, AuditCheckpointer checkpointer, AuditPartitions partitions, TimeProvider clock)
{
    /// <summary>How long the months' sequence ranges are used before they are read again (a month's partition fills as it
    /// goes; entries past the last range are looked for in the month that held the highest sequence).</summary>
    private static readonly TimeSpan MonthsKeptFor = TimeSpan.FromHours(1);

    /// <summary>After a lookup missed an entry in the month its range named, the ranges are read again, but not sooner than this.</summary>
    private static readonly TimeSpan MonthsReadAgainAfterMiss = TimeSpan.FromMinutes(1);

    /// <summary>The months' ranges, read when the log held <paramref name="Size"/> entries.</summary>
    private sealed record Months(IReadOnlyList<AuditMonthRange> Ranges, long Size, DateTimeOffset StaleAfter);

    /// <summary>Whether the ranges are still worth using: within their time, and the log not grown by a tenth (at least
    /// 10,000 entries) since, so a log loaded or grown fast is not looked up with ranges from when it was small.</summary>
    private bool Fresh(Months? months, long size) =>
        months is not null && clock.GetUtcNow() < months.StaleAfter && size <= months.Size + Math.Max(10_000, months.Size / 10);

    private Months? _months;
    private readonly SemaphoreSlim _monthsGate = new(1, 1);

    public async Task<IReadOnlyList<byte[]>?> InclusionAsync(long sequence, long treeSize, CancellationToken cancellationToken)
    {
        if (sequence < 1 || sequence > treeSize || await checkpointer.CoveredSizeAsync(treeSize, cancellationToken) < treeSize)
        {
            return null;
        }
        return await ProveAsync(node => MerkleProofs.InclusionAsync(sequence - 1, treeSize, node), cancellationToken);
    }

    public async Task<IReadOnlyList<byte[]>?> ConsistencyAsync(long first, long second, CancellationToken cancellationToken)
    {
        if (first < 1 || first > second || await checkpointer.CoveredSizeAsync(second, cancellationToken) < second)
        {
            return null;
        }
        return await ProveAsync(node => MerkleProofs.ConsistencyAsync(first, second, node), cancellationToken);
    }

    private async Task<IReadOnlyList<byte[]>> ProveAsync(Func<Func<int, long, Task<byte[]>>, Task<IReadOnlyList<byte[]>>> proof, CancellationToken cancellationToken)
    {
        var needed = new HashSet<(int Level, long Index)>();
        await proof((level, index) =>
        {
            needed.Add((level, index));
            return Task.FromResult(Placeholder);
        });
        var nodes = await NodesAsync(needed, cancellationToken);
        return await proof((level, index) => Task.FromResult(nodes.TryGetValue((level, index), out var hash)
            ? hash
            : throw new InvalidOperationException($"the audit log has no stored subtree at level {level}, index {index}")));
    }

    private static readonly byte[] Placeholder = new byte[32];

    /// <summary>
    /// Leaves from the entries and larger subtrees from the stored nodes, in one statement; every value a parameter. On
    /// PostgreSQL the entries are partitioned by month and a lookup by sequence cannot be pruned to one month, so planning it
    /// (against every partition) cost more than running it: 0.56 ms against 0.12 ms prepared, with 29 partitions. There the
    /// statement has one text whatever the proof (the positions as arrays) and is prepared, once per pooled connection; and
    /// it reads the leaves from the one month's table that holds them (<see cref="AuditLeafMonths"/>): a prepared statement
    /// on the partitioned table still locked all 29 months and their indexes each time it ran.
    /// </summary>
    private async Task<Dictionary<(int Level, long Index), byte[]>> NodesAsync(IReadOnlyCollection<(int Level, long Index)> needed, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(int Level, long Index), byte[]>(needed.Count);
        if (needed.Count == 0)
        {
            return found;
        }
        await using var db = contexts.Create();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var leaves = needed.Where(n => n.Level == 0).Select(n => n.Index + 1).ToArray();
        var nodes = needed.Where(n => n.Level > 0).ToArray();
        if (contexts.Engine == DatabaseEngine.Postgres)
        {
            // The month's table when the months' ranges name one (its name made here from the month's numbers, never
            // from input), the partitioned table otherwise; the statement is prepared either way (one per month).
            var month = leaves.Length == 0 ? null : AuditLeafMonths.Month(await MonthsAsync(cancellationToken), leaves);
            command.CommandText = Statement(leaves.Length == 0 ? null : month is { } m ? AuditLeafMonths.Table(m) : "\"AuditEntries\"");
            if (leaves.Length > 0)
            {
                command.WithParameter("@s", leaves);
            }
            command.WithParameter("@l", nodes.Select(n => n.Level).ToArray());
            command.WithParameter("@i", nodes.Select(n => n.Index).ToArray());
            try
            {
                await command.PrepareAsync(cancellationToken);
                await ReadAsync(command, found, cancellationToken);
            }
            catch (PostgresException e) when (month is not null && e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InsufficientPrivilege)
            {
                // The month's partition was dropped since the ranges were read, or the hub's role may read the log only
                // through the partitioned table (privileges on a partition are its own): the whole log below.
            }
            if (month is not null && leaves.Any(l => !found.ContainsKey((0, l - 1))))
            {
                // Not in the month the ranges pointed to (recorded late into the month before, in the default partition,
                // a partition gone): the whole log, and the ranges read again soon.
                MonthsMissed();
                command.CommandText = Statement("\"AuditEntries\"");
                await command.PrepareAsync(cancellationToken);
                await ReadAsync(command, found, cancellationToken);
            }
            return found;
        }
        else
        {
            var parts = new List<string>(2);
            if (leaves.Length > 0)
            {
                parts.Add($"""SELECT 0, "Sequence" - 1, "EntryHash" FROM "AuditEntries" WHERE "Sequence" IN ({string.Join(", ", leaves.Select((_, i) => $"@s{i}"))})""");
                for (var i = 0; i < leaves.Length; i++)
                {
                    command.WithParameter($"@s{i}", leaves[i]);
                }
            }
            if (nodes.Length > 0)
            {
                parts.Add($"""SELECT "Level", "NodeIndex", "Hash" FROM "AuditNodes" WHERE {string.Join(" OR ", nodes.Select((_, i) => $"(\"Level\" = @l{i} AND \"NodeIndex\" = @i{i})"))}""");
                for (var i = 0; i < nodes.Length; i++)
                {
                    command.WithParameter($"@l{i}", nodes[i].Level);
                    command.WithParameter($"@i{i}", nodes[i].Index);
                }
            }
            command.CommandText = string.Join(" UNION ALL ", parts);
        }
        await ReadAsync(command, found, cancellationToken);
        return found;
    }

    /// <summary>The proof's statement on PostgreSQL: leaves from <paramref name="entries"/> (none when null) and the stored
    /// subtrees.</summary>
    private static string Statement(string? entries) => (entries is null ? "" : $"""
        SELECT 0, "Sequence" - 1, "EntryHash" FROM {entries} WHERE "Sequence" = ANY(@s)
        UNION ALL

        """) + """
        SELECT n."Level", n."NodeIndex", n."Hash" FROM "AuditNodes" n JOIN unnest(@l, @i) AS w(l, i) ON n."Level" = w.l AND n."NodeIndex" = w.i
        """;

    private static async Task ReadAsync(System.Data.Common.DbCommand command, Dictionary<(int Level, long Index), byte[]> found, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(1))] = reader.GetFieldValue<byte[]>(2);
        }
    }

    /// <summary>The months' sequence ranges, read once and kept for <see cref="MonthsKeptFor"/>; while one caller reads them
    /// again the others use the ones before.</summary>
    private async Task<IReadOnlyList<AuditMonthRange>> MonthsAsync(CancellationToken cancellationToken)
    {
        var size = await checkpointer.CoveredSizeAsync(0, cancellationToken);
        var known = Volatile.Read(ref _months);
        if (Fresh(known, size))
        {
            return known!.Ranges;
        }
        if (!await _monthsGate.WaitAsync(known is null ? Timeout.Infinite : 0, cancellationToken))
        {
            return known!.Ranges;
        }
        try
        {
            known = Volatile.Read(ref _months);
            if (Fresh(known, size))
            {
                return known!.Ranges;
            }
            var ranges = await partitions.SequenceRangesAsync(cancellationToken);
            Volatile.Write(ref _months, new Months(ranges, size, clock.GetUtcNow() + MonthsKeptFor));
            return ranges;
        }
        finally
        {
            _monthsGate.Release();
        }
    }

    private void MonthsMissed()
    {
        var known = Volatile.Read(ref _months);
        var soon = clock.GetUtcNow() + MonthsReadAgainAfterMiss;
        if (known is not null && soon < known.StaleAfter)
        {
            Interlocked.CompareExchange(ref _months, known with { StaleAfter = soon }, known);
        }
    }
}
