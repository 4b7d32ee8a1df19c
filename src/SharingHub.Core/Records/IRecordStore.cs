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
}
