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

    private async Task ExtendAsync(CancellationToken cancellationToken)
    {
        _frontier ??= new MerkleFrontier();
        var completed = new List<AuditNode>();
        await using (var db = _contexts.Create())
        {
            var from = _frontier.Size;
            await foreach (var hash in db.AuditEntries.AsNoTracking().Where(a => a.Sequence > from).OrderBy(a => a.Sequence)
                .Select(a => a.EntryHash).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                _frontier.Append(hash, (level, index, node) => completed.Add(new AuditNode { Level = level, NodeIndex = index, Hash = node }));
            }
        }
        await using var store = _contexts.Create();
        await StoreNodesAsync(store, completed, cancellationToken);
        Volatile.Write(ref _coveredSize, _frontier.Size);
    }

    /// <summary>
    /// Stores complete subtrees in <paramref name="db"/>'s current transaction, if any. Several hub processes may store
    /// the same subtree; it has the same hash, so the second insert is skipped.
    /// </summary>
    internal static async Task StoreNodesAsync(HubDbContext db, IReadOnlyList<AuditNode> completed, CancellationToken cancellationToken)
    {
        var sqlite = db.Database.IsSqlite();
        var verb = sqlite ? "INSERT OR IGNORE" : "INSERT";
        var suffix = sqlite ? "" : " ON CONFLICT DO NOTHING";
        foreach (var nodes in completed.Chunk(500))
        {
            var values = string.Join(", ", nodes.Select((_, i) => $"(@l{i}, @i{i}, @h{i})"));
            var parameters = nodes.SelectMany((n, i) => new object[]
            {
                Parameter(db, $"@l{i}", n.Level), Parameter(db, $"@i{i}", n.NodeIndex), Parameter(db, $"@h{i}", n.Hash),
            }).ToArray();
#pragma warning disable EF1002 // The SQL text holds only parameter names built here; every value is a parameter.
            await db.Database.ExecuteSqlRawAsync($"""{verb} INTO "AuditNodes" ("Level", "NodeIndex", "Hash") VALUES {values}{suffix}""", parameters, cancellationToken);
#pragma warning restore EF1002
        }
    }

    private static System.Data.Common.DbParameter Parameter(HubDbContext db, string name, object value)
    {
        using var command = db.Database.GetDbConnection().CreateCommand();
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        return parameter;
    }
}
