using SharingHub.Core.Records;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Workflow;

/// <summary>Adding and removing the enquiry's members (its lead only); a removed member reads nothing more.</summary>
internal static partial class EnquiryEndpoints
{
    internal static async Task<IResult> AddMemberAsync(Guid id, MemberInput input, HttpContext http, IRecordStore store, PolicyDecisionPoint policy, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox, Data.Storage.IHubDbContextFactory contexts) =>
        await NominationRefusalAsync(contexts, [input], null, "member", http.RequestAborted) ?? await ChangeAsync(id, http, store, audit, outbox, "member-add", clock, (e, now) =>
        {
            if (MemberProblem([input], policy) is { } problem)
            {
                return problem;
            }
            if (e.Members.Any(m => m.Agency == input.Agency && m.UserSubject == input.User && m.RemovedAt is null))
            {
                return "already a current member";
            }
            e.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = e.Id, Agency = input.Agency, UserSubject = input.User, Role = input.Role, AddedAt = now });
            return null;
        });

    internal static Task<IResult> RemoveMemberAsync(Guid id, Guid memberId, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        ChangeAsync(id, http, store, audit, outbox, "member-remove", clock, (e, now) =>
        {
            var member = e.Members.FirstOrDefault(m => m.Id == memberId && m.RemovedAt is null);
            if (member is null)
            {
                return "no current member with that id";
            }
            if (member.UserSubject == e.LeadPractitioner)
            {
                return "the lead practitioner is not removed from their own enquiry";
            }
            member.RemovedAt = now;
            return null;
        });
}
