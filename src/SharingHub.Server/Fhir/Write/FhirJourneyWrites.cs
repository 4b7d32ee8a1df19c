using System.Globalization;
using System.Text.Json;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Workflow;

namespace SharingHub.Server.Fhir.Write;

/// <summary>A meeting of the case as a FHIR Encounter says it: which meeting, of which case, when, who attended and what it decided.</summary>
internal sealed record MeetingDraft(string Kind, Guid Case, DateTimeOffset HeldAt, List<AttendanceInput> Attendance, List<MemberInput> People, string? Decision,
    string? Category, List<ContributionInput> Contributions, string? Decisions);

/// <summary>
/// The case's meetings written over FHIR: <c>POST /fhir/Encounter</c> records a strategy discussion's meeting, an initial or review
/// conference, or a core group meeting, by the case's lead (a person's token, or their case system acting for them through SMART).
/// It is another way into the same workflow handlers as <c>/enquiries/{id}/...</c> and the case page, so the same stage rules,
/// nominations, deadlines, sealing, notifications and audit apply; the plan (<c>CarePlan</c>) is what a conference's decision makes,
/// never written on its own.
/// </summary>
internal static class FhirJourneyWrites
{
    public const string Contribution = "urn:sharinghub:fhir:contribution";
    public const string MeetingDecisions = "urn:sharinghub:fhir:meeting-decisions";
    private const string UserSystem = "urn:sharinghub:user:";
    private static readonly HashSet<string> EncounterElements = ["resourceType", "meta", "extension", "status", "class", "type", "subject", "participant", "period", "reasonCode", "serviceProvider"];

    public static RouteGroupBuilder MapFhirJourneyWrites(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/" + FhirJourney.EncounterType, CreateAsync).Audited("fhir.create").Takes(HubActions.EnquiryLead);
        return fhir;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock, NotificationOutbox outbox,
        PolicyDecisionPoint policy, WorkingCalendar calendar, IHubDbContextFactory contexts, IFieldCipher cipher)
    {
        if (SmartScopes.ScopeProblem(http, FhirJourney.EncounterType, 'c') is { } scope)
        {
            return FhirResults.Forbidden(scope);
        }
        var (root, problem) = await FhirBody.ReadAsync(http, FhirJourney.EncounterType);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new InputErrors();
        if (Read(root, errors) is not { } draft)
        {
            return errors.ToResult();
        }
        var before = await store.FindAsync<Enquiry>(draft.Case, http.RequestAborted);
        var known = before is null ? [] : PartIds(before).ToHashSet();
        var result = draft.Kind switch
        {
            "strategy-discussion" => await StrategyMeetingEndpoints.RecordAsync(draft.Case, new StrategyMeetingInput(draft.HeldAt, draft.People, draft.Contributions, draft.Decisions),
                http, store, cipher, policy, audit, clock),
            "core-group-meeting" => await ConferenceEndpoints.RecordCoreGroupAsync(draft.Case, new CoreGroupMeetingInput(draft.HeldAt), http, store, audit, clock, outbox),
            _ => await ConferenceEndpoints.RecordAsync(draft.Case, new ConferenceInput(draft.Kind == "initial-conference" ? "initial" : "review", draft.HeldAt, draft.Attendance,
                draft.Decision, draft.Category, draft.People), http, store, audit, clock, outbox, policy, calendar, contexts, cipher),
        };
        var answer = WorkflowAnswer.Of(result);
        if (!answer.Succeeded)
        {
            return Refusal(answer);
        }
        Guid id;
        long version;
        if (result is IValueHttpResult<StrategyMeetingRecorded> { Value: { } recorded })
        {
            (id, version) = (recorded.Id, 1);
        }
        else
        {
            // The meeting the change added: the case's one new part of its kind.
            var after = (await store.FindAsync<Enquiry>(draft.Case, http.RequestAborted))!;
            id = PartIds(after).First(p => !known.Contains(p));
            version = after.Version;
        }
        var location = $"{FhirEndpoints.BaseUrl(http)}/{FhirJourney.EncounterType}/{id}";
        return FhirResults.Resource(new OperationOutcome([new OperationOutcomeIssue("information", "informational", $"{FhirJourney.EncounterType}/{id} created ({draft.Kind})")]),
            StatusCodes.Status201Created, $"W/\"{version}\"", location);
    }

    private static IEnumerable<Guid> PartIds(Enquiry e) => e.Conferences.Select(c => c.Id).Concat(e.CoreGroupMeetings.Select(m => m.Id));

    /// <summary>The workflow's refusal in FHIR's own terms: each field's error as an issue, or the one reason.</summary>
    private static IResult Refusal(WorkflowAnswer answer)
    {
        var code = answer.Status switch
        {
            404 => "not-found",
            409 => "conflict",
            403 => "forbidden",
            422 => "processing",
            _ => "invalid",
        };
        return answer.Errors.Count > 0
            ? FhirResults.Resource(new OperationOutcome(answer.Errors.Select(e => new OperationOutcomeIssue("error", code, e.Message, Expression: [e.Field])).ToList()), answer.Status)
            : FhirResults.Outcome(answer.Status, code, answer.Detail ?? "the meeting was not recorded");
    }

    /// <summary>Reads an Encounter into a meeting of a case, naming every element it cannot use.</summary>
    internal static MeetingDraft? Read(JsonElement root, InputErrors errors)
    {
        foreach (var property in root.EnumerateObject().Where(p => !EncounterElements.Contains(p.Name)))
        {
            errors.Add($"Encounter.{SearchParameters.Safe(property.Name)}", $"the hub does not store Encounter.{SearchParameters.Safe(property.Name)}; leave it out");
        }
        if (ResourceInput.Text(root, "status") != "finished")
        {
            errors.Add("Encounter.status", "a meeting is recorded once it has been held: status finished");
        }
        var kind = ResourceInput.Array(root, "type").SelectMany(t => ResourceInput.Array(t, "coding"))
            .Where(c => ResourceInput.Text(c, "system") == FhirJourney.MeetingTypes).Select(c => ResourceInput.Text(c, "code")).FirstOrDefault();
        if (kind is null || !FhirJourney.MeetingCodes.Contains(kind))
        {
            errors.Add("Encounter.type", $"the meeting is one of {FhirJourney.MeetingTypes}|{string.Join(", ", FhirJourney.MeetingCodes)}");
        }
        var extensions = ResourceInput.Array(root, "extension").ToList();
        string? Extension(string url, string value) => extensions.Where(e => ResourceInput.Text(e, "url") == url).Select(e => ResourceInput.Text(e, value)).FirstOrDefault();
        if (!Guid.TryParse(Extension(FhirSystems.Enquiry, "valueString"), out var caseId))
        {
            errors.Add("Encounter.extension", $"the case the meeting belongs to is required: extension {FhirSystems.Enquiry} with its id as valueString");
        }
        var start = root.TryGetProperty("period", out var period) ? ResourceInput.Text(period, "start") : null;
        DateTimeOffset held = default;
        if (start is null || start.Length < 20 || !DateTimeOffset.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.None, out held))
        {
            errors.Add("Encounter.period.start", "when the meeting was held is required, as a dateTime with its time zone");
        }
        var attendance = new List<AttendanceInput>();
        var people = new List<MemberInput>();
        var participants = ResourceInput.Array(root, "participant").ToList();
        for (var i = 0; i < participants.Count; i++)
        {
            var individual = participants[i].TryGetProperty("individual", out var ind) && ind.TryGetProperty("identifier", out var identifier) ? identifier : default;
            var system = ResourceInput.Text(individual, "system");
            var value = ResourceInput.Text(individual, "value");
            var types = ResourceInput.Array(participants[i], "type").ToList();
            var codes = types.SelectMany(t => ResourceInput.Array(t, "coding")).Where(c => ResourceInput.Text(c, "system") == FhirJourney.Attendance)
                .Select(c => ResourceInput.Text(c, "code")).ToList();
            if (system == FhirSystems.Agency && value is not null)
            {
                // An agency invited to a conference: whether it attended and whether it gave a report.
                attendance.Add(new AttendanceInput(value, codes.Contains("attended"), codes.Contains("report")));
            }
            else if (system is not null && system.StartsWith(UserSystem, StringComparison.Ordinal) && value is not null
                && (types.Select(t => ResourceInput.Text(t, "text")).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t)) is { } role))
            {
                // A professional (an attendee of a strategy discussion, or a member of a plan's core group), with their role as type.text.
                people.Add(new MemberInput(system[UserSystem.Length..], value, role));
            }
            else
            {
                errors.Add($"Encounter.participant[{i}]", $"a participant is an agency (individual.identifier {FhirSystems.Agency}) with {FhirJourney.Attendance} codes, "
                    + $"or a professional (individual.identifier {UserSystem}<agency>) with their role as type.text");
            }
        }
        var category = ResourceInput.Array(root, "reasonCode").SelectMany(r => ResourceInput.Array(r, "coding"))
            .Where(c => ResourceInput.Text(c, "system") == FhirJourney.AbuseCategories).Select(c => ResourceInput.Text(c, "code")).FirstOrDefault();
        var contributions = extensions.Where(e => ResourceInput.Text(e, "url") == Contribution).Select(e => e.TryGetProperty("valueAnnotation", out var a) ? a : default)
            .Select(a => new ContributionInput(a.ValueKind == JsonValueKind.Object && a.TryGetProperty("authorReference", out var author) && author.TryGetProperty("identifier", out var id)
                && ResourceInput.Text(id, "system") == FhirSystems.Agency ? ResourceInput.Text(id, "value") : null, ResourceInput.Text(a, "text"))).ToList();
        var decision = Extension(FhirJourney.ConferenceDecision, "valueCode");
        var decisions = Extension(MeetingDecisions, "valueString");
        // What each kind of meeting records, and nothing it does not.
        var conference = kind is "initial-conference" or "review-conference";
        if (!conference && (attendance.Count > 0 || decision is not null || category is not null))
        {
            errors.Add("Encounter", "agency attendance, a conference decision and a category of abuse belong to a conference");
        }
        if (kind != "strategy-discussion" && (contributions.Count > 0 || decisions is not null))
        {
            errors.Add("Encounter.extension", "agencies' contributions and decisions in words belong to a strategy discussion");
        }
        if (kind == "core-group-meeting" && people.Count > 0)
        {
            errors.Add("Encounter.participant", "a core group meeting records when the core group met; its members are the plan's");
        }
        return errors.Any ? null : new MeetingDraft(kind!, caseId, held, attendance, people, decision, category, contributions, decisions);
    }
}
