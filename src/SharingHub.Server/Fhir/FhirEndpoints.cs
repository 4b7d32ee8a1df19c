using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir.Write;

namespace SharingHub.Server.Fhir;

/// <summary>The FHIR R4 API at /fhir: thin endpoints over the search, chronology and write handlers.</summary>
internal static class FhirEndpoints
{
    public const string Base = "/fhir";

    /// <summary>The FHIR base as the hub's configured public URL gives it, never from the request's Host header (which a caller chooses).</summary>
    public static string BaseUrl(HttpContext http) => Identity.IdentityOptions.PublicBase(http) + Base;

    public static IServiceCollection AddSharingHubFhir(this IServiceCollection services)
    {
        Hosting.ApiErrors.AddApiErrorFormat(services, Base, FhirResults.Error);
        services.AddSingleton(sp => new FhirMapping(sp.GetRequiredService<PolicyDecisionPoint>().Policy));
        services.AddSingleton<FhirSearch>();
        services.AddSingleton<Chronology>();
        services.AddSingleton<FhirHistory>();
        services.AddSingleton<FhirTasks>();
        services.AddSingleton<Write.FhirWriter>();
        services.AddSingleton(sp => new Core.People.PersonSealer(
            sp.GetRequiredService<Core.Crypto.IFieldCipher>(), sp.GetRequiredService<Core.Crypto.IBlindIndexer>()));
        return services;
    }

    public static IEndpointRouteBuilder MapFhir(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(Base);
        fhir.MapGet("/metadata", (HttpContext http) => FhirResults.Resource(FhirCapability.Statement(BaseUrl(http)))).AllowAnonymous();
        fhir.MapFhirProfiles();
        fhir.MapFhirAuditEvents();
        fhir.MapFhirProvenance();
        fhir.MapFhirReferrals();
        fhir.MapGet("/Task/{id}", (string id, HttpContext http, RecordAccess access, FhirTasks tasks) => tasks.ReadAsync(http, access, id)).Audited("fhir.read");
        fhir.MapGet("/Task", (HttpContext http, RecordAccess access, FhirTasks tasks) => tasks.SearchAsync(http, access)).Audited("fhir.search");
        fhir.MapGet("/Patient/{id}/$chronology", (string id, HttpContext http, RecordAccess access, Chronology chronology) =>
            chronology.ReadAsync(http, access, id)).Audited("fhir.chronology");
        fhir.MapGet("/{type}/{id}", ReadAsync).Audited("fhir.read");
        fhir.MapGet("/{type}/{id}/_history/{version}", (string type, string id, string version, HttpContext http, RecordAccess access, FhirHistory history) =>
            history.ReadVersionAsync(http, access, type, id, version)).Audited("fhir.vread");
        fhir.MapGet("/{type}/{id}/_history", (string type, string id, HttpContext http, RecordAccess access, FhirHistory history) =>
            history.ListAsync(http, access, type, id)).Audited("fhir.history");
        fhir.MapGet("/{type}", (string type, HttpContext http, RecordAccess access, FhirSearch search) =>
            Known(type) is { } problem ? Task.FromResult(problem) : search.SearchAsync(http, access, type, http.Request.Query)).Audited("fhir.search");
        fhir.MapPost("/{type}/_search", async (string type, HttpContext http, RecordAccess access, FhirSearch search) =>
        {
            if (Known(type) is { } problem)
            {
                return problem;
            }
            if (!http.Request.HasFormContentType)
            {
                return FhirResults.Outcome(415, "not-supported", "POST _search takes application/x-www-form-urlencoded parameters");
            }
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await search.SearchAsync(http, access, type, http.Request.Query.Concat(form));
        }).Audited("fhir.search");
        fhir.MapFhirWrites();
        return app;
    }

    public static IResult? Known(string type) =>
        FhirTypes.Readable.Contains(type) ? null : FhirResults.Outcome(404, "not-supported", $"resource type '{SearchParameters.Safe(type)}' is not served here; see /fhir/metadata");

    private static async Task<IResult> ReadAsync(string type, string id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts,
        Disclosures disclosures, FhirMapping map)
    {
        if (Known(type) is { } problem)
        {
            return problem;
        }
        var unknown = http.Request.Query.Keys.FirstOrDefault(k => k is not ("_summary" or "_elements" or "_format"));
        if (unknown is not null)
        {
            return FhirResults.BadRequest($"a read takes only _summary or _elements, not '{SearchParameters.Safe(unknown)}'");
        }
        var (shaping, shapeError) = FhirShaping.Parse(http.Request.Query["_summary"].FirstOrDefault(), http.Request.Query["_elements"].FirstOrDefault());
        if (shapeError is not null || shaping.Count)
        {
            return FhirResults.BadRequest(shapeError ?? "_summary=count applies to searches");
        }
        if (await FhirRequest.OpenAsync(http, access, type, 'r') is { } refusal)
        {
            return refusal;
        }
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirResults.NotFound(type, SearchParameters.Safe(id));
        }
        await using var db = contexts.Create();
        var record = await FhirTypes.Query(db, type, access).FirstOrDefaultAsync(r => r.Id == guid, http.RequestAborted);
        if (record is null)
        {
            return FhirResults.NotFound(type, id);
        }
        await access.PrepareAsync(RecordFacts.For(record).SubjectIds, http.RequestAborted);
        var decision = access.Decide(record);
        if (!decision.IsPermit)
        {
            return FhirResults.NotFound(type, id);
        }
        access.ScopeCount(1);
        return FhirResults.Resource(shaping.Apply(FhirTypes.ToResource(map, disclosures.Of(record, decision))), etag: record.ETag,
            lastModified: record.UpdatedAt.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }
}
