using SharingHub.Core.Crypto;

namespace SharingHub.Core.Records;

public enum ConsentDecision
{
    Permit,
    Deny,

    /// <summary>Not sought, because seeking it would place the child at risk: recorded with its reason; it permits nothing.</summary>
    NotSought,
}

public enum ConsentStatus
{
    Active,
    Withdrawn,
}

public enum ConsentGrantor
{
    Self,
    ParentalResponsibility,
}

/// <summary>Agreement (or refusal) to share, shaped like FHIR Consent: scoped to recipients, purposes, data classes and a period.</summary>
public sealed class Consent : Record
{
    /// <summary>A recipient meaning the agencies of the team around the family: the lead practitioner's and those the child's open Family Help plans involve.</summary>
    public const string TeamAroundFamily = "team-around-family";

    public Guid SubjectPersonId { get; set; }
    public Guid? GrantorPersonId { get; set; }
    public ConsentGrantor Grantor { get; set; }
    public ConsentDecision Decision { get; set; }
    public ConsentStatus Status { get; set; }
    public List<string> RecipientAgencies { get; set; } = [];
    public List<string> Purposes { get; set; } = [];
    public List<string> DataClasses { get; set; } = [];
    public DateTimeOffset PeriodStart { get; set; }
    public DateTimeOffset? PeriodEnd { get; set; }
    public DateTimeOffset? WithdrawnAt { get; set; }

    /// <summary>Why consent was not sought (for <see cref="ConsentDecision.NotSought"/>): sealed, as it says what the risk is.</summary>
    public EncryptedValue? NotSoughtReason { get; set; }

    /// <summary>The writing organisation's own reference for the record (its case system's id): one record per reference, so a retried create finds it.</summary>
    public string? SourceReference { get; set; }
}

public enum EnquiryStatus
{
    Open,
    Closed,
}

public enum EnquiryOutcome
{
    /// <summary>The enquiry found grounds for an initial child protection conference: the case stays open until it has decided.</summary>
    ChildProtectionConference,
    FamilyHelp,
    NoFurtherAction,

    /// <summary>Kept for enquiries closed this way before emergency action was recorded inside the enquiry; no longer an outcome.</summary>
    EmergencyAction,

    /// <summary>The initial conference decided the child does not need a child protection plan.</summary>
    NoChildProtectionPlan,

    /// <summary>A review conference ended the child protection plan.</summary>
    PlanEnded,
}

/// <summary>
/// Where a child protection case is in its journey (Working Together to Safeguard Children 2023, chapter 4): the strategy
/// discussion decides whether a section 47 enquiry starts; an enquiry that finds grounds waits for the initial conference;
/// the conference may make a child protection plan, which its core group carries out until a review ends it. Each purpose
/// of use names the stages it serves (purposes.yaml, case-stages).
/// </summary>
public enum CaseStage
{
    /// <summary>A section 47 enquiry (the value of every case opened before stages were recorded).</summary>
    Section47 = 0,
    StrategyDiscussion = 1,
    AwaitingConference = 2,
    ChildProtectionPlan = 3,
}

public enum EmergencyActionKind
{
    EmergencyProtectionOrder,
    PoliceProtection,
}

/// <summary>An Emergency Protection Order or police protection, recorded inside the enquiry it triggers (which stays open).</summary>
public sealed class EmergencyAction : IEnquiryPart
{
    public Guid Id { get; set; }
    public Guid EnquiryId { get; set; }
    public EmergencyActionKind Kind { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndsAt { get; set; }

    /// <summary>Who acted: the agency, and the person as their identity provider knows them.</summary>
    public string ActingAgency { get; set; } = "";
    public string ActedBy { get; set; } = "";
    public DateTimeOffset RecordedAt { get; set; }
}

public enum ConferenceKind
{
    Initial,
    Review,
}

/// <summary>
/// A child protection conference (initial or review): who was invited and attended by agency, which agencies gave a report,
/// and what it decided. Reports themselves are the agencies' own records.
/// </summary>
public sealed class CaseConference : IEnquiryPart
{
    public Guid Id { get; set; }
    public Guid EnquiryId { get; set; }
    public ConferenceKind Kind { get; set; }
    public DateTimeOffset HeldAt { get; set; }

    /// <summary>"agency/attended|absent/report|no-report" per invited agency.</summary>
    public List<string> Attendance { get; set; } = [];

    /// <summary>plan, no-plan (initial); continue-plan, end-plan (review).</summary>
    public string Decision { get; set; } = "";

    /// <summary>neglect, physical-abuse, emotional-abuse, sexual-abuse: the category of abuse of a plan.</summary>
    public string? Category { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A meeting of the plan's core group.</summary>
public sealed class CoreGroupMeeting : IEnquiryPart
{
    public Guid Id { get; set; }
    public Guid EnquiryId { get; set; }
    public DateTimeOffset HeldAt { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A section 47 enquiry led by an LCPP in the MACPT. Access granted through it ends when it closes.</summary>
public sealed class Enquiry : Record
{
    /// <summary>The data class of an enquiry and of its strategy meetings and information requests: for its members, not for the council at large.</summary>
    public const string DataClassCode = "enquiry";

    public string Reference { get; set; } = "";
    public EnquiryStatus Status { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public EnquiryOutcome? Outcome { get; set; }

    /// <summary>The LCPP's subject identifier at their agency's identity provider.</summary>
    public string LeadPractitioner { get; set; } = "";
    public EncryptedValue? Grounds { get; set; }
    public List<EnquiryMember> Members { get; set; } = [];
    public List<EnquirySubject> Subjects { get; set; } = [];

    /// <summary>Family group decision making, as offered, accepted or declined at each decision point.</summary>
    public List<FgdmDecision> Fgdm { get; set; } = [];

    /// <summary>Where the case is in the child protection journey; its purposes of use follow it.</summary>
    public CaseStage Stage { get; set; }

    /// <summary>The front door's referral the case follows from (decided section47Enquiry or immediateProtection), when it does.</summary>
    public Guid? ReferralId { get; set; }

    /// <summary>When the strategy discussion decided to start the section 47 enquiry (or the enquiry was opened directly).</summary>
    public DateTimeOffset? Section47StartedAt { get; set; }

    /// <summary>A joint enquiry with the police (a single-agency one otherwise).</summary>
    public bool JointWithPolice { get; set; }

    /// <summary>The strategy discussion's decision and its reasons, sealed.</summary>
    public string? StrategyDecision { get; set; }
    public EncryptedValue? StrategyDecisionReasons { get; set; }

    /// <summary>The initial conference is due within 15 working days of the strategy discussion that started the enquiry.</summary>
    public DateTimeOffset? ConferenceDueBy { get; set; }

    public DateTimeOffset? PlanStartedAt { get; set; }
    public DateTimeOffset? PlanEndedAt { get; set; }

    /// <summary>The plan's category of abuse.</summary>
    public string? PlanCategory { get; set; }

    /// <summary>The core group first meets within 10 working days of the initial conference.</summary>
    public DateTimeOffset? CoreGroupDueBy { get; set; }

    /// <summary>The first review conference within 3 months of the initial conference, then every 6 months.</summary>
    public DateTimeOffset? ReviewDueBy { get; set; }

    /// <summary>When the case entered pre-proceedings under the Public Law Outline.</summary>
    public DateTimeOffset? PreProceedingsAt { get; set; }

    /// <summary>The child protection plan flags (PersonState, code child-protection-plan) the plan set on its children: ended when it ends.</summary>
    public List<Guid> PlanFlags { get; set; } = [];

    /// <summary>The overdue journey items already escalated ("item@dueBy" each, ';'-separated), so each is escalated once.</summary>
    public string? OverdueEscalated { get; set; }

    public List<EmergencyAction> EmergencyActions { get; set; } = [];
    public List<CaseConference> Conferences { get; set; } = [];
    public List<CoreGroupMeeting> CoreGroupMeetings { get; set; } = [];
}

/// <summary>A part of a case kept in its own table and read with it (FGDM decisions, emergency actions, conferences, core group meetings).</summary>
public interface IEnquiryPart
{
    Guid Id { get; }
    Guid EnquiryId { get; }
}

public enum FgdmStatus
{
    Offered,
    Accepted,
    Declined,
}

public sealed class FgdmDecision : IEnquiryPart
{
    public Guid Id { get; set; }
    public Guid EnquiryId { get; set; }

    /// <summary>Where in the case it was decided: strategy-meeting, enquiry-outcome, child-protection-conference, family-help.</summary>
    public string DecisionPoint { get; set; } = "";
    public FgdmStatus Status { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public string RecordedBy { get; set; } = "";
}

/// <summary>The strategy meeting or discussion of an enquiry: who attended, what each agency brought, what was decided.</summary>
public sealed class StrategyMeeting : Record
{
    public Guid EnquiryId { get; set; }
    public DateTimeOffset HeldAt { get; set; }

    /// <summary>"agency/user/role" of each attendee.</summary>
    public List<string> Attendees { get; set; } = [];

    /// <summary>What each agency brought, sealed as one JSON list of {agency, summary}.</summary>
    public EncryptedValue? Contributions { get; set; }
    public EncryptedValue? Decisions { get; set; }
}

/// <summary>One member of a case as the decision point sees it: agency, subject and the dates of membership.</summary>
public sealed record EnquiryMemberFacts(string Agency, string UserSubject, DateTimeOffset AddedAt, DateTimeOffset? RemovedAt)
{
    /// <summary>An enquiry's stored members as the policy sees them.</summary>
    public static List<EnquiryMemberFacts> Of(IEnumerable<EnquiryMember> members) =>
        members.Select(m => new EnquiryMemberFacts(m.Agency, m.UserSubject, m.AddedAt, m.RemovedAt)).ToList();

    public bool IsActiveAt(DateTimeOffset now) => AddedAt <= now && (RemovedAt is null || now < RemovedAt);
}

public sealed class EnquiryMember
{
    public Guid Id { get; set; }
    public Guid EnquiryId { get; set; }
    public string Agency { get; set; } = "";
    public string UserSubject { get; set; } = "";

    /// <summary>lcpp, police, health, education, or another role the LCPP adds.</summary>
    public string Role { get; set; } = "";
    public DateTimeOffset AddedAt { get; set; }
    public DateTimeOffset? RemovedAt { get; set; }

    /// <summary>
    /// This membership is the practitioner's and current at <paramref name="now"/>: the decision point's test
    /// (<see cref="EnquiryMemberFacts.IsActiveAt"/>) for a membership already loaded. The database query of the same test is
    /// <c>MemberCases.Current</c>; a test holds the two to the same answers.
    /// </summary>
    public bool IsCurrentFor(string agency, string subject, DateTimeOffset now) =>
        Agency == agency && UserSubject == subject && AddedAt <= now && (RemovedAt is null || now < RemovedAt);
}

public sealed class EnquirySubject
{
    public Guid EnquiryId { get; set; }
    public Guid PersonId { get; set; }

    /// <summary>child, or household member.</summary>
    public string Role { get; set; } = "";
}

public enum InformationRequestStatus
{
    Open,
    Answered,
    Cancelled,
}

/// <summary>An ask from the MACPT (owned by the LA) to one agency for what it holds about the enquiry's subjects.</summary>
public sealed class InformationRequest : Record
{
    public Guid EnquiryId { get; set; }
    public string RequestedAgency { get; set; } = "";
    public DateTimeOffset RequestedAt { get; set; }
    public DateTimeOffset DueAt { get; set; }
    public InformationRequestStatus Status { get; set; }
    public EncryptedValue? Question { get; set; }

    /// <summary>When the overdue request was escalated to the enquiry's lead and the asked agency (once).</summary>
    public DateTimeOffset? EscalatedAt { get; set; }
    public List<InformationResponse> Responses { get; set; } = [];
}

public enum InformationResponseKind
{
    Provided,
    NothingHeld,
    HeldNotShared,
}

/// <summary>An agency's answer; a refusal to share is recorded with its reasons, as a disclosure is.</summary>
public sealed class InformationResponse : Record
{
    public Guid RequestId { get; set; }
    public DateTimeOffset RespondedAt { get; set; }
    public InformationResponseKind Kind { get; set; }
    public EncryptedValue? Content { get; set; }
    public EncryptedValue? Reason { get; set; }
}

public enum ReferralDecision
{
    ImmediateProtection,
    Section47Enquiry,
    Section17Assessment,
    FamilyHelp,
    NoFurtherAction,
}

/// <summary>How urgent the referrer judges the concern (red, amber, green): it sets how soon the front door decides.</summary>
public enum ReferralUrgency
{
    /// <summary>The next working day (every referral made before urgency was recorded).</summary>
    Amber = 0,

    /// <summary>Within hours, around the clock (policies/working-days.yaml, referral-urgency red-hours).</summary>
    Red = 1,

    /// <summary>Within a few working days.</summary>
    Green = 2,
}

/// <summary>A contact (a concern or a request for advice) or a referral (a request for a service or an assessment).</summary>
public enum ReferralKind
{
    Referral = 0,
    Contact = 1,
}

/// <summary>A referral to the Integrated Front Door, owned by the referring agency; decided as soon as its urgency says.</summary>
public sealed class Referral : Record
{
    public Guid SubjectPersonId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset DecisionDueAt { get; set; }
    public ReferralDecision? Decision { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public EncryptedValue Concern { get; set; } = null!;
    public ReferralUrgency Urgency { get; set; }
    public ReferralKind Kind { get; set; }

    /// <summary>The category of concern (neglect, physical-abuse, domestic-abuse, mental-health...), a code.</summary>
    public string? ConcernCategory { get; set; }

    /// <summary>The acknowledgement reference the referrer is given (no personal data).</summary>
    public string? Reference { get; set; }

    /// <summary>Why the front door decided as it did, sealed; who decided and the manager who signed it off.</summary>
    public EncryptedValue? DecisionRationale { get; set; }
    public string? DecidedBy { get; set; }
    public string? SignedOffBy { get; set; }

    /// <summary>The referrer's identity is a protected detail: it is never disclosed outside the policies that name it.</summary>
    public EncryptedValue? ReferrerIdentity { get; set; }
}

/// <summary>
/// A person an agency has nominated to the Multi-Agency Child Protection Team: only a current nominee is made a member of
/// a case (its lead excepted, who leads by their own role). The agency (and organisation) nominating, the person as their
/// identity provider knows them, and the role they take in cases.
/// </summary>
public sealed class MacptNomination
{
    public Guid Id { get; set; }
    public string Agency { get; set; } = "";
    public string Organisation { get; set; } = "";
    public string UserSubject { get; set; } = "";
    public string Role { get; set; } = "";
    public DateTimeOffset NominatedAt { get; set; }
    public string NominatedBy { get; set; } = "";
    public DateTimeOffset? EndedAt { get; set; }
    public string? EndedBy { get; set; }
}

public enum FamilyHelpStatus
{
    /// <summary>The single Family Help assessment is under way; no plan yet.</summary>
    Assessing,

    /// <summary>The plan is agreed with the family and in force.</summary>
    Active,

    /// <summary>The family's Family Help has ended.</summary>
    Closed,
}

/// <summary>
/// Family Help for a child and family: the single assessment (needs, the child's voice) and the plan that follows it
/// (measurable outcomes, the agencies and practitioners involved, a review date), owned by the organisation of the Family
/// Help Lead Practitioner. Who the lead practitioner is has one answer at any time: the open spell of <see cref="Leads"/>;
/// a handover ends it and opens the next, so the history stays.
/// </summary>
public sealed class FamilyHelpPlan : Record
{
    public const string DataClassCode = "family-help";

    /// <summary>The child (the writer's own record of them).</summary>
    public Guid PersonId { get; set; }
    public FamilyHelpStatus Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>When the single assessment was completed.</summary>
    public DateTimeOffset? AssessedAt { get; set; }
    public EncryptedValue? Needs { get; set; }
    public EncryptedValue? ChildsVoice { get; set; }

    /// <summary>The plan's measurable outcomes, one per line.</summary>
    public EncryptedValue? Outcomes { get; set; }

    /// <summary>The practitioners in the team around the family (name, role, organisation), one per line.</summary>
    public EncryptedValue? Practitioners { get; set; }

    /// <summary>The agencies in the team around the family: a consent to share with "the team around the family" reaches these.</summary>
    public List<string> AgenciesInvolved { get; set; } = [];
    public DateTimeOffset? ReviewDueAt { get; set; }

    /// <summary>The Family Help Lead Practitioner now (the open spell of <see cref="Leads"/>).</summary>
    public string LeadPractitioner { get; set; } = "";
    public List<FamilyHelpLead> Leads { get; set; } = [];

    /// <summary>The writing organisation's own reference for the record: one record per reference.</summary>
    public string? SourceReference { get; set; }
}

/// <summary>One spell of a Family Help Lead Practitioner: who, at which organisation, from when until the handover.</summary>
public sealed class FamilyHelpLead
{
    public Guid Id { get; set; }
    public Guid PlanId { get; set; }
    public string Practitioner { get; set; } = "";
    public string Agency { get; set; } = "";
    public string Organisation { get; set; } = "";
    public DateTimeOffset From { get; set; }
    public DateTimeOffset? To { get; set; }
}
