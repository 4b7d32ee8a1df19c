using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Workflow;

namespace SharingHub.Server.Fhir;

internal sealed record CarePlanActivityDetail(string Status, CodeableConcept Code, Period? ScheduledPeriod, string? Description = null);

internal sealed record CarePlanActivity(CarePlanActivityDetail Detail);

internal sealed record CarePlan(string Id, Meta Meta) : FhirResource("CarePlan", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public string Status { get; init; } = "active";
    public string Intent { get; init; } = "plan";
    public IReadOnlyList<CodeableConcept>? Category { get; init; }
    public string? Title { get; init; }
    public Reference Subject { get; init; } = null!;
    public Period? Period { get; init; }
    public Reference? Author { get; init; }
    public IReadOnlyList<Reference>? Contributor { get; init; }
    public IReadOnlyList<object>? Contained { get; init; }
    public IReadOnlyList<Reference>? CareTeam { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<Annotation>? Note { get; init; }
    public IReadOnlyList<CarePlanActivity>? Activity { get; init; }
}

internal sealed record CareTeamParticipant(IReadOnlyList<CodeableConcept> Role, Reference Member, Reference? OnBehalfOf = null, Period? Period = null);

/// <summary>The team around a family, contained in its Family Help plan: the lead practitioner's spells, practitioners and agencies involved.</summary>
internal sealed record FhirCareTeam(string Id) : FhirResource("CareTeam", Id, null)
{
    public string Status { get; init; } = "active";
    public IReadOnlyList<CareTeamParticipant>? Participant { get; init; }
}

internal sealed record EncounterParticipant(IReadOnlyList<CodeableConcept>? Type, Reference? Individual);

internal sealed record Encounter(string Id, Meta Meta) : FhirResource("Encounter", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public string Status { get; init; } = "finished";
    public Coding Class { get; init; } = null!;
    public IReadOnlyList<CodeableConcept>? Type { get; init; }
    public Reference? Subject { get; init; }
    public IReadOnlyList<CodeableConcept>? ReasonCode { get; init; }
    public IReadOnlyList<EncounterParticipant>? Participant { get; init; }
    public Period? Period { get; init; }
    public Reference? ServiceProvider { get; init; }
}

/// <summary>
/// The child protection journey in FHIR: the plan a conference makes as <c>CarePlan</c> (its category of abuse, period and what
/// falls due: the first core group and the next review), and the meetings of the case as <c>Encounter</c> (strategy discussions,
/// initial and review conferences with each agency's attendance and report, core group meetings). Read and search only: the
/// journey is written through the case's workflow endpoints, which hold its rules (stages, nominations, deadlines). Each resource
/// is decided as the case it belongs to (a strategy meeting as its own record); a case the caller may not see answers 404.
/// </summary>
internal sealed class FhirJourney(IHubDbContextFactory contexts, FhirMapping map, PolicyDecisionPoint policy)
{
    public const string CarePlanType = "CarePlan";
    public const string EncounterType = "Encounter";
    public const string MeetingTypes = "urn:sharinghub:meeting-type";
    public const string AbuseCategories = "urn:sharinghub:abuse-category";
    public const string CarePlanCategories = "urn:sharinghub:care-plan";
    public const string DueItems = "urn:sharinghub:due-item";
    public const string Attendance = "urn:sharinghub:attendance";
    public const string ConferenceDecision = "urn:sharinghub:fhir:conference-decision";
    public const string AlsoFor = "urn:sharinghub:fhir:also-for";
    public const string CaseReference = "urn:sharinghub:case-reference";
    public static readonly string[] CarePlanParameters = ["_id", "patient", "status"];
    public static readonly string[] EncounterParameters = ["_id", "patient", "type"];
    internal static readonly string[] MeetingCodes = ["strategy-discussion", "initial-conference", "review-conference", "core-group-meeting"];

    public async Task<IResult> ReadAsync(HttpContext http, RecordAccess access, string type, string id)
    {
        if (http.Request.Query.Keys.FirstOrDefault(k => k != "_format") is { } unknown)
        {
            return FhirResults.BadRequest($"a read takes no parameters, not '{SearchParameters.Safe(unknown)}'");
        }
        if (!Guid.TryParse(id, out var guid))
        {
            return FhirResults.NotFound(type, SearchParameters.Safe(id));
        }
        var found = await FindAsync(http, access, type, guid, null);
        return found.Count == 1 ? FhirResults.Resource(found[0]) : FhirResults.NotFound(type, id);
    }

    public async Task<IResult> SearchAsync(HttpContext http, RecordAccess access, string type)
    {
        var query = http.Request.Query;
        var allowed = type == CarePlanType ? CarePlanParameters : EncounterParameters;
        if (query.Keys.FirstOrDefault(k => k != "_format" && !allowed.Contains(k)) is { } unknown)
        {
            return FhirResults.BadRequest($"{type} search takes {string.Join(", ", allowed)}; not '{SearchParameters.Safe(unknown)}'");
        }
        Guid? id = null;
        if (query["_id"].FirstOrDefault() is { } idText)
        {
            id = Guid.TryParse(idText, out var g) ? g : Guid.Empty;
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
        if (patient is null && id is null)
        {
            // A plan or meeting is found through its child: nobody lists every case's plans from here (oversight has its own view).
            return FhirResults.BadRequest($"a {type} search needs patient or _id");
        }
        var status = query["status"].FirstOrDefault();
        if (status is not (null or "draft" or "active" or "completed"))
        {
            return FhirResults.BadRequest("CarePlan status is draft (Family Help being assessed), active or completed", "status");
        }
        var meeting = query["type"].FirstOrDefault()?.Replace(MeetingTypes + "|", "", StringComparison.Ordinal);
        if (meeting is not null && !MeetingCodes.Contains(meeting))
        {
            return FhirResults.BadRequest("Encounter type is one of " + string.Join(", ", MeetingCodes), "type");
        }
        var found = (await FindAsync(http, access, type, id, patient))
            .Where(r => r switch
            {
                CarePlan plan => status is null || plan.Status == status,
                Encounter encounter => meeting is null || encounter.Type?[0].Coding?[0].Code == meeting,
                _ => false,
            }).ToList();
        var baseUrl = FhirEndpoints.BaseUrl(http);
        return FhirResults.Resource(new Bundle("searchset")
        {
            Timestamp = FhirMapping.Instant(access.Now),
            Total = found.Count,
            Link = [new BundleLink("self", $"{baseUrl}/{type}{http.Request.QueryString}")],
            Entry = found.Count == 0 ? null : found.Select(r => new BundleEntry($"{baseUrl}/{type}/{r.Id}", r, new BundleSearch("match"))).ToList(),
        });
    }

    /// <summary>The plans or meetings of the cases about a child (or the one with an id), as far as the caller may see each case.</summary>
    private async Task<List<FhirResource>> FindAsync(HttpContext http, RecordAccess access, string type, Guid? id, Guid? patient)
    {
        var ct = http.RequestAborted;
        await using var db = contexts.Create();
        IQueryable<Enquiry> cases = db.Enquiries.AsNoTracking().ReachableBy(access);
        if (patient is { } person)
        {
            await access.PrepareAsync([person], ct);
            var linked = access.Links.Of(person).ToList();
            cases = cases.Where(e => e.Subjects.Any(s => linked.Contains(s.PersonId)));
        }
        if (id is { } one)
        {
            cases = type == CarePlanType
                ? cases.Where(e => e.Id == one)
                : cases.Where(e => e.Conferences.Any(c => c.Id == one) || e.CoreGroupMeetings.Any(m => m.Id == one)
                    || db.StrategyMeetings.Any(m => m.Id == one && m.EnquiryId == e.Id));
        }
        var rows = await cases.OrderByDescending(e => e.OpenedAt).Take(FhirSearch.MaxCandidates).ToListAsync(ct);
        await access.PrepareAsync(rows.SelectMany(e => e.Subjects.Select(s => s.PersonId)), ct);
        var shown = new List<FhirResource>();
        foreach (var e in rows)
        {
            var decision = access.Decide(e);
            var d = decision.IsPermit ? access.Disclose(e, decision) : null;
            if (type == CarePlanType)
            {
                if (d is not null && e.PlanStartedAt is not null && d.Shows(nameof(Enquiry.PlanStartedAt)) && Plan(d, access.Now) is { } plan)
                {
                    shown.Add(plan);
                }
                continue;
            }
            if (d is not null)
            {
                shown.AddRange(Meetings(d));
            }
            // A strategy meeting is a record of its own, decided on its own about the case's subjects.
            var meetings = await db.StrategyMeetings.AsNoTracking().ReachableBy(access).Where(m => m.EnquiryId == e.Id).OrderBy(m => m.HeldAt).Take(200).ToListAsync(ct);
            var about = access.Links.Expand(e.Subjects.Select(s => s.PersonId).ToList());
            foreach (var m in meetings)
            {
                var meetingDecision = access.Decide(m, about);
                if (meetingDecision.IsPermit)
                {
                    shown.Add(StrategyEncounter(access.Disclose(m, meetingDecision), e));
                }
            }
        }
        if (type == CarePlanType)
        {
            shown.AddRange(await FamilyHelpAsync(db, access, id, patient, ct));
        }
        // A case's meetings in the order they were held (the Period start is an instant, so it sorts as text).
        shown = shown.OrderBy(r => r is Encounter encounter ? encounter.Period?.Start : null, StringComparer.Ordinal).ToList();
        return id is { } wanted ? shown.Where(r => r.Id == wanted.ToString()).ToList() : shown;
    }

    /// <summary>Whether the id is a Family Help plan's (read with its version like any written record) rather than a case's.</summary>
    public async Task<bool> IsFamilyHelpAsync(string id, CancellationToken ct)
    {
        await using var db = contexts.Create();
        return Guid.TryParse(id, out var guid) && await db.FamilyHelpPlans.AnyAsync(p => p.Id == guid, ct);
    }

    /// <summary>The Family Help plans of a child (or the one with an id), each decided as its own record.</summary>
    private async Task<List<FhirResource>> FamilyHelpAsync(HubDbContext db, RecordAccess access, Guid? id, Guid? patient, CancellationToken ct)
    {
        IQueryable<FamilyHelpPlan> plans = db.FamilyHelpPlans.AsNoTracking().ReachableBy(access);
        if (patient is { } person)
        {
            var linked = access.Links.Of(person).ToList();
            plans = plans.Where(p => linked.Contains(p.PersonId));
        }
        if (id is { } one)
        {
            plans = plans.Where(p => p.Id == one);
        }
        var rows = await plans.OrderByDescending(p => p.StartedAt).Take(FhirSearch.MaxCandidates).ToListAsync(ct);
        await access.PrepareAsync(rows.Select(p => p.PersonId), ct);
        return rows.Select(p => (Plan: p, Decision: access.Decide(p))).Where(x => x.Decision.IsPermit)
            .Select(x => (FhirResource)map.FamilyHelpPlan(access.Disclose(x.Plan, x.Decision))).ToList();
    }

    private CarePlan? Plan(Disclosure d, DateTimeOffset now)
    {
        var e = (Enquiry)d.Record;
        var children = Children(d);
        if (children.Count == 0)
        {
            return null;
        }
        var ended = e.PlanEndedAt is not null && d.Shows(nameof(Enquiry.PlanEndedAt));
        return new CarePlan(e.Id.ToString(), map.MetaFor(d))
        {
            Extension = children.Count > 1 ? children.Skip(1).Select(c => new Extension(AlsoFor, ValueReference: c)).ToList() : null,
            Identifier = [new Identifier(CaseReference, e.Reference)],
            Status = ended ? "completed" : "active",
            Category =
            [
                CodeableConcept.Of(CarePlanCategories, "child-protection-plan", "Child protection plan"),
                .. e.PlanCategory is { } category && d.Shows(nameof(Enquiry.PlanCategory)) ? [CodeableConcept.Of(AbuseCategories, category, Words(category))] : Array.Empty<CodeableConcept>(),
            ],
            Title = $"Child protection plan, case {e.Reference}",
            Subject = children[0],
            Period = new Period(FhirMapping.Instant(e.PlanStartedAt!.Value), ended ? FhirMapping.Instant(e.PlanEndedAt!.Value) : null),
            Author = FhirMapping.Organization(e, policy.Policy),
            Contributor = d.Shows(nameof(Enquiry.Members))
                ? e.Members.Where(m => m.RemovedAt is null).OrderBy(m => m.AddedAt).Select(m => Person(m.Agency, m.UserSubject, m.Role)).ToList() : null,
            // What the plan has falling due; oversight and the escalation read the same items.
            Activity = ended ? null : CaseOversightEndpoints.Due(e, now).Where(i => i.Item != "initial-conference")
                .Select(i => new CarePlanActivity(new CarePlanActivityDetail(i.Overdue ? "not-started" : "scheduled",
                    CodeableConcept.Of(DueItems, i.Item, Words(i.Item)), new Period(null, FhirMapping.Instant(i.DueBy)), i.Overdue ? "overdue" : null))).ToList() is { Count: > 0 } due ? due : null,
        };
    }

    private IEnumerable<Encounter> Meetings(Disclosure d)
    {
        var e = (Enquiry)d.Record;
        var children = Children(d);
        var subject = children.FirstOrDefault();
        var enquiry = new Extension(FhirSystems.Enquiry, ValueString: e.Id.ToString());
        if (d.Shows(nameof(Enquiry.Conferences)))
        {
            foreach (var c in e.Conferences.OrderBy(c => c.HeldAt))
            {
                var kind = c.Kind == ConferenceKind.Initial ? "initial-conference" : "review-conference";
                yield return new Encounter(c.Id.ToString(), map.MetaFor(d))
                {
                    Extension = [enquiry, new Extension(ConferenceDecision, ValueCode: c.Decision)],
                    Class = MeetingClass,
                    Type = [CodeableConcept.Of(MeetingTypes, kind, Words(kind))],
                    Subject = subject,
                    Participant = c.Attendance.Select(Attended).ToList(),
                    // A plan's category of abuse is the reason the conference made it.
                    ReasonCode = c.Category is { } category ? [CodeableConcept.Of(AbuseCategories, category, Words(category))] : null,
                    Period = new Period(FhirMapping.Instant(c.HeldAt), null),
                    ServiceProvider = FhirMapping.Organization(e, policy.Policy),
                };
            }
        }
        if (d.Shows(nameof(Enquiry.CoreGroupMeetings)))
        {
            foreach (var m in e.CoreGroupMeetings.OrderBy(m => m.HeldAt))
            {
                yield return new Encounter(m.Id.ToString(), map.MetaFor(d))
                {
                    Extension = [enquiry],
                    Class = MeetingClass,
                    Type = [CodeableConcept.Of(MeetingTypes, "core-group-meeting", "Core group meeting")],
                    Subject = subject,
                    Period = new Period(FhirMapping.Instant(m.HeldAt), null),
                    ServiceProvider = FhirMapping.Organization(e, policy.Policy),
                };
            }
        }
    }

    private Encounter StrategyEncounter(Disclosure d, Enquiry e)
    {
        var m = (Core.Records.StrategyMeeting)d.Record;
        // What each agency brought and what was decided in words: sealed, opened only where the decision shows them.
        var contributions = d.Open(nameof(Core.Records.StrategyMeeting.Contributions), m.Contributions) is { } sealedContributions
            ? System.Text.Json.JsonSerializer.Deserialize<List<ContributionInput>>(sealedContributions, FhirResults.Json) ?? [] : [];
        var decisions = d.Open(nameof(Core.Records.StrategyMeeting.Decisions), m.Decisions);
        return new Encounter(m.Id.ToString(), map.MetaFor(d))
        {
            Extension =
            [
                new Extension(FhirSystems.Enquiry, ValueString: e.Id.ToString()),
                .. contributions.Where(c => c.Agency is not null && c.Summary is not null).Select(c => new Extension(Write.FhirJourneyWrites.Contribution,
                    ValueAnnotation: new Annotation(c.Summary!) { AuthorReference = FhirMapping.Organization(c.Agency!, policy.Policy) })),
                .. decisions is null ? Array.Empty<Extension>() : [new Extension(Write.FhirJourneyWrites.MeetingDecisions, ValueString: decisions)],
            ],
            Class = MeetingClass,
            Type = [CodeableConcept.Of(MeetingTypes, "strategy-discussion", "Strategy discussion")],
            Participant = d.Shows(nameof(Core.Records.StrategyMeeting.Attendees))
                ? m.Attendees.Select(a => a.Split('/', 3)).Where(p => p.Length == 3).Select(p => new EncounterParticipant(
                    [new CodeableConcept(null, p[2])], Person(p[0], p[1], p[2]))).ToList()
                : null,
            Period = new Period(FhirMapping.Instant(m.HeldAt), null),
            ServiceProvider = FhirMapping.Organization(m, policy.Policy),
        };
    }

    private static readonly Coding MeetingClass = new("urn:sharinghub:encounter-class", "multi-agency-meeting", "Multi-agency meeting");

    /// <summary>"agency/attended|absent/report|no-report": the agency, whether it attended, whether it gave a report.</summary>
    private EncounterParticipant Attended(string attendance)
    {
        var parts = attendance.Split('/');
        var agency = parts[0];
        var types = parts.Skip(1).Select(p => CodeableConcept.Of(Attendance, p, Words(p))).ToList();
        return new EncounterParticipant(types, FhirMapping.Organization(agency, policy.Policy));
    }

    /// <summary>A professional as their agency's identity provider knows them: no directory of people is kept here.</summary>
    private Reference Person(string agency, string user, string role) =>
        new(Identifier: new Identifier($"urn:sharinghub:user:{agency}", user), Display: $"{user} ({role}, {(policy.Policy.Agencies.TryGetValue(agency, out var a) ? a.Name : agency)})");

    private static List<Reference> Children(Disclosure d)
    {
        var e = (Enquiry)d.Record;
        return d.Shows(nameof(Enquiry.Subjects))
            ? e.Subjects.Where(s => s.Role == "child").Select(s => FhirMapping.PatientReference(s.PersonId)).ToList()
            : [];
    }

    private static string Words(string code) => char.ToUpperInvariant(code[0]) + code[1..].Replace('-', ' ');
}
