using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Fhir.Write;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Fhir;

/// <summary>
/// Task/{id}/$decide: the council's front door records its decision on a referral (immediate protection,
/// section 47 enquiry, section 17 assessment, Family Help, no further action). The referral stays the
/// referring agency's record, so the referrer sees the outcome of what it referred.
/// </summary>
internal static class FhirReferrals
{
    private static readonly HashSet<string> Deciders = ["front-door", "lcpp"];

    public static RouteGroupBuilder MapFhirReferrals(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/Task/{id}/$decide", DecideAsync).Audited("fhir.referral-decide");
        return fhir;
    }

    private static async Task<IResult> DecideAsync(string id, HttpContext http, RecordAccess access, IRecordStore store, IHubDbContextFactory contexts,
        Disclosures disclosures, FhirTasks tasks, AuditScope audit, TimeProvider clock, Data.Notifications.NotificationOutbox outbox)
    {
        var me = http.HubPrincipal();
        if (me.Agency != "la" || !me.Roles.Overlaps(Deciders))
        {
            return FhirResults.Forbidden("only the council's front door (front-door or lcpp role) decides referrals");
        }
        var (parameters, problem) = await FhirBody.ReadAsync(http, "Parameters");
        if (problem is not null)
        {
            return problem;
        }
        var code = ResourceInput.Array(parameters, "parameter").Where(p => ResourceInput.Text(p, "name") == "decision").Select(p => ResourceInput.Text(p, "valueCode")).FirstOrDefault();
        var decision = Enum.GetValues<ReferralDecision>().Where(d => RecordFields.CamelCase(d.ToString()) == code).Select(d => (ReferralDecision?)d).FirstOrDefault();
        if (decision is not { } chosen)
        {
            return FhirResults.Unprocessable("parameter 'decision' (valueCode) is one of " +
                string.Join(", ", Enum.GetValues<ReferralDecision>().Select(d => RecordFields.CamelCase(d.ToString()))), "Parameters.parameter");
        }
        if (await FhirRequest.OpenAsync(http, access, "Task", 'u') is { } refusal)
        {
            return refusal;
        }
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirResults.NotFound("Task", SearchParameters.Safe(id));
        }
        await using var db = contexts.Create();
        var referral = await db.Referrals.AsNoTracking().ReachableBy(access).FirstOrDefaultAsync(r => r.Id == guid, http.RequestAborted);
        if (referral is null)
        {
            return FhirResults.NotFound("Task", id);
        }
        await access.PrepareAsync([referral.SubjectPersonId], http.RequestAborted);
        var permission = access.Decide(referral);
        if (!permission.IsPermit)
        {
            return FhirResults.NotFound("Task", id);
        }
        if (referral.Decision is { } earlier)
        {
            return FhirResults.Conflict($"this referral was already decided ({RecordFields.CamelCase(earlier.ToString())}); a decision is not changed afterwards");
        }
        var now = clock.UtcNowForStorage();
        var updated = await store.UpdateAsync<Referral>(guid, referral.Version, r =>
        {
            r.Decision = chosen;
            r.DecidedAt = now;
        }, http.RequestAborted);
        if (updated.Status != UpdateStatus.Updated)
        {
            return FhirResults.PreconditionFailed("the referral changed while it was being decided: read it again");
        }
        audit.RecordWrite(RecordFacts.For(updated.Record!), "decide");
        // The referring agency learns the outcome of what it referred (partners asked for exactly this).
        await outbox.EnqueueAsync(referral.OwningAgency, "referral.decided",
            new { task = $"Task/{guid}", decision = RecordFields.CamelCase(chosen.ToString()), decidedAt = now }, TimeSpan.Zero, http.RequestAborted);
        return FhirResults.Resource(tasks.ReferralTask(disclosures.Of(updated.Record!, permission), access.Now), etag: updated.Record!.ETag);
    }
}
