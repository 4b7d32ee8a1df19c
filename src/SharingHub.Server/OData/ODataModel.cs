using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using Microsoft.OData.Edm;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.OData;

/// <summary>An entity set: its EDM declarations, the properties and navigations the hub binds, and the SMART resource type a partner system's scope must cover.</summary>
internal abstract class ODataSet(string name, EdmEntityType type, string scopeType, IEnumerable<ODataField> fields, IEnumerable<ODataNavigation> navigations)
{
    public string Name => name;
    public EdmEntityType Type => type;
    public string ScopeType => scopeType;
    public IEdmEntitySet EdmSet { get; set; } = null!;
    public FrozenDictionary<string, ODataField> Fields { get; } = fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    public FrozenDictionary<string, ODataNavigation> Navigations { get; } = navigations.ToFrozenDictionary(n => n.Name, StringComparer.Ordinal);
    public abstract Type ClrType { get; }

    /// <summary>Runs the reader's generic read for this set's own record type.</summary>
    public virtual Task<IResult> ReadAsync(ODataReader reader, ODataGet get, RecordAccess access, CancellationToken ct) =>
        throw ODataRefusal.NotSupported($"{name} is not read this way");

    /// <summary>The records among <paramref name="ids"/> this request may see, each with its decision (for $expand).</summary>
    public virtual Task<Dictionary<Guid, (Record Record, Decision Decision)>> PermittedAsync(HubDbContext db, RecordAccess access,
        IReadOnlyCollection<Guid> ids, CancellationToken ct) => Task.FromResult(new Dictionary<Guid, (Record, Decision)>());
}

/// <summary>A set of shared records: every row is decided by the policy point before it counts or appears.</summary>
internal sealed class RecordSet<T>(string name, EdmEntityType type, string scopeType, FieldsOf<T> fields, Func<HubDbContext, IQueryable<T>> query,
    SubjectsOf<T>? subjects = null)
    : ODataSet(name, type, scopeType, fields.Fields, fields.Navigations)
    where T : Record
{
    public override Type ClrType => typeof(T);

    /// <summary>The set's rows with the children its facts and payload need, narrowed to what some rule could share with this caller.</summary>
    public IQueryable<T> Query(HubDbContext db, RecordAccess access) => Stored(db).ReachableBy(access);

    /// <summary>
    /// The set's record with that key if some rule could share it with this caller (the same answer as <see cref="Query"/>),
    /// found by its key alone and tested against the reachable pairs in memory, as a FHIR read by id is.
    /// </summary>
    public async Task<List<T>> FindAsync(HubDbContext db, RecordAccess access, Guid key, CancellationToken ct) =>
        (await Stored(db).Where(r => r.Id == key).ToListAsync(ct)).Where(access.CouldReach).ToList();

    private IQueryable<T> Stored(HubDbContext db) => query(db).AsNoTracking();

    /// <summary>
    /// Decides a batch of rows. Most records name their subjects; an information request is about its
    /// enquiry's subjects, which are looked up for the batch. People are linked before deciding.
    /// </summary>
    public async Task<List<(T Record, Decision Decision)>> DecideAsync(HubDbContext db, RecordAccess access, IReadOnlyList<T> rows, CancellationToken ct)
    {
        if (subjects is null)
        {
            await access.PrepareAsync(rows.SelectMany(r => RecordFacts.For(r).SubjectIds), ct);
            return rows.Select(r => (r, access.Decide(r))).ToList();
        }
        var about = await subjects(db, rows, ct);
        await access.PrepareAsync(rows.SelectMany(about), ct);
        return rows.Select(r => (r, access.Decide(r, access.Links.Expand(about(r))))).ToList();
    }

    public override Task<IResult> ReadAsync(ODataReader reader, ODataGet get, RecordAccess access, CancellationToken ct) => reader.ReadAsync(this, get, access, ct);

    public override async Task<Dictionary<Guid, (Record Record, Decision Decision)>> PermittedAsync(HubDbContext db, RecordAccess access,
        IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var rows = await Query(db, access).Where(r => ids.Contains(r.Id)).ToListAsync(ct);
        return (await DecideAsync(db, access, rows, ct)).Where(x => x.Decision.IsPermit).ToDictionary(x => x.Record.Id, x => ((Record)x.Record, x.Decision));
    }
}

/// <summary>Finds the people a batch of records is about, where the records do not name them.</summary>
internal delegate Task<Func<T, IEnumerable<Guid>>> SubjectsOf<T>(HubDbContext db, IReadOnlyList<T> rows, CancellationToken ct);

/// <summary>The audit log, for information governance officers: their access is decided once per request, as for /audit/entries.</summary>
internal sealed class AuditSet(EdmEntityType type, FieldsOf<AuditEntry> fields) : ODataSet(ODataModel.AuditEntries, type, "AuditEvent", fields.Fields, [])
{
    public override Type ClrType => typeof(AuditEntry);
}

/// <summary>
/// The OData service's model: the same records as the FHIR API, under the same rules. Property names
/// are the field names the sharing rules use, so a property is governed by exactly the rule text an
/// IG officer reads in policies/.
/// </summary>
internal sealed class ODataModel
{
    public const string Namespace = "SharingHub";
    public const string People = "People";
    public const string Events = "Events";
    public const string States = "States";
    public const string Involvements = "Involvements";
    public const string Enquiries = "Enquiries";
    public const string InformationRequests = "InformationRequests";
    public const string Consents = "Consents";
    public const string Relationships = "Relationships";
    public const string Households = "Households";
    public const string StrategyMeetings = "StrategyMeetings";
    public const string Referrals = "Referrals";
    public const string FamilyHelpPlans = "FamilyHelpPlans";
    public const string AuditEntries = "AuditEntries";
    public const string Chronology = "chronology";

    public IEdmModel Model { get; }
    public FrozenDictionary<string, ODataSet> Sets { get; }
    public IEdmFunction ChronologyFunction { get; }

    public ODataModel()
    {
        var model = new EdmModel();
        var container = new EdmEntityContainer(Namespace, "Hub");
        model.AddElement(container);
        EdmEntityType Type(string typeName)
        {
            var t = new EdmEntityType(Namespace, typeName);
            model.AddElement(t);
            return t;
        }
        var personType = Type("Person");
        var eventType = Type("Event");
        var stateType = Type("State");
        var involvementType = Type("Involvement");
        var enquiryType = Type("Enquiry");
        var requestType = Type("InformationRequest");
        var consentType = Type("Consent");
        var meetingType = Type("StrategyMeeting");
        var referralType = Type("Referral");
        var relationshipType = Type("Relationship");
        var householdType = Type("Household");
        var familyHelpType = Type("FamilyHelpPlan");
        var auditType = Type("AuditEntry");

        var person = new FieldsOf<Person>(personType, model).Metadata()
            .Enum("kind", p => p.Kind)
            .Sealed("givenName", p => p.GivenName)
            .Indexed("familyName", p => p.FamilyName)
            .Indexed("birthDate", p => p.Kind == PersonKind.Unborn ? null : p.BirthDate, EdmPrimitiveTypeKind.Date, ODataDates.Parse)
            // An unborn child's expected date of delivery, governed as the date of birth it stands in for (never matched as one).
            .Custom("expectedDeliveryDate", "birthDate", FieldStorage.Sealed, d => ((Person)d.Record).Kind == PersonKind.Unborn
                && d.Open(nameof(Person.BirthDate), ((Person)d.Record).BirthDate) is { } expected ? FieldValue.Of(ODataDates.Parse(expected)) : FieldValue.Absent, EdmPrimitiveTypeKind.Date)
            .Plain("sex", p => p.Sex, EdmPrimitiveTypeKind.String, true)
            .Sealed("address", p => p.Address)
            .Plain("addressConfidential", p => p.AddressConfidential, EdmPrimitiveTypeKind.Boolean, false);
        foreach (var (name, kind) in IdentifierProperties)
        {
            person.Custom(name, "identifiers", FieldStorage.Indexed, d => ReadIdentifier(d, kind));
        }
        var chronologyEvent = new FieldsOf<ChronologyEvent>(eventType, model).Metadata()
            .Plain("occurredAt", e => e.OccurredAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("category", e => e.Category, EdmPrimitiveTypeKind.String, false)
            .Enum("significance", e => e.Significance)
            .Sealed("summary", e => e.Summary)
            .Sealed("detail", e => e.Detail)
            .Plain("sourceReference", e => e.SourceReference, EdmPrimitiveTypeKind.String, true)
            .Navigation<EventSubject>("subjects", "subjects", personType, People, e => e.Subjects.Select(s => s.PersonId), s => s.EventId, s => s.PersonId);
        var state = new FieldsOf<PersonState>(stateType, model).Metadata()
            .Plain("personId", s => s.PersonId, EdmPrimitiveTypeKind.Guid, false)
            .Plain("code", s => s.Code, EdmPrimitiveTypeKind.String, false)
            .Plain("startedAt", s => s.StartedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("endedAt", s => s.EndedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Sealed("detail", s => s.Detail)
            .Plain("sourceReference", s => s.SourceReference, EdmPrimitiveTypeKind.String, true)
            .Navigation("person", "personId", personType, People, s => s.PersonId);
        var involvement = new FieldsOf<Involvement>(involvementType, model).Metadata()
            .Plain("personId", i => i.PersonId, EdmPrimitiveTypeKind.Guid, false)
            .Plain("service", i => i.Service, EdmPrimitiveTypeKind.String, false)
            .Enum("status", i => i.Status)
            .Plain("startedAt", i => i.StartedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("endedAt", i => i.EndedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("team", i => i.Team, EdmPrimitiveTypeKind.String, true)
            .Sealed("leadWorker", i => i.LeadWorker)
            .Sealed("summary", i => i.Summary)
            .Plain("sourceReference", i => i.SourceReference, EdmPrimitiveTypeKind.String, true)
            .Navigation("person", "personId", personType, People, i => i.PersonId);
        // The parts of a case, decided with it: who is in it, what each conference decided, the core group's meetings, emergency
        // action taken inside the enquiry, and family group decision making offered at each decision point.
        var member = new PartsOf<EnquiryMember>(model, "Member")
            .Value("agency", m => m.Agency, EdmPrimitiveTypeKind.String, false)
            .Value("user", m => m.UserSubject, EdmPrimitiveTypeKind.String, false)
            .Value("role", m => m.Role, EdmPrimitiveTypeKind.String, false)
            .Value("addedAt", m => m.AddedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Value("removedAt", m => m.RemovedAt, EdmPrimitiveTypeKind.DateTimeOffset, true);
        var attendance = new PartsOf<string[]>(model, "Attendance")
            .Value("agency", a => a[0], EdmPrimitiveTypeKind.String, false)
            .Value("attended", a => a.ElementAtOrDefault(1) == "attended", EdmPrimitiveTypeKind.Boolean, false)
            .Value("report", a => a.ElementAtOrDefault(2) == "report", EdmPrimitiveTypeKind.Boolean, false);
        var conference = new PartsOf<CaseConference>(model, "Conference")
            .Value("id", c => c.Id, EdmPrimitiveTypeKind.Guid, false)
            .Value("kind", c => c.Kind, EdmPrimitiveTypeKind.String, false)
            .Value("heldAt", c => c.HeldAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Value("decision", c => c.Decision, EdmPrimitiveTypeKind.String, false)
            .Value("category", c => c.Category, EdmPrimitiveTypeKind.String, true)
            .Many("attendance", attendance, c => c.Attendance.Select(a => a.Split('/')));
        var coreGroupMeeting = new PartsOf<CoreGroupMeeting>(model, "CoreGroupMeeting")
            .Value("id", m => m.Id, EdmPrimitiveTypeKind.Guid, false)
            .Value("heldAt", m => m.HeldAt, EdmPrimitiveTypeKind.DateTimeOffset, false);
        var emergencyAction = new PartsOf<EmergencyAction>(model, "EmergencyAction")
            .Value("id", a => a.Id, EdmPrimitiveTypeKind.Guid, false)
            .Value("kind", a => a.Kind, EdmPrimitiveTypeKind.String, false)
            .Value("startedAt", a => a.StartedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Value("endsAt", a => a.EndsAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Value("actingAgency", a => a.ActingAgency, EdmPrimitiveTypeKind.String, false)
            .Value("actedBy", a => a.ActedBy, EdmPrimitiveTypeKind.String, false);
        var fgdm = new PartsOf<FgdmDecision>(model, "FgdmDecision")
            .Value("decisionPoint", f => f.DecisionPoint, EdmPrimitiveTypeKind.String, false)
            .Value("status", f => f.Status, EdmPrimitiveTypeKind.String, false)
            .Value("recordedAt", f => f.RecordedAt, EdmPrimitiveTypeKind.DateTimeOffset, false);
        ODataJourneyActions.Declare(model, enquiryType, attendance.Type);
        var enquiry = new FieldsOf<Enquiry>(enquiryType, model).Metadata()
            .Plain("reference", q => q.Reference, EdmPrimitiveTypeKind.String, false)
            .Enum("status", q => q.Status)
            .Plain("openedAt", q => q.OpenedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("closedAt", q => q.ClosedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Enum("outcome", q => q.Outcome, nullable: true)
            .Plain("leadPractitioner", q => q.LeadPractitioner, EdmPrimitiveTypeKind.String, false)
            .Sealed("grounds", q => q.Grounds)
            // The case's journey: its stage and the deadlines oversight and the reports read.
            .Enum("stage", q => q.Stage)
            .Plain("strategyDecision", q => q.StrategyDecision, EdmPrimitiveTypeKind.String, true)
            .Sealed("strategyDecisionReasons", q => q.StrategyDecisionReasons)
            .Plain("section47StartedAt", q => q.Section47StartedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("jointWithPolice", q => q.JointWithPolice, EdmPrimitiveTypeKind.Boolean, false)
            .Plain("conferenceDueBy", q => q.ConferenceDueBy, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("planStartedAt", q => q.PlanStartedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("planEndedAt", q => q.PlanEndedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("planCategory", q => q.PlanCategory, EdmPrimitiveTypeKind.String, true)
            .Plain("coreGroupDueBy", q => q.CoreGroupDueBy, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("reviewDueBy", q => q.ReviewDueBy, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("preProceedingsAt", q => q.PreProceedingsAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Parts("members", member, q => q.Members.OrderBy(m => m.AddedAt))
            .Parts("conferences", conference, q => q.Conferences.OrderBy(c => c.HeldAt))
            .Parts("coreGroupMeetings", coreGroupMeeting, q => q.CoreGroupMeetings.OrderBy(m => m.HeldAt))
            .Parts("emergencyActions", emergencyAction, q => q.EmergencyActions.OrderBy(a => a.StartedAt))
            .Parts("fgdm", fgdm, q => q.Fgdm.OrderBy(f => f.RecordedAt))
            .Navigation<EnquirySubject>("subjects", "subjects", personType, People, q => q.Subjects.Select(s => s.PersonId), s => s.EnquiryId, s => s.PersonId);
        var meeting = new FieldsOf<StrategyMeeting>(meetingType, model).Metadata()
            .Plain("enquiryId", m => m.EnquiryId, EdmPrimitiveTypeKind.Guid, false)
            .Plain("heldAt", m => m.HeldAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Strings("attendees", m => m.Attendees)
            .Sealed("contributions", m => m.Contributions)
            .Sealed("decisions", m => m.Decisions)
            .Navigation("enquiry", "enquiryId", enquiryType, Enquiries, m => m.EnquiryId);
        var referral = new FieldsOf<Referral>(referralType, model).Metadata()
            .Plain("subjectPersonId", r => r.SubjectPersonId, EdmPrimitiveTypeKind.Guid, false)
            .Plain("receivedAt", r => r.ReceivedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("decisionDueAt", r => r.DecisionDueAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Enum("decision", r => r.Decision, nullable: true)
            .Plain("decidedAt", r => r.DecidedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Sealed("concern", r => r.Concern)
            .Sealed("referrerIdentity", r => r.ReferrerIdentity)
            .Navigation("subject", "subjectPersonId", personType, People, r => r.SubjectPersonId);
        var request = new FieldsOf<InformationRequest>(requestType, model).Metadata()
            .Plain("enquiryId", r => r.EnquiryId, EdmPrimitiveTypeKind.Guid, false)
            .Plain("requestedAgency", r => r.RequestedAgency, EdmPrimitiveTypeKind.String, false)
            .Plain("requestedAt", r => r.RequestedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("dueAt", r => r.DueAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Enum("status", r => r.Status)
            .Sealed("question", r => r.Question)
            .Plain("escalatedAt", r => r.EscalatedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Navigation("enquiry", "enquiryId", enquiryType, Enquiries, r => r.EnquiryId);
        var consent = new FieldsOf<Consent>(consentType, model).Metadata()
            .Plain("subjectPersonId", c => c.SubjectPersonId, EdmPrimitiveTypeKind.Guid, false)
            .Enum("grantor", c => c.Grantor)
            .Enum("decision", c => c.Decision)
            .Enum("status", c => c.Status)
            .Strings("recipientAgencies", c => c.RecipientAgencies)
            .Strings("purposes", c => c.Purposes)
            .Strings("dataClasses", c => c.DataClasses)
            .Plain("periodStart", c => c.PeriodStart, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("periodEnd", c => c.PeriodEnd, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("withdrawnAt", c => c.WithdrawnAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Sealed("notSoughtReason", c => c.NotSoughtReason)
            .Plain("sourceReference", c => c.SourceReference, EdmPrimitiveTypeKind.String, true)
            .Navigation("subject", "subjectPersonId", personType, People, c => c.SubjectPersonId);
        var relationship = new FieldsOf<Relationship>(relationshipType, model).Metadata()
            .Plain("personId", r => r.PersonId, EdmPrimitiveTypeKind.Guid, false)
            .Plain("relatedPersonId", r => r.RelatedPersonId, EdmPrimitiveTypeKind.Guid, false)
            .Enum("kind", r => r.Kind)
            .Plain("hasParentalResponsibility", r => r.HasParentalResponsibility, EdmPrimitiveTypeKind.Boolean, false)
            .Plain("sourceReference", r => r.SourceReference, EdmPrimitiveTypeKind.String, true)
            .Navigation("person", "personId", personType, People, r => r.PersonId)
            .Navigation("relatedPerson", "relatedPersonId", personType, People, r => r.RelatedPersonId);
        var householdMember = new PartsOf<HouseholdMember>(model, "HouseholdMember")
            .Value("personId", m => m.PersonId, EdmPrimitiveTypeKind.Guid, false)
            .Value("role", m => m.Role, EdmPrimitiveTypeKind.String, false);
        var household = new FieldsOf<Household>(householdType, model).Metadata()
            .Plain("reference", h => h.Reference, EdmPrimitiveTypeKind.String, false)
            .Sealed("address", h => h.Address)
            .Parts("members", householdMember, h => h.Members);
        var lead = new PartsOf<FamilyHelpLead>(model, "FamilyHelpLead")
            .Value("practitioner", l => l.Practitioner, EdmPrimitiveTypeKind.String, false)
            .Value("agency", l => l.Agency, EdmPrimitiveTypeKind.String, false)
            .Value("organisation", l => l.Organisation, EdmPrimitiveTypeKind.String, false)
            .Value("from", l => l.From, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Value("to", l => l.To, EdmPrimitiveTypeKind.DateTimeOffset, true);
        var familyHelp = new FieldsOf<FamilyHelpPlan>(familyHelpType, model).Metadata()
            .Plain("personId", p => p.PersonId, EdmPrimitiveTypeKind.Guid, false)
            .Enum("status", p => p.Status)
            .Plain("startedAt", p => p.StartedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Plain("endedAt", p => p.EndedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("assessedAt", p => p.AssessedAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Sealed("needs", p => p.Needs)
            .Sealed("childsVoice", p => p.ChildsVoice)
            .Sealed("outcomes", p => p.Outcomes)
            .Sealed("practitioners", p => p.Practitioners)
            .Strings("agenciesInvolved", p => p.AgenciesInvolved)
            .Plain("reviewDueAt", p => p.ReviewDueAt, EdmPrimitiveTypeKind.DateTimeOffset, true)
            .Plain("leadPractitioner", p => p.LeadPractitioner, EdmPrimitiveTypeKind.String, false)
            .Parts("leads", lead, p => p.Leads.OrderBy(l => l.From))
            // The organisation of the lead practitioner now (the open spell): a writer names another to hand the family over.
            .Custom("leadOrganisation", "leads", FieldStorage.Sealed, d => d.Shows(nameof(FamilyHelpPlan.Leads))
                ? FieldValue.Of(((FamilyHelpPlan)d.Record).Leads.FirstOrDefault(l => l.To is null)?.Organisation ?? d.Record.OwningOrganisation) : FieldValue.Absent)
            .Plain("sourceReference", p => p.SourceReference, EdmPrimitiveTypeKind.String, true)
            .Navigation("person", "personId", personType, People, p => p.PersonId);
        var audit = new FieldsOf<AuditEntry>(auditType, model)
            .Key("sequence", a => a.Sequence)
            .Visible("recordedAt", a => a.RecordedAt, EdmPrimitiveTypeKind.DateTimeOffset, false)
            .Visible("requestId", a => a.RequestId, EdmPrimitiveTypeKind.String, false)
            .Visible("agency", a => a.Agency, EdmPrimitiveTypeKind.String, false)
            .Visible("actor", a => a.Actor, EdmPrimitiveTypeKind.String, false)
            .Visible("purpose", a => a.Purpose, EdmPrimitiveTypeKind.String, true)
            .Visible("enquiryId", a => a.EnquiryId, EdmPrimitiveTypeKind.Guid, true)
            .Visible("action", a => a.Action, EdmPrimitiveTypeKind.String, false)
            .Visible("outcome", a => a.Outcome, EdmPrimitiveTypeKind.String, false)
            .Visible("decision", a => a.Decision, EdmPrimitiveTypeKind.String, false)
            .Visible("isOverride", a => a.IsOverride, EdmPrimitiveTypeKind.Boolean, false)
            .Visible("subjects", a => a.Subjects, EdmPrimitiveTypeKind.String, false)
            .Visible("owners", a => a.Owners, EdmPrimitiveTypeKind.String, false)
            .Visible("organisation", a => a.Organisation, EdmPrimitiveTypeKind.String, false)
            .Visible("body", a => a.Body, EdmPrimitiveTypeKind.String, false);

        var sets = new List<ODataSet>
        {
            new RecordSet<Person>(People, personType, FhirTypes.Patient, person, db => db.People.Include(p => p.Identifiers)),
            new RecordSet<ChronologyEvent>(Events, eventType, FhirTypes.Observation, chronologyEvent, db => db.Events.Include(e => e.Subjects)),
            new RecordSet<PersonState>(States, stateType, FhirTypes.Flag, state, db => db.States),
            new RecordSet<Involvement>(Involvements, involvementType, FhirTypes.EpisodeOfCare, involvement, db => db.Involvements),
            new RecordSet<Enquiry>(Enquiries, enquiryType, "Task", enquiry, db => db.Enquiries.Include(q => q.Subjects).Include(q => q.Members)),
            new RecordSet<InformationRequest>(InformationRequests, requestType, "Task", request, db => db.InformationRequests, EnquirySubjects<InformationRequest>(r => r.EnquiryId)),
            new RecordSet<StrategyMeeting>(StrategyMeetings, meetingType, FhirJourney.EncounterType, meeting, db => db.StrategyMeetings, EnquirySubjects<StrategyMeeting>(m => m.EnquiryId)),
            new RecordSet<Referral>(Referrals, referralType, "Task", referral, db => db.Referrals),
            new RecordSet<Consent>(Consents, consentType, FhirTypes.Consent, consent, db => db.Consents),
            new RecordSet<Relationship>(Relationships, relationshipType, FhirTypes.RelatedPerson, relationship, db => db.Relationships),
            new RecordSet<Household>(Households, householdType, FhirTypes.Group, household, db => db.Households),
            new RecordSet<FamilyHelpPlan>(FamilyHelpPlans, familyHelpType, FhirTypes.CarePlan, familyHelp, db => db.FamilyHelpPlans),
            new AuditSet(auditType, audit),
        };
        foreach (var set in sets)
        {
            set.EdmSet = container.AddEntitySet(set.Name, set.Type);
        }
        foreach (var set in sets)
        {
            foreach (var navigation in set.Navigations.Values)
            {
                var property = set.Type.DeclaredNavigationProperties().Single(p => p.Name == navigation.Name);
                ((EdmEntitySet)set.EdmSet).AddNavigationTarget(property, sets.Single(s => s.Name == navigation.TargetSet).EdmSet);
            }
        }
        // Instance annotations on an entity: the fields withheld from this reader, and those whose key is unavailable.
        foreach (var term in new[] { "withheld", "unavailable", "alerts" })
        {
            model.AddElement(new Microsoft.OData.Edm.Vocabularies.EdmTerm(Namespace, term, new EdmCollectionTypeReference(new EdmCollectionType(EdmCoreModel.Instance.GetString(false)))));
        }
        // People(id)/SharingHub.chronology(): the events about a person and every record of them the hub has linked.
        var chronology = new EdmFunction(Namespace, Chronology,
            new EdmCollectionTypeReference(new EdmCollectionType(new EdmEntityTypeReference(eventType, false))),
            isBound: true, entitySetPathExpression: null, isComposable: true);
        chronology.AddParameter("person", new EdmEntityTypeReference(personType, false));
        model.AddElement(chronology);
        ChronologyFunction = chronology;
        Model = model;
        Sets = sets.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public static string EnumName(System.Enum value)
    {
        var name = value.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static readonly (string Name, IdentifierKind Kind)[] IdentifierProperties =
    [
        ("nhsNumber", IdentifierKind.NhsNumber), ("upn", IdentifierKind.Upn), ("pncId", IdentifierKind.PncId),
        ("crn", IdentifierKind.Crn), ("laPersonId", IdentifierKind.LaPersonId),
    ];

    /// <summary>The identifier property names and the kinds behind them, for equality filters through the blind index.</summary>
    public static IdentifierKind? IdentifierKindOf(string property) =>
        IdentifierProperties.FirstOrDefault(p => p.Name == property) is { Name: not null } found ? found.Kind : null;

    /// <summary>The subjects of the cases a batch of a case's records (its information requests, its strategy meetings) belong to.</summary>
    private static SubjectsOf<T> EnquirySubjects<T>(Func<T, Guid> enquiryOf) => async (db, rows, ct) =>
    {
        var enquiryIds = rows.Select(enquiryOf).Distinct().ToList();
        var subjects = (await db.Set<EnquirySubject>().AsNoTracking().Where(s => enquiryIds.Contains(s.EnquiryId)).ToListAsync(ct))
            .GroupBy(s => s.EnquiryId).ToDictionary(g => g.Key, g => g.Select(s => s.PersonId).ToList());
        return r => subjects.GetValueOrDefault(enquiryOf(r), []);
    };

    private static FieldValue ReadIdentifier(Disclosure d, IdentifierKind kind)
    {
        var identifier = ((Person)d.Record).Identifiers.FirstOrDefault(i => i.Kind == kind);
        return identifier is null || d.OpenIdentifier(identifier) is not { } value ? FieldValue.Absent : FieldValue.Of(value);
    }
}
