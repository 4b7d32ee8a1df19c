using SharingHub.Policies.Model;

namespace SharingHub.Policies.Decisions;

public enum DecisionEffect
{
    Permit,
    Deny,
}

/// <summary>
/// The answer for one record: permit with exactly the fields allowed, or deny. Either way it names the
/// rules and reasons, so a refusal to share is recorded as carefully as a disclosure.
/// </summary>
public sealed record Decision(
    DecisionEffect Effect,
    IReadOnlySet<string> Fields,
    IReadOnlySet<string> RedactedFields,
    IReadOnlyList<string> RuleIds,
    IReadOnlyList<string> Reasons,
    string? LawfulBasis,
    string? ConsentBasis,
    NotifyOwner? NotifyOwner,
    bool FlagForReview,
    bool IsOverride,
    string PolicyVersion)
{
    public bool IsPermit => Effect == DecisionEffect.Permit;

    public static Decision Deny(string policyVersion, IReadOnlyList<string> ruleIds, IReadOnlyList<string> reasons) =>
        new(DecisionEffect.Deny, EmptySet, EmptySet, ruleIds, reasons, null, null, null, false, false, policyVersion);

    /// <summary>An action permitted (no record, so no fields): the action names itself as the rule that decided.</summary>
    public static Decision PermitAction(string policyVersion, string action) =>
        new(DecisionEffect.Permit, EmptySet, EmptySet, [action], [], null, null, null, false, false, policyVersion);

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();
}
