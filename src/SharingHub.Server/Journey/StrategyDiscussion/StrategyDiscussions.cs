using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Workflow;

internal sealed record StrategyDecisionInput(string? Decision, string? Reasons);

/// <summary>
/// The strategy discussion, before any section 47 enquiry (Working Together 2023, 4.1): the LCPP convenes it with the children,
/// why, and the participants from police, health, education and the council; participants read the children's records under
/// <c>strategy-meeting</c> while it is open, and record what each agency brought as a strategy meeting. Its decision starts a
/// section 47 enquiry (single or joint with the police) from it, carrying its subjects and participants forward, or closes
/// it (Family Help, no further action) with reasons, and then no section 47 enquiry exists.
/// </summary>
internal static class StrategyDiscussionEndpoints
{
    internal static readonly Dictionary<string, (bool StartsEnquiry, bool Joint, EnquiryOutcome? Outcome)> Decisions = new(StringComparer.Ordinal)
    {
        ["section-47"] = (true, false, null),
        ["joint-section-47"] = (true, true, null),
        ["family-help"] = (false, false, EnquiryOutcome.FamilyHelp),
        ["no-further-action"] = (false, false, EnquiryOutcome.NoFurtherAction),
    };

    public static WebApplication MapStrategyDiscussions(this WebApplication app)
    {
        var discussions = app.MapGroup("/strategy-discussions").RequireAuthorization().WithTags("Child protection journey");
        discussions.MapPost("/", (OpenEnquiryInput input, HttpContext http, IRecordStore store, IHubDbContextFactory contexts, IFieldCipher cipher,
                PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock, Core.Time.WorkingCalendar calendar, Data.Linkage.PersonLinker linker) =>
                EnquiryEndpoints.OpenCaseAsync(input, CaseStage.StrategyDiscussion, http, store, contexts, cipher, policy, audit, clock, calendar, linker))
            .Audited("strategy-discussion.convene").Takes(HubActions.EnquiryOpen)
            .Answers<EnquiryOpened>(201, "Convene a strategy discussion about children (the council's LCPP): subjects, why, participants; its id is the case id (X-Enquiry-Id) from here on", 400, 403, 422);
        discussions.MapPost("/{id:guid}/decision", DecideAsync).Audited("strategy-discussion.decide").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Decide: section-47, joint-section-47 (the enquiry starts from the discussion), family-help or no-further-action, with reasons", 400, 404, 409, 422);
        return app;
    }

    internal static Task<IResult> DecideAsync(Guid id, StrategyDecisionInput input, HttpContext http, IRecordStore store, IFieldCipher cipher, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox, Core.Time.WorkingCalendar calendar) =>
        EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "strategy-decision", clock, (e, now) =>
        {
            if (input.Decision is null || !Decisions.TryGetValue(input.Decision, out var decision))
            {
                return "decision is one of " + string.Join(", ", Decisions.Keys);
            }
            if (string.IsNullOrWhiteSpace(input.Reasons) || input.Reasons.Length > 4_000)
            {
                return "reasons (why the discussion decided so, up to 4,000 characters) are required";
            }
            if (e.Stage != CaseStage.StrategyDiscussion || e.StrategyDecision is not null)
            {
                return "the strategy discussion has already decided: this case is at the " + Policies.Model.CaseStageNames.Of(e.Stage) + " stage";
            }
            e.StrategyDecision = input.Decision;
            e.StrategyDecisionReasons = cipher.Encrypt(input.Reasons.Trim(), SensitiveFields.For(e, nameof(Enquiry.StrategyDecisionReasons)));
            if (decision.StartsEnquiry)
            {
                // The enquiry is this case from here on: its subjects and participants carry forward, and its conference falls due.
                EnquiryEndpoints.StartSection47(e, now, calendar);
                e.JointWithPolice = decision.Joint;
            }
            else
            {
                e.Status = EnquiryStatus.Closed;
                e.ClosedAt = now;
                e.Outcome = decision.Outcome;
            }
            return null;
        });
}
