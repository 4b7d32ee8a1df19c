using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Identity;

internal static class MeEndpoint
{
    /// <summary>Who the hub thinks the caller is, and which purposes of use they may name.</summary>
    public static WebApplication MapMe(this WebApplication app)
    {
        app.MapGet("/me", async (HttpContext context, PolicyDecisionPoint policy, IHubDbContextFactory contexts, TimeProvider clock) =>
        {
            var me = context.HubPrincipal();
            var purposes = policy.PurposesFor(me.ToPolicyPrincipal());
            var now = clock.GetUtcNow();
            // The enquiries the caller is a current member of, so a practitioner knows which X-Enquiry-Id to name.
            await using var db = contexts.Create();
            // A client (no person) is a member of none.
            var enquiries = me.ClientId is not null ? [] : await db.Enquiries.AsNoTracking().AsSingleQuery().OpenWithMember(me.Agency, me.Subject, now)
                .OrderByDescending(e => e.OpenedAt).Take(50)
                .Select(e => new { e.Id, e.Reference, e.OpenedAt, Subjects = e.Subjects.Select(s => new { s.PersonId, s.Role }).ToList() })
                .ToListAsync(context.RequestAborted);
            var organisation = policy.Policy.Organisations[me.Organisation];
            return Results.Json(new MeView(me.Agency, new OrganisationView(organisation.Code, organisation.Name, organisation.Scheme, organisation.Id), me.Subject, me.DisplayName, me.Roles.Order(StringComparer.Ordinal).ToList(), me.ClientId,
                me.Scopes.Order(StringComparer.Ordinal).ToList(), me.Issuer, me.ExpiresAt, purposes.Select(p => new PurposeView(p.Code, p.Title,
                    p.LawfulBasisFor(policy.Policy.Agencies.TryGetValue(me.Agency, out var agency) ? agency.Regime : Policies.Model.Regime.UkGdpr), p.Sources)).ToList(),
                enquiries.Select(e => new MyEnquiry(e.Id, e.Reference, e.OpenedAt, e.Subjects.Select(s => new Workflow.EnquirySubjectView(s.PersonId, s.Role)).ToList())).ToList()));
        }).RequireAuthorization().Audited("identity.me").WithTags("Identity")
            .Answers<MeView>(200, "Who the hub takes you to be, the purposes of use you may name, and the open enquiries you are a member of");
        return app;
    }
}

/// <summary>The data controller the caller acts for: its code, name and national identifier (ODS code, school URN...).</summary>
internal sealed record OrganisationView(string Code, string Name, string Scheme, string Id);

/// <summary>A purpose the caller may name, with the lawful basis of sharing under their agency's regime and where it is set out.</summary>
internal sealed record PurposeView(string Code, string Title, string LawfulBasis, IReadOnlyList<Uri> Sources);

internal sealed record MyEnquiry(Guid Id, string Reference, DateTimeOffset OpenedAt, IReadOnlyList<Workflow.EnquirySubjectView> Subjects);

internal sealed record MeView(string Agency, OrganisationView Organisation, string Subject, string? Name, IReadOnlyList<string> Roles,
    [property: JsonPropertyName("client_id")] string? ClientId, IReadOnlyList<string> Scopes, string? Issuer,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt, IReadOnlyList<PurposeView> Purposes, IReadOnlyList<MyEnquiry> Enquiries);
