using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record SubjectInput(Guid Person, string Role);

internal sealed record MemberInput(string Agency, string User, string Role);

internal sealed record OpenEnquiryInput(IReadOnlyList<SubjectInput>? Subjects, string? Grounds, IReadOnlyList<MemberInput>? Members = null);

internal sealed record CloseInput(string? Outcome);

internal sealed record InformationRequestInput(string? Agency, string? Question, DateTimeOffset? DueAt = null);

internal sealed record ResponseInput(string? Kind, string? Content = null, string? Reason = null);

/// <summary>
/// The section 47 enquiry's lifecycle: the LCPP opens it with its subjects and members, adds and removes
/// members, asks agencies for information, and closes it with an outcome. Access through the enquiry
/// follows these records at once: a removed member or a closed enquiry (after any grace period) reads
/// nothing more. Each agency answers the requests addressed to it, including a recorded refusal.
/// </summary>
internal static class EnquiryEndpoints
{
    private static readonly string[] SubjectRoles = ["child", "household"];
    private static readonly string[] RequiredAgencies = ["police", "health", "education"];
    private static readonly HashSet<string> Answerers = ["system", "macpt-member", "front-door", "lcpp"];

    public static WebApplication MapEnquiries(this WebApplication app)
    {
        var enquiries = app.MapGroup("/enquiries").RequireAuthorization().WithTags("Section 47 enquiries");
        enquiries.MapPost("/", OpenAsync).Audited("enquiry.open")
            .Answers<EnquiryOpened>(201, "Open a section 47 enquiry with its subjects and members (the council's LCPP); Location names it", 400, 403, 422);
        enquiries.MapEnquiryReading();
        enquiries.MapPost("/{id:guid}/members", AddMemberAsync).Audited("enquiry.member-add")
            .Answers<EnquiryChanged>(200, "Add a member (the enquiry's lead)", 400, 404, 409, 422);
        enquiries.MapDelete("/{id:guid}/members/{memberId:guid}", RemoveMemberAsync).Audited("enquiry.member-remove")
            .Answers<EnquiryChanged>(200, "Remove a member by the id GET /enquiries/{id} gives (the enquiry's lead)", 404, 409, 422);
        enquiries.MapPost("/{id:guid}/close", CloseAsync).Audited("enquiry.close")
            .Answers<EnquiryChanged>(200, "Close the enquiry with its outcome (the enquiry's lead)", 400, 404, 409, 422);
        enquiries.MapPost("/{id:guid}/information-requests", RequestInformationAsync).Audited("enquiry.information-request")
            .Answers<InformationRequested>(201, "Ask another agency for what it holds (the enquiry's lead); due the next working day unless dueAt says", 400, 404, 409, 422);
        app.MapPost("/information-requests/{id:guid}/responses", AnswerAsync).RequireAuthorization().Audited("enquiry.information-response")
            .WithTags("Section 47 enquiries")
            .Answers<InformationAnswered>(201, "Answer a request addressed to your agency: provided, nothingHeld, or heldNotShared with its reason", 400, 404, 409, 422);
        return app;
    }

    internal static IResult Problem(int status, string detail) => Results.Problem(statusCode: status, detail: detail);

    private static async Task<IResult> OpenAsync(OpenEnquiryInput input, HttpContext http, IRecordStore store, IHubDbContextFactory contexts,
        IFieldCipher cipher, PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock)
    {
        var me = http.HubPrincipal();
        if (me.Agency != "la" || !me.Roles.Contains("lcpp"))
        {
            return Problem(403, "only a Lead Child Protection Practitioner of the council opens a section 47 enquiry");
        }
        var subjects = input.Subjects ?? [];
        var errors = new FieldErrors()
            .When(subjects.Count is 0 or > 20, "subjects", "subjects: 1 to 20 people")
            .When(subjects.Count > 0 && !subjects.Any(s => s.Role == "child"), "subjects", "subjects: at least one with role child");
        for (var i = 0; i < subjects.Count; i++)
        {
            errors.When(!SubjectRoles.Contains(subjects[i].Role), $"subjects[{i}].role", $"subjects[{i}].role is child or household");
        }
        errors.When(string.IsNullOrWhiteSpace(input.Grounds) || input.Grounds.Length > 4_000, "grounds",
            "grounds (the reasonable cause to suspect significant harm, up to 4,000 characters) are required");
        AddMemberErrors(input.Members ?? [], policy, errors, "members");
        if (!errors.Any)
        {
            var ids = subjects.Select(s => s.Person).Distinct().ToList();
            await using var db = contexts.Create();
            errors.When(await db.People.CountAsync(p => ids.Contains(p.Id), http.RequestAborted) != ids.Count, "subjects",
                "every subject must be a person record the hub holds");
        }
        if (errors.Any)
        {
            return errors.ToResult();
        }
        var now = clock.UtcNowForStorage();
        var enquiry = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = Enquiry.DataClassCode, Status = EnquiryStatus.Open, OpenedAt = now,
            Reference = $"S47-{now.Year}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(5))}", LeadPractitioner = me.Subject,
        };
        enquiry.Grounds = cipher.Encrypt(input.Grounds!.Trim(), SensitiveFields.For(enquiry, nameof(Enquiry.Grounds)));
        enquiry.Subjects = subjects.DistinctBy(s => s.Person).Select(s => new EnquirySubject { EnquiryId = enquiry.Id, PersonId = s.Person, Role = s.Role }).ToList();
        enquiry.Members = (input.Members ?? []).Prepend(new MemberInput(me.Agency, me.Subject, "lcpp")).DistinctBy(m => (m.Agency, m.User))
            .Select(m => new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = enquiry.Id, Agency = m.Agency, UserSubject = m.User, Role = m.Role, AddedAt = now }).ToList();
        await store.AddAsync(enquiry, http.RequestAborted);
        audit.EnquiryId = enquiry.Id;
        audit.RecordWrite(RecordFacts.For(enquiry), "open");
        // The Bill requires a police officer, a health professional and an education lead in every MACPT enquiry: say who is still missing.
        var missing = RequiredAgencies.Where(a => enquiry.Members.All(m => m.Agency != a)).ToList();
        http.Response.Headers.Location = $"/enquiries/{enquiry.Id}";
        return Results.Json(new EnquiryOpened(enquiry.Id, enquiry.Reference, enquiry.Version, missing), statusCode: 201);
    }

    private static Task<IResult> AddMemberAsync(Guid id, MemberInput input, HttpContext http, IRecordStore store, PolicyDecisionPoint policy, AuditScope audit,
        TimeProvider clock, NotificationOutbox outbox) =>
        ChangeAsync(id, http, store, audit, outbox, "member-add", clock, (e, now) =>
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

    private static Task<IResult> RemoveMemberAsync(Guid id, Guid memberId, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
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

    /// <summary>A change by the enquiry's lead practitioner, to an open enquiry, applied only to the version read (no lost update).</summary>
    internal static async Task<IResult> ChangeAsync(Guid id, HttpContext http, IRecordStore store, AuditScope audit, NotificationOutbox outbox, string operation,
        TimeProvider clock, Func<Enquiry, DateTimeOffset, string?> change)
    {
        var me = http.HubPrincipal();
        var (enquiry, refusal) = await LedAndOpenAsync(id, http, store);
        if (refusal is not null)
        {
            return refusal;
        }
        audit.EnquiryId = id;
        string? problem = null;
        var now = clock.UtcNowForStorage();
        var result = await store.UpdateAsync<Enquiry>(id, enquiry!.Version, e => problem = change(e, now), http.RequestAborted);
        if (problem is not null)
        {
            return Problem(422, problem);
        }
        if (result.Status != UpdateStatus.Updated)
        {
            return Problem(409, "the enquiry changed at the same time; read it again and retry");
        }
        audit.RecordWrite(RecordFacts.For(result.Record!), operation);
        // Each member agency's system hears of the change (who is in, who is out, closure), never its grounds.
        foreach (var agency in result.Record!.Members.Select(m => m.Agency).Where(a => a != me.Agency).Distinct(StringComparer.Ordinal))
        {
            await outbox.EnqueueAsync(agency, "enquiry.changed",
                new { enquiry = id, change = operation, status = RecordFields.CamelCase(result.Record.Status.ToString()) }, TimeSpan.Zero, http.RequestAborted);
        }
        return Results.Json(new EnquiryChanged(id, result.Record!.Version, RecordFields.CamelCase(result.Record.Status.ToString())));
    }

    private static async Task<IResult> RequestInformationAsync(Guid id, InformationRequestInput input, HttpContext http, IRecordStore store,
        IFieldCipher cipher, PolicyDecisionPoint policy, WorkingCalendar calendar, AuditScope audit, TimeProvider clock, NotificationOutbox outbox)
    {
        var me = http.HubPrincipal();
        if ((await LedAndOpenAsync(id, http, store)).Refusal is { } refusal)
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
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = Enquiry.DataClassCode, EnquiryId = id, RequestedAgency = input.Agency!,
            RequestedAt = now, DueAt = TimeProviderExtensions.TruncateForStorage(input.DueAt ?? calendar.DecisionDue(now)), Status = InformationRequestStatus.Open,
        };
        request.Question = cipher.Encrypt(input.Question!.Trim(), SensitiveFields.For(request, nameof(InformationRequest.Question)));
        await store.AddAsync(request, http.RequestAborted);
        audit.EnquiryId = id;
        audit.RecordWrite(RecordFacts.For(request), "request");
        await outbox.EnqueueAsync(input.Agency!, "information-request.created",
            new { task = $"Task/{request.Id}", enquiry = id, dueAt = request.DueAt }, TimeSpan.Zero, http.RequestAborted);
        return Results.Json(new InformationRequested(request.Id, request.DueAt), statusCode: 201);
    }

    private static async Task<IResult> AnswerAsync(Guid id, ResponseInput input, HttpContext http, IRecordStore store, IHubDbContextFactory contexts,
        IFieldCipher cipher, AuditScope audit, TimeProvider clock)
    {
        var me = http.HubPrincipal();
        var request = await store.FindAsync<InformationRequest>(id, http.RequestAborted);
        // Only the agency asked answers; to anyone else the request is not there.
        if (request is null || request.RequestedAgency != me.Agency || !me.Roles.Overlaps(Answerers))
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
            Id = Guid.NewGuid(), OwningAgency = me.Agency, DataClass = "information-response", RequestId = id, RespondedAt = now, Kind = kind!.Value,
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

    /// <summary>The enquiry, if the caller leads it and it is open; to anyone but its lead it is not there to change.</summary>
    internal static async Task<(Enquiry? Enquiry, IResult? Refusal)> LedAndOpenAsync(Guid id, HttpContext http, IRecordStore store)
    {
        var me = http.HubPrincipal();
        var enquiry = await store.FindAsync<Enquiry>(id, http.RequestAborted);
        // The lead is a person with the lcpp role: the identity alone (which a partner system's client id could equal) is not enough.
        if (enquiry is null || enquiry.LeadPractitioner != me.Subject || me.Agency != enquiry.OwningAgency || me.ClientId is not null || !me.Roles.Contains("lcpp"))
        {
            return (null, Problem(404, "no enquiry with that id that you lead"));
        }
        return enquiry.Status == EnquiryStatus.Open ? (enquiry, null) : (enquiry, Problem(409, "the enquiry is closed"));
    }

    /// <summary>Every problem with a list of people (members or attendees), each keyed by its place in the list.</summary>
    internal static void AddMemberErrors(IReadOnlyList<MemberInput> members, PolicyDecisionPoint policy, FieldErrors errors, string field)
    {
        errors.When(members.Count > 50, field, $"{field}: at most 50");
        for (var i = 0; i < Math.Min(members.Count, 50); i++)
        {
            var m = members[i];
            errors.When(!policy.Policy.Agencies.ContainsKey(m.Agency ?? ""), $"{field}[{i}].agency", $"{field}: '{m.Agency}' is not an agency in the policy")
                .When(string.IsNullOrWhiteSpace(m.User) || m.User.Length > 256, $"{field}[{i}].user", $"{field}[{i}].user: the user's subject at their agency's identity provider is required")
                .When(string.IsNullOrWhiteSpace(m.Role) || m.Role.Length > 32, $"{field}[{i}].role", $"{field}[{i}].role: a role of up to 32 characters (lcpp, police, health, education or another) is required");
        }
    }

    /// <summary>The problems with one member being added, as one message (a change answers one 422), or null.</summary>
    internal static string? MemberProblem(IReadOnlyList<MemberInput> members, PolicyDecisionPoint policy)
    {
        var errors = new FieldErrors();
        AddMemberErrors(members, policy, errors, "members");
        return errors.Any ? errors.Detail : null;
    }
}
