using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Fhir;

/// <summary>
/// AuditEvent, read-only, for information governance officers: the same entries, access rule and
/// filters as /audit/entries (purpose audit-review, own agency's people and records only), as FHIR.
/// </summary>
internal static class FhirAuditEvents
{
    private static readonly string[] Supported = ["date", "patient", "agent", "purpose", "outcome", "_count", "_offset", "_before", "_format"];

    public static RouteGroupBuilder MapFhirAuditEvents(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/AuditEvent", SearchAsync).Audited("fhir.audit-search");
        return fhir;
    }

    private static async Task<IResult> SearchAsync(HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope, TimeProvider clock)
    {
        var query = http.Request.Query;
        if (query.Keys.FirstOrDefault(k => !Supported.Contains(k)) is { } unknown)
        {
            return FhirResults.BadRequest($"AuditEvent search takes {string.Join(", ", Supported[..^1])}; not '{SearchParameters.Safe(unknown)}'");
        }
        if (Access.SmartScopes.ScopeProblem(http, "AuditEvent", 's') is { } scopeProblem)
        {
            return FhirResults.Forbidden(scopeProblem);
        }
        if (AuditAccess.Authorise(http, policy, scope, clock) is { } refusal)
        {
            return refusal is IStatusCodeHttpResult { StatusCode: 403 }
                ? FhirResults.Forbidden("reading the audit needs the ig-officer role and the audit-review purpose")
                : FhirResults.BadRequest($"name the purpose of use audit-review in the {PurposeOfUse.PurposeHeader} header");
        }
        DateTimeOffset? from = null, to = null;
        foreach (var value in query["date"])
        {
            if (!DateRange.TryParse(value ?? "", out var range))
            {
                return FhirResults.BadRequest("date is a FHIR date, optionally prefixed ge, le, gt, lt or eq", "date");
            }
            var (f, t) = range.Bounds;
            from = f ?? from;
            to = t ?? to;
        }
        Guid? subject = null;
        if (query["patient"].FirstOrDefault() is { } patient)
        {
            if (FhirSearch.PatientId(patient) is not { } id)
            {
                return FhirResults.BadRequest("patient must be a Patient reference or id", "patient");
            }
            subject = id;
        }
        var count = int.TryParse(query["_count"].FirstOrDefault() ?? "50", out var c) && c is >= 0 and <= SearchParameters.MaxCount ? c : -1;
        var offset = int.TryParse(query["_offset"].FirstOrDefault() ?? "0", out var o) && o is >= 0 and <= SearchParameters.MaxOffset ? o : -1;
        if (count < 0 || offset < 0)
        {
            return FhirResults.BadRequest($"_count is 0 to {SearchParameters.MaxCount}, _offset 0 to {SearchParameters.MaxOffset}");
        }
        long? before = null;
        if (query["_before"].FirstOrDefault() is { } cursor)
        {
            if (!long.TryParse(cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence))
            {
                return FhirResults.BadRequest("_before is the sequence a next link gave", "_before");
            }
            before = sequence;
        }
        var outcome = query["outcome"].FirstOrDefault();
        var filters = new AuditFilters(subject, null, query["agent"].FirstOrDefault(), query["purpose"].FirstOrDefault(), null, null, null, from, to);
        await using var db = contexts.Create();
        var entries = filters.Apply(db, http.HubPrincipal());
        if (outcome is not null)
        {
            entries = entries.Where(a => a.Outcome == outcome);
        }
        var total = await entries.CountAsync(http.RequestAborted);
        // Paged by key, newest first: the log grows while a reader pages (each page's own read is appended),
        // so a next page starts below the last sequence shown and never repeats or skips an entry.
        var window = before is { } below ? entries.Where(a => a.Sequence < below) : entries;
        var rows = await window.OrderByDescending(a => a.Sequence).Skip(offset).Take(count + 1).ToListAsync(http.RequestAborted);
        var page = rows.Take(count).ToList().AsSeenBy(http.HubPrincipal());
        scope.Count = page.Count;
        var baseUrl = FhirEndpoints.BaseUrl(http);
        var links = new List<BundleLink> { new("self", $"{baseUrl}/AuditEvent{http.Request.QueryString}") };
        if (rows.Count > count && count > 0)
        {
            var next = string.Join('&', query.Where(q => q.Key is not ("_offset" or "_before")).SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
                .Append($"_before={page[^1].Sequence}"));
            links.Add(new BundleLink("next", $"{baseUrl}/AuditEvent?{next}"));
        }
        return FhirResults.Resource(new Bundle("searchset")
        {
            Timestamp = FhirMapping.Instant(clock.GetUtcNow()),
            Total = total,
            Link = links,
            Entry = page.Count == 0 ? null : page.Select(a => new BundleEntry($"{baseUrl}/AuditEvent/{a.Sequence}", AuditExports.AuditEvent(a), new BundleSearch("match"))).ToList(),
        });
    }
}
