using System.Collections.Frozen;

namespace SharingHub.Policies.Model;

public enum ConsentRule
{
    /// <summary>Sharing needs consent in force from the person or someone with parental responsibility.</summary>
    Required,

    /// <summary>A lawful basis other than consent applies; consent is neither sought nor checked.</summary>
    NotRequired,

    /// <summary>Consent is not sought because seeking it would put the child at risk.</summary>
    NotSought,
}

public enum Regime
{
    UkGdpr,
    LawEnforcement,
}

public enum Sensitivity
{
    Normal,
    Sensitive,
    Restricted,
}

public enum RuleEffect
{
    Permit,
    Deny,
}

/// <summary>Where a rule or entry came from, so every error and explanation can point at the line.</summary>
public sealed record SourceLocation(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}

public sealed record Agency(string Code, string Name, Regime Regime, SourceLocation Location);

/// <summary>A data controller inside a sector (an <see cref="Agency"/>), known by a national identifier (ODS code, school URN...).</summary>
public sealed record Organisation(string Code, string Sector, string Name, string Scheme, string Id, bool IsDefault, SourceLocation Location);

public sealed record Role(string Code, string Title, SourceLocation Location)
{
    /// <summary>The agencies whose people or systems may hold the role (empty: any); a token naming it elsewhere does not get it.</summary>
    public IReadOnlySet<string> Agencies { get; init; } = new HashSet<string>();

    /// <summary>Roles this one acts as wherever rules and actions name them (a team manager acts as the front door).</summary>
    public IReadOnlySet<string> ActsAs { get; init; } = new HashSet<string>();

    /// <summary>The purposes the role may use (null: whatever the rules allow it); a rule cannot widen them.</summary>
    public IReadOnlySet<string>? Purposes { get; init; }

    /// <summary>
    /// The role only asks the MAIS person-info-query (a federated hub or a partner system registered to ask): under its
    /// purposes it learns what the query's own rules answer, and no record is ever read or written by it.
    /// </summary>
    public bool PersonInfoQueryOnly { get; init; }

    public bool IsHeldAt(string agency) => Agencies.Count == 0 || Agencies.Contains(agency);
}

public sealed record Purpose(
    string Code,
    string Title,
    string Description,
    string UkGdprBasis,
    string LawEnforcementBasis,
    ConsentRule Consent,
    bool RequiresEnquiry,
    bool OverrideAllowed,
    Uri? MaisReason,
    SourceLocation Location)
{
    /// <summary>
    /// The purpose reads counts the hub computes and never a record (statistics): no rule may name it, the decision point
    /// refuses every record under it, and only a role that lists it may use it. It has no MAIS reason.
    /// </summary>
    public bool AggregateOnly { get; init; }

    /// <summary>
    /// The one action of the hub this purpose is named for (only-for-action), or null: a statutory return's purpose
    /// (cin-census) opens the records its rules name only to the export that makes the return, never to a search or read.
    /// </summary>
    public string? OnlyForAction { get; init; }

    /// <summary>The purpose is used for one contact or referral, named with the request (the front door's triage).</summary>
    public bool RequiresReferral { get; init; }

    /// <summary>How long after a referral is decided its case still opens its people's records (a referral-bound purpose).</summary>
    public int ReferralGraceHours { get; init; }

    /// <summary>
    /// The purpose a MAIS reason stands for when a caller who may use several purposes with that reason names none
    /// (at most one per reason); without it the caller is asked to name the purpose.
    /// </summary>
    public bool MaisDefault { get; init; }

    /// <summary>Where the lawful bases are set out: the statute and guidance, as https addresses (at least one).</summary>
    public IReadOnlyList<Uri> Sources { get; init; } = [];

    /// <summary>
    /// The stages of a child protection case the purpose serves (case-stages; null: any stage of its case). The strategy
    /// meeting purpose serves the discussion and the enquiry; the section 47 purpose the enquiry until the initial conference
    /// has decided; the plan's purpose the plan.
    /// </summary>
    public IReadOnlySet<Core.Records.CaseStage>? CaseStages { get; init; }

    public string LawfulBasisFor(Regime regime) => regime == Regime.LawEnforcement ? LawEnforcementBasis : UkGdprBasis;
}

public sealed record DataClass(string Code, string Owner, Sensitivity Sensitivity, bool IsProtected, string Description, SourceLocation Location)
{
    /// <summary>"any": the class is held by every agency (demographics, consents), so any agency may own such a record.</summary>
    public const string AnyOwner = "any";

    /// <summary>
    /// Reached only by a rule that names it: "data-classes: any" never covers it, not even for the owning
    /// agency (the audit trail is for information governance, not for everyone whose agency it records).
    /// </summary>
    public bool NamedOnly { get; init; }
}

public sealed record NotifyOwner(int DelayHours);

public sealed record RuleConditions(bool EnquiryMember, bool EnquiryOpen, bool ConsentInForce, int? WithinDays, bool AddressedToRequester = false,
    bool PersonInfoQuery = false)
{
    public static RuleConditions None { get; } = new(false, false, false, null);
}

/// <summary>
/// One clause of the sharing agreement. Empty sets mean "any" only where the file said "any";
/// <see cref="SourceIsRequester"/> means "the requester's own agency".
/// </summary>
public sealed record Rule(
    string Id,
    string Description,
    RuleEffect Effect,
    FrozenSet<string> RequesterAgencies,
    FrozenSet<string> Roles,
    FrozenSet<string> Purposes,
    FrozenSet<string> DataClasses,
    FrozenSet<string> Sources,
    bool SourceIsRequester,
    FrozenSet<string> Fields,
    FrozenSet<string> Redact,
    RuleConditions Conditions,
    NotifyOwner? Notify,
    bool FlagForReview,
    SourceLocation Location)
{
    public const string Any = "any";
    public const string AllFields = "all";

    public bool AnyAgency => RequesterAgencies.Contains(Any);
    public bool AnyRole => Roles.Contains(Any);
    public bool AnyPurpose => Purposes.Contains(Any);
    public bool AnyDataClass => DataClasses.Contains(Any);
    public bool AnySource => Sources.Contains(Any);
    public bool AllFieldsAllowed => Fields.Contains(AllFields);
}

/// <summary>The whole loaded policy: immutable once built, shared by every request.</summary>
public sealed record PolicySet(
    FrozenDictionary<string, Agency> Agencies,
    FrozenDictionary<string, Role> Roles,
    FrozenDictionary<string, Purpose> Purposes,
    FrozenDictionary<string, DataClass> DataClasses,
    IReadOnlyList<Rule> Rules,
    string Version)
{
    /// <summary>The data controllers inside each sector, from organisations.yaml.</summary>
    public FrozenDictionary<string, Organisation> Organisations { get; init; } = FrozenDictionary<string, Organisation>.Empty;

    /// <summary>The organisation a token or registration naming none belongs to in this sector.</summary>
    public Organisation DefaultOrganisation(string sector) => Organisations.Values.Single(o => o.Sector == sector && o.IsDefault);

    /// <summary>The organisation a principal of this sector names, or null when it is not one of the sector's (refused).</summary>
    public Organisation? OrganisationIn(string sector, string? code) =>
        code is null ? DefaultOrganisation(sector) : Organisations.TryGetValue(code, out var o) && o.Sector == sector ? o : null;

    /// <summary>What people and systems may do besides reading records (open an enquiry, decide a referral, write), from actions.yaml.</summary>
    public FrozenDictionary<string, ActionRule> Actions { get; init; } = FrozenDictionary<string, ActionRule>.Empty;
}

/// <summary>
/// Who may take an action: agencies (or any) and roles, and whether only people (never a partner system) may. Facts
/// about the case itself (being the enquiry's lead, a request being addressed to your agency) are checked where the
/// action is taken; who may take it at all is here, where IG officers read it and the policy tests test it.
/// </summary>
public sealed record ActionRule(string Code, string Description, IReadOnlySet<string> Agencies, IReadOnlySet<string> Roles, bool PeopleOnly, SourceLocation Location)
{
    public bool AnyAgency => Agencies.Contains(Rule.Any);
}

/// <summary>The words policy files use for the stages of a child protection case (strategy-discussion, section-47, ...).</summary>
public static class CaseStageNames
{
    public static string Of(Core.Records.CaseStage stage) => stage switch
    {
        Core.Records.CaseStage.StrategyDiscussion => "strategy-discussion",
        Core.Records.CaseStage.Section47 => "section-47",
        Core.Records.CaseStage.AwaitingConference => "awaiting-conference",
        _ => "child-protection-plan",
    };

    public static Core.Records.CaseStage? Parse(string? word) =>
        Enum.GetValues<Core.Records.CaseStage>().Where(s => Of(s) == word).Select(s => (Core.Records.CaseStage?)s).FirstOrDefault();

    public static IEnumerable<string> All => Enum.GetValues<Core.Records.CaseStage>().Select(Of);
}
