using SharingHub.Core.Records;

namespace SharingHub.Server.Writing;

/// <summary>An event as a partner system submits it through any API, checked; subjects may be ids or, inside a FHIR transaction, urn:uuid references.</summary>
internal sealed record EventDraft(
    IReadOnlyList<string> SubjectReferences,
    string Category,
    Significance Significance,
    DateTimeOffset OccurredAt,
    string Summary,
    string? Detail,
    string DataClass,
    string? SourceReference);
