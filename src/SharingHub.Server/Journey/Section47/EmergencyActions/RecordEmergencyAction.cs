using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;

namespace SharingHub.Server.Workflow;

internal sealed record EmergencyActionInput(string? Kind, DateTimeOffset? StartedAt, string? Agency, string? User, DateTimeOffset? EndsAt = null);

/// <summary>
/// Emergency action inside the case it triggers: an Emergency Protection Order or police protection, with its dates and who
/// acted. It is recorded by the case's lead and never closes the case: emergency action starts enquiries, it does not end them.
/// </summary>
internal static class EmergencyActionEndpoints
{
    public static WebApplication MapEmergencyActions(this WebApplication app)
    {
        app.MapGroup("/enquiries").RequireAuthorization().WithTags("Child protection journey")
            .MapPost("/{id:guid}/emergency-actions", RecordAsync).Audited("enquiry.emergency-action").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Record an Emergency Protection Order or police protection: when, until when, who acted (the case's lead); the case stays open", 400, 404, 409, 422);
        return app;
    }

    internal static Task<IResult> RecordAsync(Guid id, EmergencyActionInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox, PolicyDecisionPoint policy) =>
        EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "emergency-action", clock, (e, now) =>
        {
            var kind = Enum.GetValues<EmergencyActionKind>().Where(k => RecordFields.CamelCase(k.ToString()) == input.Kind).Select(k => (EmergencyActionKind?)k).FirstOrDefault();
            var errors = new FieldErrors()
                .When(kind is null, "kind", "kind is emergencyProtectionOrder or policeProtection")
                .When(input.StartedAt is not { } started || started > now.AddMinutes(5), "startedAt", "startedAt (when the order or protection began, not in the future) is required")
                .When(input.EndsAt is { } ends && input.StartedAt is { } from && ends <= from, "endsAt", "endsAt is after startedAt")
                .When(input.Agency is null || !policy.Policy.Agencies.ContainsKey(input.Agency), "agency", "agency (who acted: an agency in the policy) is required")
                .When(string.IsNullOrWhiteSpace(input.User) || input.User.Length > 256, "user", "user (who acted, as their identity provider knows them) is required");
            if (errors.Any)
            {
                return errors.Detail;
            }
            e.EmergencyActions.Add(new EmergencyAction
            {
                Id = Guid.NewGuid(), EnquiryId = e.Id, Kind = kind!.Value, StartedAt = TimeProviderExtensions.TruncateForStorage(input.StartedAt!.Value),
                EndsAt = input.EndsAt is { } end ? TimeProviderExtensions.TruncateForStorage(end) : null, ActingAgency = input.Agency!, ActedBy = input.User!.Trim(), RecordedAt = now,
            });
            return null;
        });
}
