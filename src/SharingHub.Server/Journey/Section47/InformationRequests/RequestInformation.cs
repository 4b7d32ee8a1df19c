using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record InformationRequestInput(string? Agency, string? Question, DateTimeOffset? DueAt = null);

/// <summary>Asking another agency what it holds (the enquiry's lead), due the next working day unless said.</summary>
internal static partial class EnquiryEndpoints
{
    internal static async Task<IResult> RequestInformationAsync(Guid id, InformationRequestInput input, HttpContext http, IRecordStore store,
        IFieldCipher cipher, PolicyDecisionPoint policy, WorkingCalendar calendar, AuditScope audit, TimeProvider clock, NotificationOutbox outbox)
    {
        var me = http.HubPrincipal();
        var (enquiry, refusal) = await LedAndOpenAsync(id, http, store);
        if (refusal is not null)
        {
            return refusal;
        }
        var now = clock.UtcNowForStorage();
        var errors = new FieldErrors()
            .When(input.Agency is null || !policy.Policy.Agencies.ContainsKey(input.Agency) || input.Agency == me.Agency, "agency",
                "agency must be another agency in the policy (la's own records need no request)")
            .When(string.IsNullOrWhiteSpace(input.Question) || input.Question.Length > 4_000, "question", "question (up to 4,000 characters) is required")
            .When(input.DueAt is { } asked && asked <= now, "dueAt", "dueAt must be in the future");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        var request = new InformationRequest
        {
            Id = Guid.NewGuid(), OwningAgency = enquiry!.OwningAgency, OwningOrganisation = enquiry.OwningOrganisation, DataClass = Enquiry.DataClassCode, EnquiryId = id, RequestedAgency = input.Agency!,
            RequestedAt = now, DueAt = TimeProviderExtensions.TruncateForStorage(input.DueAt ?? calendar.DecisionDue(now)), Status = InformationRequestStatus.Open,
        };
        request.Question = cipher.Encrypt(input.Question!.Trim(), SensitiveFields.For(request, nameof(InformationRequest.Question)));
        await store.AddAsync(request, http.RequestAborted);
        audit.EnquiryId = id;
        audit.RecordWrite(RecordFacts.For(request), "request");
        await outbox.EnqueueAsync(policy.Policy.DefaultOrganisation(input.Agency!).Code, "information-request.created",
            new { task = $"Task/{request.Id}", enquiry = id, dueAt = request.DueAt }, TimeSpan.Zero, http.RequestAborted);
        return Results.Json(new InformationRequested(request.Id, request.DueAt), statusCode: 201);
    }
}

internal sealed record InformationRequested(Guid Id, DateTimeOffset DueAt);
