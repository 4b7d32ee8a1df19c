using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Workflow;

/// <summary>
/// An enquiry as its members see it: its lead, subjects and members, each member with the id that removing
/// them takes. Decided like any record (the enquiry class is for its members under the enquiry's purposes);
/// an enquiry the caller may not see answers exactly as one that does not exist.
/// </summary>
internal static class EnquiryReading
{
    public static RouteGroupBuilder MapEnquiryReading(this RouteGroupBuilder enquiries)
    {
        enquiries.MapGet("/{id:guid}", ReadAsync).Audited("enquiry.read");
        return enquiries;
    }

    private static async Task<IResult> ReadAsync(Guid id, HttpContext http, RecordAccess access, IHubDbContextFactory contexts, Disclosures disclosures)
    {
        if (await access.OpenAsync(http, http.RequestAborted) is { } problem)
        {
            return EnquiryEndpoints.Problem(400, $"{problem.Description} Purposes you may use: {string.Join(", ", problem.Allowed.Select(p => p.Code))}.");
        }
        await using var db = contexts.Create();
        var enquiry = await db.Enquiries.AsNoTracking().Include(e => e.Members).Include(e => e.Subjects).Include(e => e.Fgdm)
            .FirstOrDefaultAsync(e => e.Id == id, http.RequestAborted);
        var notFound = EnquiryEndpoints.Problem(404, "no enquiry with that id that you may see");
        if (enquiry is null)
        {
            return notFound;
        }
        await access.PrepareAsync(enquiry.Subjects.Select(s => s.PersonId), http.RequestAborted);
        var decision = access.Decide(enquiry);
        if (!decision.IsPermit)
        {
            return notFound;
        }
        var d = disclosures.Of(enquiry, decision);
        access.ScopeCount(1);
        return Results.Json(new
        {
            id = enquiry.Id,
            reference = enquiry.Reference,
            version = enquiry.Version,
            status = RecordFields.CamelCase(enquiry.Status.ToString()),
            openedAt = enquiry.OpenedAt,
            closedAt = enquiry.ClosedAt,
            outcome = enquiry.Outcome is { } outcome ? RecordFields.CamelCase(outcome.ToString()) : null,
            lead = d.Shows(nameof(Enquiry.LeadPractitioner)) ? enquiry.LeadPractitioner : null,
            grounds = d.Open(nameof(Enquiry.Grounds), enquiry.Grounds),
            subjects = d.Shows(nameof(Enquiry.Subjects)) ? enquiry.Subjects.Select(s => new { person = s.PersonId, role = s.Role }) : null,
            members = d.Shows(nameof(Enquiry.Members))
                ? enquiry.Members.OrderBy(m => m.AddedAt).Select(m => new { id = m.Id, agency = m.Agency, user = m.UserSubject, role = m.Role, addedAt = m.AddedAt, removedAt = m.RemovedAt })
                : null,
            fgdm = d.Shows(nameof(Enquiry.Fgdm))
                ? enquiry.Fgdm.OrderBy(f => f.RecordedAt).Select(f => new { decisionPoint = f.DecisionPoint, status = RecordFields.CamelCase(f.Status.ToString()), recordedAt = f.RecordedAt })
                : null,
            withheld = d.Withheld.Count == 0 ? null : d.Withheld,
            unavailable = d.Unavailable.Count == 0 ? null : d.Unavailable,
        });
    }
}
