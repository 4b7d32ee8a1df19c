namespace SharingHub.Server.Access;

/// <summary>
/// An endpoint that reads records declares it, so the request is opened one way before its handler runs: a partner
/// system's SMART scope for the record type (when the endpoint names one; <c>{type}</c> takes the route's type), then
/// the purpose of use, the enquiry and any override. A refusal is answered in the endpoint's own error format.
/// </summary>
public sealed record OpensRecordsAttribute(string? ScopeType, char Permission)
{
    /// <summary>The endpoint lists or acts on the cases themselves (the front door's referrals), so a case-bound purpose needs none named.</summary>
    public bool ListsCases { get; init; }
}

/// <summary>Opens the request's <see cref="RecordAccess"/> before the handler; runs inside the audit filter, so a refusal is audited.</summary>
internal sealed class RecordRequestFilter : IEndpointFilter
{
    public const string RouteType = "{type}";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var opens = http.GetEndpoint()?.Metadata.GetMetadata<OpensRecordsAttribute>()
            ?? throw new InvalidOperationException("the record request filter runs only on endpoints that declare OpensRecords");
        var type = opens.ScopeType == RouteType ? http.GetRouteValue("type") as string : opens.ScopeType;
        if (type is not null && SmartScopes.ScopeProblem(http, type, opens.Permission) is { } scope)
        {
            return SmartScopes.Forbidden(http, scope);
        }
        var access = http.RequestServices.GetRequiredService<RecordAccess>();
        if (await access.OpenAsync(http, http.RequestAborted) is { } problem)
        {
            return problem.Refusal(http);
        }
        return await next(context);
    }
}

internal static class RecordRequestEndpoints
{
    /// <summary>
    /// Declares that the endpoint reads records under a purpose: the scope (if any), purpose, enquiry and override
    /// are checked and the request's <see cref="RecordAccess"/> is opened before the handler. Call after <c>Audited</c>.
    /// </summary>
    public static TBuilder OpensRecords<TBuilder>(this TBuilder builder, string? scopeType = null, char permission = 'r', bool listsCases = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new OpensRecordsAttribute(scopeType, permission) { ListsCases = listsCases }).AddEndpointFilter<TBuilder, RecordRequestFilter>();
}
