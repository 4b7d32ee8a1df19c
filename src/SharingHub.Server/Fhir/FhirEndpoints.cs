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
        services.AddSingleton<FhirJourney>();
        services.AddSingleton<Write.FhirWriter>();
        return services;
    }

    public static IEndpointRouteBuilder MapFhir(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(Base);
        fhir.MapGet("/metadata", (HttpContext http) => FhirResults.Resource(FhirCapability.Statement(BaseUrl(http)))).AllowAnonymous();
        fhir.MapFhirProfiles();
        fhir.MapFhirAuditEvents();
        fhir.MapFhirProvenance();
        fhir.MapFhirReferralDecisions();
        fhir.MapGet("/Task/{id}", (string id, HttpContext http, RecordAccess access, FhirTasks tasks) => tasks.ReadAsync(http, access, id))
            .Audited("fhir.read").OpensRecords("Task", 'r', listsCases: true);
        fhir.MapGet("/Task", (HttpContext http, RecordAccess access, FhirTasks tasks) => tasks.SearchAsync(http, access))
            .Audited("fhir.search").OpensRecords("Task", 's', listsCases: true);
        foreach (var type in new[] { FhirJourney.CarePlanType, FhirJourney.EncounterType })
        {
            // A Family Help plan is a written record (read with its version, for an update); a child protection plan is its case's.
            fhir.MapGet($"/{type}/{{id}}", async (string id, HttpContext http, RecordAccess access, FhirJourney journey, IHubDbContextFactory contexts, FhirMapping map) =>
                    type == FhirTypes.CarePlan && await journey.IsFamilyHelpAsync(id, http.RequestAborted)
                        ? await ReadAsync(type, id, http, access, contexts, map) : await journey.ReadAsync(http, access, type, id))
                .Audited("fhir.read").OpensRecords(type, 'r');
            fhir.MapGet($"/{type}", (HttpContext http, RecordAccess access, FhirJourney journey) => journey.SearchAsync(http, access, type))
                .Audited("fhir.search").OpensRecords(type, 's');
        }
        fhir.MapGet("/Patient/{id}/$chronology", (string id, HttpContext http, RecordAccess access, Chronology chronology) =>
            chronology.ReadAsync(http, access, id)).Audited("fhir.chronology").OpensRecords(FhirTypes.Patient, 'r');
        fhir.MapGet("/{type}/{id}", ReadAsync).Audited("fhir.read").ServedType().OpensRecords(RecordRequestFilter.RouteType, 'r');
        fhir.MapGet("/{type}/{id}/_history/{version}", (string type, string id, string version, HttpContext http, RecordAccess access, FhirHistory history) =>
            history.ReadVersionAsync(http, access, type, id, version)).Audited("fhir.vread").ServedType().OpensRecords(RecordRequestFilter.RouteType, 'r');
        fhir.MapGet("/{type}/{id}/_history", (string type, string id, HttpContext http, RecordAccess access, FhirHistory history) =>
            history.ListAsync(http, access, type, id)).Audited("fhir.history").ServedType().OpensRecords(RecordRequestFilter.RouteType, 'r');
        fhir.MapGet("/{type}", (string type, HttpContext http, RecordAccess access, FhirSearch search) =>
            search.SearchAsync(http, access, type, http.Request.Query)).Audited("fhir.search").ServedType().OpensRecords(RecordRequestFilter.RouteType, 's');
        fhir.MapPost("/{type}/_search", async (string type, HttpContext http, RecordAccess access, FhirSearch search) =>
        {
            if (!http.Request.HasFormContentType)
            {
                return FhirResults.Outcome(415, "not-supported", "POST _search takes application/x-www-form-urlencoded parameters");
            }
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return await search.SearchAsync(http, access, type, http.Request.Query.Concat(form));
        }).Audited("fhir.search").ServedType(postedSearch: true).OpensRecords(RecordRequestFilter.RouteType, 's');
        fhir.MapFhirWrites();
        fhir.MapFhirJourneyWrites();
        return app;
    }

    /// <summary>A type the hub serves at this route: Family Help CarePlans are read, versioned and written through the generic routes, and searched with GET (with child protection plans).</summary>
    public static IResult? Known(string type, bool postedSearch = false) =>
        FhirTypes.Readable.Contains(type) || (type == FhirTypes.CarePlan && !postedSearch) ? null : FhirResults.Outcome(404, "not-supported", $"resource type '{SearchParameters.Safe(type)}' is not served here; see /fhir/metadata");

    /// <summary>A route's <c>{type}</c> must be a type the hub serves; anything else is answered before the request is opened.</summary>
    private static RouteHandlerBuilder ServedType(this RouteHandlerBuilder builder, bool postedSearch = false) =>
        builder.AddEndpointFilter((context, next) =>
            Known(context.HttpContext.GetRouteValue("type") as string ?? "", postedSearch) is { } unknown ? ValueTask.FromResult<object?>(unknown) : next(context));

    private static async Task<IResult> ReadAsync(string type, string id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, FhirMapping map)
    {
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
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirResults.NotFound(type, SearchParameters.Safe(id));
        }
        await using var db = contexts.Create();
        var record = await FhirTypes.FindAsync(db, type, guid, access, http.RequestAborted);
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
        return FhirResults.Resource(shaping.Apply(FhirTypes.ToResource(map, access.Disclose(record, decision))), etag: record.ETag,
            lastModified: record.UpdatedAt.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }
}
