using SharingHub.Core.Records;
using SharingHub.Data.Notifications;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record HandOverInput(string? User, bool StayMember = false);

/// <summary>
/// Handing the case's lead to another Lead Child Protection Practitioner of the same council (leave, caseload, a conflict of
/// interest). The new lead becomes a member if not one already; the former lead leaves the case unless they stay as a member.
/// The history is kept: the case's versions record each lead, and the member list when each joined and left. The new lead
/// acts only if the policy lets them lead (action enquiry.lead), which their own sign-in decides.
/// </summary>
internal static class LeadEndpoints
{
    public static WebApplication MapLeadHandOver(this WebApplication app)
    {
        app.MapGroup("/enquiries").RequireAuthorization().WithTags("Child protection journey")
            .MapPost("/{id:guid}/lead", HandOverAsync).Audited("enquiry.lead-handover").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Hand the case's lead to another LCPP of the council (the current lead); the former lead leaves unless stayMember", 400, 404, 409, 422);
        return app;
    }

    internal static async Task<IResult> HandOverAsync(Guid id, HandOverInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox, Data.Storage.IHubDbContextFactory contexts) =>
        // The new lead is one of the council's MACPT nominees.
        (string.IsNullOrWhiteSpace(input.User) ? null
            : await EnquiryEndpoints.NominationRefusalAsync(contexts, [new MemberInput(http.HubPrincipal().Agency, input.User.Trim(), "lcpp")], null, "user", http.RequestAborted))
        ?? await EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "lead-handover", clock, (e, now) =>
        {
            var user = input.User?.Trim();
            if (string.IsNullOrEmpty(user) || user.Length > 256)
            {
                return "user (the new lead, as the council's identity provider knows them) is required";
            }
            if (user == e.LeadPractitioner)
            {
                return "that person leads the case already";
            }
            var former = e.LeadPractitioner;
            e.LeadPractitioner = user;
            if (!e.Members.Any(m => m.RemovedAt is null && m.Agency == e.OwningAgency && m.UserSubject == user))
            {
                e.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = e.Id, Agency = e.OwningAgency, UserSubject = user, Role = "lcpp", AddedAt = now });
            }
            if (!input.StayMember)
            {
                foreach (var member in e.Members.Where(m => m.RemovedAt is null && m.Agency == e.OwningAgency && m.UserSubject == former))
                {
                    member.RemovedAt = now;
                }
            }
            return null;
        });
}
