using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Fhir;

internal sealed record ProvenanceAgent(CodeableConcept Type, Reference Who);

internal sealed record Provenance(string Id) : FhirResource("Provenance", Id, null)
{
    public IReadOnlyList<Reference> Target { get; init; } = [];
    public string Recorded { get; init; } = "";
    public CodeableConcept? Activity { get; init; }
    public IReadOnlyList<ProvenanceAgent> Agent { get; init; } = [];
}

/// <summary>
/// Provenance of a record the caller may see: which agency wrote each version and when, from the
/// record's own metadata and history. A record the caller may not see has no provenance to show.
/// </summary>
internal static class FhirProvenance
{
    public static RouteGroupBuilder MapFhirProvenance(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/Provenance", SearchAsync).Audited("fhir.provenance").OpensRecords("Provenance", 's');
        return fhir;
    }

    private static async Task<IResult> SearchAsync(HttpContext http, RecordAccess access, IHubDbContextFactory contexts, FhirMapping map, PolicyDecisionPoint policy)
    {
        if (http.Request.Query.Keys.FirstOrDefault(k => k is not ("target" or "_format")) is { } unknown)
        {
            return FhirResults.BadRequest($"Provenance search takes target={{Type}}/{{id}}; not '{SearchParameters.Safe(unknown)}'");
        }
        var target = http.Request.Query["target"].FirstOrDefault();
        var parts = target?.Split('/') ?? [];
        if (parts.Length != 2 || FhirEndpoints.Known(parts[0]) is not null || !Guid.TryParse(parts[1], out var id))
        {
            return FhirResults.BadRequest($"target must be a reference to a resource the hub serves, such as Observation/{{id}}", "target");
        }
        await using var db = contexts.Create();
        var record = await FhirTypes.FindAsync(db, parts[0], id, access, http.RequestAborted);
        var entries = new List<BundleEntry>();
        if (record is not null)
        {
            await access.PrepareAsync(RecordFacts.For(record).SubjectIds, http.RequestAborted);
            if (access.Decide(record).IsPermit)
            {
                var versions = await db.RecordHistory.AsNoTracking().Where(v => v.RecordId == id).OrderBy(v => v.Version)
                    .Select(v => new { v.Version, v.UpdatedAt }).ToListAsync(http.RequestAborted);
                var all = versions.Select(v => (v.Version, v.UpdatedAt)).Append((record.Version, record.UpdatedAt));
                var author = CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author");
                var baseUrl = FhirEndpoints.BaseUrl(http);
                entries = all.Select(v => new BundleEntry($"{baseUrl}/Provenance/{id:N}-{v.Version}", new Provenance($"{id:N}-{v.Version}")
                {
                    Target = [new Reference($"{parts[0]}/{id}/_history/{v.Version}")],
                    Recorded = FhirMapping.Instant(v.Version == 1 ? record.CreatedAt : v.UpdatedAt),
                    Activity = CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/v3-DataOperation", v.Version == 1 ? "CREATE" : "UPDATE"),
                    Agent = [new ProvenanceAgent(author, FhirMapping.Organization(record, policy.Policy))],
                }, new BundleSearch("match"))).ToList();
            }
        }
        access.DisclosedFacts(entries.Count);
        return FhirResults.Resource(new Bundle("searchset")
        {
            Timestamp = FhirMapping.Instant(access.Now),
            Total = entries.Count,
            Entry = entries.Count == 0 ? null : entries,
        });
    }
}
