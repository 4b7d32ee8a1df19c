using SharingHub.Core.Records;

namespace SharingHub.Policies.Decisions;

/// <summary>Who is asking. The agency comes from the issuer that signed the caller's token, never from a claim.</summary>
public sealed record Principal(string Agency, string Subject, IReadOnlySet<string> Roles, string? ClientId = null)
{
    /// <summary>
    /// The data controller the requester acts for (a school, a trust, a practice), inside <see cref="Agency"/>; null is the
    /// sector's default organisation, whose code is the sector's own.
    /// </summary>
    public string? Organisation { get; init; }

    /// <summary>The organisation's code: the one named, or the sector's default (which carries the sector's code).</summary>
    public string OrganisationCode => Organisation ?? Agency;

    /// <summary>A person signed in at their agency; a partner system (a client) is never one.</summary>
    public bool IsPerson => ClientId is null;
}

/// <summary>The enquiry a request names. Access through it lasts until <see cref="AccessEndsAt"/> (closure plus any grace period).</summary>
public sealed record EnquiryFacts(Guid Id, string Reference, DateTimeOffset? AccessEndsAt, IReadOnlySet<Guid> SubjectIds, IReadOnlyList<EnquiryMemberFacts> Members)
{
    /// <summary>Where the case is in the child protection journey; a purpose serves only the stages it names.</summary>
    public Core.Records.CaseStage Stage { get; init; } = Core.Records.CaseStage.Section47;

    public bool IsOpenAt(DateTimeOffset now) => AccessEndsAt is null || now < AccessEndsAt;

    /// <summary>
    /// Whether <paramref name="principal"/> is a current member. Members are people: a partner system is never
    /// one, even when its client id happens to equal a member's user id at the same agency.
    /// </summary>
    public bool HasMember(Principal principal, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.IsPerson && Members.Any(m => m.Agency == principal.Agency && m.UserSubject == principal.Subject && m.IsActiveAt(now));
    }
}

/// <summary>
/// The contact or referral a front-door request names: its people (the child as every agency records them, and their
/// household) and until when it opens their records (undecided, or decided and within the purpose's grace period).
/// </summary>
public sealed record ReferralFacts(Guid Id, DateTimeOffset? AccessEndsAt, IReadOnlySet<Guid> SubjectIds)
{
    public bool IsOpenAt(DateTimeOffset now) => AccessEndsAt is null || now < AccessEndsAt;
}

/// <summary>A field of the resource, with its own data class where it differs from the record's (an address, a referrer's identity).</summary>
public sealed record FieldFacts(string Name, string? DataClass = null);

/// <summary>What the decision needs to know about a record: metadata only, never its contents.</summary>
public sealed record ResourceFacts(
    string ResourceType,
    Guid Id,
    string OwningAgency,
    string DataClass,
    IReadOnlySet<Guid> SubjectIds,
    DateTimeOffset? OccurredAt,
    IReadOnlyList<FieldFacts> Fields)
{
    /// <summary>The agency a record is addressed to (an information request's recipient), where it has one.</summary>
    public string? AddressedTo { get; init; }

    /// <summary>The data controller that holds the record, inside <see cref="OwningAgency"/>; null is the sector's default organisation.</summary>
    public string? OwningOrganisation { get; init; }

    /// <summary>The owning organisation's code: the one named, or the sector's default (which carries the sector's code).</summary>
    public string Owner => OwningOrganisation ?? OwningAgency;
}

public sealed record ConsentFacts(
    Guid Id,
    Guid SubjectId,
    ConsentDecision Decision,
    ConsentStatus Status,
    IReadOnlyCollection<string> RecipientAgencies,
    IReadOnlyCollection<string> Purposes,
    IReadOnlyCollection<string> DataClasses,
    DateTimeOffset PeriodStart,
    DateTimeOffset? PeriodEnd,
    DateTimeOffset? WithdrawnAt)
{
    /// <summary>
    /// In force at <paramref name="now"/>: within its period and not yet withdrawn. Withdrawal stops sharing at
    /// the moment recorded; a withdrawn consent without that moment is treated as never in force.
    /// </summary>
    public bool IsInForceAt(DateTimeOffset now) =>
        (Status == ConsentStatus.Active || WithdrawnAt is not null)
        && PeriodStart <= now
        && (PeriodEnd is null || now < PeriodEnd)
        && (WithdrawnAt is null || now < WithdrawnAt);

    /// <summary>
    /// Whether the consent covers sharing <paramref name="dataClass"/> with <paramref name="agency"/> for <paramref name="purpose"/>.
    /// Data classes narrow a consent; one that names none covers whatever the rules allow for the purpose (the family agreed
    /// to the sharing, not to a list of record types), as the agencies and purposes it names still bound it.
    /// </summary>
    public bool Covers(string agency, string purpose, string dataClass) =>
        (RecipientAgencies.Count == 0 || RecipientAgencies.Contains(agency))
        && Purposes.Contains(purpose)
        && (DataClasses.Count == 0 || DataClasses.Contains(dataClass));
}

public sealed record AccessRequest(
    Principal Principal,
    string Purpose,
    EnquiryFacts? Enquiry,
    ResourceFacts Resource,
    IReadOnlyList<ConsentFacts> Consents,
    string? OverrideJustification = null,
    bool PersonInfoQuery = false)
{
    /// <summary>The referral a referral-bound purpose (front-door triage) is used for.</summary>
    public ReferralFacts? Referral { get; init; }
}
