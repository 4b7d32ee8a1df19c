using System.Collections.Frozen;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Decisions;

/// <summary>
/// The policy decision point: a pure function of the loaded policy, the request and the time.
/// Default deny; a deny rule beats any permit; a protected detail leaves its owning agency only
/// where a rule names it explicitly; consent, enquiry membership and time windows are conditions.
/// </summary>
public sealed class PolicyDecisionPoint
{
    public const int MinimumJustificationLength = 20;
    private readonly PolicySet _policy;
    private readonly FrozenDictionary<string, Rule[]> _rulesByPurpose;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<(string Agency, string DataClass)>> _reachable = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlySet<string>?> _acting = new(StringComparer.Ordinal);

    public PolicyDecisionPoint(PolicySet policy)
    {
        _policy = policy;
        _rulesByPurpose = policy.Purposes.Keys.ToFrozenDictionary(
            p => p,
            p => policy.Rules.Where(r => r.AnyPurpose || r.Purposes.Contains(p)).ToArray(),
            StringComparer.Ordinal);
    }

    public PolicySet Policy => _policy;

    /// <summary>
    /// The purposes this principal may use: those its roles may use (agencies.yaml) that some rule lets it use. What a
    /// request without a purpose is told to choose from, and what every decision is held to.
    /// </summary>
    public IReadOnlyList<Purpose> PurposesFor(Principal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var acting = Acting(principal);
        return _policy.Purposes.Values
            .Where(p => RolesMayUse(principal, p.Code) && (p.AggregateOnly || _rulesByPurpose[p.Code].Any(r => r.Effect == RuleEffect.Permit && RequesterMatches(r, acting))))
            .OrderBy(p => p.Code, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The principal as the rules see it: its roles held at its agency, and the roles they act as (a team manager acts as
    /// the front door). A role a token names at an agency that does not hold it is not the principal's.
    /// </summary>
    public Principal Acting(Principal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        // Asked on every decision: most principals hold roles that act as nothing else and are held anywhere, and
        // are returned as they are, without allocating.
        var plain = true;
        foreach (var code in principal.Roles)
        {
            if (!_policy.Roles.TryGetValue(code, out var role) || role.ActsAs.Count > 0 || !role.IsHeldAt(principal.Agency))
            {
                plain = false;
                break;
            }
        }
        if (plain)
        {
            return principal;
        }
        // Otherwise the answer depends only on agency and roles.
        var key = principal.Roles.Count == 1 ? principal.Agency + "|" + principal.Roles.First()
            : $"{principal.Agency}|{string.Join(',', principal.Roles.Order(StringComparer.Ordinal))}";
        var acting = _acting.GetOrAdd(key, _ =>
        {
            var held = principal.Roles.Where(r => _policy.Roles.TryGetValue(r, out var role) && role.IsHeldAt(principal.Agency)).ToList();
            var roles = held.Concat(held.SelectMany(r => _policy.Roles[r].ActsAs)).ToHashSet(StringComparer.Ordinal);
            return roles.SetEquals(principal.Roles) ? null : roles;
        });
        return acting is null ? principal : principal with { Roles = acting };
    }

    /// <summary>A role of the principal's that only asks the person-info-query (then nothing else is the principal's to do), or null.</summary>
    private string? QueryOnlyRole(Principal principal)
    {
        foreach (var code in principal.Roles)
        {
            if (_policy.Roles.TryGetValue(code, out var role) && role.PersonInfoQueryOnly)
            {
                return code;
            }
        }
        return null;
    }

    /// <summary>Whether one of the principal's own roles may use the purpose (a role that declares none may use what rules allow it).</summary>
    private bool RolesMayUse(Principal principal, string purpose)
    {
        foreach (var code in principal.Roles)
        {
            // A purpose that reads aggregates only is used by the roles that list it, never by one that may use whatever the rules allow.
            if (_policy.Roles.TryGetValue(code, out var role) && role.IsHeldAt(principal.Agency)
                && (role.Purposes?.Contains(purpose) ?? !(_policy.Purposes.TryGetValue(purpose, out var p) && p.AggregateOnly)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Every (owning agency, data class) pair some permit rule could share with this principal for this
    /// purpose, whatever its conditions. Queries narrow to these in the database before any record is
    /// read, so a count or a page never depends on records no rule could ever disclose; each record
    /// that remains is still decided one by one.
    /// </summary>
    public IReadOnlySet<(string Agency, string DataClass)> Reachable(Principal principal, string purpose)
    {
        ArgumentNullException.ThrowIfNull(principal);
        // Asked on every request; the answer depends only on agency, roles and purpose, and the policy never changes while loaded.
        var key = $"{principal.Agency}|{string.Join(',', principal.Roles.Order(StringComparer.Ordinal))}|{purpose}";
        return _reachable.GetOrAdd(key, _ => RolesMayUse(principal, purpose) ? ComputeReachable(Acting(principal), purpose) : []);
    }

    private HashSet<(string Agency, string DataClass)> ComputeReachable(Principal principal, string purpose)
    {
        var pairs = new HashSet<(string, string)>();
        if (!_rulesByPurpose.TryGetValue(purpose, out var rules))
        {
            return pairs;
        }
        foreach (var rule in rules.Where(r => r.Effect == RuleEffect.Permit))
        {
            foreach (var agency in _policy.Agencies.Keys)
            {
                var isOwn = agency == principal.Agency;
                foreach (var dataClass in _policy.DataClasses.Values)
                {
                    if (InScope(rule, principal, dataClass.Code, agency, isOwn)
                        && (!dataClass.IsProtected || isOwn || rule.DataClasses.Contains(dataClass.Code)))
                    {
                        pairs.Add((agency, dataClass.Code));
                    }
                }
            }
        }
        return pairs;
    }

    /// <summary>
    /// Whether any permit rule could ever share <paramref name="field"/> with this principal for this
    /// purpose. A search or filter on a field that no rule shares is refused before it runs: answering
    /// it, even with nothing, would say something about a value the caller may not read.
    /// </summary>
    public bool MaySee(Principal principal, string purpose, string field)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var acting = Acting(principal);
        return RolesMayUse(principal, purpose) && _rulesByPurpose.TryGetValue(purpose, out var rules)
            && rules.Any(r => r.Effect == RuleEffect.Permit && RequesterMatches(r, acting) && (r.AllFieldsAllowed || r.Fields.Contains(field)));
    }

    /// <summary>
    /// Whether any decision for this principal and purpose could look at consent records: the purpose
    /// requires consent, or a rule that could apply makes consent a condition. When not, a request need
    /// not load them, and the decisions are the same without them.
    /// </summary>
    public bool MayConsultConsent(Principal principal, string purpose)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var acting = Acting(principal);
        return _policy.Purposes.TryGetValue(purpose, out var p)
            && (p.Consent == ConsentRule.Required
                || _rulesByPurpose[purpose].Any(r => r.Effect == RuleEffect.Permit && r.Conditions.ConsentInForce && RequesterMatches(r, acting)));
    }

    /// <summary>
    /// Whether the principal may take an action (open an enquiry, decide a referral, write records...), from actions.yaml:
    /// a permit names the action as its rule; a deny says why. Default deny: an action the policy does not define is refused.
    /// </summary>
    public Decision MayTake(Principal principal, string action)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var version = _policy.Version;
        if (!_policy.Actions.TryGetValue(action, out var rule))
        {
            return Decision.Deny(version, [], [$"'{action}' is not an action in the policy"]);
        }
        if (rule.PeopleOnly && !principal.IsPerson)
        {
            return Decision.Deny(version, [action], [$"{action} is taken by people, not by partner systems"]);
        }
        if (!rule.AnyAgency && !rule.Agencies.Contains(principal.Agency))
        {
            return Decision.Deny(version, [action], [$"{action} is not taken by agency '{principal.Agency}'"]);
        }
        if (QueryOnlyRole(principal) is { } queryOnly)
        {
            return Decision.Deny(version, [action], [$"the role '{queryOnly}' only asks the MAIS person-info-query"]);
        }
        return rule.Roles.Overlaps(Acting(principal).Roles)
            ? Decision.PermitAction(version, action)
            : Decision.Deny(version, [action], [$"{action} needs one of the roles {string.Join(", ", rule.Roles.Order(StringComparer.Ordinal))}"]);
    }

    public Decision Decide(AccessRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var version = _policy.Version;
        if (!_policy.Purposes.TryGetValue(request.Purpose, out var purpose))
        {
            return Decision.Deny(version, [], [$"'{request.Purpose}' is not a purpose of use in the policy"]);
        }
        if (purpose.AggregateOnly)
        {
            return Decision.Deny(version, [], [$"the purpose '{purpose.Code}' reads aggregates only, never a record"]);
        }
        if (!_policy.Agencies.TryGetValue(request.Principal.Agency, out var agency))
        {
            return Decision.Deny(version, [], [$"agency '{request.Principal.Agency}' is not in the policy"]);
        }
        if (!RolesMayUse(request.Principal, purpose.Code))
        {
            return Decision.Deny(version, [], [$"none of the requester's roles may use the purpose '{purpose.Code}'"]);
        }
        if (!request.PersonInfoQuery && QueryOnlyRole(request.Principal) is { } queryOnly)
        {
            // A hub registered to ask MAIS queries asks them and nothing else: its agency's own records are not its to read.
            return Decision.Deny(version, [], [$"the role '{queryOnly}' only asks the MAIS person-info-query and reads no record"]);
        }
        if (Acting(request.Principal) is var acting && !ReferenceEquals(acting, request.Principal))
        {
            request = request with { Principal = acting };
        }
        // A person-info-query is asked by another agency for its own enquiry, which the hub does not hold:
        // the MAIS reason names the legal basis, and only rules written for the query can answer it.
        if (purpose.RequiresEnquiry && request.Enquiry is null && !request.PersonInfoQuery)
        {
            return Decision.Deny(version, [], [$"purpose '{purpose.Code}' is only used within a section 47 enquiry, and the request names none"]);
        }
        if (!request.PersonInfoQuery && OutsideCase(purpose, request, now) is { } outside)
        {
            return Decision.Deny(version, [], [outside]);
        }
        var isOverride = request.OverrideJustification is not null;
        if (isOverride && !purpose.OverrideAllowed)
        {
            return Decision.Deny(version, [], [$"purpose '{purpose.Code}' does not allow an override"]);
        }
        if (isOverride && request.OverrideJustification!.Trim().Length < MinimumJustificationLength)
        {
            return Decision.Deny(version, [], [$"an override needs a justification of at least {MinimumJustificationLength} characters"]);
        }

        var resource = request.Resource;
        var outcomes = new Dictionary<string, ClassOutcome>(StringComparer.Ordinal);
        ClassOutcome OutcomeFor(string dataClass)
        {
            if (!outcomes.TryGetValue(dataClass, out var outcome))
            {
                outcome = EvaluateClass(request, purpose, dataClass, now);
                outcomes[dataClass] = outcome;
            }
            return outcome;
        }

        var record = OutcomeFor(resource.DataClass);
        if (!record.Permitted)
        {
            return Decision.Deny(version, record.RuleIds, record.Reasons);
        }
        var fields = new HashSet<string>(StringComparer.Ordinal);
        var redacted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in resource.Fields)
        {
            var outcome = OutcomeFor(field.DataClass ?? resource.DataClass);
            if (outcome.Permitted && (outcome.AllFields || outcome.Fields.Contains(field.Name)))
            {
                fields.Add(field.Name);
                if (outcome.Redact.Contains(field.Name))
                {
                    redacted.Add(field.Name);
                }
            }
        }
        var used = outcomes.Values.Where(o => o.Permitted).ToList();
        var reasons = outcomes.Values.SelectMany(o => o.Reasons).Distinct(StringComparer.Ordinal).ToList();
        var ruleIds = used.SelectMany(o => o.RuleIds).Distinct(StringComparer.Ordinal).ToList();
        if (fields.Count == 0)
        {
            return Decision.Deny(version, ruleIds, [.. reasons, "the rules that apply share none of this record's fields"]);
        }
        var notify = used.Select(o => o.Notify).OfType<NotifyOwner>().MaxBy(n => n.DelayHours);
        var overridden = used.Any(o => o.Overridden);
        return new Decision(DecisionEffect.Permit, fields, redacted, ruleIds, reasons,
            purpose.LawfulBasisFor(agency.Regime), record.ConsentBasis, notify,
            used.Any(o => o.Flag) || overridden, overridden, version);
    }

    private ClassOutcome EvaluateClass(AccessRequest request, Purpose purpose, string dataClassCode, DateTimeOffset now)
    {
        var outcome = new ClassOutcome();
        if (!_policy.DataClasses.TryGetValue(dataClassCode, out var dataClass))
        {
            outcome.Reasons.Add($"'{dataClassCode}' is not a data class in the policy");
            return outcome;
        }
        var principal = request.Principal;
        var resource = request.Resource;
        // Each organisation is its own controller: "own" is the requester's organisation, not its sector. Two schools
        // share only by a rule, like two sectors.
        var isOwn = resource.Owner == principal.OrganisationCode;
        var permits = new List<Rule>();
        foreach (var rule in _rulesByPurpose[purpose.Code])
        {
            if (!InScope(rule, principal, dataClassCode, resource.OwningAgency, isOwn))
            {
                continue;
            }
            var unmet = UnmetCondition(rule, request, now);
            if (rule.Effect == RuleEffect.Deny)
            {
                if (unmet is null)
                {
                    outcome.Denied = true;
                    outcome.RuleIds.Add(rule.Id);
                    outcome.Reasons.Add($"refused by rule '{rule.Id}' ({rule.Location}): {rule.Description}");
                }
                continue;
            }
            if (dataClass.IsProtected && !isOwn && !rule.DataClasses.Contains(dataClassCode))
            {
                continue;
            }
            if (unmet is not null)
            {
                outcome.Reasons.Add($"rule '{rule.Id}' does not apply: {unmet}");
                continue;
            }
            permits.Add(rule);
        }
        if (outcome.Denied)
        {
            return outcome;
        }
        if (permits.Count == 0)
        {
            outcome.Reasons.Add(dataClass.IsProtected && !isOwn
                ? $"'{dataClassCode}' is a protected detail and no rule names it for this agency, role and purpose"
                : $"no rule shares '{dataClassCode}' from '{OwnerName(resource)}' with '{RequesterName(principal)}' for '{purpose.Code}' (default deny)");
            return outcome;
        }

        var needsConsent = !isOwn && (purpose.Consent == ConsentRule.Required || permits.Any(r => r.Conditions.ConsentInForce));
        if (needsConsent)
        {
            var (consentBasis, missing) = CheckConsent(request, purpose, dataClassCode, now);
            if (missing is not null)
            {
                if (request.OverrideJustification is null)
                {
                    outcome.Reasons.Add(missing);
                    return outcome;
                }
                outcome.Overridden = true;
                outcome.ConsentBasis = $"override without consent ({missing}); justification recorded for IG review";
            }
            else
            {
                outcome.ConsentBasis = consentBasis;
            }
        }
        else
        {
            outcome.ConsentBasis = isOwn
                ? "the requester's own organisation holds the record"
                : purpose.Consent == ConsentRule.NotSought
                    ? "consent not sought: seeking it would place the child at risk of significant harm"
                    : "consent not required: shared under the purpose's lawful basis";
        }

        outcome.Permitted = true;
        foreach (var rule in permits)
        {
            outcome.RuleIds.Add(rule.Id);
            outcome.Reasons.Add($"permitted by rule '{rule.Id}' ({rule.Location}): {rule.Description}");
            if (rule.AllFieldsAllowed)
            {
                outcome.AllFields = true;
            }
            outcome.Fields.UnionWith(rule.Fields);
            outcome.Redact.UnionWith(rule.Redact);
            outcome.Flag |= rule.FlagForReview;
            if (rule.Notify is { } notify && (outcome.Notify is null || notify.DelayHours > outcome.Notify.DelayHours))
            {
                outcome.Notify = notify;
            }
        }
        // A field one rule shares in full is not redacted because another rule redacts it.
        outcome.Redact.RemoveWhere(f => permits.Any(r => !r.Redact.Contains(f) && (r.AllFieldsAllowed || r.Fields.Contains(f))));
        return outcome;
    }

    private static (string? Basis, string? Missing) CheckConsent(AccessRequest request, Purpose purpose, string dataClass, DateTimeOffset now)
    {
        var agency = request.Principal.Agency;
        // Consent recorded as not sought (seeking it would place the child at risk) is a record of why, never an agreement.
        var relevant = request.Consents
            .Where(c => c.Decision != Core.Records.ConsentDecision.NotSought && request.Resource.SubjectIds.Contains(c.SubjectId) && c.IsInForceAt(now) && c.Covers(agency, purpose.Code, dataClass))
            .ToList();
        if (relevant.FirstOrDefault(c => c.Decision == Core.Records.ConsentDecision.Deny) is { } refusal)
        {
            return (null, $"consent to share '{dataClass}' with '{agency}' for '{purpose.Code}' was refused (consent {refusal.Id})");
        }
        if (relevant.FirstOrDefault() is { } consent)
        {
            return ($"consent {consent.Id} in force", null);
        }
        // A consent that would cover the sharing but has ended is named, so the refusal says which agreement stopped it.
        var ended = request.Consents
            .Where(c => request.Resource.SubjectIds.Contains(c.SubjectId) && c.Decision == Core.Records.ConsentDecision.Permit && c.Covers(agency, purpose.Code, dataClass))
            .OrderByDescending(c => c.WithdrawnAt ?? c.PeriodEnd ?? c.PeriodStart).FirstOrDefault();
        var why = ended switch
        {
            null => "",
            { WithdrawnAt: { } at } when at <= now => $" (consent {ended.Id} was withdrawn at {at:yyyy-MM-ddTHH:mm:ssZ})",
            { Status: Core.Records.ConsentStatus.Withdrawn } => $" (consent {ended.Id} was withdrawn)",
            { PeriodEnd: { } end } when end <= now => $" (consent {ended.Id} ended at {end:yyyy-MM-ddTHH:mm:ssZ})",
            _ => $" (consent {ended.Id} starts at {ended.PeriodStart:yyyy-MM-ddTHH:mm:ssZ})",
        };
        return (null, $"no consent in force covers sharing '{dataClass}' with '{agency}' for '{purpose.Code}'{why}");
    }

    /// <summary>
    /// Every purpose bound to a case is held to it before any rule, whichever agency owns the record (the requester's
    /// own included): a referral-bound purpose reads only the people of the open referral it names (referrals themselves
    /// are the front door's worklist); an enquiry-bound purpose reads only the enquiry's subjects, by its current members,
    /// while it is open. An agency asked for information by an enquiry sees what it was asked without being a member.
    /// </summary>
    private static readonly string ReferralType = RecordFacts.TypeName(typeof(Core.Records.Referral));

    private static string? OutsideCase(Purpose purpose, AccessRequest request, DateTimeOffset now)
    {
        var resource = request.Resource;
        if (purpose.RequiresReferral && resource.ResourceType != ReferralType)
        {
            return request.Referral switch
            {
                null => $"purpose '{purpose.Code}' is used for a contact or referral, and the request names none",
                { } r when !r.IsOpenAt(now) => $"referral {r.Id} was decided and its {purpose.ReferralGraceHours}-hour grace period has ended",
                { } r when !r.SubjectIds.Overlaps(resource.SubjectIds) => $"the record is not about a person named in referral {r.Id} or their household",
                _ => null,
            };
        }
        if (purpose.RequiresEnquiry && request.Enquiry is { } enquiry && resource.AddressedTo != request.Principal.Agency)
        {
            if (!enquiry.IsOpenAt(now))
            {
                return $"enquiry {enquiry.Reference} is closed";
            }
            if (purpose.CaseStages is { } stages && !stages.Contains(enquiry.Stage))
            {
                return $"case {enquiry.Reference} is at the {CaseStageNames.Of(enquiry.Stage)} stage, which purpose '{purpose.Code}' does not serve " +
                    $"({string.Join(", ", stages.Select(CaseStageNames.Of))})";
            }
            if (!enquiry.HasMember(request.Principal, now))
            {
                return $"the requester is not a current member of enquiry {enquiry.Reference}";
            }
            if (!enquiry.SubjectIds.Overlaps(resource.SubjectIds))
            {
                return $"the record is not about a subject of enquiry {enquiry.Reference}";
            }
        }
        return null;
    }

    private static string OwnerName(ResourceFacts resource) =>
        resource.Owner == resource.OwningAgency ? resource.OwningAgency : $"{resource.Owner} ({resource.OwningAgency})";

    private static string RequesterName(Principal principal) =>
        principal.OrganisationCode == principal.Agency ? principal.Agency : $"{principal.OrganisationCode} ({principal.Agency})";

    private static bool RequesterMatches(Rule rule, Principal principal) =>
        (rule.AnyAgency || rule.RequesterAgencies.Contains(principal.Agency))
        && (rule.AnyRole || rule.Roles.Overlaps(principal.Roles));

    private bool InScope(Rule rule, Principal principal, string dataClass, string owner, bool isOwn) =>
        RequesterMatches(rule, principal)
        && (rule.DataClasses.Contains(dataClass) || (rule.AnyDataClass && !(_policy.DataClasses.TryGetValue(dataClass, out var c) && c.NamedOnly)))
        && (rule.AnySource || rule.Sources.Contains(owner) || (rule.SourceIsRequester && isOwn));

    private static string? UnmetCondition(Rule rule, AccessRequest request, DateTimeOffset now)
    {
        var conditions = rule.Conditions;
        var enquiry = request.Enquiry;
        if (conditions.EnquiryOpen && (enquiry is null || !enquiry.IsOpenAt(now)))
        {
            return enquiry is null ? "the request names no enquiry" : $"enquiry {enquiry.Reference} is closed";
        }
        if (conditions.EnquiryMember)
        {
            if (enquiry is null)
            {
                return "the request names no enquiry";
            }
            var principal = request.Principal;
            if (!enquiry.HasMember(principal, now))
            {
                return $"the requester is not a current member of enquiry {enquiry.Reference}";
            }
            if (!enquiry.SubjectIds.Overlaps(request.Resource.SubjectIds))
            {
                return $"the record is not about a subject of enquiry {enquiry.Reference}";
            }
        }
        if (conditions.PersonInfoQuery && !request.PersonInfoQuery)
        {
            return "the rule covers only the MAIS person-info-query";
        }
        if (conditions.AddressedToRequester && request.Resource.AddressedTo != request.Principal.Agency)
        {
            return "the record is not addressed to the requester's agency";
        }
        if (conditions.WithinDays is { } days && request.Resource.OccurredAt is { } occurred && occurred < now.AddDays(-days))
        {
            return $"the record is older than the {days} days the rule covers";
        }
        return null;
    }

    private sealed class ClassOutcome
    {
        public bool Permitted { get; set; }
        public bool Denied { get; set; }
        public bool AllFields { get; set; }
        public bool Flag { get; set; }
        public bool Overridden { get; set; }
        public NotifyOwner? Notify { get; set; }
        public string? ConsentBasis { get; set; }
        public HashSet<string> Fields { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Redact { get; } = new(StringComparer.Ordinal);
        public List<string> RuleIds { get; } = [];
        public List<string> Reasons { get; } = [];
    }
}
