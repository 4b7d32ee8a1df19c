using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Workflow;

/// <summary>One thing a case is waiting for, when it is due, and whether that has passed.</summary>
public sealed record DueItem(string Item, DateTimeOffset DueBy, bool Overdue);

/// <summary>An open child protection case as oversight sees it: where it is, what is due next, what is overdue. Never its grounds or records.</summary>
public sealed record OversightCase(Guid Id, string Reference, string Stage, string Lead, DateTimeOffset OpenedAt, IReadOnlyList<Guid> Children, bool JointWithPolice,
    IReadOnlyList<string> EmergencyActions, string? PlanCategory, DueItem? Next, IReadOnlyList<DueItem> Due);

public sealed record OversightView(DateTimeOffset At, int Count, IReadOnlyList<OversightCase> Cases);

/// <summary>
/// Oversight of the journey (the Families First Partnership programme's MACPT functions): every child subject to a strategy
/// discussion, a section 47 enquiry or a child protection plan in the partnership's area, with what is due next and what is
/// overdue (initial conference, first core group, review conference, unanswered information requests), so nothing waits
/// unseen. For the council's lead practitioners (action case.oversee); every view is audited.
/// </summary>
internal static class CaseOversightEndpoints
{
    public const int MaxCases = 1_000;

    public static WebApplication MapCaseOversight(this WebApplication app)
    {
        app.MapGet("/oversight/cases", ListAsync).RequireAuthorization().WithTags("Child protection journey")
            .Audited("case.oversight").Takes(HubActions.CaseOversee)
            .Answers<OversightView>(200, "Every open child protection case with its stage, next due item and overdue items, soonest due first", 403);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IHubDbContextFactory contexts, TimeProvider clock, AuditScope audit)
    {
        var view = await BuildAsync(contexts, clock.GetUtcNow(), http.RequestAborted);
        audit.Count = view.Count;
        return Results.Json(view);
    }

    /// <summary>Every open case as oversight sees it, overdue first: the API's answer and the oversight page's table.</summary>
    internal static async Task<OversightView> BuildAsync(IHubDbContextFactory contexts, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var open = await db.Enquiries.AsNoTracking().Where(e => e.Status == EnquiryStatus.Open).OrderBy(e => e.OpenedAt).Take(MaxCases).ToListAsync(ct);
        var ids = open.Select(e => e.Id).ToList();
        var requests = await db.InformationRequests.AsNoTracking()
            .Where(r => ids.Contains(r.EnquiryId) && r.Status == InformationRequestStatus.Open)
            .Select(r => new { r.EnquiryId, r.RequestedAgency, r.DueAt }).ToListAsync(ct);
        var cases = open.Select(e =>
        {
            var due = Due(e, now).Concat(requests.Where(r => r.EnquiryId == e.Id)
                .Select(r => new DueItem($"information-request:{r.RequestedAgency}", r.DueAt, r.DueAt < now))).OrderBy(d => d.DueBy).ToList();
            return new OversightCase(e.Id, e.Reference, CaseStageNames.Of(e.Stage), e.LeadPractitioner, e.OpenedAt,
                e.Subjects.Where(s => s.Role == "child").Select(s => s.PersonId).ToList(), e.JointWithPolice,
                e.EmergencyActions.Where(a => a.EndsAt is null || a.EndsAt > now).Select(a => RecordFields.CamelCase(a.Kind.ToString())).ToList(),
                e.PlanCategory, due.FirstOrDefault(), due);
        })
            // Overdue first, then soonest due, then the rest by age.
            .OrderByDescending(c => c.Next?.Overdue == true).ThenBy(c => c.Next?.DueBy ?? DateTimeOffset.MaxValue).ThenBy(c => c.OpenedAt).ToList();
        return new OversightView(now, cases.Count, cases);
    }

    /// <summary>What the case's stage has falling due (Working Together 2023: conference, first core group, reviews).</summary>
    internal static IEnumerable<DueItem> Due(Enquiry e, DateTimeOffset now)
    {
        if (e.ConferenceDueBy is { } conference)
        {
            yield return new DueItem("initial-conference", conference, conference < now);
        }
        if (e.CoreGroupDueBy is { } coreGroup)
        {
            yield return new DueItem("core-group", coreGroup, coreGroup < now);
        }
        if (e.ReviewDueBy is { } review)
        {
            yield return new DueItem("review-conference", review, review < now);
        }
    }
}
