using SharingHub.Core.Crypto;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Keys;

/// <summary>
/// A new person's own data key, stored in the unit of work that stores the person: the record and the key that seals it
/// commit together or not at all, in the writer's one transaction. Made on first use instead (its lookup, its generation
/// count and a commit of its own), a bundle's new patient cost three more round trips and a second durable commit.
/// </summary>
public sealed class SubjectKeys(DataKeyRing ring, IDataKeyStore store)
{
    /// <summary>
    /// Makes and stages the first key of a subject whose id the writer drew at random just now (never one a caller sent), before
    /// its fields are sealed. Keys kept in another store than the hub's database are left to the ring, which makes them on first use.
    /// </summary>
    public void StageFirst(HubDbContext db, string agency, string dataClass, Guid subject)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (store is EfDataKeyStore)
        {
            db.DataKeys.Add(DataKeyRow.From(ring.NewSubjectKey(agency, dataClass, subject)));
        }
    }
}
