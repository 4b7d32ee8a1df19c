using System.Text.Json;

namespace SharingHub.Server.Workflow;

// What the workflow endpoints answer, as named shapes: the handlers return these, and the OpenAPI document
// (/openapi/hub.json) describes them from the same types, so the document cannot drift from the answers.

/// <summary>An enquiry just opened; missingMembers names the agencies the Bill requires that are not members yet.</summary>
internal sealed record EnquiryOpened(Guid Id, string Reference, long Version, IReadOnlyList<string> MissingMembers);

/// <summary>An enquiry after a change by its lead (members, closure, FGDM): its new version and status.</summary>
internal sealed record EnquiryChanged(Guid Id, long Version, string Status);

internal sealed record InformationRequested(Guid Id, DateTimeOffset DueAt);

internal sealed record InformationAnswered(Guid Id, Guid Request, string Kind);

internal sealed record StrategyMeetingRecorded(Guid Id);

/// <summary>One strategy meeting as the reader may see it; withheld and unavailable name the fields left out.</summary>
internal sealed record StrategyMeetingView(Guid Id, DateTimeOffset HeldAt, IReadOnlyList<string>? Attendees, JsonElement? Contributions, string? Decisions,
    IReadOnlyList<string> Withheld, IReadOnlyList<string> Unavailable);

internal sealed record StrategyMeetingsView(Guid Enquiry, IReadOnlyList<StrategyMeetingView> Meetings);

internal sealed record EnquirySubjectView(Guid Person, string Role);

internal sealed record EnquiryMemberView(Guid Id, string Agency, string User, string Role, DateTimeOffset AddedAt, DateTimeOffset? RemovedAt);

internal sealed record FgdmView(string DecisionPoint, string Status, DateTimeOffset RecordedAt);

/// <summary>An enquiry as the reader may see it: a field the policy withholds is null and named in withheld.</summary>
internal sealed record EnquiryView(Guid Id, string Reference, long Version, string Status, DateTimeOffset OpenedAt, DateTimeOffset? ClosedAt, string? Outcome,
    string? Lead, string? Grounds, IReadOnlyList<EnquirySubjectView>? Subjects, IReadOnlyList<EnquiryMemberView>? Members, IReadOnlyList<FgdmView>? Fgdm,
    IReadOnlyList<string>? Withheld, IReadOnlyList<string>? Unavailable);
