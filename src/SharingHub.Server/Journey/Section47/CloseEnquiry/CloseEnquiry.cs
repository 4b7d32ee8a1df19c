using SharingHub.Core.Records;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Model;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Workflow;

internal sealed record CloseInput(string? Outcome);

/// <summary>Closing the enquiry with its outcome (its lead only).</summary>
internal static partial class EnquiryEndpoints
{
    internal static Task<IResult> CloseAsync(Guid id, CloseInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        ChangeAsync(id, http, store, audit, outbox, "close", clock, (e, now) =>
        {
            if (input.Outcome == RecordFields.CamelCase(nameof(EnquiryOutcome.EmergencyAction)))
            {
                return "emergency action does not end an enquiry: record it in the enquiry (POST /enquiries/{id}/emergency-actions), which stays open";
            }
            var outcome = EnquiryOutcomes.Where(o => RecordFields.CamelCase(o.ToString()) == input.Outcome).Select(o => (EnquiryOutcome?)o).FirstOrDefault();
            if (outcome is null)
            {
                return "outcome is one of " + string.Join(", ", EnquiryOutcomes.Select(o => RecordFields.CamelCase(o.ToString())));
            }
            if (e.Stage != CaseStage.Section47)
            {
                return e.Stage == CaseStage.StrategyDiscussion
                    ? "a strategy discussion closes with its decision (POST /strategy-discussions/{id}/decision)"
                    : $"the enquiry has concluded and the case is at the {Policies.Model.CaseStageNames.Of(e.Stage)} stage: a conference decides now";
            }
            e.Outcome = outcome;
            if (outcome == EnquiryOutcome.ChildProtectionConference)
            {
                // The members report to the conference: the case stays open, and their access with it, until the conference decides.
                e.Stage = CaseStage.AwaitingConference;
                return null;
            }
            e.Status = EnquiryStatus.Closed;
            e.ClosedAt = now;
            e.ConferenceDueBy = null;
            return null;
        });

    /// <summary>How a section 47 enquiry concludes (a conference decides the rest).</summary>
    private static readonly EnquiryOutcome[] EnquiryOutcomes = [EnquiryOutcome.ChildProtectionConference, EnquiryOutcome.FamilyHelp, EnquiryOutcome.NoFurtherAction];

    /// <summary>An FGDM status (offered, accepted, declined) by its API name, or null.</summary>
    internal static FgdmStatus? FgdmStatusOf(string? name) =>
        Enum.GetValues<FgdmStatus>().Where(s => RecordFields.CamelCase(s.ToString()) == name).Select(s => (FgdmStatus?)s).FirstOrDefault();
}
