using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

/// <summary>One open request addressed to the caller's agency: which case asks, when, and when the answer is due.</summary>
public sealed record InboxRequest(Guid Id, Guid Enquiry, string CaseReference, DateTimeOffset RequestedAt, DateTimeOffset DueAt, bool Overdue);

public sealed record InboxView(int Count, IReadOnlyList<InboxRequest> Requests);

/// <summary>
/// An agency's inbox of the information requests addressed to it by open cases, soonest due first, overdue marked. It
/// names the case and the deadline only; the question is read under the case's purpose, decided and audited like any record.
/// </summary>
internal static class RequestInboxEndpoints
{
    public const int MaxRequests = 500;

    public static WebApplication MapRequestInbox(this WebApplication app)
    {
        app.MapGet("/information-requests/inbox", async (HttpContext http, IHubDbContextFactory contexts, TimeProvider clock, AuditScope audit) =>
                Results.Json(await ListAsync(http.HubPrincipal(), contexts, clock, audit, http.RequestAborted)))
            .RequireAuthorization().WithTags("Section 47 enquiries").Audited("information-request.inbox").Takes(HubActions.InformationRequestAnswer)
            .Answers<InboxView>(200, "The open information requests addressed to your agency, soonest due first, with the case asking and whether each is overdue", 403);
        return app;
    }

    public static async Task<InboxView> ListAsync(HubPrincipal me, IHubDbContextFactory contexts, TimeProvider clock, AuditScope audit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = contexts.Create();
        var open = await (from r in db.InformationRequests.AsNoTracking()
                          join e in db.Enquiries.AsNoTracking() on r.EnquiryId equals e.Id
                          where r.RequestedAgency == me.Agency && r.Status == InformationRequestStatus.Open && e.Status == EnquiryStatus.Open
                          orderby r.DueAt
                          select new { r.Id, r.EnquiryId, e.Reference, r.RequestedAt, r.DueAt }).Take(MaxRequests).ToListAsync(ct);
        audit.Count = open.Count;
        return new InboxView(open.Count, open.Select(r => new InboxRequest(r.Id, r.EnquiryId, r.Reference, r.RequestedAt, r.DueAt, r.DueAt < now)).ToList());
    }
}
