using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Identity;

internal static class MeEndpoint
{
    /// <summary>Who the hub thinks the caller is, and which purposes of use they may name.</summary>
    public static WebApplication MapMe(this WebApplication app)
    {
        app.MapGet("/me", (HttpContext context, PolicyDecisionPoint policy) =>
        {
            var me = context.HubPrincipal();
            var purposes = policy.PurposesFor(new Principal(me.Agency, me.Subject, me.Roles, me.ClientId));
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
            });
        }).RequireAuthorization().Audited("identity.me");
        return app;
    }
}
