using SharingHub.Core.Crypto;

namespace SharingHub.Core.Records;

public enum ConsentDecision
{
    Permit,
    Deny,
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
}

public enum EnquiryStatus
{
    Open,
    Closed,
}

public enum EnquiryOutcome
{
    ChildProtectionConference,
    FamilyHelp,
    NoFurtherAction,
    EmergencyAction,
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
}

public enum FgdmStatus
{
    Offered,
    Accepted,
    Declined,
}

public sealed class FgdmDecision
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

/// <summary>A referral to the Integrated Front Door, owned by the referring agency; decided within one working day.</summary>
public sealed class Referral : Record
{
    public Guid SubjectPersonId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset DecisionDueAt { get; set; }
    public ReferralDecision? Decision { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public EncryptedValue Concern { get; set; } = null!;

    /// <summary>The referrer's identity is a protected detail: it is never disclosed outside the policies that name it.</summary>
    public EncryptedValue? ReferrerIdentity { get; set; }
}
