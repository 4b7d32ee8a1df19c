using SharingHub.Policies.Trust;
using SharingHub.Server.Access;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Fhir;

/// <summary>What every FHIR data request checks first: the token's SMART scope (partner systems), then the purpose and enquiry.</summary>
internal static class FhirRequest
{
    public static async Task<IResult?> OpenAsync(HttpContext http, RecordAccess access, string type, char permission)
    {
        if (ScopeRefusal(http, type, permission) is { } refusal)
        {
            return refusal;
        }
        var problem = await access.OpenAsync(http, http.RequestAborted);
        return problem?.Refusal(http);
    }

    /// <summary>A partner system's token must carry a SMART scope for the interaction; people are governed by policy alone.</summary>
    public static IResult? ScopeRefusal(HttpContext http, string type, char permission) =>
        HasScope(http, type, permission) ? null : FhirResults.Forbidden($"the access token's scopes do not include {new SmartScope(type, permission.ToString())}");

    /// <summary>Whether the caller may make this interaction: a partner system needs a covering SMART scope (the OData API asks the same).</summary>
    public static bool HasScope(HttpContext http, string type, char permission)
    {
        var me = http.HubPrincipal();
        var wanted = new SmartScope(type, permission.ToString());
        return me.ClientId is null || me.Scopes.Any(s => SmartScope.TryParse(s, out var granted) && granted.Covers(wanted));
    }
}
