using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;

namespace SharingHub.Policies.Tests.Decisions;

/// <summary>Builds access requests for decision tests; every test states what differs from a plain case.</summary>
internal sealed record RequestBuilder
{
    public static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly Guid Child = Guid.Parse("10000000-0000-4000-8000-000000000001");

    public string Agency { get; init; } = "police";
    public string User { get; init; } = "officer-1";
    public string[] Roles { get; init; } = ["macpt-member"];
    public string Purpose { get; init; } = "s47-enquiry";
    public string Owner { get; init; } = "health";

    /// <summary>The requester's organisation and the record's (null: the sector's default organisation).</summary>
    public string? Organisation { get; init; }
    public string? OwnerOrganisation { get; init; }
    public string DataClass { get; init; } = "health.clinical";
    public FieldFacts[] Fields { get; init; } = [new("occurredAt"), new("summary"), new("detail")];
    public EnquiryState Enquiry { get; init; } = EnquiryState.OpenMember;
    public DateTimeOffset? MemberRemovedAt { get; init; }
    public DateTimeOffset? EnquiryAccessEndsAt { get; init; }
    public ConsentFacts[] Consents { get; init; } = [];
    public string? Override { get; init; }
    public int DaysAgo { get; init; } = 30;
    public string? ClientId { get; init; }
    public string ResourceType { get; init; } = "event";

    /// <summary>The referral a front-door request names: null for none, else open (AccessEndsAt null) or closed at a moment.</summary>
    public ReferralFacts? Referral { get; init; }

    public static ReferralFacts OpenReferral(bool aboutChild = true) =>
        new(Guid.Parse("f0000000-0000-4000-8000-000000000001"), null, new HashSet<Guid> { aboutChild ? Child : Guid.NewGuid() });

    /// <summary>A referral about the child whose access (decision plus grace period) ended this many hours ago.</summary>
    public static ReferralFacts EndedReferral(int hoursAgo = 1) =>
        new(Guid.Parse("f0000000-0000-4000-8000-000000000002"), Now.AddHours(-hoursAgo), new HashSet<Guid> { Child });

    public AccessRequest Build()
    {
        EnquiryFacts? enquiry = Enquiry switch
        {
            EnquiryState.None => null,
            _ => new EnquiryFacts(Guid.Parse("e0000000-0000-4000-8000-000000000001"), "S47-2026-TEST",
                Enquiry == EnquiryState.Closed ? Now.AddDays(-1) : EnquiryAccessEndsAt,
                new HashSet<Guid> { Child },
                Enquiry is EnquiryState.OpenMember or EnquiryState.Closed
                    ? [new EnquiryMemberFacts(Agency, User, Now.AddDays(-20), MemberRemovedAt)]
                    : []),
        };
        return new AccessRequest(
            new Principal(Agency, User, Roles.ToHashSet(StringComparer.Ordinal), ClientId) { Organisation = Organisation },
            Purpose,
            enquiry,
            new ResourceFacts(ResourceType, Guid.Parse("a0000000-0000-4000-8000-000000000001"), Owner, DataClass, new HashSet<Guid> { Child }, Now.AddDays(-DaysAgo), Fields)
            {
                OwningOrganisation = OwnerOrganisation,
            },
            Consents,
            Override) { Referral = Referral };
    }

    public static ConsentFacts ConsentFor(string agency, string purpose, string dataClass, ConsentDecision decision = ConsentDecision.Permit,
        DateTimeOffset? withdrawnAt = null, DateTimeOffset? periodEnd = null) =>
        new(Guid.NewGuid(), Child, decision, withdrawnAt is null ? ConsentStatus.Active : ConsentStatus.Withdrawn,
            [agency], [purpose], [dataClass], Now.AddDays(-100), periodEnd, withdrawnAt);
}

public enum EnquiryState
{
    None,
    OpenMember,
    OpenNotMember,
    Closed,
}
