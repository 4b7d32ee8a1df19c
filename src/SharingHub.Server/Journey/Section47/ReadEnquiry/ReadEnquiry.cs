using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Workflow;

/// <summary>
/// An enquiry as its members see it: its lead, subjects and members, each member with the id that removing
/// them takes. Decided like any record (the enquiry class is for its members under the enquiry's purposes);
/// an enquiry the caller may not see answers exactly as one that does not exist.
/// </summary>
internal static class EnquiryReading
{
    public static RouteGroupBuilder MapEnquiryReading(this RouteGroupBuilder enquiries)
    {
        enquiries.MapGet("/{id:guid}", ReadAsync).Audited("enquiry.read").OpensRecords()
            .Answers<EnquiryView>(200, "Read an enquiry with its lead, subjects, members (with the ids removal takes) and FGDM, as the policy lets you", 400, 404);
        return enquiries;
    }

    private static async Task<IResult> ReadAsync(Guid id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, TimeProvider clock) =>
        await ViewAsync(id, access, contexts, clock.GetUtcNow(), http.RequestAborted) is { } view
            ? Results.Json(view.View)
            : EnquiryEndpoints.Problem(404, "no enquiry with that id that you may see");

    /// <summary>The case as this request may see it (its record and its disclosure), or null when it is unknown or not the caller's to see.</summary>
    internal static async Task<(EnquiryView View, Enquiry Case, Disclosure Disclosure)?> ViewAsync(Guid id, RecordAccess access, IHubDbContextFactory contexts, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var db = contexts.Create();
        var enquiry = await db.Enquiries.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (enquiry is null)
        {
            return null;
        }
        await access.PrepareAsync(enquiry.Subjects.Select(s => s.PersonId), ct);
        var decision = access.Decide(enquiry);
        if (!decision.IsPermit)
        {
            return null;
        }
        var d = access.Disclose(enquiry, decision);
        var view = new EnquiryView(
            enquiry.Id, enquiry.Reference, enquiry.Version, RecordFields.CamelCase(enquiry.Status.ToString()), enquiry.OpenedAt, enquiry.ClosedAt,
            enquiry.Outcome is { } outcome ? RecordFields.CamelCase(outcome.ToString()) : null,
            d.Shows(nameof(Enquiry.LeadPractitioner)) ? enquiry.LeadPractitioner : null,
            d.Open(nameof(Enquiry.Grounds), enquiry.Grounds),
            d.Shows(nameof(Enquiry.Subjects)) ? enquiry.Subjects.Select(s => new EnquirySubjectView(s.PersonId, s.Role)).ToList() : null,
            d.Shows(nameof(Enquiry.Members))
                ? enquiry.Members.OrderBy(m => m.AddedAt).Select(m => new EnquiryMemberView(m.Id, m.Agency, m.UserSubject, m.Role, m.AddedAt, m.RemovedAt)).ToList()
                : null,
            d.Shows(nameof(Enquiry.Fgdm))
                ? enquiry.Fgdm.OrderBy(f => f.RecordedAt).Select(f => new FgdmView(f.DecisionPoint, RecordFields.CamelCase(f.Status.ToString()), f.RecordedAt)).ToList()
                : null,
            d.Withheld.Count == 0 ? null : d.Withheld.ToList(),
            d.Unavailable.Count == 0 ? null : d.Unavailable.ToList())
        {
            Stage = CaseStageNames.Of(enquiry.Stage),
            Journey = Journey(enquiry, d, now),
        };
        return (view, enquiry, d);
    }

    /// <summary>Where the case is in the journey and what it is waiting for, as far as the reader may see.</summary>
    private static JourneyView Journey(Enquiry e, Disclosure d, DateTimeOffset now) => new(
        d.Shows(nameof(Enquiry.ReferralId)) ? e.ReferralId : null,
        d.Shows(nameof(Enquiry.StrategyDecision)) ? e.StrategyDecision : null,
        d.Open(nameof(Enquiry.StrategyDecisionReasons), e.StrategyDecisionReasons),
        d.Shows(nameof(Enquiry.Section47StartedAt)) ? e.Section47StartedAt : null,
        d.Shows(nameof(Enquiry.JointWithPolice)) && e.JointWithPolice,
        d.Shows(nameof(Enquiry.EmergencyActions))
            ? e.EmergencyActions.OrderBy(a => a.StartedAt).Select(a => new EmergencyActionView(RecordFields.CamelCase(a.Kind.ToString()), a.StartedAt, a.EndsAt, a.ActingAgency, a.ActedBy)).ToList()
            : null,
        d.Shows(nameof(Enquiry.Conferences))
            ? e.Conferences.OrderBy(c => c.HeldAt).Select(c => new ConferenceView(RecordFields.CamelCase(c.Kind.ToString()), c.HeldAt, c.Attendance, c.Decision, c.Category)).ToList()
            : null,
        d.Shows(nameof(Enquiry.PlanStartedAt)) ? e.PlanStartedAt : null,
        d.Shows(nameof(Enquiry.PlanEndedAt)) ? e.PlanEndedAt : null,
        d.Shows(nameof(Enquiry.PlanCategory)) ? e.PlanCategory : null,
        d.Shows(nameof(Enquiry.CoreGroupMeetings)) ? e.CoreGroupMeetings.OrderBy(m => m.HeldAt).Select(m => m.HeldAt).ToList() : null,
        d.Shows(nameof(Enquiry.PreProceedingsAt)) ? e.PreProceedingsAt : null,
        CaseOversightEndpoints.Due(e, now).ToList());
}

public sealed record EmergencyActionView(string Kind, DateTimeOffset StartedAt, DateTimeOffset? EndsAt, string Agency, string ActedBy);

public sealed record ConferenceView(string Kind, DateTimeOffset HeldAt, IReadOnlyList<string> Attendance, string Decision, string? Category);

/// <summary>The case's journey: the strategy discussion's decision, emergency action, conferences, the plan and what is due.</summary>
public sealed record JourneyView(Guid? Referral, string? StrategyDecision, string? StrategyDecisionReasons, DateTimeOffset? Section47StartedAt, bool JointWithPolice,
    IReadOnlyList<EmergencyActionView>? EmergencyActions, IReadOnlyList<ConferenceView>? Conferences, DateTimeOffset? PlanStartedAt, DateTimeOffset? PlanEndedAt,
    string? PlanCategory, IReadOnlyList<DateTimeOffset>? CoreGroupMeetings, DateTimeOffset? PreProceedingsAt, IReadOnlyList<DueItem> Due);

public sealed record EnquirySubjectView(Guid Person, string Role);

public sealed record EnquiryMemberView(Guid Id, string Agency, string User, string Role, DateTimeOffset AddedAt, DateTimeOffset? RemovedAt);

public sealed record FgdmView(string DecisionPoint, string Status, DateTimeOffset RecordedAt);

/// <summary>An enquiry as the reader may see it: a field the policy withholds is null and named in withheld.</summary>
public sealed record EnquiryView(Guid Id, string Reference, long Version, string Status, DateTimeOffset OpenedAt, DateTimeOffset? ClosedAt, string? Outcome,
    string? Lead, string? Grounds, IReadOnlyList<EnquirySubjectView>? Subjects, IReadOnlyList<EnquiryMemberView>? Members, IReadOnlyList<FgdmView>? Fgdm,
    IReadOnlyList<string>? Withheld, IReadOnlyList<string>? Unavailable)
{
    /// <summary>strategy-discussion, section-47, awaiting-conference or child-protection-plan.</summary>
    public string Stage { get; init; } = "section-47";
    public JourneyView? Journey { get; init; }
}
