using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;

namespace SharingHub.Server.Fhir;

internal sealed record TaskRestriction(Period Period);

internal sealed record TaskOutput(CodeableConcept Type, string ValueString);

internal sealed record FhirTask(string Id, Meta Meta) : FhirResource("Task", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public string Status { get; init; } = "requested";
    public CodeableConcept? BusinessStatus { get; init; }
    public string Intent { get; init; } = "order";
    public string? Priority { get; init; }
    public CodeableConcept Code { get; init; } = null!;
    public string? Description { get; init; }
    public Reference? For { get; init; }
    public string? AuthoredOn { get; init; }
    public string? LastModified { get; init; }
    public Reference? Requester { get; init; }
    public Reference? Owner { get; init; }
    public CodeableConcept? ReasonCode { get; init; }
    public IReadOnlyList<Annotation>? Note { get; init; }
    public TaskRestriction? Restriction { get; init; }
    public IReadOnlyList<TaskOutput>? Output { get; init; }
}

/// <summary>
/// Task: a referral to the front door (and its decision), and an information request from an enquiry
/// (with each agency's answer, including a recorded refusal). Read and search only; the workflow that
/// creates and answers them is the MACPT workflow's. An information request is about its enquiry's
/// subjects, and each answer is a record of its own, decided on its own.
/// </summary>
internal sealed class FhirTasks(IHubDbContextFactory contexts, FhirMapping map, PolicyDecisionPoint policy)
{
    public const string TaskCodes = "urn:sharinghub:task";
    public const string ReferralDecisions = "urn:sharinghub:referral-decision";
    public const string FrontDoorKinds = "urn:sharinghub:front-door-kind";
    public const string ConcernCategories = "urn:sharinghub:concern-category";
    public const string ReferralReferences = "urn:sharinghub:referral-reference";
    private static readonly string[] Parameters = ["_id", "patient", "code", "status", "business-status", "_count", "_format"];

    public async Task<IResult> ReadAsync(HttpContext http, RecordAccess access, string id)
    {
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirResults.NotFound("Task", SearchParameters.Safe(id));
        }
        var (found, _) = await FindAsync(http, access, [guid], null, null, false);
        return found.Count == 1 ? FhirResults.Resource(Show(access, found[0])) : FhirResults.NotFound("Task", id);
    }

    public async Task<IResult> SearchAsync(HttpContext http, RecordAccess access)
    {
        var query = http.Request.Query;
        if (query.Keys.FirstOrDefault(k => !Parameters.Contains(k)) is { } unknown)
        {
            return FhirResults.BadRequest($"Task search takes {string.Join(", ", Parameters[..^1])}; not '{SearchParameters.Safe(unknown)}'");
        }
        var code = query["code"].FirstOrDefault()?.Replace(TaskCodes + "|", "", StringComparison.Ordinal);
        if (code is not (null or "referral" or "information-request"))
        {
            return FhirResults.BadRequest("Task code is referral or information-request", "code");
        }
        var status = query["status"].FirstOrDefault();
        if (status is not (null or "requested" or "completed" or "cancelled"))
        {
            return FhirResults.BadRequest("Task status is requested, completed or cancelled", "status");
        }
        Guid? patient = null;
        if (query["patient"].FirstOrDefault() is { } p)
        {
            patient = FhirSearch.PatientId(p);
            if (patient is null)
            {
                return FhirResults.BadRequest("patient must be a Patient reference or id", "patient");
            }
        }
        var ids = query["_id"].FirstOrDefault()?.Split(',').Select(i => Guid.TryParse(i, out var g) ? g : Guid.Empty).ToList();
        var businessStatus = query["business-status"].FirstOrDefault();
        if (businessStatus is not (null or "overdue"))
        {
            return FhirResults.BadRequest("business-status is overdue (undecided referrals past their deadline)", "business-status");
        }
        // The front door's worklist: every referral it may see, without naming a child.
        var worklist = code == "referral" && patient is null && ids is null;
        if (patient is null && ids is null && !worklist)
        {
            return FhirResults.BadRequest("a Task search needs patient or _id, or code=referral for the referral worklist");
        }
        var count = int.TryParse(query["_count"].FirstOrDefault() ?? "50", out var c) && c is >= 0 and <= SearchParameters.MaxCount ? c : -1;
        if (count < 0)
        {
            return FhirResults.BadRequest($"_count is 0 to {SearchParameters.MaxCount}");
        }
        var (found, tooMany) = await FindAsync(http, access, ids, patient, code, status == "requested" || businessStatus is not null);
        if (tooMany)
        {
            return FhirResults.Outcome(400, "too-costly", $"more than {FhirSearch.MaxCandidates} referrals match; narrow the search with patient or status=requested");
        }
        // Filtered on what the caller may see of each task (a withheld status reads as requested), before anything is disclosed.
        var matching = found.Where(t => (status is null || t.Status == status) && (businessStatus is null || (businessStatus == "overdue" && t.Overdue))).ToList();
        var tasks = matching.Take(count).Select(t => Show(access, t)).ToList();
        var baseUrl = FhirEndpoints.BaseUrl(http);
        return FhirResults.Resource(new Bundle("searchset")
        {
            Timestamp = FhirMapping.Instant(access.Now),
            Total = matching.Count,
            Link = [new BundleLink("self", $"{baseUrl}/Task{http.Request.QueryString}")],
            Entry = tasks.Count == 0 ? null : tasks.Select(t => new BundleEntry($"{baseUrl}/Task/{t.Id}", t, new BundleSearch("match"))).ToList(),
        });
    }

    /// <summary>A task the caller may see, before it is disclosed: its record, decision and answers, and the status it will show.</summary>
    private sealed record Candidate(DateTimeOffset At, Record Record, Decision Decision, IReadOnlyList<(Record Answer, Decision Decision)> Answers, string Status, bool Overdue);

    private FhirTask Show(RecordAccess access, Candidate t) => t.Record is Referral
        ? ReferralTask(access.Disclose(t.Record, t.Decision), access.Now)
        : RequestTask(access.Disclose(t.Record, t.Decision), t.Answers.Select(a => access.Disclose(a.Answer, a.Decision)).ToList());

    private async Task<(List<Candidate> Tasks, bool TooMany)> FindAsync(HttpContext http, RecordAccess access, IReadOnlyList<Guid>? ids, Guid? patient, string? code, bool undecidedOnly)
    {
        var ct = http.RequestAborted;
        await using var db = contexts.Create();
        var subjects = patient is { } person ? await LinkedAsync(access, person, ct) : null;
        var tasks = new List<Candidate>();
        if (code is null or "referral")
        {
            var referrals = db.Referrals.AsNoTracking().ReachableBy(access);
            referrals = ids is not null ? referrals.Where(r => ids.Contains(r.Id))
                : subjects is not null ? referrals.Where(r => subjects.Contains(r.SubjectPersonId))
                : referrals;
            if (undecidedOnly)
            {
                referrals = referrals.Where(r => r.Decision == null);
            }
            var rows = await referrals.OrderBy(r => r.DecisionDueAt).Take(FhirSearch.MaxCandidates + 1).ToListAsync(ct);
            if (rows.Count > FhirSearch.MaxCandidates)
            {
                return ([], true);
            }
            await access.PrepareAsync(rows.Select(r => r.SubjectPersonId), ct);
            tasks.AddRange(access.Permitted(rows).Select(x => new Candidate(x.Record.ReceivedAt, x.Record, x.Decision, [], ReferralStatus(x.Record),
                x.Record.Decision is null && access.Now > x.Record.DecisionDueAt)));
        }
        if (code is null or "information-request")
        {
            var requests = db.InformationRequests.AsNoTracking().Include(r => r.Responses).ReachableBy(access);
            if (subjects is null && ids is null)
            {
                requests = requests.Where(_ => false);
            }
            if (ids is not null)
            {
                requests = requests.Where(r => ids.Contains(r.Id));
            }
            else
            {
                var enquiries = db.Set<EnquirySubject>().Where(s => subjects!.Contains(s.PersonId)).Select(s => s.EnquiryId);
                requests = requests.Where(r => enquiries.Contains(r.EnquiryId));
            }
            var rows = await requests.OrderByDescending(r => r.RequestedAt).Take(FhirSearch.MaxCandidates).ToListAsync(ct);
            var enquiryIds = rows.Select(r => r.EnquiryId).Distinct().ToList();
            var subjectsByEnquiry = (await db.Set<EnquirySubject>().Where(s => enquiryIds.Contains(s.EnquiryId)).ToListAsync(ct))
                .GroupBy(s => s.EnquiryId).ToDictionary(g => g.Key, g => g.Select(s => s.PersonId).ToList());
            await access.PrepareAsync(subjectsByEnquiry.Values.SelectMany(v => v), ct);
            foreach (var request in rows)
            {
                var about = access.Links.Expand(subjectsByEnquiry.GetValueOrDefault(request.EnquiryId, []));
                var decision = access.Decide(request, about);
                if (!decision.IsPermit)
                {
                    continue;
                }
                // Each answer is the answering agency's record, decided on its own.
                var answers = request.Responses.Select(r => ((Record)r, access.Decide(r, about))).Where(a => a.Item2.IsPermit).ToList();
                tasks.Add(new Candidate(request.RequestedAt, request, decision, answers, RequestStatus(request, decision), false));
            }
        }
        return (tasks.OrderByDescending(t => t.At).ToList(), false);
    }

    private static async Task<HashSet<Guid>> LinkedAsync(RecordAccess access, Guid person, CancellationToken ct)
    {
        await access.PrepareAsync([person], ct);
        return access.Links.Of(person).ToHashSet();
    }

    public FhirTask ReferralTask(Disclosure d, DateTimeOffset now)
    {
        var r = (Referral)d.Record;
        var concern = d.Open(nameof(Referral.Concern), r.Concern);
        var referrer = d.Open(nameof(Referral.ReferrerIdentity), r.ReferrerIdentity);
        var rationale = d.Open(nameof(Referral.DecisionRationale), r.DecisionRationale);
        var decidedBy = r.DecidedBy is not null && d.Shows(nameof(Referral.DecidedBy)) ? r.DecidedBy : null;
        var signedOff = r.SignedOffBy is not null && d.Shows(nameof(Referral.SignedOffBy)) ? r.SignedOffBy : null;
        return new FhirTask(r.Id.ToString(), map.MetaFor(d))
        {
            Extension = referrer is null ? null : [new Extension(FhirSystems.Referrer, ValueString: referrer)],
            Identifier = r.Reference is not null && d.Shows(nameof(Referral.Reference)) ? [new Identifier(ReferralReferences, r.Reference)] : null,
            Priority = d.Shows(nameof(Referral.Urgency)) ? r.Urgency switch { ReferralUrgency.Red => "asap", ReferralUrgency.Green => "routine", _ => "urgent" } : null,
            ReasonCode = r.ConcernCategory is not null && d.Shows(nameof(Referral.ConcernCategory))
                ? CodeableConcept.Of(ConcernCategories, r.ConcernCategory, char.ToUpperInvariant(r.ConcernCategory[0]) + r.ConcernCategory[1..].Replace('-', ' ')) : null,
            // Why the front door decided as it did, who decided and the manager who signed it off.
            Note = rationale is null && decidedBy is null ? null
                : [new Annotation(rationale ?? "Decided") { AuthorString = decidedBy is null ? null : signedOff is null ? decidedBy : $"{decidedBy}, signed off by {signedOff}" }],
            Status = ReferralStatus(r),
            BusinessStatus = r.Decision is { } decision && d.Shows(nameof(Referral.Decision))
                ? CodeableConcept.Of(ReferralDecisions, RecordFields.CamelCase(decision.ToString()), decision.ToString())
                : r.Decision is null && now > r.DecisionDueAt ? CodeableConcept.Of(ReferralDecisions, "overdue", "Decision overdue") : null,
            Code = new CodeableConcept([new Coding(TaskCodes, "referral", "Referral to the Integrated Front Door"),
                .. d.Shows(nameof(Referral.Kind)) ? [new Coding(FrontDoorKinds, r.Kind == ReferralKind.Contact ? "contact" : "referral", r.Kind == ReferralKind.Contact ? "Contact" : "Referral")] : Array.Empty<Coding>()], null),
            Description = concern,
            For = d.Shows(nameof(Referral.SubjectPersonId)) ? FhirMapping.PatientReference(r.SubjectPersonId) : null,
            AuthoredOn = d.Shows(nameof(Referral.ReceivedAt)) ? FhirMapping.Instant(r.ReceivedAt) : null,
            LastModified = r.DecidedAt is { } decided && d.Shows(nameof(Referral.DecidedAt)) ? FhirMapping.Instant(decided) : null,
            Requester = FhirMapping.Organization(r, policy.Policy),
            Owner = FhirMapping.Organization("la", policy.Policy),
            Restriction = d.Shows(nameof(Referral.DecisionDueAt)) ? new TaskRestriction(new Period(null, FhirMapping.Instant(r.DecisionDueAt))) : null,
        };
    }

    private static string ReferralStatus(Referral r) => r.Decision is null ? "requested" : "completed";

    /// <summary>An information request's status as the caller may see it: a withheld status reads as requested.</summary>
    private static string RequestStatus(InformationRequest r, Decision decision) =>
        Disclosure.Visible(decision, nameof(InformationRequest.Status))
            ? r.Status switch { InformationRequestStatus.Answered => "completed", InformationRequestStatus.Cancelled => "cancelled", _ => "requested" }
            : "requested";

    private FhirTask RequestTask(Disclosure d, IReadOnlyList<Disclosure> answers)
    {
        var r = (InformationRequest)d.Record;
        // Each element only when the decision shows its field: the same record, the same disclosure as OData.
        return new FhirTask(r.Id.ToString(), map.MetaFor(d))
        {
            Extension = d.Shows(nameof(InformationRequest.EnquiryId)) ? [new Extension(FhirSystems.Enquiry, ValueString: r.EnquiryId.ToString())] : null,
            Status = RequestStatus(r, d.Decision),
            Code = CodeableConcept.Of(TaskCodes, "information-request", "Information request from a section 47 enquiry"),
            Description = d.Open(nameof(InformationRequest.Question), r.Question),
            AuthoredOn = d.Shows(nameof(InformationRequest.RequestedAt)) ? FhirMapping.Instant(r.RequestedAt) : null,
            Requester = FhirMapping.Organization(r, policy.Policy),
            Owner = d.Shows(nameof(InformationRequest.RequestedAgency)) ? FhirMapping.Organization(r.RequestedAgency, policy.Policy) : null,
            Restriction = d.Shows(nameof(InformationRequest.DueAt)) ? new TaskRestriction(new Period(null, FhirMapping.Instant(r.DueAt))) : null,
            Output = answers.Count == 0 ? null : answers.Select(a =>
            {
                var answer = (InformationResponse)a.Record;
                var text = a.Open(nameof(InformationResponse.Content), answer.Content) ?? a.Open(nameof(InformationResponse.Reason), answer.Reason)
                    ?? (answer.Kind == InformationResponseKind.NothingHeld ? "Nothing held." : "Withheld.");
                var kind = RecordFields.CamelCase(answer.Kind.ToString());
                return new TaskOutput(CodeableConcept.Of("urn:sharinghub:information-response", kind, answer.Kind.ToString()), text);
            }).ToList(),
        };
    }
}
