using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Crypto.Signing;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
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
            Results.Json(new { keys = checkpoints.Keys.Published.Select(HubSigningKeys.PublicJwk) })).AllowAnonymous();

        var audit = app.MapGroup("/audit").RequireAuthorization();
        audit.MapGet("/checkpoint", async (AuditCheckpointer checkpoints, CancellationToken ct) =>
            await checkpoints.LatestAsync(ct) is { } c
                ? Results.Json(new { treeSize = c.TreeSize, rootHash = Convert.ToBase64String(c.RootHash), createdAt = c.CreatedAt, keyId = c.KeyId, signature = Convert.ToBase64String(c.Signature) })
                : Results.NotFound()).Audited("audit.checkpoint.read");
        audit.MapGet("/proofs/inclusion", async (long sequence, long treeSize, AuditProofs proofs, CancellationToken ct) =>
            await proofs.InclusionAsync(sequence, treeSize, ct) is { } proof
                ? Results.Json(new { sequence, leafIndex = sequence - 1, treeSize, hashes = proof.Select(Convert.ToBase64String) })
                : Results.NotFound()).Audited("audit.proof.read");
        audit.MapGet("/proofs/consistency", async (long first, long second, AuditProofs proofs, CancellationToken ct) =>
            await proofs.ConsistencyAsync(first, second, ct) is { } proof
                ? Results.Json(new { first, second, hashes = proof.Select(Convert.ToBase64String) })
                : Results.NotFound()).Audited("audit.proof.read");
        audit.MapGet("/entries", SearchAsync).Audited("audit.search");
        return app;
    }

    private static async Task<IResult> SearchAsync(
        HttpContext http, PolicyDecisionPoint policy, IHubDbContextFactory contexts, AuditScope scope, TimeProvider clock,
        Guid? subject, string? user, string? purpose, Guid? enquiry, string? decision, bool? @override,
        DateTimeOffset? from, DateTimeOffset? to, long? after, int? limit, CancellationToken ct)
    {
        var (purposeOfUse, _, refusal) = PurposeOfUse.Read(http, policy);
        if (refusal is not null)
        {
            return refusal;
        }
        scope.Purpose = purposeOfUse;
        var me = http.HubPrincipal();
        var resource = new ResourceFacts("audit", Guid.Empty, me.Agency, "audit", new HashSet<Guid>(), null,
            [new("sequence"), new("action"), new("outcome"), new("body")]);
        var verdict = policy.Decide(new AccessRequest(new Principal(me.Agency, me.Subject, me.Roles, me.ClientId), purposeOfUse!, null, resource, []), clock.GetUtcNow());
        scope.Record(resource, verdict);
        if (!verdict.IsPermit)
        {
            return Results.Json(new { error = "access_denied", reasons = verdict.Reasons }, statusCode: StatusCodes.Status403Forbidden);
        }
        var own = $"|{me.Agency}|";
        await using var db = contexts.Create();
        // An IG officer sees what their own agency's people did, and what anyone did with their agency's records.
        var query = db.AuditEntries.AsNoTracking().Where(a => a.Agency == me.Agency || a.Owners.Contains(own));
        if (subject is { } s)
        {
            var needle = $"|{s:D}|";
            query = query.Where(a => a.Subjects.Contains(needle));
        }
        if (!string.IsNullOrEmpty(user))
        {
            query = query.Where(a => a.Actor == user);
        }
        if (!string.IsNullOrEmpty(purpose))
        {
            query = query.Where(a => a.Purpose == purpose);
        }
        if (enquiry is { } e)
        {
            query = query.Where(a => a.EnquiryId == e);
        }
        if (!string.IsNullOrEmpty(decision))
        {
            query = query.Where(a => a.Decision == decision);
        }
        if (@override is { } o)
        {
            query = query.Where(a => a.IsOverride == o);
        }
        if (from is { } f)
        {
            query = query.Where(a => a.RecordedAt >= f.ToUniversalTime());
        }
        if (to is { } t)
        {
            query = query.Where(a => a.RecordedAt < t.ToUniversalTime());
        }
        if (after is { } cursor)
        {
            query = query.Where(a => a.Sequence > cursor);
        }
        var page = Math.Clamp(limit ?? 100, 1, MaxPage);
        var rows = await query.OrderBy(a => a.Sequence).Take(page + 1).ToListAsync(ct);
        scope.Count = Math.Min(rows.Count, page);
        var entries = rows.Take(page).Select(a => new
        {
            sequence = a.Sequence,
            recordedAt = a.RecordedAt,
            agency = a.Agency,
            user = a.Actor,
            purpose = a.Purpose,
            enquiry = a.EnquiryId,
            action = a.Action,
            outcome = a.Outcome,
            decision = a.Decision,
            @override = a.IsOverride,
            subjects = a.Subjects.Split('|', StringSplitOptions.RemoveEmptyEntries),
            owners = a.Owners.Split('|', StringSplitOptions.RemoveEmptyEntries),
            // Police operational information may be exempt from a subject access disclosure: a person decides.
            reviewBeforeDisclosure = a.Agency == "police" || a.Owners.Contains("|police|"),
            details = JsonDocument.Parse(a.Body).RootElement,
        });
        return Results.Json(new { entries, next = rows.Count > page ? rows[page - 1].Sequence : (long?)null });
    }
}
