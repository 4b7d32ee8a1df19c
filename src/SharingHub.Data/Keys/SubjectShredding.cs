using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Audit;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Keys;

/// <summary>
/// Crypto-shredding one person (an erasure request, or the end of retention for them): the data keys
/// of that subject are destroyed, so their name, date of birth, address and identifiers are unreadable
/// for good, and their blind indexes are overwritten, so they can no longer be found by identifier,
/// name or postcode either. Everyone else's fields stay readable. The other agencies' records the person's
/// record was linked to at that moment are kept (<see cref="ErasedLink"/>), so the agency's entries about the
/// child stay in the child's chronology, from a record shown as erased, rather than silently vanishing.
/// </summary>
public sealed class SubjectShredding(IHubDbContextFactory contexts, DataKeyRing keys, PersonLinker linker, TimeProvider clock, IAuditLog audit)
{
    /// <summary>
    /// Shreds one person's record and records the act in the audit log (who, why, which keys); nothing is
    /// audited when the person had no live keys (already shredded, or no such record).
    /// </summary>
    public async Task<IReadOnlyList<Core.Crypto.WrappedDataKey>> ShredAsync(Guid personId, string reason, string actor, CancellationToken ct)
    {
        var destroyed = await ShredAsync(personId, ct);
        if (destroyed.Count > 0)
        {
            var agencies = destroyed.Select(k => k.Agency).Distinct().ToList();
            await audit.AppendAsync(new AuditRecord(clock.GetUtcNow(), "erase-" + Guid.NewGuid().ToString("N")[..12], agencies[0], actor,
                null, null, "keys.shred-subject", "success", "none", false, [personId], agencies,
                JsonSerializer.Serialize(new { subject = personId, keyIds = destroyed.Select(k => k.KeyId), reason })), ct);
        }
        return destroyed;
    }

    public async Task<IReadOnlyList<Core.Crypto.WrappedDataKey>> ShredAsync(Guid personId, CancellationToken ct)
    {
        // The links are found while the blind indexes still hold: afterwards nothing could find them.
        linker.Forget();
        var cluster = (await linker.LinkAsync([personId], ct)).Of(personId).Where(id => id != personId).ToList();
        var destroyed = keys.DestroySubject(personId);
        await using var db = contexts.Create();
        var person = await db.People.Include(p => p.Identifiers).FirstOrDefaultAsync(p => p.Id == personId, ct);
        if (person is not null)
        {
            var kept = await db.ErasedLinks.Where(l => l.ErasedPersonId == personId).Select(l => l.LinkedPersonId).ToListAsync(ct);
            var now = clock.GetUtcNow();
            db.ErasedLinks.AddRange(cluster.Except(kept).Select(id => new ErasedLink { ErasedPersonId = personId, LinkedPersonId = id, ErasedAt = now }));
            person.FamilyNameIndex = null;
            person.BirthDateIndex = null;
            person.PostcodeIndex = null;
            Core.People.PersonSealer.Encode(person, Core.People.LinkageEncoding.None);
            // The evidence of its pairs goes too: what survives is only which records it was linked to (ErasedLinks).
            db.PersonPairs.RemoveRange(await db.PersonPairs.Where(p => p.PersonA == personId || p.PersonB == personId).ToListAsync(ct));
            foreach (var identifier in person.Identifiers)
            {
                // Random, so the identifier's row can never match a lookup again (the column is required).
                identifier.ValueIndex = RandomNumberGenerator.GetBytes(identifier.ValueIndex.Length == 0 ? 32 : identifier.ValueIndex.Length);
            }
            await db.SaveChangesAsync(ct);
        }
        linker.Forget();
        // Every hub node on the same PostgreSQL (this may be the CLI, beside running hubs) checks its cached data keys at their
        // next use and reads links afresh, instead of within a minute and 30 s. The shredding has happened whether or not the
        // notice goes: if it cannot be sent, the nodes' own bounds still hold.
        await Cluster.ClusterNotices.TellAsync(contexts, ct, Cluster.ClusterNotices.Keys, Cluster.ClusterNotices.Links);
        return destroyed;
    }
}
