using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Pages;

/// <summary>
/// The IG officer's pages: the audit search, its exports, and the trail's integrity. The same authorisation (purpose
/// audit-review, the policy's audit rule for the officer's own organisation), the same organisation bound on every entry,
/// the same audit of the search itself, as the /audit API.
/// </summary>
internal static class AuditPages
{
    public const int PageSize = 50;

    public static RouteGroupBuilder MapAuditPages(this RouteGroupBuilder work)
    {
        work.MapGet("/{purpose}/audit", SearchAsync).Audited("page.audit");
        work.MapGet("/{purpose}/audit/export", AuditExports.ExportAsync).Audited("page.audit-export");
        work.MapGet("/{purpose}/audit/integrity", IntegrityAsync).Audited("page.audit-integrity");
        work.MapGet("/{purpose}/audit/reports/{kind}", ReportAsync).Audited("page.audit-report");
        return work;
    }

    private static IResult Refused(HttpContext http) => ApiErrors.For(http, new ApiError(403, "access_denied", "Forbidden",
        "Only an information governance officer reads the audit trail, under the purpose 'Information governance review of the audit trail', and only their own organisation's."));

    private static async Task<IResult> SearchAsync(string purpose, HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope,
        TimeProvider clock, CancellationToken ct)
    {
        if (AuditAccess.Authorise(http, policy, scope, clock) is not null)
        {
            return Refused(http);
        }
        var q = http.Request.Query;
        string? error = null;
        Guid? subject = null;
        DateTimeOffset? from = null, to = null;
        long? after = null;
        if (q["subject"].FirstOrDefault() is { Length: > 0 } s)
        {
            subject = Guid.TryParse(s.Trim(), out var g) ? g : null;
            error ??= subject is null ? "Person must be a record id, like 3f2b9c1e-0a4d-4c1b-9b7e-2d4f6a8c0e11" : null;
        }
        from = Date(q["from"].FirstOrDefault(), "From", ref error);
        to = Date(q["to"].FirstOrDefault(), "Before", ref error);
        if (q["after"].FirstOrDefault() is { Length: > 0 } a && long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
        {
            after = cursor;
        }
        var filters = new AuditFilters(subject, null, Blank(q["user"].FirstOrDefault()), Blank(q["purpose"].FirstOrDefault()), null, Blank(q["decision"].FirstOrDefault()),
            q["override"].FirstOrDefault() == "true" ? true : null, from, to);
        var page = error is null ? await AuditEndpoints.FindAsync(http, policy, contexts, scope, filters, after, PageSize, ct) : null;
        return PageEndpoints.Render<AuditPage>(error is null ? 200 : 400, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Page"] = page, ["Error"] = error, ["Query"] = q, ["Policy"] = policy.Policy,
        });
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTimeOffset? Date(string? text, string label, ref string? error)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        error ??= $"{label} must be a date, like 2026-11-01";
        return null;
    }

    private static async Task<IResult> ReportAsync(string purpose, string kind, HttpContext http, PolicyDecisionPoint policy, Data.Cluster.LagTolerantReads reads, AuditScope scope,
        TimeProvider clock, CancellationToken ct)
    {
        if (!AuditReports.Kinds.Contains(kind))
        {
            return ApiErrors.For(http, new ApiError(404, "not-found", "Not found", "There is no such report: " + string.Join(", ", AuditReportPage.Titles.Values) + "."));
        }
        if (AuditAccess.Authorise(http, policy, scope, clock) is not null)
        {
            return Refused(http);
        }
        string? error = null;
        var from = Date(http.Request.Query["from"].FirstOrDefault(), "From", ref error);
        var to = Date(http.Request.Query["to"].FirstOrDefault(), "Before", ref error);
        if (error is not null)
        {
            return ApiErrors.For(http, new ApiError(400, "invalid", "There is a problem", error));
        }
        var report = await AuditReports.BuildAsync(http.HubPrincipal(), policy, reads, scope, clock, kind,
            new AuditFilters(null, null, null, null, null, null, null, from, to), ct);
        return PageEndpoints.Render<AuditReportPage>(200, new() { ["User"] = PageEndpoints.UserOf(http, policy, purpose), ["Report"] = report, ["Policy"] = policy.Policy });
    }

    /// <summary>The whole trail verified in one streaming pass (contiguous, chained, each entry's hash, every signed checkpoint), as `sharinghub audit verify` does.</summary>
    private static async Task<IResult> IntegrityAsync(string purpose, HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope,
        TimeProvider clock, AuditCheckpointer checkpointer, CancellationToken ct)
    {
        if (AuditAccess.Authorise(http, policy, scope, clock) is not null)
        {
            return Refused(http);
        }
        await using var db = contexts.Create();
        var checkpoints = await db.AuditCheckpoints.AsNoTracking().ToListAsync(ct);
        var latest = checkpoints.OrderByDescending(c => c.TreeSize).FirstOrDefault();
        var result = await StoredAuditLog.VerifyAsync(contexts, [], checkpointer.PublicKeys, ct);
        return PageEndpoints.Render<AuditIntegrityPage>(200, new()
        {
            ["User"] = PageEndpoints.UserOf(http, policy, purpose),
            ["Result"] = new AuditIntegrityView(result.Ok, result.EntriesChecked, result.CheckpointsChecked, result.Problem, latest?.TreeSize, latest?.CreatedAt, latest?.KeyId),
        });
    }
}

/// <summary>The trail's integrity as the page shows it: whether it verified, how much, and the latest signed checkpoint.</summary>
public sealed record AuditIntegrityView(bool Ok, long Entries, int Checkpoints, string? Problem, long? LatestSize, DateTimeOffset? LatestAt, string? LatestKey);
