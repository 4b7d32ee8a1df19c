using Microsoft.EntityFrameworkCore;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// Inclusion and consistency proofs for anyone checking the log from outside, built from stored
/// complete subtrees (O(log^2 n) lookups), so they stay fast at millions of entries.
/// </summary>
public sealed class AuditProofs(IHubDbContextFactory contexts, AuditCheckpointer checkpointer)
{
    public async Task<IReadOnlyList<byte[]>?> InclusionAsync(long sequence, long treeSize, CancellationToken cancellationToken)
    {
        if (sequence < 1 || sequence > treeSize || !await HasEntriesAsync(treeSize, cancellationToken))
        {
            return null;
        }
        await checkpointer.ExtendNowAsync(cancellationToken);
        await using var db = contexts.Create();
        return await MerkleProofs.InclusionAsync(sequence - 1, treeSize, (level, index) => NodeAsync(db, level, index, cancellationToken));
    }

    public async Task<IReadOnlyList<byte[]>?> ConsistencyAsync(long first, long second, CancellationToken cancellationToken)
    {
        if (first < 1 || first > second || !await HasEntriesAsync(second, cancellationToken))
        {
            return null;
        }
        await checkpointer.ExtendNowAsync(cancellationToken);
        await using var db = contexts.Create();
        return await MerkleProofs.ConsistencyAsync(first, second, (level, index) => NodeAsync(db, level, index, cancellationToken));
    }

    private async Task<bool> HasEntriesAsync(long size, CancellationToken cancellationToken)
    {
        await using var db = contexts.Create();
        return await db.AuditEntries.AsNoTracking().AnyAsync(a => a.Sequence == size, cancellationToken);
    }

    private static async Task<byte[]> NodeAsync(HubDbContext db, int level, long index, CancellationToken cancellationToken)
    {
        if (level == 0)
        {
            var sequence = index + 1;
            return await db.AuditEntries.AsNoTracking().Where(a => a.Sequence == sequence).Select(a => a.EntryHash).SingleAsync(cancellationToken);
        }
        return await db.AuditNodes.AsNoTracking().Where(n => n.Level == level && n.NodeIndex == index).Select(n => n.Hash).SingleAsync(cancellationToken);
    }
}
