using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

/// <summary>What every change by the enquiry's lead shares: the lead check, the version check, the audit and the members' notifications.</summary>
internal static partial class EnquiryEndpoints
{
    /// <summary>A change by the enquiry's lead practitioner, to an open enquiry, applied only to the version read (no lost update).</summary>
    internal static Task<IResult> ChangeAsync(Guid id, HttpContext http, IRecordStore store, AuditScope audit, NotificationOutbox outbox, string operation,
        TimeProvider clock, Func<Enquiry, DateTimeOffset, string?> change) =>
        ChangeAsync(id, http, store, audit, outbox, operation, clock, (e, now, _) => change(e, now));

    /// <summary>As above, with other records changed in the same transaction (a plan's flags on its children).</summary>
    internal static async Task<IResult> ChangeAsync(Guid id, HttpContext http, IRecordStore store, AuditScope audit, NotificationOutbox outbox, string operation,
        TimeProvider clock, Func<Enquiry, DateTimeOffset, RecordChanges, string?> change)
    {
        var me = http.HubPrincipal();
        var (enquiry, refusal) = await LedAndOpenAsync(id, http, store);
        if (refusal is not null)
        {
            return refusal;
        }
        audit.EnquiryId = id;
        string? problem = null;
        var now = clock.UtcNowForStorage();
        RecordChanges? others = null;
        UpdateResult<Enquiry> result;
        try
        {
            result = await store.UpdateAsync<Enquiry>(id, enquiry!.Version, (e, changes) =>
            {
                problem = change(e, now, changes);
                others = changes;
                if (problem is not null)
                {
                    // Refused by its own checks: nothing is written, not even a new version of the case.
                    throw new ChangeRefusedException();
                }
            }, http.RequestAborted);
        }
        catch (ChangeRefusedException)
        {
            return Problem(422, problem!);
        }
        if (result.Status != UpdateStatus.Updated)
        {
            return Problem(409, "the enquiry changed at the same time; read it again and retry");
        }
        audit.RecordWrite(RecordFacts.For(result.Record!), operation);
        foreach (var added in others?.Added ?? [])
        {
            audit.RecordWrite(RecordFacts.For(added), "create");
        }
        // Each member agency's system (its default organisation) hears of the change (who is in, who is out, closure), never its grounds.
        foreach (var agency in result.Record!.Members.Select(m => m.Agency).Where(a => a != me.Agency).Distinct(StringComparer.Ordinal))
        {
            await outbox.EnqueueAsync(http.RequestServices.GetRequiredService<Policies.Decisions.PolicyDecisionPoint>().Policy.DefaultOrganisation(agency).Code, "enquiry.changed",
                new { enquiry = id, change = operation, status = RecordFields.CamelCase(result.Record.Status.ToString()) }, TimeSpan.Zero, http.RequestAborted);
        }
        return Results.Json(new EnquiryChanged(id, result.Record!.Version, RecordFields.CamelCase(result.Record.Status.ToString())));
    }

    /// <summary>The enquiry, if the caller leads it and it is open; to anyone but its lead it is not there to change.</summary>
    internal static async Task<(Enquiry? Enquiry, IResult? Refusal)> LedAndOpenAsync(Guid id, HttpContext http, IRecordStore store)
    {
        var me = http.HubPrincipal();
        var enquiry = await store.FindAsync<Enquiry>(id, http.RequestAborted);
        // The lead is a person who may lead enquiries (policy action enquiry.lead): the identity alone, which a partner
        // system's client id could equal, is not enough.
        var policy = http.RequestServices.GetRequiredService<Policies.Decisions.PolicyDecisionPoint>();
        if (enquiry is null || enquiry.LeadPractitioner != me.Subject || me.Organisation != enquiry.OwningOrganisation
            || !policy.MayTake(me, Access.HubActions.EnquiryLead).IsPermit)
        {
            return (null, Problem(404, "no enquiry with that id that you lead"));
        }
        return enquiry.Status == EnquiryStatus.Open ? (enquiry, null) : (enquiry, Problem(409, "the enquiry is closed"));
    }
}

/// <summary>A lead's change refused by its own checks: the store writes nothing, not even the version it would have replaced.</summary>
internal sealed class ChangeRefusedException : Exception
{
}

/// <summary>An enquiry after a change by its lead (members, closure, FGDM): its new version and status.</summary>
internal sealed record EnquiryChanged(Guid Id, long Version, string Status);
