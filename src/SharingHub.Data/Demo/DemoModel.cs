using SharingHub.Core.Records;

namespace SharingHub.Data.Demo;

/// <summary>
/// Synthetic data in the clear, as the generator makes it. Comparing two of these is how tests prove
/// that the same seed gives the same data (ciphertexts differ by design: every nonce is fresh).
/// </summary>
public sealed record DemoFamily(
    int Index,
    IReadOnlyList<DemoPerson> People,
    IReadOnlyList<DemoHousehold> Households,
    IReadOnlyList<DemoRelationship> Relationships,
    IReadOnlyList<DemoInvolvement> Involvements,
    IReadOnlyList<DemoState> States,
    IReadOnlyList<DemoEvent> Events,
    IReadOnlyList<DemoConsent> Consents,
    IReadOnlyList<DemoEnquiry> Enquiries,
    IReadOnlyList<DemoReferral> Referrals,
    IReadOnlyList<DemoErasure> Erasures);

/// <summary>An agency's record of a person erased once the demo is loaded (its identity fields crypto-shredded), as a real erasure would be.</summary>
public sealed record DemoErasure(Guid PersonId, string Reason);

/// <summary>
/// One organisation's record of one individual; <see cref="IndividualKey"/> is the ground truth linkage tests can use.
/// <see cref="Organisation"/> is the school, trust or practice that holds it (null: the sector's default organisation).
/// </summary>
public sealed record DemoPerson(
    Guid Id,
    string IndividualKey,
    string Agency,
    PersonKind Kind,
    string GivenName,
    string FamilyName,
    DateOnly BirthDate,
    string Sex,
    string? Address,
    IReadOnlyList<DemoIdentifier> Identifiers,
    bool AddressConfidential = false,
    string? Organisation = null);

public sealed record DemoIdentifier(IdentifierKind Kind, string Value);

public sealed record DemoHousehold(Guid Id, string Agency, string Reference, string Address, bool IsRefuge, IReadOnlyList<(Guid PersonId, string Role)> Members);

public sealed record DemoRelationship(Guid Id, string Agency, Guid PersonId, Guid RelatedPersonId, RelationshipKind Kind, bool HasParentalResponsibility);

public sealed record DemoInvolvement(
    Guid Id, string Agency, string DataClass, Guid PersonId, string Service, InvolvementStatus Status,
    DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string Team, string LeadWorker, string Summary, string? Organisation = null);

public sealed record DemoState(Guid Id, string Agency, string DataClass, Guid PersonId, string Code, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string Detail,
    string? Organisation = null);

public sealed record DemoEvent(
    Guid Id, string Agency, string DataClass, DateTimeOffset OccurredAt, string Category, Significance Significance,
    string Summary, string Detail, string SourceReference, IReadOnlyList<Guid> SubjectIds, string? Organisation = null);

public sealed record DemoConsent(
    Guid Id, string Agency, Guid SubjectPersonId, Guid? GrantorPersonId, ConsentGrantor Grantor, ConsentDecision Decision,
    ConsentStatus Status, IReadOnlyList<string> RecipientAgencies, IReadOnlyList<string> Purposes, IReadOnlyList<string> DataClasses,
    DateTimeOffset PeriodStart, DateTimeOffset? PeriodEnd, DateTimeOffset? WithdrawnAt);

public sealed record DemoEnquiry(
    Guid Id, string Reference, EnquiryStatus Status, DateTimeOffset OpenedAt, DateTimeOffset? ClosedAt, EnquiryOutcome? Outcome,
    string LeadPractitioner, string Grounds, IReadOnlyList<DemoEnquiryMember> Members, IReadOnlyList<(Guid PersonId, string Role)> Subjects,
    IReadOnlyList<DemoInformationRequest> Requests);

public sealed record DemoEnquiryMember(Guid Id, string Agency, string UserSubject, string Role, DateTimeOffset AddedAt);

public sealed record DemoInformationRequest(
    Guid Id, string RequestedAgency, DateTimeOffset RequestedAt, DateTimeOffset DueAt, InformationRequestStatus Status, string Question,
    DemoInformationResponse? Response);

public sealed record DemoInformationResponse(Guid Id, DateTimeOffset RespondedAt, InformationResponseKind Kind, string? Content, string? Reason);

public sealed record DemoReferral(
    Guid Id, string Agency, Guid SubjectPersonId, DateTimeOffset ReceivedAt, DateTimeOffset DecisionDueAt, ReferralDecision? Decision,
    DateTimeOffset? DecidedAt, string Concern, string ReferrerIdentity);

/// <summary>The organisations inside sectors that hold demo records (they are in the shipped policies/organisations.yaml).</summary>
public static class DemoOrganisations
{
    public const string HillsideSchool = "school-hillside";
    public const string RiversideSchool = "school-riverside";
    public const string NorthgateTrust = "trust-northgate";
    public const string RiversidePractice = "practice-riverside";
}
