namespace SharingHub.Core.Audit;

/// <summary>What a request did, ready to be appended: ids and decisions only, never record contents.</summary>
public sealed record AuditRecord(
    DateTimeOffset At,
    string RequestId,
    string Agency,
    string Actor,
    string? Purpose,
    Guid? EnquiryId,
    string Action,
    string Outcome,
    string Decision,
    bool IsOverride,
    IReadOnlyCollection<Guid> Subjects,
    IReadOnlyCollection<string> Owners,
    string Body)
{
    /// <summary>The requester's organisation, where known.</summary>
    public string? Organisation { get; init; }

    /// <summary>How many records the response disclosed.</summary>
    public int Disclosed { get; init; }

    /// <summary>The requester's roles.</summary>
    public IReadOnlyCollection<string> Roles { get; init; } = [];
}

/// <summary>
/// The tamper-evident audit log. <see cref="AppendAsync"/> returns only once the entry is durably
/// committed; if it throws, the caller must disclose nothing (fail closed).
/// </summary>
public interface IAuditLog
{
    Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken);
}

public sealed class AuditUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
