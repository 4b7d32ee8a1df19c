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
public sealed class AuditProofs(IHubDbContextFactory contexts, AuditCheckpointer checkpointer, AuditPartitions partitions, SqliteStatements statements, TimeProvider clock)
    : IAsyncDisposable, IDisposable
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
        var covered = await checkpointer.CoveredSizeAsync(treeSize, cancellationToken);
        if (sequence < 1 || sequence > treeSize || covered < treeSize)
        {
            return null;
        }
        return await ProveAsync(covered, node => MerkleProofs.InclusionAsync(sequence - 1, treeSize, node), cancellationToken);
    }

    public async Task<IReadOnlyList<byte[]>?> ConsistencyAsync(long first, long second, CancellationToken cancellationToken)
    {
        var covered = await checkpointer.CoveredSizeAsync(second, cancellationToken);
        if (first < 1 || first > second || covered < second)
        {
            return null;
        }
        return await ProveAsync(covered, node => MerkleProofs.ConsistencyAsync(first, second, node), cancellationToken);
    }

    /// <summary>
    /// Plans the proof, takes what it needs of the tree's upper levels from memory (<see cref="AuditUpperLevels"/>) and
    /// reads the rest (its leaves and the few levels below) in one statement.
    /// </summary>
    private async Task<IReadOnlyList<byte[]>> ProveAsync(long logSize, Func<Func<int, long, Task<byte[]>>, Task<IReadOnlyList<byte[]>>> proof, CancellationToken cancellationToken)
    {
        var needed = new HashSet<(int Level, long Index)>();
        await proof((level, index) =>
        {
            needed.Add((level, index));
            return Task.FromResult(Placeholder);
        });
        var upper = await UpperAsync(logSize, cancellationToken);
        var nodes = new Dictionary<(int Level, long Index), byte[]>(needed.Count);
        var missing = new List<(int Level, long Index)>(needed.Count);
        foreach (var node in needed)
        {
            if (upper.TryGet(node, out var hash))
            {
                nodes[node] = hash;
            }
            else
            {
                missing.Add(node);
            }
        }
        foreach (var (node, hash) in await NodesAsync(missing, cancellationToken))
        {
            nodes[node] = hash;
            upper.Offer(node, hash);
        }
        return await proof((level, index) => Task.FromResult(nodes.TryGetValue((level, index), out var hash)
            ? hash
            : throw new InvalidOperationException($"the audit log has no stored subtree at level {level}, index {index}")));
    }

    private AuditUpperLevels? _upper;
    private readonly SemaphoreSlim _upperGate = new(1, 1);

    /// <summary>How many subtrees of the upper levels are kept (tests make it small, to see the levels change as a log grows).</summary>
    internal int UpperCapacity { get; set; } = AuditUpperLevels.DefaultCapacity;

    /// <summary>The lowest level kept in memory, or null before the first proof.</summary>
    internal int? UpperLowest => Volatile.Read(ref _upper)?.Lowest;

    /// <summary>The upper levels for a log of <paramref name="logSize"/> entries: read once, and again (one level higher)
    /// each time the log has doubled; while one caller reads them the others use the ones before.</summary>
    private async Task<AuditUpperLevels> UpperAsync(long logSize, CancellationToken cancellationToken)
    {
        var lowest = AuditUpperLevels.LowestFor(logSize, UpperCapacity);
        var known = Volatile.Read(ref _upper);
        if (known is not null && known.Lowest >= lowest)
        {
            return known;
        }
        if (!await _upperGate.WaitAsync(known is null ? Timeout.Infinite : 0, cancellationToken))
        {
            return known!;
        }
        try
        {
            known = Volatile.Read(ref _upper);
            if (known is not null && known.Lowest >= lowest)
            {
                return known;
            }
            await using var db = contexts.Create();
            var rows = await db.AuditNodes.AsNoTracking().Where(n => n.Level >= lowest)
                .OrderByDescending(n => n.Level).ThenByDescending(n => n.NodeIndex).Take(UpperCapacity)
                .Select(n => new { n.Level, n.NodeIndex, n.Hash }).ToListAsync(cancellationToken);
            var loaded = new AuditUpperLevels(lowest, UpperCapacity, rows.Select(r => (r.Level, r.NodeIndex, r.Hash)));
            Volatile.Write(ref _upper, loaded);
            return loaded;
        }
        finally
        {
            _upperGate.Release();
        }
    }

    private static readonly byte[] Placeholder = new byte[32];

    /// <summary>
    /// Leaves from the entries and larger subtrees from the stored nodes, in one statement; every value a parameter. On
    /// PostgreSQL the entries are partitioned by month and a lookup by sequence cannot be pruned to one month, so planning it
    /// (against every partition) cost more than running it: 0.56 ms against 0.12 ms prepared, with 29 partitions. There the
    /// statement has one text whatever the proof (the positions as arrays) and is prepared, once per pooled connection; and
    /// it reads the leaves from the one month's table that holds them (<see cref="AuditLeafMonths"/>): a prepared statement
    /// on the partitioned table still locked all 29 months and their indexes each time it ran. On SQLite, too, the statement
    /// has one text (the positions as JSON arrays) and stays prepared on the hub's own connections (<see cref="SqliteStatements"/>):
    /// Microsoft.Data.Sqlite prepares each new command afresh, and a statement built per proof was parsed and planned on each.
    /// </summary>
    private async Task<Dictionary<(int Level, long Index), byte[]>> NodesAsync(IReadOnlyCollection<(int Level, long Index)> needed, CancellationToken cancellationToken)
    {
        var found = new Dictionary<(int Level, long Index), byte[]>(needed.Count);
        if (needed.Count == 0)
        {
            return found;
        }
        var (leaves, nodes) = AuditTreeNodes.Split(needed);
        if (contexts.Engine == DatabaseEngine.Sqlite)
        {
            // One text whatever the proof, kept prepared: the positions as JSON arrays of numbers, made here, never from input.
            return await statements.ReadAsync(AuditTreeNodes.SqliteText, AuditTreeNodes.DeclareSqlite, async (command, ct) =>
            {
                AuditTreeNodes.BindSqlite(command, leaves, nodes);
                await AuditTreeNodes.ReadAsync(command, found, ct);
                return found;
            }, snapshot: false, cancellationToken);
        }
        await using var connection = await OpenPostgresAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The month's table when the months' ranges name one (its name made here from the month's numbers, never
        // from input), the partitioned table otherwise; the statement is prepared either way (one per month).
        var month = leaves.Length == 0 ? null : AuditLeafMonths.Month(await MonthsAsync(cancellationToken), leaves);
        command.CommandText = AuditTreeNodes.PostgresText(leaves.Length == 0 ? null : month is { } m ? AuditLeafMonths.Table(m) : "\"AuditEntries\"");
        AuditTreeNodes.BindPostgres(command, leaves, nodes);
        try
        {
            await command.PrepareAsync(cancellationToken);
            await AuditTreeNodes.ReadAsync(command, found, cancellationToken);
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
            command.CommandText = AuditTreeNodes.PostgresText("\"AuditEntries\"");
            await command.PrepareAsync(cancellationToken);
            await AuditTreeNodes.ReadAsync(command, found, cancellationToken);
        }
        return found;
    }

    /// <summary>
    /// At most this many connections in the proofs' own pool (<see cref="OpenPostgresAsync"/>), or the hub's own limit if lower:
    /// a proof holds one for a single statement, and a flood of proofs then waits here instead of taking the hub's connections.
    /// </summary>
    internal const int PostgresPoolSize = 10;

    private NpgsqlDataSource? _postgres;
    private readonly Lock _postgresGate = new();

    /// <summary>
    /// A connection from the proofs' own pool: the hub's connection string with <c>plan_cache_mode=force_generic_plan</c> added
    /// to whatever server options it already names. The proof's statement is prepared once per connection, and PostgreSQL
    /// otherwise kept planning it afresh for every proof (a custom plan for the positions' arrays, 0.09 ms of the server's
    /// 0.12 ms); its one sensible plan is the primary keys' lookups whatever the positions, so the generic plan is made
    /// once per connection. Only these connections carry the setting: the hub's other queries plan as before. Measured at
    /// 1,000,000 entries, one run, the hub's pool against this one, alternating: inclusion proofs 2,112/s and 3,125/s
    /// against 5,973/s and 4,340/s.
    /// </summary>
    internal async Task<NpgsqlConnection> OpenPostgresAsync(CancellationToken cancellationToken)
    {
        var source = Volatile.Read(ref _postgres);
        if (source is null)
        {
            string connectionString;
            await using (var db = contexts.Create())
            {
                connectionString = db.Database.GetConnectionString()!;
            }
            lock (_postgresGate)
            {
                source = _postgres ??= NpgsqlDataSource.Create(ProofConnectionString(connectionString));
            }
        }
        return await source.OpenConnectionAsync(cancellationToken);
    }

    /// <summary>The proofs' connection string: the hub's, its server options kept, with the generic plan forced and the pool bounded.</summary>
    internal static string ProofConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = string.IsNullOrWhiteSpace(builder.Options)
            ? "-c plan_cache_mode=force_generic_plan"
            : $"{builder.Options} -c plan_cache_mode=force_generic_plan";
        builder.MaxPoolSize = Math.Min(builder.MaxPoolSize, PostgresPoolSize);
        builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
        // Nothing run on these connections changes the session (one read-only statement, no locks, temporary tables or
        // listeners), so there is nothing for the pool to reset when one comes back.
        builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _postgres, null) is { } source)
        {
            await source.DisposeAsync();
        }
    }

    /// <summary>For a container disposed synchronously (a host's <c>Dispose</c>).</summary>
    public void Dispose() => Interlocked.Exchange(ref _postgres, null)?.Dispose();

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
