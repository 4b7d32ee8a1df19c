using System.Text;
using System.Xml;
using Microsoft.OData.Edm.Csdl;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;

namespace SharingHub.Server.OData;

/// <summary>The OData v4 API at /odata: service document and $metadata (anonymous, like FHIR's CapabilityStatement), queries and writes.</summary>
internal static class ODataEndpoints
{
    public const string Base = "/odata";

    /// <summary>The service root as the hub's configured public URL gives it, never from the request's Host header.</summary>
    public static Uri ServiceRoot(HttpContext http) => new($"{Identity.IdentityOptions.PublicBase(http)}{Base}/");

    public static IServiceCollection AddSharingHubOData(this IServiceCollection services)
    {
        Hosting.ApiErrors.AddApiErrorFormat(services, Base, error => ODataPayload.Error(error.Status, error.Code switch
        {
            _ when error.Code.Contains('_', StringComparison.Ordinal) => ODataErrors.ForHubCode(error.Code),
            _ => error.Status switch
            {
                403 => ODataErrors.Forbidden,
                503 => "ServiceUnavailable",
                429 => "TooManyRequests",
                >= 500 => "InternalError",
                _ => "BadRequest",
            },
        }, error.Detail));
        services.AddOptions<ODataOptions>()
            .BindConfiguration(ODataOptions.Section)
            .Validate(o => o.MaxPageSize is >= 1 and <= 1_000 && o.MaxTop >= o.MaxPageSize && o.MaxCandidates is >= 100 and <= 1_000_000
                && o.MaxNodes is >= 10 and <= 1_000 && o.TimeoutSeconds is >= 1 and <= 120,
                $"{ODataOptions.Section}: MaxPageSize 1-1000, MaxTop >= MaxPageSize, MaxCandidates 100-1000000, MaxNodes 10-1000, TimeoutSeconds 1-120")
            .ValidateOnStart();
        services.AddSingleton<ODataModel>();
        services.AddScoped<ODataReader>();
        services.AddScoped<ODataAuditReader>();
        services.AddScoped<ODataWrites>();
        return services;
    }

    public static IEndpointRouteBuilder MapOData(this IEndpointRouteBuilder app)
    {
        var odata = app.MapGroup(Base);
        odata.MapGet("/", (HttpContext http, ODataModel model) => ODataPayload.ServiceDocumentAsync(model.Model, ServiceRoot(http))).AllowAnonymous();
        odata.MapGet("/$metadata", (HttpContext http, ODataModel model) => Metadata(http, model.Model)).AllowAnonymous();
        odata.MapGet("/{**path}", (HttpContext http, RecordAccess access, ODataReader reader) => reader.GetAsync(http, access)).Audited("odata.query").OpensRecords();
        // The audit log is read for an IG review (its own purpose and check), not through a case: it opens no records.
        odata.MapGet("/" + ODataModel.AuditEntries, (HttpContext http, ODataReader reader) => reader.GetAsync(http, null)).Audited("odata.query");
        odata.MapGet("/" + ODataModel.AuditEntries + "/{**rest}", (HttpContext http, ODataReader reader) => reader.GetAsync(http, null)).Audited("odata.query");
        odata.MapPost("/{set}", (string set, HttpContext http, ODataWrites writer) => writer.CreateAsync(http, set)).Audited("odata.create").Takes(HubActions.RecordWrite);
        odata.MapODataJourneyActions();
        odata.MapMethods("/{entity}", [HttpMethods.Patch], (string entity, HttpContext http, ODataWrites writer) => writer.UpdateAsync(http, entity)).Audited("odata.update").Takes(HubActions.RecordWrite);
        return app;
    }

    /// <summary>CSDL XML, or CSDL JSON when asked for ($format=json or Accept: application/json without XML).</summary>
    internal static IResult Metadata(HttpContext http, Microsoft.OData.Edm.IEdmModel model)
    {
        var accept = http.Request.Headers.Accept.ToString();
        var json = http.Request.Query["$format"].FirstOrDefault() is "json" or "application/json"
            || (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("xml", StringComparison.OrdinalIgnoreCase));
        using var stream = new MemoryStream();
        if (json)
        {
            using var writer = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true });
            if (!CsdlWriter.TryWriteCsdl(model, writer, out var errors))
            {
                throw new InvalidOperationException("the OData model does not write as CSDL: " + string.Join("; ", errors));
            }
            writer.Flush();
            return new ODataBody(stream.ToArray(), "application/json; charset=utf-8", StatusCodes.Status200OK, null);
        }
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            if (!CsdlWriter.TryWriteCsdl(model, writer, CsdlTarget.OData, out var errors))
            {
                throw new InvalidOperationException("the OData model does not write as CSDL: " + string.Join("; ", errors));
            }
        }
        return new ODataBody(stream.ToArray(), "application/xml; charset=utf-8", StatusCodes.Status200OK, null);
    }
}
