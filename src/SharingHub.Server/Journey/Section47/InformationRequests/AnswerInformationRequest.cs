using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record ResponseInput(string? Kind, string? Content = null, string? Reason = null);

/// <summary>An agency answering a request addressed to it: provided, nothing held, or held and not shared with its reason.</summary>
internal static partial class EnquiryEndpoints
{
    private static async Task<IResult> AnswerAsync(Guid id, ResponseInput input, HttpContext http, IRecordStore store, IHubDbContextFactory contexts,
        IFieldCipher cipher, AuditScope audit, TimeProvider clock)
    {
        var me = http.HubPrincipal();
        var request = await store.FindAsync<InformationRequest>(id, http.RequestAborted);
        // Only the agency asked answers; to anyone else the request is not there.
        if (request is null || request.RequestedAgency != me.Agency)
        {
            return Problem(404, "no information request with that id addressed to your agency");
        }
        if (request.Status != InformationRequestStatus.Open)
        {
            return Problem(409, "the request is already answered or cancelled");
        }
        // An answer discloses to the enquiry's members: once the enquiry has closed there is no one to answer to.
        if (await store.FindAsync<Enquiry>(request.EnquiryId, http.RequestAborted) is not { Status: EnquiryStatus.Open })
        {
            return Problem(409, "the enquiry this request belongs to has closed; nothing was recorded");
        }
        var kind = Enum.GetValues<InformationResponseKind>().Where(k => RecordFields.CamelCase(k.ToString()) == input.Kind).Select(k => (InformationResponseKind?)k).FirstOrDefault();
        var errors = new FieldErrors()
            .When(kind is null, "kind", "kind is provided, nothingHeld or heldNotShared")
            .When(kind == InformationResponseKind.Provided && string.IsNullOrWhiteSpace(input.Content), "content", "a provided answer needs its content")
            .When(kind == InformationResponseKind.HeldNotShared && string.IsNullOrWhiteSpace(input.Reason), "reason", "a decision not to share is recorded with its reasons: give reason")
            .When((input.Content?.Length ?? 0) > 20_000, "content", "content is at most 20,000 characters")
            .When((input.Reason?.Length ?? 0) > 4_000, "reason", "reason is at most 4,000 characters");
        if (errors.Any)
        {
            return errors.ToResult();
        }
        var now = clock.UtcNowForStorage();
        var response = new InformationResponse
        {
            Id = Guid.NewGuid(), OwningAgency = me.Agency, OwningOrganisation = me.Organisation, DataClass = "information-response", RequestId = id, RespondedAt = now, Kind = kind!.Value,
            CreatedAt = now, UpdatedAt = now, Version = 1,
        };
        response.Content = string.IsNullOrWhiteSpace(input.Content) ? null : cipher.Encrypt(input.Content.Trim(), SensitiveFields.For(response, nameof(InformationResponse.Content)));
        response.Reason = string.IsNullOrWhiteSpace(input.Reason) ? null : cipher.Encrypt(input.Reason.Trim(), SensitiveFields.For(response, nameof(InformationResponse.Reason)));
        // The answer and the request's new status land together, and only on the version of the request read.
        var result = await store.UpdateAsync<InformationRequest>(id, request.Version, r =>
        {
            r.Status = InformationRequestStatus.Answered;
            r.Responses.Add(response);
        }, http.RequestAborted);
        if (result.Status != UpdateStatus.Updated)
        {
            return Problem(409, "the request changed at the same time; read it again");
        }
        audit.EnquiryId = request.EnquiryId;
        audit.RecordWrite(RecordFacts.For(response), "answer");
        return Results.Json(new InformationAnswered(response.Id, id, RecordFields.CamelCase(response.Kind.ToString())), statusCode: 201);
    }
}

internal sealed record InformationAnswered(Guid Id, Guid Request, string Kind);
