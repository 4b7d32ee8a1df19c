using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Core.Time;

namespace SharingHub.Data.Storage;

internal sealed class EfRecordStore(IHubDbContextFactory contexts, TimeProvider clock, Linkage.PersonLinker linker) : IRecordStore
{
    public async Task<T?> FindAsync<T>(Guid id, CancellationToken cancellationToken)
        where T : Record
    {
        await using var db = contexts.Create();
        return await db.Loaded<T>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
    }

    public async Task<T> AddAsync<T>(T record, CancellationToken cancellationToken)
        where T : Record
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Id == Guid.Empty)
        {
            throw new ArgumentException("a record needs its id before it is stored (field encryption binds to it)", nameof(record));
        }
        var now = clock.UtcNowForStorage();
        record.CreatedAt = now;
        record.UpdatedAt = now;
        record.Version = 1;
        await using var db = contexts.Create();
        db.Add(record);
        await StagePairsAsync(db, record, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        Forget(record);
        return record;
    }

    public Task<UpdateResult<T>> UpdateAsync<T>(Guid id, long expectedVersion, Action<T> change, CancellationToken cancellationToken)
        where T : Record
    {
        ArgumentNullException.ThrowIfNull(change);
        return UpdateAsync<T>(id, expectedVersion, (record, _) => change(record), cancellationToken);
    }

    public async Task<UpdateResult<T>> UpdateAsync<T>(Guid id, long expectedVersion, Action<T, RecordChanges> change, CancellationToken cancellationToken)
        where T : Record
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var db = contexts.Create();
        // The change sees (and may replace) the record's children, so they are loaded and tracked with it.
        var query = db.Set<T>().AsQueryable();
        foreach (var navigation in db.Model.FindEntityType(typeof(T))!.GetNavigations().Where(n => n.IsCollection))
        {
            query = query.Include(navigation.Name);
        }
        if (db.SeveralCollections(typeof(T), eagerOnly: false))
        {
            // One query per collection, not their product (see HubDbContext.Loaded).
            query = query.AsSplitQuery();
        }
        var record = await query.FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return new UpdateResult<T>(UpdateStatus.NotFound, null, null);
        }
        if (record.Version != expectedVersion)
        {
            return new UpdateResult<T>(UpdateStatus.VersionConflict, null, record.Version);
        }
        // The version being replaced is kept, sealed as it was, for history and vread.
        db.RecordHistory.Add(History.RecordSnapshots.Of(record));
        var others = new RecordChanges();
        change(record, others);
        // The change may not touch identity, ownership or history; those define who may see the record.
        var entry = db.Entry(record);
        if (record.Id != id
            || entry.Property(r => r.OwningAgency).IsModified
            || entry.Property(r => r.OwningOrganisation).IsModified
            || entry.Property(r => r.CreatedAt).IsModified
            || entry.Property(r => r.Version).IsModified)
        {
            throw new InvalidOperationException("an update may not change a record's id, owner, creation time or version");
        }
        record.Version = expectedVersion + 1;
        record.UpdatedAt = clock.UtcNowForStorage();
        await StagePairsAsync(db, record, cancellationToken);
        await StageOthersAsync(db, others, cancellationToken);
        try
        {
            // The version is a concurrency token: the UPDATE matches only if nobody wrote in between.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e)
        {
            // A racing writer got there first: its UPDATE (or its history row for the same version) won.
            var current = await CurrentVersionAsync<T>(id, cancellationToken);
            if (e is not DbUpdateConcurrencyException && current == expectedVersion)
            {
                throw;
            }
            return current is null
                ? new UpdateResult<T>(UpdateStatus.NotFound, null, null)
                : new UpdateResult<T>(UpdateStatus.VersionConflict, null, current);
        }
        Forget(record);
        return new UpdateResult<T>(UpdateStatus.Updated, record, record.Version);
    }

    /// <summary>The other records an update changes with it, staged in its unit of work: added at version 1, or changed with their history kept.</summary>
    private async Task StageOthersAsync(HubDbContext db, RecordChanges others, CancellationToken cancellationToken)
    {
        var now = clock.UtcNowForStorage();
        foreach (var added in others.Added)
        {
            if (added.Id == Guid.Empty || added is Person)
            {
                throw new ArgumentException("a record added with an update needs its id, and is not a person (people are linked when written themselves)");
            }
            added.CreatedAt = now;
            added.UpdatedAt = now;
            added.Version = 1;
            db.Add(added);
        }
        foreach (var (type, otherId, otherChange) in others.Changed)
        {
            if (await db.FindAsync(type, [otherId], cancellationToken) is not Record other || other is Person)
            {
                throw new InvalidOperationException($"no stored {type.Name} {otherId} to change with the update");
            }
            db.RecordHistory.Add(History.RecordSnapshots.Of(other));
            var owner = (other.OwningAgency, other.OwningOrganisation, other.CreatedAt);
            otherChange(other);
            if (owner != (other.OwningAgency, other.OwningOrganisation, other.CreatedAt) || other.Id != otherId)
            {
                throw new InvalidOperationException("an update may not change a record's id, owner or creation time");
            }
            other.Version++;
            other.UpdatedAt = now;
        }
    }

    /// <summary>A new or changed person is linked in the same transaction: its pairs are scored and saved with it.</summary>
    private Task StagePairsAsync(HubDbContext db, Record record, CancellationToken cancellationToken) =>
        record is Person person ? linker.StagePairsAsync(db, [person], cancellationToken) : Task.CompletedTask;

    /// <summary>A new or changed person may link to others: cached linkage starts afresh.</summary>
    private void Forget(Record record)
    {
        if (record is Person)
        {
            linker.Forget();
        }
    }

    private async Task<long?> CurrentVersionAsync<T>(Guid id, CancellationToken cancellationToken)
        where T : Record
    {
        await using var db = contexts.Create();
        return await db.Set<T>().AsNoTracking().Where(r => r.Id == id).Select(r => (long?)r.Version).FirstOrDefaultAsync(cancellationToken);
    }
}
