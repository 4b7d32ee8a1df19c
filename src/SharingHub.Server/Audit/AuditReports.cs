using Microsoft.EntityFrameworkCore;
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

    public static readonly string[] Kinds = ["overrides", "outside-enquiry", "out-of-hours", "volume", "share-rates"];

    public static async Task<IResult> ReportAsync(HttpContext http, PolicyDecisionPoint policy, Data.Cluster.LagTolerantReads reads, AuditScope scope,
        TimeProvider clock, string kind, [AsParameters] AuditFilters filters, CancellationToken ct)
    {
        if (!Kinds.Contains(kind))
        {
            return Results.Json(new { error = "unknown_report", reports = Kinds }, statusCode: 404);
        }
        if ((AuditAccess.Authorise(http, policy, scope, clock) ?? AuditAccess.UnknownParameter(http)) is { } refusal)
        {
            return refusal;
        }
        // The report covers what the filters select, as a search with them would (a report by user is that user's).
        var report = await BuildAsync(http.HubPrincipal(), policy, reads, scope, clock, kind, filters, ct);
        return report.Entries is { } entries
            ? Results.Json(new { report = kind, from = report.From, to = report.To, total = report.Total, result = entries })
            : Results.Json(new { report = kind, from = report.From, to = report.To, result = (object?)report.Volume ?? report.ShareRates });
    }

    /// <summary>One report for an (already authorised) IG officer, as the API and the audit pages show it.</summary>
    internal static async Task<AuditReport> BuildAsync(HubPrincipal viewer, PolicyDecisionPoint policy, Data.Cluster.LagTolerantReads reads, AuditScope scope,
        TimeProvider clock, string kind, AuditFilters filters, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var end = filters.To ?? clock.GetUtcNow();
        filters = filters with { From = filters.From ?? end.AddDays(-30), To = end };
        // Lag-tolerant: a replica within its stated lag may answer; the entries are append-only and the viewer was decided above.
        await using var db = reads.Create();
        // The window's entries without their bodies (a body is kilobytes; a month of them is not held in memory):
        // the counts come from these, and a listing loads in full only the entries it shows.
        var rows = await filters.Apply(db, viewer).OrderBy(a => a.Sequence).Take(MaxRows)
            .Select(a => new ReportRow(a.Sequence, a.RecordedAt, a.Agency, a.Actor, a.Purpose, a.EnquiryId, a.Decision, a.IsOverride, a.Owners,
                a.Disclosed, a.Roles, a.Subjects))
            .ToListAsync(ct);
        scope.Count = rows.Count;
        var matching = kind switch
        {
            "overrides" => rows.Where(a => a.IsOverride).ToList(),
            "outside-enquiry" => rows.Where(a => a.Purpose is not null && EnquiryPurposes.Contains(a.Purpose) && (a.EnquiryId is null || a.Decision is "deny" or "mixed")).ToList(),
            "out-of-hours" => rows.Where(a => OutOfHours(a.RecordedAt)).ToList(),
            _ => null,
        };
        var report = new AuditReport(kind, filters.From!.Value, filters.To!.Value);
        if (matching is not null)
        {
            var shown = matching.Take(MaxListed).Select(a => a.Sequence).ToList();
            var entries = (await db.AuditEntries.AsNoTracking().Where(a => shown.Contains(a.Sequence)).OrderBy(a => a.Sequence).ToListAsync(ct)).AsSeenBy(viewer);
            return report with { Total = matching.Count, Entries = entries.Select(a => AuditView.Json(a, policy.Policy)).ToList() };
        }
        return kind == "volume"
            ? report with { Volume = Volume(rows) }
            : report with
            {
                ShareRates = rows.Where(a => a.Decision != "none")
                    .SelectMany(a => a.Owners.Split('|', StringSplitOptions.RemoveEmptyEntries).Select(owner => (owner, a.Decision)))
                    .GroupBy(x => x.owner)
                    .Select(g => new ShareRate(g.Key, g.Count(x => x.Decision == "permit"), g.Count(x => x.Decision == "deny"), g.Count(x => x.Decision == "mixed"),
                        Math.Round(g.Count(x => x.Decision == "permit") / (double)g.Count(), 3)))
                    .OrderBy(x => x.Agency, StringComparer.Ordinal).ToList(),
            };
    }

    public static bool OutOfHours(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, UkTime);
        return local.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || local.Hour < 8 || local.Hour >= 18;
    }

    /// <summary>A user-day is unusual when it disclosed at least this many records...</summary>
    public const int UnusualRecords = 50;

    /// <summary>...and more than this many times the median user-day of the same role.</summary>
    public const int UnusualFactor = 3;

    /// <summary>
    /// Volume seen as records, not requests: for each user and day, the records and distinct people disclosed to them;
    /// a day is unusual when its records are at least 50 and more than three times the median day of users with the
    /// same roles (a front door reads more than a school lead; one page of a hundred people is a hundred records).
    /// </summary>
    internal static VolumeReport Volume(IReadOnlyCollection<ReportRow> rows)
    {
        var perUserDay = rows.GroupBy(a => (a.Agency, a.Actor, Day: DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(a.RecordedAt, UkTime).Date)))
            .Select(g => new
            {
                g.Key.Agency, g.Key.Actor, g.Key.Day,
                // The roles the user held that day (the last entry's), as the work they were doing.
                Role = g.OrderBy(a => a.Sequence).Last().Roles is { Length: > 0 } roles ? roles.Trim('|').Replace('|', ' ') : "unknown",
                Requests = g.Count(),
                Records = g.Sum(a => (long)a.Disclosed),
                People = g.SelectMany(a => a.Subjects.Split('|', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).Count(),
            }).ToList();
        var medians = perUserDay.GroupBy(x => x.Role).ToDictionary(g => g.Key, g =>
        {
            var records = g.Select(x => x.Records).Order().ToList();
            return records[records.Count / 2];
        }, StringComparer.Ordinal);
        var unusual = perUserDay.Where(x => x.Records >= UnusualRecords && x.Records > UnusualFactor * medians[x.Role])
            .OrderByDescending(x => x.Records)
            .Select(x => new UnusualDay(x.Agency, x.Actor, x.Role, x.Day, x.Requests, x.Records, x.People, medians[x.Role]))
            .ToList();
        return new VolumeReport(medians.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new RoleVolume(m.Key, m.Value)).ToList(), unusual);
    }
}

/// <summary>A report over a window: a listing (Entries, with Total matched), the volume report, or share rates by owning organisation.</summary>
public sealed record AuditReport(string Kind, DateTimeOffset From, DateTimeOffset To)
{
    public int? Total { get; init; }
    public IReadOnlyList<AuditEntryView>? Entries { get; init; }
    public VolumeReport? Volume { get; init; }
    public IReadOnlyList<ShareRate>? ShareRates { get; init; }
}

/// <summary>How often an organisation's records were shared when asked for (permits over all decisions).</summary>
public sealed record ShareRate(string Agency, int Permits, int Refusals, int Mixed, double ShareRateValue)
{
    [System.Text.Json.Serialization.JsonPropertyName("shareRate")]
    public double ShareRateValue { get; init; } = ShareRateValue;
}

/// <summary>The volume report: the median records disclosed per user-day for each set of roles, and the days far above it.</summary>
public sealed record VolumeReport(IReadOnlyList<RoleVolume> ByRole, IReadOnlyList<UnusualDay> Unusual);

public sealed record RoleVolume(string Roles, long MedianRecordsPerDay);

/// <summary>One user's day far above their role's median: the requests made, records and distinct people disclosed.</summary>
public sealed record UnusualDay(string Agency, string User, string Roles, DateOnly Day, int Requests, long Records, int People, long RoleMedian);

/// <summary>What the reports need of an entry: everything but its body.</summary>
internal sealed record ReportRow(long Sequence, DateTimeOffset RecordedAt, string Agency, string Actor, string? Purpose, Guid? EnquiryId, string Decision,
    bool IsOverride, string Owners, int Disclosed, string Roles, string Subjects);
