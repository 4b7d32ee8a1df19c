namespace SharingHub.Core.Records;

public enum UpdateStatus
{
    Updated,
    NotFound,
    VersionConflict,
}

/// <summary>The outcome of an update: a stale version is an expected failure, so it is a value, not an exception.</summary>
public sealed record UpdateResult<T>(UpdateStatus Status, T? Record, long? CurrentVersion)
    where T : Record;

/// <summary>
/// Storage of records, with no policy of its own: callers authorise what they load through the
/// policy decision point before anything leaves the hub.
/// </summary>
public interface IRecordStore
{
    Task<T?> FindAsync<T>(Guid id, CancellationToken cancellationToken)
        where T : Record;

    /// <summary>Stamps the times and version 1, then stores the record with its children in one transaction.</summary>
    Task<T> AddAsync<T>(T record, CancellationToken cancellationToken)
        where T : Record;

    /// <summary>Applies <paramref name="change"/> only if the stored version is still <paramref name="expectedVersion"/>.</summary>
    Task<UpdateResult<T>> UpdateAsync<T>(Guid id, long expectedVersion, Action<T> change, CancellationToken cancellationToken)
        where T : Record;

    /// <summary>
    /// Applies <paramref name="change"/> as above and, in the same transaction, the other records' changes it asks for (new
    /// records added, stored ones changed, each with its own version and history): all of them are stored, or none.
    /// </summary>
    Task<UpdateResult<T>> UpdateAsync<T>(Guid id, long expectedVersion, Action<T, RecordChanges> change, CancellationToken cancellationToken)
        where T : Record;
}

/// <summary>The other records one update changes with it: new ones to add, and stored ones (by type and id) to change.</summary>
public sealed class RecordChanges
{
    private readonly List<Record> _added = [];
    private readonly List<(Type Type, Guid Id, Action<Record> Change)> _changed = [];

    public IReadOnlyList<Record> Added => _added;
    public IReadOnlyList<(Type Type, Guid Id, Action<Record> Change)> Changed => _changed;

    /// <summary>A new record (its id set), stored with version 1.</summary>
    public void Add(Record record) => _added.Add(record);

    /// <summary>A stored record changed too; its version replaced is kept in its history.</summary>
    public void Change<TR>(Guid id, Action<TR> change)
        where TR : Record =>
        _changed.Add((typeof(TR), id, r => change((TR)r)));
}
