using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record ResponseInput(string? Kind, string? Content = null, string? Reason = null);

/// <summary>An agency answering a request addressed to it: provided, nothing held, or held and not shared with its reason.</summary>
internal static partial class EnquiryEndpoints
{
    private static async Task<IResult> AnswerAsync(Guid id, ResponseInput input, HttpContext http, IRecordStore store, IFieldCipher cipher, AuditScope audit,
        TimeProvider clock)
    {
        var answer = await AnswerRequestAsync(id, input, http.HubPrincipal(), store, cipher, audit, clock, http.RequestAborted);
        return answer.Answered is { } answered ? Results.Json(answered, statusCode: 201)
            : answer.Errors is { } errors ? errors.ToResult()
            : Problem(answer.Status, answer.Problem!);
    }

    /// <summary>The answer, for the API and the pages alike: recorded, or why not (a status with its words, or the fields at fault).</summary>
    internal static async Task<AnswerOutcome> AnswerRequestAsync(Guid id, ResponseInput input, HubPrincipal me, IRecordStore store, IFieldCipher cipher, AuditScope audit,
        TimeProvider clock, CancellationToken ct)
    {
        var request = await store.FindAsync<InformationRequest>(id, ct);
        // Only the agency asked answers; to anyone else the request is not there.
        if (request is null || request.RequestedAgency != me.Agency)
        {
            return new(404, "no information request with that id addressed to your agency");
        }
        if (request.Status != InformationRequestStatus.Open)
        {
            return new(409, "the request is already answered or cancelled");
        }
        // An answer discloses to the enquiry's members: once the enquiry has closed there is no one to answer to.
        if (await store.FindAsync<Enquiry>(request.EnquiryId, ct) is not { Status: EnquiryStatus.Open })
        {
            return new(409, "the enquiry this request belongs to has closed; nothing was recorded");
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
            return new(422, errors.Detail) { Errors = errors };
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
        }, ct);
        if (result.Status != UpdateStatus.Updated)
        {
            return new(409, "the request changed at the same time; read it again");
        }
        audit.EnquiryId = request.EnquiryId;
        audit.RecordWrite(RecordFacts.For(response), "answer");
        return new(201, null) { Answered = new InformationAnswered(response.Id, id, RecordFields.CamelCase(response.Kind.ToString())) };
    }
}

/// <summary>How an answer went: recorded (Answered), refused with a status and its words, or refused for the fields at fault (Errors).</summary>
internal sealed record AnswerOutcome(int Status, string? Problem)
{
    public InformationAnswered? Answered { get; init; }
    public FieldErrors? Errors { get; init; }
}

internal sealed record InformationAnswered(Guid Id, Guid Request, string Kind);
