using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record NominationInput(string? User, string? Role);

public sealed record NominationView(Guid Id, string Agency, string Organisation, string User, string Role, DateTimeOffset NominatedAt);

public sealed record NominationsView(IReadOnlyList<NominationView> Nominations);

internal sealed record Nominated(Guid Id);

/// <summary>
/// The directory of the people each agency has nominated to the Multi-Agency Child Protection Team (Working Together 2023;
/// the MACPT's police, health and education leads and their colleagues). An agency's nominations lead (or its system)
/// nominates its own people and ends their nomination; a case's lead reads the directory to choose members; and only a
/// current nominee is made a member of a case, a participant in a strategy discussion or a core group member (the lead
/// excepted, who leads by their own role).
/// </summary>
internal static class MacptNominationEndpoints
{
    public static WebApplication MapMacptNominations(this WebApplication app)
    {
        var nominations = app.MapGroup("/macpt/nominations").RequireAuthorization().WithTags("MACPT");
        nominations.MapGet("/", ListAsync).Audited("macpt.directory").Takes(HubActions.MacptDirectory)
            .Answers<NominationsView>(200, "The people each agency has nominated to the MACPT, current nominations only", 403);
        nominations.MapPost("/", NominateAsync).Audited("macpt.nominate").Takes(HubActions.MacptNominate)
            .Answers<Nominated>(201, "Nominate a person of your own agency and organisation to the MACPT, with the role they take in cases", 400, 403, 409, 422);
        nominations.MapDelete("/{id:guid}", EndAsync).Audited("macpt.nomination-end").Takes(HubActions.MacptNominate)
            .Answers<Nominated>(200, "End a nomination your agency made (current case memberships stay until each lead removes them)", 403, 404);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IHubDbContextFactory contexts, AuditScope audit)
    {
        var current = await DirectoryAsync(contexts, http.RequestAborted);
        audit.Count = current.Nominations.Count;
        return Results.Json(current);
    }

    /// <summary>The current nominations, for the API and for the lead's choice of a new member on the case page.</summary>
    internal static async Task<NominationsView> DirectoryAsync(IHubDbContextFactory contexts, CancellationToken ct)
    {
        await using var db = contexts.Create();
        return new NominationsView(await db.MacptNominations.AsNoTracking().Where(n => n.EndedAt == null).OrderBy(n => n.Agency).ThenBy(n => n.UserSubject).Take(5_000)
            .Select(n => new NominationView(n.Id, n.Agency, n.Organisation, n.UserSubject, n.Role, n.NominatedAt)).ToListAsync(ct));
    }

    private static async Task<IResult> NominateAsync(NominationInput input, HttpContext http, IHubDbContextFactory contexts, TimeProvider clock)
    {
        var me = http.HubPrincipal();
        var user = input.User?.Trim();
        var role = input.Role?.Trim();
        var errors = new FieldErrors()
            .When(string.IsNullOrEmpty(user) || user.Length > 256, "user", "user (the person, as their agency's identity provider knows them) is required")
            .When(string.IsNullOrEmpty(role) || role.Length > 32, "role", "role (the role they take in cases, up to 32 characters: lcpp, police, health, education or another) is required");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        await using var db = contexts.Create();
        if (await db.MacptNominations.AnyAsync(n => n.Agency == me.Agency && n.UserSubject == user && n.EndedAt == null, http.RequestAborted))
        {
            return EnquiryEndpoints.Problem(409, "that person is nominated by your agency already");
        }
        var nomination = new MacptNomination
        {
            Id = Guid.NewGuid(), Agency = me.Agency, Organisation = me.Organisation, UserSubject = user!, Role = role!, NominatedAt = clock.UtcNowForStorage(), NominatedBy = me.Subject,
        };
        db.MacptNominations.Add(nomination);
        await db.SaveChangesAsync(http.RequestAborted);
        return Results.Json(new Nominated(nomination.Id), statusCode: 201);
    }

    private static async Task<IResult> EndAsync(Guid id, HttpContext http, IHubDbContextFactory contexts, TimeProvider clock)
    {
        var me = http.HubPrincipal();
        await using var db = contexts.Create();
        var nomination = await db.MacptNominations.FirstOrDefaultAsync(n => n.Id == id && n.Agency == me.Agency && n.EndedAt == null, http.RequestAborted);
        if (nomination is null)
        {
            return EnquiryEndpoints.Problem(404, "no current nomination with that id made by your agency");
        }
        nomination.EndedAt = clock.UtcNowForStorage();
        nomination.EndedBy = me.Subject;
        await db.SaveChangesAsync(http.RequestAborted);
        return Results.Json(new Nominated(id));
    }
}

internal static partial class EnquiryEndpoints
{
    /// <summary>Adds an error for each person in <paramref name="members"/> (but <paramref name="lead"/>) whom their agency has not nominated to the MACPT.</summary>
    internal static async Task AddNominationErrorsAsync(IHubDbContextFactory contexts, IReadOnlyList<MemberInput> members, string? lead, FieldErrors errors, string field,
        CancellationToken ct)
    {
        var asked = members.Take(50).Where(m => m.User != lead).Select(m => m.User).Distinct().ToList();
        if (asked.Count == 0)
        {
            return;
        }
        await using var db = contexts.Create();
        var nominated = (await db.MacptNominations.AsNoTracking().Where(n => n.EndedAt == null && asked.Contains(n.UserSubject))
            .Select(n => new { n.Agency, n.UserSubject }).ToListAsync(ct)).Select(n => (n.Agency, n.UserSubject)).ToHashSet();
        for (var i = 0; i < Math.Min(members.Count, 50); i++)
        {
            var m = members[i];
            errors.When(m.User != lead && !nominated.Contains((m.Agency, m.User)), $"{field}[{i}]",
                $"{field}[{i}]: {m.Agency}/{m.User} is not nominated to the MACPT by their agency (GET /macpt/nominations lists who is)");
        }
    }

    /// <summary>The one problem of a member not nominated, as a change answers it (422), or null.</summary>
    internal static async Task<IResult?> NominationRefusalAsync(IHubDbContextFactory contexts, IReadOnlyList<MemberInput> members, string? lead, string field, CancellationToken ct)
    {
        var errors = new FieldErrors();
        await AddNominationErrorsAsync(contexts, members, lead, errors, field, ct);
        return errors.Any ? errors.ToResult() : null;
    }
}

/// <summary>
/// With the development identity provider, its MACPT people (lead practitioners, chairs and the agencies' members) are
/// nominated at start-up, once, as their agencies would have nominated them, so the demo and the tests work with the
/// directory as a partnership would. Anywhere else the directory starts empty.
/// </summary>
internal sealed class DevelopmentNominations(IHubDbContextFactory contexts, PolicyDecisionPoint policy, TimeProvider clock)
{
    public async Task SeedAsync(CancellationToken ct)
    {
        await using var db = contexts.Create();
        var present = (await db.MacptNominations.Select(n => n.Agency + "/" + n.UserSubject).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var now = clock.UtcNowForStorage();
        foreach (var (user, role) in DevelopmentIdentityProvider.MacptNominees().Where(n => !present.Contains(n.User.Agency + "/" + n.User.Subject)))
        {
            db.MacptNominations.Add(new MacptNomination
            {
                Id = Guid.NewGuid(), Agency = user.Agency, Organisation = user.Organisation ?? policy.Policy.DefaultOrganisation(user.Agency).Code, UserSubject = user.Subject,
                Role = role, NominatedAt = now, NominatedBy = "development-identity-provider",
            });
        }
        await db.SaveChangesAsync(ct);
    }
}
