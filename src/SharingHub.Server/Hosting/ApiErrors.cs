namespace SharingHub.Server.Hosting;

/// <summary>
/// An error the hub answers outside an endpoint's own code (the failure handler, the audit log refusing, a rate
/// limit, a purpose refusal): its status, a short machine code (a FHIR issue type such as <c>transient</c>, or the
/// hub's own code such as <c>purpose_required</c>), a title and the words for the caller.
/// </summary>
internal sealed record ApiError(int Status, string Code, string Title, string Detail);

/// <summary>One API's way of writing an <see cref="ApiError"/>, registered by the API for its base path.</summary>
internal sealed record ApiErrorFormat(string BasePath, Func<ApiError, IResult> Write);

/// <summary>
/// Each API registers how it writes errors (FHIR an OperationOutcome, OData its error JSON); a request anywhere
/// else gets problem JSON. The host's error handling, the audit filter and the rate limiter answer through
/// here, so none of them knows a protocol.
/// </summary>
internal static class ApiErrors
{
    public static IServiceCollection AddApiErrorFormat(this IServiceCollection services, string basePath, Func<ApiError, IResult> write)
    {
        services.AddSingleton(new ApiErrorFormat(basePath, write));
        return services;
    }

    public static IResult For(HttpContext http, ApiError error) =>
        http.RequestServices.GetServices<ApiErrorFormat>().FirstOrDefault(f => http.Request.Path.StartsWithSegments(f.BasePath)) is { } format
            ? format.Write(error)
            : Results.Problem(statusCode: error.Status, title: error.Title, detail: error.Detail,
                extensions: error.Code.Contains('_', StringComparison.Ordinal) ? new Dictionary<string, object?> { ["code"] = error.Code } : null);
}
