using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Audit;

/// <summary>
/// The IG officer's reports over a window (default the last 30 days): overrides, access outside an
/// open enquiry, out-of-hours access (UK time, outside 08:00 to 18:00 on weekdays), unusual volume per
/// user, and share and decline rates per agency whose records were asked for.
/// </summary>
internal static class AuditReports
{
    private const int MaxRows = 200_000;

    /// <summary>A listing report shows at most this many entries in full (with total saying how many matched).</summary>
    public const int MaxListed = 1_000;
    private static readonly TimeZoneInfo UkTime = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly HashSet<string> EnquiryPurposes = new(StringComparer.Ordinal) { "s47-enquiry", "strategy-meeting" };

    public static async Task<IResult> ReportAsync(HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope,
        TimeProvider clock, string kind, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct)
    {
        if (kind is not ("overrides" or "outside-enquiry" or "out-of-hours" or "volume" or "share-rates"))
        {
            return Results.Json(new { error = "unknown_report", reports = new[] { "overrides", "outside-enquiry", "out-of-hours", "volume", "share-rates" } }, statusCode: 404);
        }
        if ((AuditAccess.Authorise(http, policy, scope, clock) ?? AuditAccess.UnknownParameter(http)) is { } refusal)
        {
            return refusal;
        }
        var end = to ?? clock.GetUtcNow();
        var filters = new AuditFilters(null, null, null, null, null, null, null, from ?? end.AddDays(-30), end);
        await using var db = contexts.Create();
        var viewer = http.HubPrincipal().Agency;
        // The window's entries without their bodies (a body is kilobytes; a month of them is not held in memory):
        // the counts come from these, and a listing loads in full only the entries it shows.
        var rows = await filters.Apply(db.AuditEntries.AsNoTracking(), viewer).OrderBy(a => a.Sequence).Take(MaxRows)
            .Select(a => new ReportRow(a.Sequence, a.RecordedAt, a.Agency, a.Actor, a.Purpose, a.EnquiryId, a.Decision, a.IsOverride, a.Owners))
            .ToListAsync(ct);
        scope.Count = rows.Count;
        var matching = kind switch
        {
            "overrides" => rows.Where(a => a.IsOverride).ToList(),
            "outside-enquiry" => rows.Where(a => a.Purpose is not null && EnquiryPurposes.Contains(a.Purpose) && (a.EnquiryId is null || a.Decision is "deny" or "mixed")).ToList(),
            "out-of-hours" => rows.Where(a => OutOfHours(a.RecordedAt)).ToList(),
            _ => null,
        };
        if (matching is not null)
        {
            var shown = matching.Take(MaxListed).Select(a => a.Sequence).ToList();
            var entries = (await db.AuditEntries.AsNoTracking().Where(a => shown.Contains(a.Sequence)).OrderBy(a => a.Sequence).ToListAsync(ct)).AsSeenBy(viewer);
            return Results.Json(new { report = kind, from = filters.From, to = filters.To, total = matching.Count, result = entries.Select(a => AuditView.Json(a, policy.Policy)).ToList() });
        }
        object result = kind switch
        {
            "volume" => Volume(rows),
            _ => rows.Where(a => a.Decision != "none")
                .SelectMany(a => a.Owners.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(owner => (owner, a.Decision)))
                .GroupBy(x => x.owner)
                .Select(g => new
                {
                    agency = g.Key,
                    permits = g.Count(x => x.Decision == "permit"),
                    refusals = g.Count(x => x.Decision == "deny"),
                    mixed = g.Count(x => x.Decision == "mixed"),
                    shareRate = Math.Round(g.Count(x => x.Decision == "permit") / (double)g.Count(), 3),
                }).OrderBy(x => x.agency, StringComparer.Ordinal).ToList(),
        };
        return Results.Json(new { report = kind, from = filters.From, to = filters.To, result });
    }

    public static bool OutOfHours(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, UkTime);
        return local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || local.Hour < 8 || local.Hour >= 18;
    }

    /// <summary>Users whose busiest day is far above the typical user's: more than three times the median, and at least 50 requests.</summary>
    private static object Volume(List<ReportRow> rows)
    {
        var perUserDay = rows.GroupBy(a => (a.Agency, a.Actor, Day: DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(a.RecordedAt, UkTime).Date)))
            .Select(g => (g.Key.Agency, g.Key.Actor, g.Key.Day, Count: g.Count())).ToList();
        if (perUserDay.Count == 0)
        {
            return new { median = 0, unusual = Array.Empty<object>() };
        }
        var counts = perUserDay.Select(x => x.Count).Order().ToList();
        var median = counts[counts.Count / 2];
        var unusual = perUserDay.Where(x => x.Count >= 50 && x.Count > 3 * median)
            .OrderByDescending(x => x.Count)
            .Select(x => new { agency = x.Agency, user = x.Actor, day = x.Day, requests = x.Count }).ToList();
        return new { median, unusual };
    }
}

/// <summary>What the reports need of an entry: everything but its body.</summary>
internal sealed record ReportRow(long Sequence, DateTimeOffset RecordedAt, string Agency, string Actor, string? Purpose, Guid? EnquiryId, string Decision,
    bool IsOverride, string Owners);
