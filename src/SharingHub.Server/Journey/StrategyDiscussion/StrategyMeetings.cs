using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Workflow;

internal sealed record ContributionInput(string? Agency, string? Summary);

internal sealed record StrategyMeetingInput(DateTimeOffset? HeldAt, IReadOnlyList<MemberInput>? Attendees, IReadOnlyList<ContributionInput>? Contributions = null, string? Decisions = null);

internal sealed record FgdmInput(string? DecisionPoint, string? Status);

/// <summary>
/// The strategy meeting record (who attended, what each agency brought, what was decided) and family
/// group decision making as offered, accepted or declined at each decision point. The LCPP records
/// them; members read the meetings under the enquiry's purposes, each meeting decided by the policy.
/// </summary>
internal static class StrategyMeetingEndpoints
{
    /// <summary>Where family group decision making is offered in the journey: every decision point, and Family Help without any enquiry.</summary>
    internal static readonly HashSet<string> DecisionPoints =
        ["strategy-meeting", "enquiry-outcome", "child-protection-conference", "review-conference", "pre-proceedings", "reunification", "family-help"];

    public static WebApplication MapStrategyMeetings(this WebApplication app)
    {
        var enquiries = app.MapGroup("/enquiries").RequireAuthorization().WithTags("Section 47 enquiries");
        enquiries.MapPost("/{id:guid}/strategy-meetings", RecordAsync).Audited("enquiry.strategy-meeting").Takes(HubActions.EnquiryLead)
            .Answers<StrategyMeetingRecorded>(201, "Record a strategy meeting: when, who attended, what each agency brought, what was decided (the enquiry's lead)", 400, 404, 409, 422);
        enquiries.MapGet("/{id:guid}/strategy-meetings", ReadAsync).Audited("enquiry.strategy-meeting-read").OpensRecords()
            .Answers<StrategyMeetingsView>(200, "Read the enquiry's strategy meetings, each as the policy lets you", 400);
        enquiries.MapPost("/{id:guid}/fgdm", RecordFgdmAsync).Audited("enquiry.fgdm").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Record family group decision making offered, accepted or declined at a decision point (the enquiry's lead)", 400, 404, 409, 422);
        return app;
    }

    /// <summary>Family group decision making at a decision point, for the API and the case page alike.</summary>
    internal static Task<IResult> RecordFgdmAsync(Guid id, FgdmInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock, NotificationOutbox outbox) =>
        EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "fgdm", clock, (e, now) =>
        {
            if (input.DecisionPoint is null || !DecisionPoints.Contains(input.DecisionPoint))
            {
                return "decisionPoint is one of " + string.Join(", ", DecisionPoints);
            }
            var status = EnquiryEndpoints.FgdmStatusOf(input.Status);
            if (status is null)
            {
                return "status is offered, accepted or declined";
            }
            e.Fgdm.Add(new FgdmDecision { Id = Guid.NewGuid(), EnquiryId = e.Id, DecisionPoint = input.DecisionPoint, Status = status.Value, RecordedAt = now, RecordedBy = e.LeadPractitioner });
            return null;
        });

    internal static async Task<IResult> RecordAsync(Guid id, StrategyMeetingInput input, HttpContext http, IRecordStore store, IFieldCipher cipher,
        PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock)
    {
        var (enquiry, refusal) = await EnquiryEndpoints.LedAndOpenAsync(id, http, store);
        if (refusal is not null)
        {
            return refusal;
        }
        var attendees = input.Attendees ?? [];
        var contributions = input.Contributions ?? [];
        var now = clock.UtcNowForStorage();
        var errors = new FieldErrors().When(attendees.Count == 0, "attendees", "attendees: who attended is required");
        EnquiryEndpoints.AddMemberErrors(attendees, policy, errors, "attendees");
        for (var i = 0; i < contributions.Count; i++)
        {
            var c = contributions[i];
            errors.When(c.Agency is null || !policy.Policy.Agencies.ContainsKey(c.Agency), $"contributions[{i}].agency", $"contributions[{i}].agency must be an agency in the policy")
                .When(string.IsNullOrWhiteSpace(c.Summary) || c.Summary.Length > 10_000, $"contributions[{i}].summary", $"contributions[{i}].summary (up to 10,000 characters) is required");
        }
        errors.When(input.HeldAt is not { } held || held > now.AddMinutes(5), "heldAt", "heldAt (when the meeting took place, not in the future) is required")
            .When(input.Decisions is { Length: > 10_000 }, "decisions", "decisions are at most 10,000 characters");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        // The meeting is the enquiry's record, held by the organisation that leads it.
        var meeting = new StrategyMeeting
        {
            Id = Guid.NewGuid(), OwningAgency = enquiry!.OwningAgency, OwningOrganisation = enquiry.OwningOrganisation, DataClass = Enquiry.DataClassCode, EnquiryId = id, HeldAt = TimeProviderExtensions.TruncateForStorage(input.HeldAt!.Value),
            Attendees = attendees.Select(a => $"{a.Agency}/{a.User}/{a.Role}").ToList(),
        };
        meeting.Contributions = contributions.Count == 0 ? null : cipher.Encrypt(
            JsonSerializer.Serialize(contributions.Select(c => new { agency = c.Agency, summary = c.Summary!.Trim() })), SensitiveFields.For(meeting, nameof(StrategyMeeting.Contributions)));
        meeting.Decisions = string.IsNullOrWhiteSpace(input.Decisions) ? null : cipher.Encrypt(input.Decisions.Trim(), SensitiveFields.For(meeting, nameof(StrategyMeeting.Decisions)));
        await store.AddAsync(meeting, http.RequestAborted);
        audit.EnquiryId = id;
        audit.RecordWrite(RecordFacts.For(meeting), "record");
        return Results.Json(new StrategyMeetingRecorded(meeting.Id), statusCode: 201);
    }

    private static async Task<IResult> ReadAsync(Guid id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts) =>
        // An enquiry the caller may not see answers like one with no meetings: nothing says it exists.
        Results.Json(await MeetingsAsync(id, access, contexts, http.RequestAborted));

    /// <summary>The case's strategy meetings, each decided on its own about the case's subjects, for the API and the case page.</summary>
    internal static async Task<StrategyMeetingsView> MeetingsAsync(Guid id, RecordAccess access, IHubDbContextFactory contexts, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var enquiry = await db.Enquiries.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        var meetings = enquiry is null ? [] : await db.StrategyMeetings.AsNoTracking().ReachableBy(access).Where(m => m.EnquiryId == id)
            .OrderBy(m => m.HeldAt).Take(200).ToListAsync(ct);
        var subjects = enquiry?.Subjects.Select(s => s.PersonId).ToList() ?? [];
        await access.PrepareAsync(subjects, ct);
        var about = access.Links.Expand(subjects);
        var shown = meetings.Select(m => (Meeting: m, Decision: access.Decide(m, about))).Where(x => x.Decision.IsPermit).Select(x =>
        {
            var d = access.Disclose(x.Meeting, x.Decision);
            var contributions = d.Open(nameof(StrategyMeeting.Contributions), x.Meeting.Contributions);
            return new StrategyMeetingView(x.Meeting.Id, x.Meeting.HeldAt, d.Shows(nameof(StrategyMeeting.Attendees)) ? x.Meeting.Attendees : null,
                contributions is null ? null : JsonDocument.Parse(contributions).RootElement, d.Open(nameof(StrategyMeeting.Decisions), x.Meeting.Decisions),
                d.Withheld, d.Unavailable);
        }).ToList();
        return new StrategyMeetingsView(id, shown);
    }
}

internal sealed record StrategyMeetingRecorded(Guid Id);

/// <summary>One strategy meeting as the reader may see it; withheld and unavailable name the fields left out.</summary>
public sealed record StrategyMeetingView(Guid Id, DateTimeOffset HeldAt, IReadOnlyList<string>? Attendees, JsonElement? Contributions, string? Decisions,
    IReadOnlyList<string> Withheld, IReadOnlyList<string> Unavailable);

public sealed record StrategyMeetingsView(Guid Enquiry, IReadOnlyList<StrategyMeetingView> Meetings);
