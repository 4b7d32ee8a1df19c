using SharingHub.Core.Records;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Model;
using SharingHub.Server.Audit;

namespace SharingHub.Server.Workflow;

internal sealed record CloseInput(string? Outcome);

/// <summary>Closing the enquiry with its outcome (its lead only).</summary>
internal static partial class EnquiryEndpoints
{
    private static Task<IResult> CloseAsync(Guid id, CloseInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        ChangeAsync(id, http, store, audit, outbox, "close", clock, (e, now) =>
        {
            var outcome = Enum.GetValues<EnquiryOutcome>().Where(o => RecordFields.CamelCase(o.ToString()) == input.Outcome).Select(o => (EnquiryOutcome?)o).FirstOrDefault();
            if (outcome is null)
            {
                return "outcome is one of " + string.Join(", ", Enum.GetValues<EnquiryOutcome>().Select(o => RecordFields.CamelCase(o.ToString())));
            }
            e.Status = EnquiryStatus.Closed;
            e.ClosedAt = now;
            e.Outcome = outcome;
            return null;
        });
}
