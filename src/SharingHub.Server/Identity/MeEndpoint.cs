using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Identity;

internal static class MeEndpoint
{
    /// <summary>Who the hub thinks the caller is, and which purposes of use they may name.</summary>
    public static WebApplication MapMe(this WebApplication app)
    {
        app.MapGet("/me", async (HttpContext context, PolicyDecisionPoint policy, IHubDbContextFactory contexts, TimeProvider clock) =>
        {
            var me = context.HubPrincipal();
            var purposes = policy.PurposesFor(new Principal(me.Agency, me.Subject, me.Roles, me.ClientId));
            var now = clock.GetUtcNow();
            // The enquiries the caller is a current member of, so a practitioner knows which X-Enquiry-Id to name.
            await using var db = contexts.Create();
            var enquiries = await db.Enquiries.AsNoTracking()
                .Where(e => me.ClientId == null && e.Status == EnquiryStatus.Open && e.Members.Any(m => m.Agency == me.Agency && m.UserSubject == me.Subject && m.AddedAt <= now && (m.RemovedAt == null || m.RemovedAt > now)))
                .OrderByDescending(e => e.OpenedAt).Take(50)
                .Select(e => new { id = e.Id, reference = e.Reference, openedAt = e.OpenedAt, subjects = e.Subjects.Select(s => new { person = s.PersonId, role = s.Role }) })
                .ToListAsync(context.RequestAborted);
            return Results.Json(new
            {
                agency = me.Agency,
                subject = me.Subject,
                name = me.DisplayName,
                roles = me.Roles.Order(StringComparer.Ordinal),
                client_id = me.ClientId,
                scopes = me.Scopes.Order(StringComparer.Ordinal),
                issuer = me.Issuer,
                expires_at = me.ExpiresAt,
                purposes = purposes.Select(p => new { code = p.Code, title = p.Title }),
                enquiries,
            });
        }).RequireAuthorization().Audited("identity.me");
        return app;
    }
}
