using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Keys;

/// <summary>
/// Crypto-shredding one person (an erasure request, or the end of retention for them): the data keys
/// of that subject are destroyed, so their name, date of birth, address and identifiers are unreadable
/// for good, and their blind indexes are overwritten, so they can no longer be found by identifier,
/// name or postcode either. Everyone else's fields stay readable.
/// </summary>
public sealed class SubjectShredding(IHubDbContextFactory contexts, DataKeyRing keys)
{
    public async Task<IReadOnlyList<Core.Crypto.WrappedDataKey>> ShredAsync(Guid personId, CancellationToken ct)
    {
        var destroyed = keys.DestroySubject(personId);
        await using var db = contexts.Create();
        var person = await db.People.Include(p => p.Identifiers).FirstOrDefaultAsync(p => p.Id == personId, ct);
        if (person is not null)
        {
            person.FamilyNameIndex = null;
            person.BirthDateIndex = null;
            person.PostcodeIndex = null;
            foreach (var identifier in person.Identifiers)
            {
                // Random, so the identifier's row can never match a lookup again (the column is required).
                identifier.ValueIndex = RandomNumberGenerator.GetBytes(identifier.ValueIndex.Length == 0 ? 32 : identifier.ValueIndex.Length);
            }
            await db.SaveChangesAsync(ct);
        }
        return destroyed;
    }
}
