using System.Security.Claims;

namespace SharingHub.Server.Identity;

/// <summary>
/// The one principal type every authenticated request carries, whichever issuer signed its token.
/// The agency comes from the registered issuer (or, for the hub's own tokens, the registered client),
/// never from a claim the token makes about itself.
/// </summary>
public sealed record HubPrincipal(
    string Agency,
    string Organisation,
    string Subject,
    string? DisplayName,
    IReadOnlySet<string> Roles,
    string? ClientId,
    IReadOnlySet<string> Scopes,
    string Issuer,
    DateTimeOffset ExpiresAt)
{
    public const string AgencyClaim = "sharinghub:agency";
    public const string OrganisationClaim = "sharinghub:organisation";
    public const string AuthenticationType = "SharingHub";

    /// <summary>The requester as the policy decision point sees it: agency, organisation, subject, roles and (for a partner system) its client id.</summary>
    public Policies.Decisions.Principal ToPolicyPrincipal() => new(Agency, Subject, Roles, ClientId) { Organisation = Organisation };

    public ClaimsPrincipal ToClaimsPrincipal()
    {
        var identity = new ClaimsIdentity(AuthenticationType, ClaimTypes.NameIdentifier, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, Subject));
        identity.AddClaim(new Claim(AgencyClaim, Agency));
        identity.AddClaim(new Claim(OrganisationClaim, Organisation));
        identity.AddClaims(Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(identity);
    }
}

internal static class HttpContextPrincipal
{
    private const string Key = "SharingHub.Principal";

    public static void SetHubPrincipal(this HttpContext context, HubPrincipal principal) => context.Items[Key] = principal;

    /// <summary>The validated principal, or null for a request without a valid token.</summary>
    public static HubPrincipal? FindHubPrincipal(this HttpContext context) => context.Items.TryGetValue(Key, out var found) ? found as HubPrincipal : null;

    /// <summary>The validated principal; endpoints that require authorisation can rely on it being there.</summary>
    public static HubPrincipal HubPrincipal(this HttpContext context) =>
        context.Items[Key] as HubPrincipal ?? throw new InvalidOperationException("no authenticated principal on this request");
}
