using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Pages;

/// <summary>
/// Family Help's pages: the families a Family Help practitioner may see under the purpose (their organisation's, and those the
/// family agreed to share with them), and a child's chronology under it. Where the purpose allows it (family-help), the
/// chronology offers break glass: a justification, posted from the page, reads what the family has not agreed to share, and
/// the audit entry carries the override for IG to review, as the API's X-Override-Justification does.
/// </summary>
internal static class FamilyHelpPages
{
    public const int MaxFamilies = 500;

    public static RouteGroupBuilder MapFamilyHelpPages(this RouteGroupBuilder work)
    {
        work.MapGet("/{purpose}/families", FamiliesAsync).Audited("page.families").OpensRecords(listsCases: true);
        work.MapGet("/{purpose}/families/{plan:guid}/people/{person:guid}", ChronologyAsync).Audited("page.family-chronology").OpensRecords();
        work.MapPost("/{purpose}/families/{plan:guid}/people/{person:guid}", ChronologyAsync).Audited("page.family-chronology-override").OpensRecords()
            .WithMetadata(new BreakGlassPage()).DisableAntiforgery();
        return work;
    }

    private static async Task<IResult> FamiliesAsync(string purpose, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, PolicyDecisionPoint policy)
    {
        await using var db = contexts.Create();
        var plans = await db.FamilyHelpPlans.AsNoTracking().ReachableBy(access).Where(p => p.Status != FamilyHelpStatus.Closed)
            .OrderBy(p => p.ReviewDueAt).Take(MaxFamilies).ToListAsync(http.RequestAborted);
        await access.PrepareAsync(plans.Select(p => p.PersonId), http.RequestAborted);
        var shown = access.Permitted(plans).Select(x => (Plan: x.Record, Disclosure: access.Disclose(x.Record, x.Decision))).ToList();
        var children = await CasePeople.NamesAsync(access, contexts, shown.Select(x => x.Plan.PersonId).Distinct().ToList(), http.RequestAborted);
        var families = shown.Select(x => new FamilyView(x.Plan.Id, x.Plan.PersonId, children[x.Plan.PersonId],
            PageText.Organisation(policy.Policy, x.Plan.OwningAgency, x.Plan.OwningOrganisation),
            x.Disclosure.Shows(nameof(FamilyHelpPlan.Status)) ? PageText.Words(RecordFields.CamelCase(x.Plan.Status.ToString())) : null,
            x.Disclosure.Shows(nameof(FamilyHelpPlan.LeadPractitioner)) ? x.Plan.LeadPractitioner : null,
            x.Plan.ReviewDueAt is { } review && x.Disclosure.Shows(nameof(FamilyHelpPlan.ReviewDueAt)) ? review : null,
            x.Disclosure.Open(nameof(FamilyHelpPlan.Needs), x.Plan.Needs))).ToList();
        return PageEndpoints.Render<FamiliesPage>(200, new() { ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Purpose"] = purpose, ["Families"] = families, ["Now"] = access.Now });
    }

    /// <summary>The child's chronology under the purpose, through a family the reader may see; a POST is the same read with an override.</summary>
    private static async Task<IResult> ChronologyAsync(string purpose, Guid plan, Guid person, HttpContext http, RecordAccess access, IHubDbContextFactory contexts,
        Fhir.Chronology chronology, PolicyDecisionPoint policy, IAntiforgery antiforgery)
    {
        await using var db = contexts.Create();
        var family = await db.FamilyHelpPlans.AsNoTracking().ReachableBy(access).FirstOrDefaultAsync(p => p.Id == plan, http.RequestAborted);
        // The plan is decided as its own record (an override reaches it too, as it reaches the child's other records).
        if (family is null || family.PersonId != person)
        {
            return NotFound(http);
        }
        await access.PrepareAsync([person], http.RequestAborted);
        if (!access.Decide(family).IsPermit)
        {
            return NotFound(http);
        }
        var overrideAllowed = policy.Policy.Purposes.TryGetValue(purpose, out var rules) && rules.OverrideAllowed;
        string? overrideError = http.Items.ContainsKey(BreakGlassPage.TooShort)
            ? $"Say why, in at least {PolicyDecisionPoint.MinimumJustificationLength} characters: information governance reviews every override" : null;
        var more = new Dictionary<string, object?>
        {
            ["OverrideCsrf"] = overrideAllowed ? antiforgery.GetAndStoreTokens(http).RequestToken : null,
            ["OverrideError"] = overrideError,
            ["Overridden"] = access.OverrideJustification is not null,
        };
        return await PageEndpoints.ChronologyPageAsync(purpose, person, http, access, chronology, policy, $"{PageEndpoints.Base}/{purpose}/families", "the families",
            "Family Help", more);
    }

    private static IResult NotFound(HttpContext http) =>
        ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no family at this address that you may see for this purpose."));
}

/// <summary>One family as the families page shows it: the child, who holds the plan, its stage, its lead and review date, the needs.</summary>
public sealed record FamilyView(Guid Plan, Guid Child, CasePerson ChildName, string HeldBy, string? Status, string? Lead, DateTimeOffset? ReviewDueAt, string? Needs);
