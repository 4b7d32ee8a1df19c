using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// The stored audit log verified as <c>sharinghub audit verify</c>, a restore and the IG officers' integrity page do it, in
/// one streamed pass: every entry's stored bytes hashed as stored (nothing serialised again; entries written before the
/// bytes were kept are hashed from their columns), its position and predecessor read from those bytes, the chain, the
/// Merkle tree, every signed checkpoint, and every entry's columns, which reports and searches read, against the bytes
/// its hash covers, so an edited column is found as surely as an edited entry. <c>logOnly</c> leaves the columns out and
/// reads four columns lean (<c>audit verify --log-only</c>): what the checkpoints sign, checked about twice as fast.
/// </summary>
public static class StoredAuditLog
{
    /// <summary>Entries stored without their bytes (written before they were kept) are read whole this many at a time.</summary>
    private const int OlderBlock = 4096;

    public static async Task<AuditVerification> VerifyAsync(IHubDbContextFactory contexts, IEnumerable<AuditCheckpoint> outside, IReadOnlyDictionary<string, ECDsa> keys,
        CancellationToken cancellationToken, bool logOnly = false)
    {
        await using var db = contexts.Create();
        var checkpoints = new List<AuditCheckpoint>(outside);
        checkpoints.AddRange(await db.AuditCheckpoints.AsNoTracking().ToListAsync(cancellationToken));
        return logOnly
            ? AuditVerifier.Verify(ReadLog(contexts), Distinct(checkpoints), keys, columns: false)
            : AuditVerifier.Verify(db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).AsEnumerable(), Distinct(checkpoints), keys, columns: true);
    }

    /// <summary>One checkpoint per tree size (the hub's own and any kept elsewhere may be the same statement).</summary>
    public static List<AuditCheckpoint> Distinct(IEnumerable<AuditCheckpoint> checkpoints) =>
        checkpoints.GroupBy(c => c.TreeSize).Select(g => g.First()).ToList();

    /// <summary>
    /// The log in order as the first pass needs it: position, chain links and the stored bytes, read with one plain
    /// command (no materialisation of the other columns); an entry stored without its bytes comes whole.
    /// </summary>
    public static IEnumerable<AuditEntry> ReadLog(IHubDbContextFactory contexts)
    {
        using var lean = contexts.Create();
        using var whole = contexts.Create();
        lean.Database.OpenConnection();
        try
        {
            using var command = lean.Database.GetDbConnection().CreateCommand();
            command.CommandText = """SELECT "Sequence", "PreviousHash", "EntryHash", "Canonical" FROM "AuditEntries" ORDER BY "Sequence" """;
            using var reader = command.ExecuteReader();
            Dictionary<long, AuditEntry>? older = null;
            while (reader.Read())
            {
                var sequence = reader.GetInt64(0);
                if (!reader.IsDBNull(3))
                {
                    yield return new AuditEntry
                    {
                        Sequence = sequence,
                        PreviousHash = reader.GetFieldValue<byte[]>(1),
                        EntryHash = reader.GetFieldValue<byte[]>(2),
                        Canonical = reader.GetFieldValue<byte[]>(3),
                    };
                    continue;
                }
                if (older is null || !older.ContainsKey(sequence))
                {
                    older = whole.AuditEntries.AsNoTracking().Where(a => a.Sequence >= sequence && a.Canonical == null).OrderBy(a => a.Sequence).Take(OlderBlock)
                        .ToDictionary(a => a.Sequence);
                }
                // Gone between the two reads only if the log changed under verification: an entry with nothing to hash fails it.
                yield return older.GetValueOrDefault(sequence) ?? new AuditEntry { Sequence = sequence, PreviousHash = reader.GetFieldValue<byte[]>(1) };
            }
        }
        finally
        {
            lean.Database.CloseConnection();
        }
    }
}
