using Microsoft.EntityFrameworkCore;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// Inclusion and consistency proofs for anyone checking the log from outside, built from stored
/// complete subtrees, so they stay fast at millions of entries. Which subtrees a proof needs depends
/// only on the positions, never on the hashes, so the proof is planned first and every subtree it
/// needs is read in one round trip (it was one query per subtree: 20-30 at a million entries).
/// </summary>
public sealed class AuditProofs(IHubDbContextFactory contexts, AuditCheckpointer checkpointer)
{
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

    /// <summary>Leaves from the entries and larger subtrees from the stored nodes, in one statement; every value a parameter.</summary>
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
        var parts = new List<string>();
        var n = 0;
        foreach (var (level, index) in needed)
        {
            var i = n++;
            if (level == 0)
            {
                parts.Add($"""SELECT 0, "Sequence" - 1, "EntryHash" FROM "AuditEntries" WHERE "Sequence" = @s{i}""");
                command.WithParameter($"@s{i}", index + 1);
            }
            else
            {
                parts.Add($"""SELECT "Level", "NodeIndex", "Hash" FROM "AuditNodes" WHERE "Level" = @l{i} AND "NodeIndex" = @i{i}""");
                command.WithParameter($"@l{i}", level);
                command.WithParameter($"@i{i}", index);
            }
        }
        command.CommandText = string.Join(" UNION ALL ", parts);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found[(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(1))] = reader.GetFieldValue<byte[]>(2);
        }
        return found;
    }
}
