using SharingHub.Policies.Trust;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Access;

/// <summary>
/// What a partner system's token allows, whichever API it calls: SMART scopes name record types by their FHIR
/// resource names (the names the SMART App Launch specification uses), so OData's People are scoped as
/// <c>Patient</c>. People are governed by policy alone.
/// </summary>
internal static class SmartScopes
{
    /// <summary>Whether the caller may make this interaction: a partner system needs a covering SMART scope.</summary>
    public static bool HasScope(HttpContext http, string type, char permission)
    {
        var me = http.HubPrincipal();
        var wanted = new SmartScope(type, permission.ToString());
        return me.ClientId is null || me.Scopes.Any(s => SmartScope.TryParse(s, out var granted) && granted.Covers(wanted));
    }

    /// <summary>Why the token does not allow this interaction, or null.</summary>
    public static string? ScopeProblem(HttpContext http, string type, char permission) =>
        HasScope(http, type, permission) ? null : $"the access token's scopes do not include {new SmartScope(type, permission.ToString())}";

    /// <summary>The refusal of a missing scope or role, in the API's own error format.</summary>
    public static IResult Forbidden(HttpContext http, string problem) =>
        Hosting.ApiErrors.For(http, new Hosting.ApiError(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", problem));
}
