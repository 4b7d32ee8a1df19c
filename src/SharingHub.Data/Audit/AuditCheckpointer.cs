using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Crypto.Audit;
using SharingHub.Crypto.Signing;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// Signs checkpoints (tree size, Merkle root, time; ECDSA P-256) every N entries or T seconds. It keeps
/// the tree's right edge in memory and extends it from the database, so it also covers entries other
/// hub processes wrote, and a checkpoint costs O(new entries), not O(log size).
/// </summary>
public sealed class AuditCheckpointer
{
    private readonly IHubDbContextFactory _contexts;
    private readonly AuditOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<AuditCheckpointer> _logger;
    private readonly Func<HubSigningKeys> _openKeys;
    private readonly Lock _keysGate = new();
    private HubSigningKeys? _keys;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private MerkleFrontier? _frontier;
    private DateTimeOffset _lastCheckpointAt;
    private long _lastCheckpointSize = -1;

    public AuditCheckpointer(IHubDbContextFactory contexts, IOptions<AuditOptions> options, IKeyEncryptionKeyProvider keks, TimeProvider clock, ILogger<AuditCheckpointer> logger)
    {
        _contexts = contexts;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        // Audit keys are never dropped from the published set: old checkpoints must stay verifiable.
        _openKeys = () => new HubSigningKeys(_options.SigningKeyPath, TimeSpan.FromDays(365 * 100), keks, clock);
    }

    /// <summary>
    /// The signing keys, opened (or, the first time, made and written) when first needed. A failure to open them (the key
    /// file's disk full, the key ring unavailable) fails that batch only: the next batch tries again, so the log carries on
    /// once the cause is gone, without a restart.
    /// </summary>
    public HubSigningKeys Keys
    {
        get
        {
            if (Volatile.Read(ref _keys) is { } keys)
            {
                return keys;
            }
            lock (_keysGate)
            {
                return _keys ??= _openKeys();
            }
        }
    }

    public IReadOnlyDictionary<string, ECDsa> PublicKeys => Keys.Published.ToDictionary(k => k.KeyId, k => k.ECDsa, StringComparer.Ordinal);

    public async Task MaybeCheckpointAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ExtendAsync(cancellationToken);
            var size = _frontier!.Size;
            if (_lastCheckpointSize < 0)
            {
                await using var db = _contexts.Create();
                var latest = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.TreeSize).FirstOrDefaultAsync(cancellationToken);
                _lastCheckpointSize = latest?.TreeSize ?? 0;
                _lastCheckpointAt = latest?.CreatedAt ?? DateTimeOffset.MinValue;
            }
            // With a checkpoint in every batch's transaction there is nothing left to sign here; the tree's stored
            // subtrees (for proofs) are still brought up to date above.
            var due = !_options.CheckpointEveryBatch && size - _lastCheckpointSize >= _options.CheckpointEvery
                || (size > _lastCheckpointSize && now - _lastCheckpointAt >= TimeSpan.FromSeconds(_options.CheckpointSeconds));
            if (due)
            {
                await SignAsync(size, _frontier.Root(), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Signs a checkpoint over everything committed so far (tests, the CLI, and shutdown).</summary>
    public async Task<AuditCheckpoint?> CheckpointNowAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ExtendAsync(cancellationToken);
            return _frontier!.Size == 0 ? null : await SignAsync(_frontier.Size, _frontier.Root(), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<AuditCheckpoint?> LatestAsync(CancellationToken cancellationToken)
    {
        await using var db = _contexts.Create();
        return await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.TreeSize).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>A signed checkpoint over a tree of <paramref name="size"/> entries with <paramref name="root"/>, not yet stored.</summary>
    internal AuditCheckpoint Sign(long size, byte[] root)
    {
        var createdAt = _clock.UtcNowForStorage();
        var key = Keys.Current;
        return new AuditCheckpoint
        {
            TreeSize = size,
            RootHash = root,
            CreatedAt = createdAt,
            KeyId = key.KeyId,
            Signature = key.ECDsa.SignData(AuditHashing.CheckpointStatement(size, root, createdAt), HashAlgorithmName.SHA256),
        };
    }

    private async Task<AuditCheckpoint> SignAsync(long size, byte[] root, CancellationToken cancellationToken)
    {
        var checkpoint = Sign(size, root);
        var createdAt = checkpoint.CreatedAt;
        await using var db = _contexts.Create();
        if (!await db.AuditCheckpoints.AnyAsync(c => c.TreeSize == size, cancellationToken))
        {
            db.AuditCheckpoints.Add(checkpoint);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (CheckpointExists(size))
            {
                // Another hub process signed the same size first; both roots are over the same entries.
            }
        }
        _lastCheckpointSize = size;
        _lastCheckpointAt = createdAt;
        _logger.LogInformation("Audit checkpoint signed at tree size {TreeSize}", size);
        return checkpoint;
    }

    private bool CheckpointExists(long size)
    {
        using var db = _contexts.Create();
        return db.AuditCheckpoints.AsNoTracking().Any(c => c.TreeSize == size);
    }

    /// <summary>
    /// How many entries the stored subtrees cover, at least <paramref name="size"/> when the log has that many: from memory when
    /// it is known to (the log only grows, and each batch stores its subtrees as it commits), else brought up to date first.
    /// </summary>
    public async Task<long> CoveredSizeAsync(long size, CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _coveredSize);
        if (known >= size)
        {
            return known;
        }
        await ExtendNowAsync(cancellationToken);
        return Volatile.Read(ref _coveredSize);
    }

    private long _coveredSize;

    /// <summary>Brings the tree's right edge and stored subtrees up to everything committed (before a proof is built).</summary>
    public async Task ExtendNowAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ExtendAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Brings the tree's right edge up to everything committed. Every batch commits the complete subtrees it closes with its
    /// entries, so this stores nothing, except on this process's first pass over a log that lacks some: one written before
    /// batches kept theirs, when this pass stored them for every entry it read again (a second's worth under load, each
    /// second, on the writer's loop: a third of the writer's time at 64 callers). That pass counts the stored subtrees
    /// against the log's size in one snapshot (a log of n entries has n minus the ones in n's binary form): when none is
    /// missing it starts from the edge they give (<see cref="AuditTreeEdge"/>) instead of hashing every entry again; when
    /// some are, it reads every entry and stores what is missing.
    /// </summary>
    private async Task ExtendAsync(CancellationToken cancellationToken)
    {
        var backfill = false;
        if (!_subtreesChecked)
        {
            (backfill, _frontier) = await StartAsync(cancellationToken);
        }
        _frontier ??= new MerkleFrontier();
        try
        {
            if (!backfill && _subtreesChecked && await StoredEdgeAsync(_frontier.Size, cancellationToken) is { } stored)
            {
                _frontier = stored;
            }
            var completed = new List<AuditNode>();
            Action<int, long, byte[]>? keep = backfill ? (level, index, node) => completed.Add(new AuditNode { Level = level, NodeIndex = index, Hash = node }) : null;
            await using var db = _contexts.Create();
            var from = _frontier.Size;
            await foreach (var hash in db.AuditEntries.AsNoTracking().Where(a => a.Sequence > from).OrderBy(a => a.Sequence)
                .Select(a => a.EntryHash).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                _frontier.Append(hash, keep);
                if (completed.Count >= BackfillChunk)
                {
                    await StoreMissingAsync(completed, cancellationToken);
                    completed.Clear();
                }
            }
            await StoreMissingAsync(completed, cancellationToken);
        }
        catch
        {
            // The edge may be part-way through the log: the next pass starts again from the beginning, checking again.
            _subtreesChecked = false;
            throw;
        }
        _subtreesChecked = true;
        Volatile.Write(ref _coveredSize, _frontier.Size);
    }

    /// <summary>
    /// After the first pass: the tree's edge at the log's size now, read from the subtrees each batch commits with its entries
    /// (of this process or another): one statement for the size and one for at most 63 rows, whatever was appended since.
    /// Before, each pass read again every entry appended since the last (a second's worth under load, on the writer's loop:
    /// 4-5% of it at 64 callers). Null when the log has not grown beyond <paramref name="known"/> entries, or one of the
    /// subtrees is not stored (a writer of an older version): the pass then reads the entries, as before.
    /// </summary>
    private async Task<MerkleFrontier?> StoredEdgeAsync(long known, CancellationToken cancellationToken)
    {
        await using var db = _contexts.Create();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        long size;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """SELECT "Sequence" FROM "AuditEntries" ORDER BY "Sequence" DESC LIMIT 1""";
            size = await command.ExecuteScalarAsync(cancellationToken) is { } last and not DBNull ? Convert.ToInt64(last, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }
        return size > known ? await AuditTreeEdge.ReadAsync(connection, null, size, cancellationToken) : null;
    }

    /// <summary>Subtrees stored per transaction when a log's missing ones are made again (memory stays bounded at any size).</summary>
    private const int BackfillChunk = 10_000;

    private bool _subtreesChecked;

    /// <summary>
    /// Where a process's first pass starts: whether the log lacks stored subtrees (fewer are stored than a tree of its size
    /// has; counted in one statement, one snapshot), and if it lacks none, the tree's edge read from them at that size (the
    /// pass then reads only the entries after it); if it lacks some, no edge (the pass reads every entry and stores them).
    /// </summary>
    private async Task<(bool Missing, MerkleFrontier? Edge)> StartAsync(CancellationToken cancellationToken)
    {
        await using var db = _contexts.Create();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        long stored, size;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """SELECT (SELECT COUNT(*) FROM "AuditNodes"), (SELECT COALESCE(MAX("Sequence"), 0) FROM "AuditEntries")""";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (stored, size) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        if (stored < size - System.Numerics.BitOperations.PopCount((ulong)size))
        {
            return (true, null);
        }
        return (false, await AuditTreeEdge.ReadAsync(connection, null, size, cancellationToken));
    }

    /// <summary>Stores these subtrees in a transaction of their own, skipping any already stored (by a batch, or by another hub process doing the same).</summary>
    private async Task StoreMissingAsync(IReadOnlyCollection<AuditNode> completed, CancellationToken cancellationToken)
    {
        if (completed.Count == 0)
        {
            return;
        }
        await using var db = _contexts.Create();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var nodes = new RowInserter<AuditNode>(db, connection, skipExisting: true);
        await nodes.InsertAsync(completed, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
