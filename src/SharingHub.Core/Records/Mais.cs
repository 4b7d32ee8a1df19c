using SharingHub.Core.Crypto;

namespace SharingHub.Core.Records;

public enum InvolvementStatus
{
    Open,
    Closed,
}

/// <summary>MAIS involvement: a sustained interaction between a service and a person (an open case, a plan, a school place).</summary>
public sealed class Involvement : Record
{
    public Guid PersonId { get; set; }
    public string Service { get; set; } = "";
    public InvolvementStatus Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? Team { get; set; }
    public EncryptedValue? LeadWorker { get; set; }
    public EncryptedValue? Summary { get; set; }

    /// <summary>The writing organisation's own reference for the record (its case system's id): one record per reference, so a retried create finds it.</summary>
    public string? SourceReference { get; set; }
}

/// <summary>MAIS state: a status that holds over a period (persistent absence, on a child protection plan).</summary>
public sealed class PersonState : Record
{
    public Guid PersonId { get; set; }
    public string Code { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public EncryptedValue? Detail { get; set; }

    /// <summary>The writing organisation's own reference for the record (its case system's id): one record per reference, so a retried create finds it.</summary>
    public string? SourceReference { get; set; }
}

public enum Significance
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>MAIS event: a dated incident recorded by one agency about one or more people.</summary>
public sealed class ChronologyEvent : Record
{
    public DateTimeOffset OccurredAt { get; set; }
    public string Category { get; set; } = "";
    public Significance Significance { get; set; }
    public EncryptedValue Summary { get; set; } = null!;
    public EncryptedValue? Detail { get; set; }

    /// <summary>The source case system's own reference, unique per owning agency: pushes are idempotent on it.</summary>
    public string? SourceReference { get; set; }

    public List<EventSubject> Subjects { get; set; } = [];
}

public sealed class EventSubject
{
    public Guid EventId { get; set; }
    public Guid PersonId { get; set; }
}
