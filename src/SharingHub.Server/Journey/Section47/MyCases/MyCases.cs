using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

/// <summary>One open case the caller leads or is a current member of, with the purposes they may work on it under now.</summary>
public sealed record MyCase(Guid Id, string Reference, string Stage, string Role, DateTimeOffset OpenedAt, IReadOnlyList<string> Purposes, DueItem? Next);

public sealed record MyCasesView(int Count, IReadOnlyList<MyCase> Cases);

/// <summary>
/// A MACPT member's own cases: the open strategy discussions, enquiries and plans they lead or are a current member of,
/// with the purposes the case's stage lets them work under. It discloses no record of the case (no grounds, no child):
/// only the membership the member already holds; opening the case is a decided, audited request under one of those purposes.
/// </summary>
internal static class MyCasesEndpoints
{
    public const int MaxCases = 500;

    public static RouteGroupBuilder MapMyCases(this RouteGroupBuilder enquiries)
    {
        enquiries.MapGet("/mine", async (HttpContext http, IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock, AuditScope audit) =>
                Results.Json(await ListAsync(http.HubPrincipal(), contexts, policy, clock, audit, http.RequestAborted)))
            .Audited("enquiry.mine")
            .Answers<MyCasesView>(200, "Your open cases (as lead or current member), each with its stage, your role and the purposes you may open it under");
        return enquiries;
    }

    public static async Task<MyCasesView> ListAsync(HubPrincipal me, IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock, AuditScope audit,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = contexts.Create();
        var cases = await db.Enquiries.AsNoTracking().OpenLedOrWithMember(me.Agency, me.Subject, now)
            .OrderBy(e => e.OpenedAt).Take(MaxCases).ToListAsync(ct);
        var purposes = policy.PurposesFor(me.ToPolicyPrincipal()).Where(p => p.RequiresEnquiry).ToList();
        var mine = cases.Select(e =>
        {
            var role = e.LeadPractitioner == me.Subject && e.OwningAgency == me.Agency ? "lead"
                : e.Members.First(m => m.IsCurrentFor(me.Agency, me.Subject, now)).Role;
            var due = CaseOversightEndpoints.Due(e, now).OrderBy(d => d.DueBy).FirstOrDefault();
            return new MyCase(e.Id, e.Reference, CaseStageNames.Of(e.Stage), role, e.OpenedAt,
                purposes.Where(p => p.CaseStages is null || p.CaseStages.Contains(e.Stage)).Select(p => p.Code).ToList(), due);
        }).ToList();
        audit.Count = mine.Count;
        return new MyCasesView(mine.Count, mine);
    }
}
