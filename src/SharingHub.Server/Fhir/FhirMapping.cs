using System.Globalization;
using SharingHub.Core.Records;
using SharingHub.Policies.Model;
using SharingHub.Server.Access;

namespace SharingHub.Server.Fhir;

/// <summary>The code systems and identifier systems the FHIR API uses; interop/fhir/README.md lists them.</summary>
internal static class FhirSystems
{
    public const string NhsNumber = "https://fhir.nhs.uk/Id/nhs-number";
    public const string Upn = "urn:sharinghub:id:upn";
    public const string PncId = "urn:sharinghub:id:pnc";
    public const string Crn = "urn:sharinghub:id:crn";
    public const string LaPersonId = "urn:sharinghub:id:la-person";
    public const string Agency = "urn:sharinghub:agency";
    public const string Organisation = "urn:sharinghub:organisation";
    public const string OdsCode = "https://fhir.nhs.uk/Id/ods-organization-code";
    public const string SchoolUrn = "https://fhir.hl7.org.uk/Id/urn-school-number";

    /// <summary>The identifier system of an organisation's national scheme (policies/organisations.yaml).</summary>
    public static string ForScheme(string scheme) => scheme switch
    {
        "ods" => OdsCode,
        "urn" => SchoolUrn,
        _ => $"urn:sharinghub:id:{scheme}",
    };
    public const string DataClass = "urn:sharinghub:data-class";
    public const string EventCategory = "urn:sharinghub:event-category";
    public const string StateCode = "urn:sharinghub:state";
    public const string Service = "urn:sharinghub:service";
    public const string SourceReference = "urn:sharinghub:source-reference";
    public const string Significance = "urn:sharinghub:fhir:significance";
    public const string Summary = "urn:sharinghub:fhir:summary";
    public const string Detail = "urn:sharinghub:fhir:detail";
    public const string FieldStatus = "urn:sharinghub:field-status";
    public const string Linkage = "urn:sharinghub:linkage";
    public const string Household = "urn:sharinghub:household";
    public const string HouseholdRole = "urn:sharinghub:fhir:household-role";
    public const string HouseholdAddress = "urn:sharinghub:fhir:address";
    public const string RelatedPersonRecord = "urn:sharinghub:fhir:person-record";
    public const string ParentalResponsibility = "urn:sharinghub:fhir:parental-responsibility";
    public const string Purpose = "urn:sharinghub:purpose";
    public const string RoleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
    public const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    /// <summary>On a Patient.address: the owner marks the address a protected detail (valueBoolean true).</summary>
    public const string ConfidentialAddress = "urn:sharinghub:fhir:confidential-address";
    public const string Referrer = "urn:sharinghub:fhir:referrer";
    public const string ConsentRecipient = "urn:sharinghub:consent-recipient";
    public const string ExpectedDelivery = "urn:sharinghub:fhir:expected-delivery-date";
    public const string ConsentNotSought = "urn:sharinghub:fhir:consent-not-sought";
    public const string InformationSharingAdvice = "https://www.gov.uk/government/publications/safeguarding-practitioners-information-sharing-advice";
    public const string Enquiry = "urn:sharinghub:fhir:enquiry";
    public const string ObservationValue = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
    public const string DataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

    public static string For(IdentifierKind kind) => kind switch
    {
        IdentifierKind.NhsNumber => NhsNumber,
        IdentifierKind.Upn => Upn,
        IdentifierKind.PncId => PncId,
        IdentifierKind.Crn => Crn,
        _ => LaPersonId,
    };

    public static IdentifierKind? KindOf(string system) => system switch
    {
        NhsNumber => IdentifierKind.NhsNumber,
        Upn => IdentifierKind.Upn,
        PncId => IdentifierKind.PncId,
        Crn => IdentifierKind.Crn,
        LaPersonId => IdentifierKind.LaPersonId,
        _ => null,
    };
}

/// <summary>Stored records, as this request may see them, to FHIR resources. Only disclosed fields are read.</summary>
internal sealed class FhirMapping(PolicySet policy)
{
    public static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static Reference Organization(string agency, PolicySet policy) =>
        new(Identifier: new Identifier(FhirSystems.Agency, agency), Display: policy.Agencies.TryGetValue(agency, out var a) ? a.Name : agency, Type: "Organization");

    /// <summary>
    /// The organisation that holds a record: a school, trust or practice by its national identifier (ODS code, URN) and
    /// name; a record of the sector's default organisation by its agency, as before organisations were.
    /// </summary>
    public static Reference Organization(Record record, PolicySet policy) =>
        record.OwningOrganisation != record.OwningAgency && policy.Organisations.TryGetValue(record.OwningOrganisation, out var o)
            ? new(Identifier: new Identifier(FhirSystems.ForScheme(o.Scheme), o.Id), Display: o.Name, Type: "Organization")
            : Organization(record.OwningAgency, policy);

    public static Reference PatientReference(Guid id) => new($"Patient/{id}");

    public Patient Patient(Disclosure d)
    {
        var p = (Person)d.Record;
        var identifiers = d.Shows(nameof(Person.Identifiers), p.Identifiers.Count > 0)
            ? p.Identifiers.Select(i => (i.Kind, Value: d.OpenIdentifier(i))).Where(i => i.Value is not null)
                .Select(i => new Identifier(FhirSystems.For(i.Kind), i.Value)).ToList()
            : null;
        var given = d.Open(nameof(Person.GivenName), p.GivenName);
        var family = d.Open(nameof(Person.FamilyName), p.FamilyName);
        var birthDate = d.Open(nameof(Person.BirthDate), p.BirthDate);
        var address = d.Open(nameof(Person.Address), p.Address);
        var unborn = p.Kind == PersonKind.Unborn;
        return new Patient(p.Id.ToString(), MetaFor(d))
        {
            Extension = unborn && birthDate is not null ? [new Extension(FhirSystems.ExpectedDelivery, ValueDate: birthDate)] : null,
            Identifier = Nullable(identifiers),
            Name = given is null && family is null && !d.IsUnavailable(nameof(Person.FamilyName))
                ? null
                : [new HumanName(family, given is null ? null : [given], "official") { FamilyExtensions = Absent(d, nameof(Person.FamilyName)) }],
            Gender = d.Shows(nameof(Person.Sex), p.Sex is not null) ? Gender(p.Sex) : null,
            BirthDate = unborn ? null : birthDate,
            BirthDateExtensions = unborn ? null : Absent(d, nameof(Person.BirthDate)),
            Address = address is null && !d.IsUnavailable(nameof(Person.Address))
                ? null
                : [new Address(address, Core.People.AgencyIdentifiers.PostcodeIndexForm(address) is { } pc ? pc[..^3] + " " + pc[^3..] : null)
                    {
                        TextExtensions = Absent(d, nameof(Person.Address)),
                        // Only a reader who may see the protected address learns that it is one.
                        Extension = address is not null && p.AddressConfidential && d.Shows(nameof(Person.AddressConfidential))
                            ? [new Extension(FhirSystems.ConfidentialAddress, ValueBoolean: true)] : null,
                    }],
            ManagingOrganization = Organization(p, policy),
        };
    }

    public Observation Observation(Disclosure d)
    {
        var e = (ChronologyEvent)d.Record;
        var summary = d.Open(nameof(ChronologyEvent.Summary), e.Summary);
        var detail = d.Open(nameof(ChronologyEvent.Detail), e.Detail);
        var subjects = d.Shows(nameof(ChronologyEvent.Subjects)) ? e.Subjects.Select(s => PatientReference(s.PersonId)).ToList() : [];
        var category = d.Shows(nameof(ChronologyEvent.Category)) ? CodeableConcept.Of(FhirSystems.EventCategory, e.Category, Words(e.Category)) : null;
        return new Observation(e.Id.ToString(), MetaFor(d))
        {
            Extension = d.Shows(nameof(ChronologyEvent.Significance)) ? [new Extension(FhirSystems.Significance, ValueCode: Code(e.Significance))] : null,
            Identifier = e.SourceReference is null || !d.Shows(nameof(ChronologyEvent.SourceReference)) ? null
                : [new Identifier($"{FhirSystems.SourceReference}:{e.OwningOrganisation}", e.SourceReference)],
            Category = category is null ? null : [category],
            Code = category ?? new CodeableConcept(null, "Withheld"),
            Subject = subjects.FirstOrDefault(),
            Focus = Nullable(subjects.Skip(1).ToList()),
            EffectiveDateTime = d.Shows(nameof(ChronologyEvent.OccurredAt)) ? Instant(e.OccurredAt) : null,
            Performer = [Organization(e, policy)],
            ValueString = summary,
            ValueStringExtensions = Absent(d, nameof(ChronologyEvent.Summary)),
            Note = detail is null ? null : [new Annotation(detail)],
        };
    }

    public EpisodeOfCare EpisodeOfCare(Disclosure d)
    {
        var i = (Involvement)d.Record;
        var summary = d.Open(nameof(Involvement.Summary), i.Summary);
        var lead = d.Open(nameof(Involvement.LeadWorker), i.LeadWorker);
        return new EpisodeOfCare(i.Id.ToString(), MetaFor(d))
        {
            Extension = summary is null ? null : [new Extension(FhirSystems.Summary, ValueString: summary)],
            Identifier = SourceIdentifier(d, i.SourceReference),
            Status = i.Status == InvolvementStatus.Open ? "active" : "finished",
            Type = d.Shows(nameof(Involvement.Service)) ? [CodeableConcept.Of(FhirSystems.Service, i.Service, Words(i.Service))] : null,
            Patient = PatientReference(i.PersonId),
            ManagingOrganization = Organization(i, policy),
            Period = d.Shows(nameof(Involvement.StartedAt)) ? new Period(Instant(i.StartedAt), i.EndedAt is { } end ? Instant(end) : null) : null,
            CareManager = lead is null ? null : new Reference(Display: lead),
            Team = i.Team is not null && d.Shows(nameof(Involvement.Team)) ? [new Reference(Display: i.Team)] : null,
        };
    }

    public Flag Flag(Disclosure d)
    {
        var s = (PersonState)d.Record;
        var detail = d.Open(nameof(PersonState.Detail), s.Detail);
        var code = d.Shows(nameof(PersonState.Code)) ? CodeableConcept.Of(FhirSystems.StateCode, s.Code, Words(s.Code)) : new CodeableConcept(null, "Withheld");
        return new Flag(s.Id.ToString(), MetaFor(d))
        {
            Extension = detail is null ? null : [new Extension(FhirSystems.Detail, ValueString: detail)],
            Identifier = SourceIdentifier(d, s.SourceReference),
            Status = s.EndedAt is null ? "active" : "inactive",
            Code = code,
            Subject = PatientReference(s.PersonId),
            Period = d.Shows(nameof(PersonState.StartedAt)) ? new Period(Instant(s.StartedAt), s.EndedAt is { } end ? Instant(end) : null) : null,
            Author = Organization(s, policy),
        };
    }

    public Group Group(Disclosure d)
    {
        var h = (Household)d.Record;
        var address = d.Open(nameof(Household.Address), h.Address);
        var members = d.Shows(nameof(Household.Members), h.Members.Count > 0)
            ? h.Members.Select(m => new GroupMember(PatientReference(m.PersonId), [new Extension(FhirSystems.HouseholdRole, ValueCode: m.Role)])).ToList()
            : null;
        return new Group(h.Id.ToString(), MetaFor(d))
        {
            Extension = address is null ? null : [new Extension(FhirSystems.HouseholdAddress, ValueString: address)],
            Identifier = d.Shows(nameof(Household.Reference)) ? [new Identifier($"{FhirSystems.Household}:{h.OwningOrganisation}", h.Reference)] : null,
            Name = "Household",
            Quantity = members?.Count,
            ManagingEntity = Organization(h, policy),
            Member = members,
        };
    }

    public RelatedPerson RelatedPerson(Disclosure d)
    {
        var r = (Relationship)d.Record;
        var extensions = new List<Extension>();
        if (d.Shows(nameof(Relationship.PersonId)))
        {
            extensions.Add(new Extension(FhirSystems.RelatedPersonRecord, ValueReference: PatientReference(r.PersonId)));
        }
        if (d.Shows(nameof(Relationship.HasParentalResponsibility)))
        {
            extensions.Add(new Extension(FhirSystems.ParentalResponsibility, ValueBoolean: r.HasParentalResponsibility));
        }
        return new RelatedPerson(r.Id.ToString(), MetaFor(d))
        {
            Extension = extensions.Count == 0 ? null : extensions,
            // patient is required in FHIR: a reference the reader may not see is there, masked.
            Patient = d.Shows(nameof(Relationship.RelatedPersonId)) ? PatientReference(r.RelatedPersonId) : Reference.Masked(),
            Relationship = d.Shows(nameof(Relationship.Kind)) ? [CodeableConcept.Of(FhirSystems.RoleCode, RoleCode(r.Kind), Words(r.Kind.ToString()))] : null,
        };
    }

    public FhirConsent Consent(Disclosure d)
    {
        var c = (Core.Records.Consent)d.Record;
        var withdrawn = c.Status == ConsentStatus.Withdrawn;
        var notSought = c.Decision == ConsentDecision.NotSought;
        var reason = d.Open(nameof(Core.Records.Consent.NotSoughtReason), c.NotSoughtReason);
        return new FhirConsent(c.Id.ToString(), MetaFor(d))
        {
            // Not sought: no agreement either way (no provision type), the reason why, under the information sharing advice.
            Extension = notSought ? [new Extension(FhirSystems.ConsentNotSought, ValueString: reason ?? "withheld")] : null,
            Status = withdrawn ? "inactive" : "active",
            Scope = CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"),
            Category = [CodeableConcept.Of("http://loinc.org", "59284-0", "Patient Consent")],
            Patient = PatientReference(c.SubjectPersonId),
            DateTime = Instant(c.PeriodStart),
            Performer = c.GrantorPersonId is { } grantor && d.Shows(nameof(Core.Records.Consent.GrantorPersonId)) ? [PatientReference(grantor)] : null,
            Organization = [Organization(c, policy)],
            Policy = notSought ? [new ConsentPolicy(FhirSystems.InformationSharingAdvice)] : null,
            PolicyRule = notSought ? null : CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/v3-ActCode", c.Decision == ConsentDecision.Permit ? "OPTIN" : "OPTOUT"),
            Provision = new ConsentProvision(
                notSought ? null : c.Decision == ConsentDecision.Permit ? "permit" : "deny",
                new Period(Instant(c.PeriodStart), (withdrawn ? c.WithdrawnAt : c.PeriodEnd) is { } end ? Instant(end) : null),
                d.Shows(nameof(Core.Records.Consent.RecipientAgencies)) ? c.RecipientAgencies.Select(a => new ConsentActor(
                    CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient"), Recipient(a))).ToList() : null,
                d.Shows(nameof(Core.Records.Consent.DataClasses)) ? c.DataClasses.Select(k => new Coding(FhirSystems.DataClass, k)).ToList() : null,
                d.Shows(nameof(Core.Records.Consent.Purposes)) ? c.Purposes.Select(p => new Coding(FhirSystems.Purpose, p)).ToList() : null),
        };
    }

    /// <summary>A consent's recipient: an agency, or the team around the family (whichever agencies its Family Help involves).</summary>
    private Reference Recipient(string recipient) => recipient == Core.Records.Consent.TeamAroundFamily
        ? new Reference(Identifier: new Identifier(FhirSystems.ConsentRecipient, recipient), Display: "The team around the family", Type: "CareTeam")
        : Organization(recipient, policy);

    /// <summary>
    /// A family's Family Help as a CarePlan: the assessment, outcomes and review as activities, needs as the description, the child's
    /// voice as a note, and the team around the family (every lead practitioner's spell, practitioners and agencies) as a contained CareTeam.
    /// </summary>
    public CarePlan FamilyHelpPlan(Disclosure d)
    {
        var f = (Core.Records.FamilyHelpPlan)d.Record;
        var role = (string code, string words) => (IReadOnlyList<CodeableConcept>)[CodeableConcept.Of(Writing.Kinds.FamilyHelpKind.TeamRoles, code, words)];
        var participants = new List<CareTeamParticipant>();
        if (d.Shows(nameof(f.Leads)))
        {
            // Each spell's organisation as a second role (onBehalfOf needs a resolvable Practitioner, which the hub does not hold).
            participants.AddRange(f.Leads.OrderBy(l => l.From).Select(l => new CareTeamParticipant(
                [.. role("lead-practitioner", "Family Help Lead Practitioner"), Organisation(l.Organisation)], new Reference(Display: l.Practitioner),
                null, new Period(Instant(l.From), l.To is { } to ? Instant(to) : null))));
        }
        else if (d.Shows(nameof(f.LeadPractitioner)))
        {
            participants.Add(new CareTeamParticipant(role("lead-practitioner", "Family Help Lead Practitioner"), new Reference(Display: f.LeadPractitioner)));
        }
        participants.AddRange((d.Open(nameof(f.Practitioners), f.Practitioners) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => new CareTeamParticipant(role("practitioner", "Practitioner"), new Reference(Display: p))));
        if (d.Shows(nameof(f.AgenciesInvolved)))
        {
            participants.AddRange(f.AgenciesInvolved.Select(a => new CareTeamParticipant(role("agency", "Agency"), Organization(a, policy))));
        }
        var activities = new List<CarePlanActivity>();
        var activity = (string code, string words, string status, DateTimeOffset? at, string? text) =>
            new CarePlanActivity(new CarePlanActivityDetail(status, CodeableConcept.Of(Writing.Kinds.FamilyHelpKind.Activities, code, words), at is { } when ? new Period(null, Instant(when)) : null, text));
        if (d.Shows(nameof(f.AssessedAt)))
        {
            activities.Add(activity("assessment", "Family Help assessment", f.AssessedAt is null ? "in-progress" : "completed", f.AssessedAt, null));
        }
        activities.AddRange((d.Open(nameof(f.Outcomes), f.Outcomes) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(o => activity("outcome", "Outcome", f.Status == FamilyHelpStatus.Closed ? "completed" : "in-progress", null, o)));
        if (f.ReviewDueAt is { } review && d.Shows(nameof(f.ReviewDueAt)) && f.Status != FamilyHelpStatus.Closed)
        {
            activities.Add(activity("review", "Review", "scheduled", review, null));
        }
        var voice = d.Open(nameof(f.ChildsVoice), f.ChildsVoice);
        return new CarePlan(f.Id.ToString(), MetaFor(d))
        {
            Identifier = SourceIdentifier(d, f.SourceReference),
            Status = Writing.Kinds.FamilyHelpKind.FhirStatus(f.Status),
            Category = [CodeableConcept.Of(FhirJourney.CarePlanCategories, Writing.Kinds.FamilyHelpKind.Category, "Family Help")],
            Title = "Family Help plan",
            Description = d.Open(nameof(f.Needs), f.Needs),
            Subject = PatientReference(f.PersonId),
            Period = d.Shows(nameof(f.StartedAt)) ? new Period(Instant(f.StartedAt), f.EndedAt is { } end ? Instant(end) : null) : null,
            Author = Organization(f, policy),
            Contained = participants.Count == 0 ? null : [new FhirCareTeam(Writing.Kinds.FamilyHelpKind.TeamId) { Participant = participants }],
            CareTeam = participants.Count == 0 ? null : [new Reference("#" + Writing.Kinds.FamilyHelpKind.TeamId)],
            Note = voice is null ? null : [new Annotation(voice) { AuthorString = Writing.Kinds.FamilyHelpKind.ChildsVoiceAuthor }],
            Activity = activities.Count == 0 ? null : activities,
        };
    }

    /// <summary>An organisation of the partnership by its code, as a lead practitioner's spell names it.</summary>
    private CodeableConcept Organisation(string code) =>
        CodeableConcept.Of(FhirSystems.Organisation, code, policy.Organisations.TryGetValue(code, out var o) ? o.Name : code);

    /// <summary>The writing organisation's own reference for a record, where the reader may see it.</summary>
    private static List<Identifier>? SourceIdentifier(Disclosure d, string? reference) =>
        reference is null || !d.Shows("SourceReference") ? null : [new Identifier($"{FhirSystems.SourceReference}:{d.Record.OwningOrganisation}", reference)];

    private static string RoleCode(RelationshipKind kind) => kind switch
    {
        RelationshipKind.ParentOf => "PRN",
        RelationshipKind.StepParentOf => "STPPRN",
        RelationshipKind.CarerOf => "GUARD",
        RelationshipKind.SiblingOf => "SIB",
        RelationshipKind.PartnerOf => "SIGOTHR",
        RelationshipKind.GrandparentOf => "GRPRN",
        _ => "FAMMEMB",
    };

    /// <summary>Version, time, confidentiality, data class and owner; REDACTED when a field was withheld or unreadable.</summary>
    public Meta MetaFor(Disclosure d)
    {
        var record = d.Record;
        var security = new List<Coding> { new(FhirSystems.Confidentiality, Confidentiality(record.DataClass)) };
        if (d.IsRedacted)
        {
            security.Add(new Coding(FhirSystems.ObservationValue, "REDACTED", "redacted"));
        }
        var tags = new List<Coding> { new(FhirSystems.DataClass, record.DataClass), new(FhirSystems.Agency, record.OwningAgency), new(FhirSystems.Organisation, record.OwningOrganisation) };
        tags.AddRange(d.Unavailable.Select(f => new Coding(FhirSystems.FieldStatus, "unavailable", f)));
        if (d.AboutErasedRecord)
        {
            tags.Add(new Coding(FhirSystems.Linkage, "erased-record", "its agency's record of this person was erased; shown by the link that record had then"));
        }
        return new Meta(record.Version.ToString(CultureInfo.InvariantCulture), Instant(record.UpdatedAt), security, tags);
    }

    private string Confidentiality(string dataClass) =>
        policy.DataClasses.TryGetValue(dataClass, out var c) ? c.Sensitivity switch
        {
            Sensitivity.Normal => "N",
            Sensitivity.Sensitive => "R",
            _ => "V",
        } : "V";

    /// <summary>data-absent-reason on a primitive: "masked" where a rule redacts it, "error" where its key is unavailable.</summary>
    private static PrimitiveExtensions? Absent(Disclosure d, string property)
    {
        var reason = d.IsUnavailable(property) ? "error"
            : d.Decision.RedactedFields.Contains(RecordFields.CamelCase(property)) ? "masked"
            : null;
        return reason is null ? null : new PrimitiveExtensions([new Extension(FhirSystems.DataAbsentReason, ValueCode: reason)]);
    }

    private static string? Gender(string? sex) => sex?.ToLowerInvariant() switch
    {
        "male" or "m" => "male",
        "female" or "f" => "female",
        "other" => "other",
        _ => "unknown",
    };

    public static string Code(Significance significance) => significance.ToString().ToLowerInvariant();

    private static string Words(string code) => code.Replace('-', ' ');

    private static List<T>? Nullable<T>(List<T>? list) => list is { Count: > 0 } ? list : null;
}
