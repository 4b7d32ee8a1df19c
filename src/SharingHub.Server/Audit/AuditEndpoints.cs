using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using SharingHub.Crypto.Signing;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Audit;

/// <summary>
/// The audit log through the API: the public key and signed checkpoints for anyone who verifies it,
/// inclusion and consistency proofs, and the IG officer's search (purpose audit-review, own agency only).
/// </summary>
internal static class AuditEndpoints
{
    private const int MaxPage = 500;

    public static WebApplication MapAudit(this WebApplication app)
    {
        app.MapGet("/audit/public-key", (AuditCheckpointer checkpoints) =>
            Results.Json(new JsonWebKeys(checkpoints.Keys.Published.Select(HubSigningKeys.PublicJwk).ToList()))).AllowAnonymous()
            .WithTags("Audit").Answers<JsonWebKeys>(200, "The audit log's checkpoint signing keys (JWK Set), for verifying it offline");

        var audit = app.MapGroup("/audit").RequireAuthorization().WithTags("Audit");
        audit.MapGet("/checkpoint", async (AuditCheckpointer checkpoints, CancellationToken ct) =>
            await checkpoints.LatestAsync(ct) is { } c
                ? Results.Json(new AuditCheckpointView(c.TreeSize, Convert.ToBase64String(c.RootHash), c.CreatedAt, c.KeyId, Convert.ToBase64String(c.Signature)))
                : Results.NotFound()).Audited("audit.checkpoint.read")
            .Answers<AuditCheckpointView>(200, "The latest signed checkpoint (tree size, root hash, signature); 404 before the first").Produces(404);
        audit.MapGet("/proofs/inclusion", async (long sequence, long treeSize, AuditProofs proofs, CancellationToken ct) =>
            await proofs.InclusionAsync(sequence, treeSize, ct) is { } proof
                ? Results.Json(new InclusionProofView(sequence, sequence - 1, treeSize, proof.Select(Convert.ToBase64String).ToList()))
                : Results.NotFound()).Audited("audit.proof.read")
            .Answers<InclusionProofView>(200, "An RFC 9162 inclusion proof of one entry in a tree of the given size").Produces(404);
        audit.MapGet("/proofs/consistency", async (long first, long second, AuditProofs proofs, CancellationToken ct) =>
            await proofs.ConsistencyAsync(first, second, ct) is { } proof
                ? Results.Json(new ConsistencyProofView(first, second, proof.Select(Convert.ToBase64String).ToList()))
                : Results.NotFound()).Audited("audit.proof.read")
            .Answers<ConsistencyProofView>(200, "An RFC 9162 consistency proof between two tree sizes").Produces(404);
        audit.MapGet("/entries", SearchAsync).Audited("audit.search").NamesPurpose()
            .Answers<AuditEntriesPage>(200, "Search the audit trail (IG officers, purpose audit-review, own organisation); page on with after=next")
            .Produces<OAuthError>(400).Produces<OAuthError>(403);
        audit.MapGet("/export", AuditExports.ExportAsync).Audited("audit.export").NamesPurpose()
            .WithSummary("Export the audit trail as CSV or FHIR AuditEvent NDJSON (format=csv|fhir-ndjson)")
            .Produces(200, contentType: "text/csv", additionalContentTypes: ["application/fhir+ndjson"]).Produces<OAuthError>(400).Produces<OAuthError>(403);
        audit.MapGet("/reports/{kind}", AuditReports.ReportAsync).Audited("audit.report").NamesPurpose()
            .WithSummary("An IG report: overrides, outside-enquiry, out-of-hours, volume or share-rates")
            .Produces<System.Text.Json.JsonElement>(200).Produces<OAuthError>(400).Produces<OAuthError>(403).Produces(404);
        return app;
    }

    private static async Task<IResult> SearchAsync(HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope,
        TimeProvider clock, [AsParameters] AuditFilters filters, long? after, int? limit, CancellationToken ct)
    {
        if ((AuditAccess.Authorise(http, policy, scope, clock) ?? AuditAccess.UnknownParameter(http, "after", "limit")) is { } refusal)
        {
            return refusal;
        }
        return Results.Json(await FindAsync(http, policy, contexts, scope, filters, after, limit, ct));
    }

    /// <summary>One page of the entries the (already authorised) IG officer's organisation may read, as the API and the audit page show them.</summary>
    internal static async Task<AuditEntriesPage> FindAsync(HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope,
        AuditFilters filters, long? after, int? limit, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var query = filters.Apply(db, http.HubPrincipal());
        if (after is { } cursor)
        {
            query = query.Where(a => a.Sequence > cursor);
        }
        var page = Math.Clamp(limit ?? 100, 1, MaxPage);
        var rows = (await query.OrderBy(a => a.Sequence).Take(page + 1).ToListAsync(ct)).AsSeenBy(http.HubPrincipal());
        scope.Count = Math.Min(rows.Count, page);
        return new AuditEntriesPage(rows.Take(page).Select(a => AuditView.Json(a, policy.Policy)).ToList(), rows.Count > page ? rows[page - 1].Sequence : null);
    }
}

/// <summary>The filters an IG officer searches, exports and reports by; the officer's own organisation always bounds them.</summary>
internal sealed record AuditFilters(
    [FromQuery(Name = "subject")] Guid? Subject, [FromQuery(Name = "agency")] string? Agency, [FromQuery(Name = "user")] string? User,
    [FromQuery(Name = "purpose")] string? Purpose, [FromQuery(Name = "enquiry")] Guid? Enquiry, [FromQuery(Name = "decision")] string? Decision,
    [FromQuery(Name = "override")] bool? Override, [FromQuery(Name = "from")] DateTimeOffset? From, [FromQuery(Name = "to")] DateTimeOffset? To)
{
    public IQueryable<Core.Records.AuditEntry> Apply(Data.Storage.HubDbContext db, HubPrincipal viewer)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(viewer);
        var query = db.AuditEntries.AsNoTracking();
        var ownOrganisation = viewer.Organisation;
        var own = $"|{ownOrganisation}|";
        // Each organisation is its own controller: its IG officer sees what its own people did, and what anyone did with
        // its records; the agency filter (the requester's agency) narrows within that, never beyond it. An entry written
        // before organisations were names none, and was its agency's: its sector's default organisation, which carries the
        // sector's code, reads it.
        query = query.Where(a => a.Organisation == ownOrganisation || (a.Organisation == "" && a.Agency == ownOrganisation) || a.Owners.Contains(own));
        if (Subject is { } s)
        {
            var needle = $"|{s:D}|";
            query = query.Where(a => a.Subjects.Contains(needle));
        }
        if (!string.IsNullOrEmpty(Agency))
        {
            query = query.Where(a => a.Agency == Agency);
        }
        if (!string.IsNullOrEmpty(User))
        {
            // Through the log's index by actor, which is kept apart from it (appends do not write it) and covers the log's tail itself.
            query = Data.Audit.AuditActorIndex.ByActor(db, query, User);
        }
        if (!string.IsNullOrEmpty(Purpose))
        {
            query = query.Where(a => a.Purpose == Purpose);
        }
        if (Enquiry is { } e)
        {
            query = query.Where(a => a.EnquiryId == e);
        }
        if (!string.IsNullOrEmpty(Decision))
        {
            query = query.Where(a => a.Decision == Decision);
        }
        if (Override is { } o)
        {
            query = query.Where(a => a.IsOverride == o);
        }
        if (From is { } f)
        {
            var from = f.ToUniversalTime();
            query = query.Where(a => a.RecordedAt >= from);
        }
        if (To is { } t)
        {
            var to = t.ToUniversalTime();
            query = query.Where(a => a.RecordedAt < to);
        }
        return query;
    }
}

/// <summary>Who may read the audit: a purpose of use is named, and the policy permits the data class audit for the caller's own organisation.</summary>
internal static class AuditAccess
{
    /// <summary>The filters every audit listing takes; anything else is refused, so a typo never widens an IG officer's result.</summary>
    public static readonly string[] Filters = ["subject", "agency", "user", "purpose", "enquiry", "decision", "override", "from", "to"];

    /// <summary>A 400 naming the first query parameter this endpoint does not take, or null.</summary>
    public static IResult? UnknownParameter(HttpContext http, params string[] extra)
    {
        var unknown = http.Request.Query.Keys.FirstOrDefault(k => !Filters.Contains(k, StringComparer.Ordinal) && !extra.Contains(k, StringComparer.Ordinal));
        return unknown is null ? null : Results.Json(new
        {
            error = "invalid_parameter",
            error_description = $"'{new string(unknown.Take(60).Where(c => !char.IsControl(c)).ToArray())}' is not a parameter of this audit search; it takes {string.Join(", ", Filters.Concat(extra))}",
        }, statusCode: StatusCodes.Status400BadRequest);
    }

    public static IResult? Authorise(HttpContext http, PolicyDecisionPoint policy, AuditScope scope, TimeProvider clock)
    {
        var (purpose, _, refusal) = PurposeOfUse.Read(http, policy);
        if (refusal is not null)
        {
            return refusal;
        }
        scope.Purpose = purpose;
        var me = http.HubPrincipal();
        var resource = new ResourceFacts("audit", Guid.Empty, me.Agency, "audit", new HashSet<Guid>(), null,
            [new("sequence"), new("action"), new("outcome"), new("body")]) { OwningOrganisation = me.Organisation };
        var verdict = policy.Decide(new AccessRequest(me.ToPolicyPrincipal(), purpose!, null, resource, []), clock.GetUtcNow());
        scope.Record(resource, verdict);
        return verdict.IsPermit ? null : Results.Json(new { error = "access_denied", reasons = verdict.Reasons }, statusCode: StatusCodes.Status403Forbidden);
    }
}

internal static class AuditView
{
    public static AuditEntryView Json(Core.Records.AuditEntry a, Policies.Model.PolicySet policy) => new(
        a.Sequence, a.RecordedAt, a.Agency, a.Organisation.Length > 0 ? a.Organisation : null, a.Actor, a.Purpose, a.EnquiryId, a.Action, a.Outcome, a.Decision, a.IsOverride,
        a.Subjects.Split('|', StringSplitOptions.RemoveEmptyEntries), a.Owners.Split('|', StringSplitOptions.RemoveEmptyEntries),
        // Police operational information may be exempt from a subject access disclosure: a person decides.
        ReviewBeforeDisclosure(a, policy),
        JsonDocument.Parse(a.Body).RootElement);

    /// <summary>
    /// An entry that involves an agency processing under the law-enforcement regime (DPA 2018 Part 3, as agencies.yaml
    /// says of each agency) may be exempt from a subject access disclosure: a person decides before it leaves.
    /// </summary>
    public static bool ReviewBeforeDisclosure(Core.Records.AuditEntry a, Policies.Model.PolicySet policy) =>
        LawEnforcement(a.Agency, policy)
        || a.Owners.Split('|', StringSplitOptions.RemoveEmptyEntries)
            .Any(owner => LawEnforcement(policy.Organisations.TryGetValue(owner, out var o) ? o.Sector : owner, policy));

    /// <summary>Owners are organisations; the regime is their sector's (an owner the policy no longer names is read as a sector).</summary>
    private static bool LawEnforcement(string sector, Policies.Model.PolicySet policy) =>
        policy.Agencies.TryGetValue(sector, out var g) && g.Regime == Policies.Model.Regime.LawEnforcement;
}

/// <summary>One audit entry as the IG API shows it (ids, codes and counts; never a record's content).</summary>
public sealed record AuditEntryView(long Sequence, DateTimeOffset RecordedAt, string Agency, string? Organisation, string User, string? Purpose, Guid? Enquiry, string Action,
    string Outcome, string Decision, bool Override, IReadOnlyList<string> Subjects, IReadOnlyList<string> Owners, bool ReviewBeforeDisclosure, JsonElement Details);

/// <summary>A page of audit entries in sequence order; next is the cursor for the following page (after=next), null at the end.</summary>
public sealed record AuditEntriesPage(IReadOnlyList<AuditEntryView> Entries, long? Next);

internal sealed record AuditCheckpointView(long TreeSize, string RootHash, DateTimeOffset CreatedAt, string KeyId, string Signature);

internal sealed record InclusionProofView(long Sequence, long LeafIndex, long TreeSize, IReadOnlyList<string> Hashes);

internal sealed record ConsistencyProofView(long First, long Second, IReadOnlyList<string> Hashes);

/// <summary>A JSON Web Key Set (RFC 7517): public keys only.</summary>
internal sealed record JsonWebKeys(IReadOnlyList<IReadOnlyDictionary<string, string>> Keys);
