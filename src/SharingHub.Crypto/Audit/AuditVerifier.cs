using System.Security.Cryptography;
using SharingHub.Core.Records;

namespace SharingHub.Crypto.Audit;

public sealed record AuditVerification(bool Ok, long EntriesChecked, long? FirstBadSequence, string? Problem, int CheckpointsChecked, long? LatestCheckpointSize);

/// <summary>
/// Verifies an audit log in one streaming pass: contiguous sequence numbers from 1, every entry's hash
/// over its stored form, the hash chain, and every signed checkpoint's size, root and signature.
/// A checkpoint larger than the log proves truncation. Reports the first bad sequence number.
/// </summary>
public static class AuditVerifier
{
    public static AuditVerification Verify(IEnumerable<AuditEntry> entries, IReadOnlyList<AuditCheckpoint> checkpoints, IReadOnlyDictionary<string, ECDsa> publicKeys)
    {
        var pending = new Queue<AuditCheckpoint>(checkpoints.OrderBy(c => c.TreeSize));
        var frontier = new MerkleFrontier();
        var previous = Array.Empty<byte>();
        long expected = 1;
        var checkedCheckpoints = 0;
        long lastGoodCheckpoint = 0;
        foreach (var (entry, leaf) in WithLeafHashes(entries))
        {
            if (entry.Sequence != expected)
            {
                return Bad(expected - 1, entry.Sequence > expected ? expected : entry.Sequence,
                    entry.Sequence > expected ? $"entry {expected} is missing (the next stored entry is {entry.Sequence})" : $"entry {entry.Sequence} is out of order or repeated", checkedCheckpoints);
            }
            if (!CryptographicOperations.FixedTimeEquals(entry.PreviousHash, previous))
            {
                return Bad(expected - 1, entry.Sequence, $"entry {entry.Sequence} does not chain to entry {entry.Sequence - 1}", checkedCheckpoints);
            }
            if (!CryptographicOperations.FixedTimeEquals(leaf, entry.EntryHash))
            {
                return Bad(expected - 1, entry.Sequence, $"entry {entry.Sequence} was altered after it was written", checkedCheckpoints);
            }
            frontier.Append(leaf);
            previous = entry.EntryHash;
            while (pending.Count > 0 && pending.Peek().TreeSize == frontier.Size)
            {
                var checkpoint = pending.Dequeue();
                var problem = CheckCheckpoint(checkpoint, frontier.Root(), publicKeys);
                if (problem is not null)
                {
                    // Each entry matches its own hash, so the whole run was rewritten consistently: the
                    // damage lies after the last checkpoint that still holds.
                    return Bad(expected, lastGoodCheckpoint + 1, problem, checkedCheckpoints);
                }
                checkedCheckpoints++;
                lastGoodCheckpoint = checkpoint.TreeSize;
            }
            expected++;
        }
        if (pending.Count > 0)
        {
            var beyond = pending.Last();
            var signature = CheckCheckpoint(beyond, null, publicKeys);
            return signature is not null
                ? Bad(expected - 1, expected, signature, checkedCheckpoints)
                : Bad(expected - 1, expected, $"the log ends at entry {expected - 1} but a signed checkpoint covers {beyond.TreeSize} entries: it was truncated", checkedCheckpoints);
        }
        return new AuditVerification(true, expected - 1, null, null, checkedCheckpoints, checkpoints.Count == 0 ? null : checkpoints.Max(c => c.TreeSize));
    }

    /// <summary>
    /// The entries in order, each with the hash of its stored form. Hashes are computed a block at a
    /// time on every core (each depends only on its own entry); the checks above stay in order.
    /// </summary>
    private static IEnumerable<(AuditEntry Entry, byte[] Leaf)> WithLeafHashes(IEnumerable<AuditEntry> entries)
    {
        const int Block = 4096;
        var block = new List<AuditEntry>(Block);
        var leaves = new byte[Block][];
        foreach (var entry in entries)
        {
            block.Add(entry);
            if (block.Count == Block)
            {
                foreach (var item in Hashed(block, leaves))
                {
                    yield return item;
                }
                block.Clear();
            }
        }
        foreach (var item in Hashed(block, leaves))
        {
            yield return item;
        }
    }

    private static IEnumerable<(AuditEntry Entry, byte[] Leaf)> Hashed(List<AuditEntry> block, byte[][] leaves)
    {
        if (block.Count < 256)
        {
            for (var i = 0; i < block.Count; i++)
            {
                leaves[i] = AuditHashing.LeafHash(block[i]);
            }
        }
        else
        {
            Parallel.For(0, Environment.ProcessorCount, part =>
            {
                var (from, to) = (block.Count * part / Environment.ProcessorCount, block.Count * (part + 1) / Environment.ProcessorCount);
                for (var i = from; i < to; i++)
                {
                    leaves[i] = AuditHashing.LeafHash(block[i]);
                }
            });
        }
        return block.Select((entry, i) => (entry, leaves[i]));
    }

    private static string? CheckCheckpoint(AuditCheckpoint checkpoint, byte[]? root, IReadOnlyDictionary<string, ECDsa> keys)
    {
        if (!keys.TryGetValue(checkpoint.KeyId, out var key) || !AuditHashing.VerifyCheckpoint(checkpoint, key))
        {
            return $"the checkpoint at size {checkpoint.TreeSize} is not signed by a known audit key";
        }
        return root is not null && !CryptographicOperations.FixedTimeEquals(root, checkpoint.RootHash)
            ? $"the entries up to {checkpoint.TreeSize} do not match the signed checkpoint's root"
            : null;
    }

    private static AuditVerification Bad(long checkedCount, long firstBad, string problem, int checkpoints) =>
        new(false, checkedCount, firstBad, problem, checkpoints, null);
}
