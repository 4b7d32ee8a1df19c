using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.History;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;

namespace SharingHub.Server.Fhir;

/// <summary>
/// vread and instance history. Access is decided now, on the record as it is now: an earlier version is
/// shown with exactly the fields the caller may see of the current one, and never to someone who may
/// not see the current one.
/// </summary>
internal sealed class FhirHistory(IHubDbContextFactory contexts, FhirMapping map)
{
    public const int MaxVersions = 100;

    public async Task<IResult> ReadVersionAsync(HttpContext http, RecordAccess access, string type, string id, string versionText)
    {
        var (current, decision, db, problem) = await OpenAsync(http, access, type, id);
        await using (db)
        {
            if (problem is not null)
            {
                return problem;
            }
            if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1 || version > current!.Version)
            {
                return FhirResults.NotFound(type, $"{id}/_history/{SearchParameters.Safe(versionText)}");
            }
            var record = version == current!.Version ? current : await EarlierAsync(db!, type, current.Id, version, http.RequestAborted);
            if (record is null)
            {
                return FhirResults.NotFound(type, $"{id}/_history/{version}");
            }
            return FhirResults.Resource(FhirTypes.ToResource(map, access.Disclose(record, decision!)), etag: record.ETag);
        }
    }

    public async Task<IResult> ListAsync(HttpContext http, RecordAccess access, string type, string id)
    {
        var (current, decision, db, problem) = await OpenAsync(http, access, type, id);
        await using (db)
        {
            if (problem is not null)
            {
                return problem;
            }
            var earlier = await db!.RecordHistory.AsNoTracking().Where(v => v.RecordId == current!.Id)
                .OrderByDescending(v => v.Version).Take(MaxVersions - 1).ToListAsync(http.RequestAborted);
            var versions = new List<Record> { current! };
            versions.AddRange(earlier.Select(v => Restore(type, v)));
            var baseUrl = FhirEndpoints.BaseUrl(http);
            return FhirResults.Resource(new Bundle("history")
            {
                Timestamp = FhirMapping.Instant(access.Now),
                Total = versions.Count,
                Link = [new BundleLink("self", $"{baseUrl}/{type}/{current!.Id}/_history")],
                Entry = versions.Select(r => new BundleEntry($"{baseUrl}/{type}/{r.Id}", FhirTypes.ToResource(map, access.Disclose(r, decision!)),
                    Response: new BundleEntryResponse(r.Version == 1 ? "201 Created" : "200 OK", $"{type}/{r.Id}/_history/{r.Version}", r.ETag, FhirMapping.Instant(r.UpdatedAt)))
                {
                    Request = new BundleEntryRequest(r.Version == 1 ? "POST" : "PUT", r.Version == 1 ? type : $"{type}/{r.Id}"),
                }).ToList(),
            });
        }
    }

    private async Task<(Record? Current, Decision? Decision, HubDbContext? Db, IResult? Problem)> OpenAsync(HttpContext http, RecordAccess access, string type, string id)
    {
        if (!Guid.TryParse(id, out var guid))
        {
            return (null, null, null, FhirResults.NotFound(type, SearchParameters.Safe(id)));
        }
        var db = contexts.Create();
        var current = await FhirTypes.FindAsync(db, type, guid, access, http.RequestAborted);
        if (current is null)
        {
            return (null, null, db, FhirResults.NotFound(type, id));
        }
        await access.PrepareAsync(RecordFacts.For(current).SubjectIds, http.RequestAborted);
        var decision = access.Decide(await AsProtectedAsEverAsync(db, current, http.RequestAborted));
        return decision.IsPermit ? (current, decision, db, null) : (null, null, db, FhirResults.NotFound(type, id));
    }

    /// <summary>
    /// An address once marked protected stays protected in every version: history is decided as if the
    /// mark were still on the record, so clearing it later does not open the refuge address kept in history.
    /// </summary>
    private static async Task<Record> AsProtectedAsEverAsync(HubDbContext db, Record current, CancellationToken ct)
    {
        if (current is not Person { AddressConfidential: false } person)
        {
            return current;
        }
        // Only the versions history shows are checked; a longer history than that counts as once protected (fail closed).
        var earlier = await db.RecordHistory.AsNoTracking().Where(v => v.RecordId == person.Id)
            .OrderByDescending(v => v.Version).Take(MaxVersions + 1).ToListAsync(ct);
        if (earlier.Count <= MaxVersions && !earlier.Any(v => RecordSnapshots.Restore<Person>(v).AddressConfidential))
        {
            return current;
        }
        var marked = RecordSnapshots.Restore<Person>(RecordSnapshots.Of(person));
        marked.AddressConfidential = true;
        return marked;
    }

    private static async Task<Record?> EarlierAsync(HubDbContext db, string type, Guid id, long version, CancellationToken ct) =>
        await db.RecordHistory.AsNoTracking().FirstOrDefaultAsync(v => v.RecordId == id && v.Version == version, ct) is { } row ? Restore(type, row) : null;

    private static Record Restore(string type, RecordVersion row) => type switch
    {
        FhirTypes.Patient => RecordSnapshots.Restore<Person>(row),
        FhirTypes.Observation => RecordSnapshots.Restore<ChronologyEvent>(row),
        FhirTypes.EpisodeOfCare => RecordSnapshots.Restore<Involvement>(row),
        FhirTypes.Flag => RecordSnapshots.Restore<PersonState>(row),
        FhirTypes.Group => RecordSnapshots.Restore<Household>(row),
        FhirTypes.RelatedPerson => RecordSnapshots.Restore<Relationship>(row),
        FhirTypes.CarePlan => RecordSnapshots.Restore<FamilyHelpPlan>(row),
        _ => RecordSnapshots.Restore<Consent>(row),
    };
}
