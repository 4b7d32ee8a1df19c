namespace SharingHub.Core.Records;

/// <summary>
/// One stored audit entry. It carries ids and decisions, never record contents. The hash chain and
/// Merkle leaf cover this stored form, so the log still verifies after a subject's keys are shredded.
/// </summary>
public sealed class AuditEntry
{
    public long Sequence { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public string RequestId { get; set; } = "";
    public string Agency { get; set; } = "";
    public string Actor { get; set; } = "";
    public string? Purpose { get; set; }
    public Guid? EnquiryId { get; set; }
    public string Action { get; set; } = "";
    public string Outcome { get; set; } = "";

    /// <summary>permit, deny, mixed (some records permitted, some refused) or none (no record decision).</summary>
    public string Decision { get; set; } = "none";
    public bool IsOverride { get; set; }

    /// <summary>Person ids the request touched, as "|id|id|", so "who has seen this child" is one indexed lookup.</summary>
    public string Subjects { get; set; } = "|";

    /// <summary>Agencies whose records the request touched, as "|la|police|": their IG officers review it.</summary>
    public string Owners { get; set; } = "|";

    /// <summary>The requester's organisation (organisations.yaml), the data controller they acted for ("" before it was kept).</summary>
    public string Organisation { get; set; } = "";

    /// <summary>How many records the response disclosed (0 for a refusal or a write), so reports count records, not requests.</summary>
    public int Disclosed { get; set; }

    /// <summary>The requester's roles, as "|lcpp|macpt-member|" ("" in entries written before it was kept): volume is judged per role.</summary>
    public string Roles { get; set; } = "";

    /// <summary>The full entry as canonical JSON (resource ids, data classes, fields, rule ids, reasons).</summary>
    public string Body { get; set; } = "";
    public byte[] PreviousHash { get; set; } = [];
    public byte[] EntryHash { get; set; } = [];

    /// <summary>
    /// The canonical bytes the entry's hash covers, kept as written (null for entries written before 2026-12, hashed from
    /// their columns): verification hashes these, and checks the columns above, the log's index, against them.
    /// </summary>
    public byte[]? Canonical { get; set; }
}

/// <summary>A signed statement of the log's size and Merkle root at a moment: anyone with the public key can check it.</summary>
public sealed class AuditCheckpoint
{
    public long TreeSize { get; set; }
    public byte[] RootHash { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public string KeyId { get; set; } = "";
    public byte[] Signature { get; set; } = [];
}

/// <summary>A complete subtree of the audit Merkle tree (2^Level leaves starting at leaf NodeIndex * 2^Level), kept so proofs are logarithmic.</summary>
public sealed class AuditNode
{
    public int Level { get; set; }
    public long NodeIndex { get; set; }
    public byte[] Hash { get; set; } = [];
}

/// <summary>
/// One entry of the index of the audit log by actor, kept apart from the log and brought up to date in the background
/// (<c>AuditActorIndex</c>): an index on the log itself wrote a page per distinct actor in every batch of appends.
/// </summary>
public sealed class AuditActor
{
    public string Actor { get; set; } = "";
    public long Sequence { get; set; }
}
