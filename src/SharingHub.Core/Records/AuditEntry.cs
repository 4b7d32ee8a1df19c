namespace SharingHub.Core.Records;

/// <summary>
/// One stored audit entry. It carries ids and decisions, never record contents. The hash chain
/// covers the stored form, so the log still verifies after a subject's keys are shredded.
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

    /// <summary>The full entry as canonical JSON (resource ids, data classes, fields, rule ids, reasons).</summary>
    public string Body { get; set; } = "";
    public byte[] PreviousHash { get; set; } = [];
    public byte[] EntryHash { get; set; } = [];
}
