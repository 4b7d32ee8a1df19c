using Microsoft.EntityFrameworkCore;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>Inclusion and consistency proofs over the stored leaf hashes, for anyone checking the log from outside.</summary>
public sealed class AuditProofs(IHubDbContextFactory contexts)
{
    public async Task<IReadOnlyList<byte[]>?> InclusionAsync(long sequence, long treeSize, CancellationToken cancellationToken)
    {
        var leaves = await LeavesAsync(treeSize, cancellationToken);
        return leaves is null || sequence < 1 || sequence > treeSize ? null : MerkleTree.InclusionProof(leaves, (int)(sequence - 1), (int)treeSize);
    }

    public async Task<IReadOnlyList<byte[]>?> ConsistencyAsync(long first, long second, CancellationToken cancellationToken)
    {
        var leaves = await LeavesAsync(second, cancellationToken);
        return leaves is null || first < 1 || first > second ? null : MerkleTree.ConsistencyProof(leaves, (int)first, (int)second);
    }

    /// <summary>The leaf hashes of the first <paramref name="size"/> entries, or null if the log is shorter.</summary>
    private async Task<List<byte[]>?> LeavesAsync(long size, CancellationToken cancellationToken)
    {
        if (size < 1 || size > int.MaxValue)
        {
            return null;
        }
        await using var db = contexts.Create();
        var leaves = await db.AuditEntries.AsNoTracking().Where(a => a.Sequence <= size).OrderBy(a => a.Sequence)
            .Select(a => a.EntryHash).ToListAsync(cancellationToken);
        return leaves.Count == size ? leaves : null;
    }
}
