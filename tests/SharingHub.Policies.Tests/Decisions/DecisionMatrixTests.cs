using FsCheck;
using FsCheck.Fluent;
using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Tests.Decisions;

/// <summary>
/// The whole decision space of the shipped policies: every agency, role, purpose, data class, source
/// agency, organisation pairing (the same, or two organisations of one sector), enquiry state, referral
/// state and consent state. Every permit must be explained by the rules it names and by the case its
/// purpose is bound to, checked here independently of the decision point's own reasoning.
/// </summary>
public sealed class DecisionMatrixTests
{
    private static readonly FieldFacts[] Fields = [new("occurredAt"), new("summary"), new("detail"), new("category")];
    private readonly PolicySet _policy = ShippedPolicies.Policy;

    private IEnumerable<RequestBuilder> Space()
    {
        foreach (var agency in _policy.Agencies.Keys)
        foreach (var role in _policy.Roles.Keys)
        foreach (var purpose in _policy.Purposes.Keys)
        foreach (var dataClass in _policy.DataClasses.Keys)
        foreach (var owner in _policy.Agencies.Keys)
        foreach (var (organisation, ownerOrganisation) in OrganisationPairs(agency, owner))
        foreach (var enquiry in Enum.GetValues<EnquiryState>())
        foreach (var referral in Referrals(purpose))
        foreach (var consent in new[] { false, true })
        {
            yield return new RequestBuilder
            {
                Agency = agency, Roles = [role], Purpose = purpose, DataClass = dataClass, Owner = owner, Enquiry = enquiry, Fields = Fields,
                Organisation = organisation, OwnerOrganisation = ownerOrganisation, Referral = referral,
                Consents = consent ? [RequestBuilder.ConsentFor(agency, purpose, dataClass)] : [],
            };
        }
    }

    /// <summary>Each sector's default organisation on both sides; and, inside a sector of several, two different organisations.</summary>
    private IEnumerable<(string? Requester, string? Owner)> OrganisationPairs(string agency, string owner)
    {
        yield return (null, null);
        var inSector = _policy.Organisations.Values.Where(o => o.Sector == agency && !o.IsDefault).Select(o => o.Code).Order(StringComparer.Ordinal).ToList();
        if (agency == owner && inSector.Count > 0)
        {
            yield return (inSector[0], inSector[^1] == inSector[0] ? agency : inSector[^1]);
        }
    }

    /// <summary>A referral-bound purpose is tried with no referral, an open one about the child, one about someone else, and one past its grace period.</summary>
    private IEnumerable<ReferralFacts?> Referrals(string purpose) =>
        _policy.Purposes[purpose].RequiresReferral
            ? [null, RequestBuilder.OpenReferral(), RequestBuilder.OpenReferral(aboutChild: false), RequestBuilder.EndedReferral()]
            : [null];

    [Fact]
    public void Given_every_combination_when_decided_then_no_permit_is_left_unexplained_by_its_rules()
    {
        var pdp = new PolicyDecisionPoint(_policy);
        var permits = 0;
        var betweenOrganisations = 0;
        var forReferrals = 0;
        var problems = new List<string>();
        foreach (var builder in Space())
        {
            var request = builder.Build();
            var decision = pdp.Decide(request, RequestBuilder.Now);
            if (!decision.IsPermit)
            {
                Assert.Empty(decision.Fields);
                continue;
            }
            permits++;
            betweenOrganisations += builder.Organisation is not null ? 1 : 0;
            forReferrals += builder.Referral is not null && builder.DataClass != "referral" ? 1 : 0;
            var problem = Unexplained(request, decision);
            if (problem is not null && problems.Count < 20)
            {
                problems.Add($"{builder.Agency}/{builder.Roles[0]} {builder.Purpose} {builder.DataClass} from {builder.Owner} ({builder.Enquiry}): {problem}");
            }
        }
        Assert.Empty(problems);
        Assert.True(permits > 1000, $"only {permits} permits in the whole space: the policies share almost nothing");
        // The organisation and case dimensions are exercised: two schools or trusts share by rules, the front door reads for referrals.
        Assert.True(betweenOrganisations > 100, $"only {betweenOrganisations} permits between two organisations of a sector");
        Assert.True(forReferrals > 10, $"only {forReferrals} permits for a referral");
    }

    [Fact]
    public void Given_every_combination_then_each_permit_is_within_the_reachable_set_and_its_fields_pass_may_see()
    {
        // Queries narrow to Reachable in the database before deciding: a permit outside it would be a record never shown.
        var pdp = new PolicyDecisionPoint(_policy);
        var misses = new List<string>();
        foreach (var builder in Space())
        {
            var request = builder.Build();
            var decision = pdp.Decide(request, RequestBuilder.Now);
            if (!decision.IsPermit)
            {
                continue;
            }
            if (!pdp.Reachable(request.Principal, request.Purpose).Contains((builder.Owner, builder.DataClass)))
            {
                misses.Add($"{builder.Agency}/{builder.Roles[0]} {builder.Purpose} {builder.DataClass} from {builder.Owner}: permitted but not reachable");
            }
            misses.AddRange(decision.Fields.Where(f => !pdp.MaySee(request.Principal, request.Purpose, f))
                .Select(f => $"{builder.Agency}/{builder.Roles[0]} {builder.Purpose}: field {f} permitted but MaySee says no"));
        }
        Assert.Empty(misses.Take(20));
        var education = new Principal("education", "lead", new HashSet<string> { "macpt-member" });
        var reachable = pdp.Reachable(education, "s47-enquiry");
        Assert.Contains(("police", "police.incident"), reachable);
        Assert.DoesNotContain(("police", "police.intelligence"), reachable);
        Assert.Empty(pdp.Reachable(education, "audit-review"));
    }

    [Fact]
    public void Given_a_principal_and_purpose_that_never_consult_consent_then_dropping_the_consents_changes_no_decision()
    {
        var pdp = new PolicyDecisionPoint(_policy);
        var checkedAny = 0;
        foreach (var builder in Space().Where(b => b.Consents.Any()))
        {
            var request = builder.Build();
            if (pdp.MayConsultConsent(request.Principal, request.Purpose))
            {
                continue;
            }
            checkedAny++;
            var with = pdp.Decide(request, RequestBuilder.Now);
            var without = pdp.Decide(request with { Consents = [] }, RequestBuilder.Now);
            Assert.Equal(with.Effect, without.Effect);
            Assert.True(with.Fields.SetEquals(without.Fields));
            Assert.Equal(with.ConsentBasis, without.ConsentBasis);
        }
        Assert.True(checkedAny > 1000, $"only {checkedAny} requests never consult consent");
        Assert.True(pdp.MayConsultConsent(new Principal("la", "fhlp", new HashSet<string> { "fhlp" }), "family-help"));
    }

    [Fact]
    public void Given_any_request_when_permit_rules_or_consents_are_removed_then_nothing_more_is_ever_granted()
    {
        var space = Space().ToArray();
        var permitRules = _policy.Rules.Where(r => r.Effect == RuleEffect.Permit).ToArray();
        var full = new PolicyDecisionPoint(_policy);
        var property = Prop.ForAll(Gen.Choose(0, space.Length - 1).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (index, seed) =>
        {
            var random = new Random(seed);
            var builder = space[index];
            var fewerRules = _policy with { Rules = _policy.Rules.Where(r => r.Effect == RuleEffect.Deny || random.Next(3) > 0).ToList() };
            var fewerConsents = builder with { Consents = builder.Consents.Where(_ => random.Next(2) == 0).ToArray() };
            var before = full.Decide(builder.Build(), RequestBuilder.Now);
            var after = new PolicyDecisionPoint(fewerRules).Decide(fewerConsents.Build(), RequestBuilder.Now);
            return !after.IsPermit || (before.IsPermit && after.Fields.IsSubsetOf(before.Fields));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);
        Assert.NotEmpty(permitRules);
    }

    /// <summary>An independent reading of the policy: each permitted field must come from a named rule that covers this request.</summary>
    private string? Unexplained(AccessRequest request, Decision decision)
    {
        if (decision.RuleIds.Count == 0)
        {
            return "permit names no rule";
        }
        var rules = decision.RuleIds.Select(id => _policy.Rules.Single(r => r.Id == id)).ToList();
        var principal = request.Principal;
        var resource = request.Resource;
        // Own records are the requester's organisation's (a sector's default organisation carries the sector's code).
        var own = (resource.OwningOrganisation ?? resource.OwningAgency) == (principal.Organisation ?? principal.Agency);
        var purposeRule = _policy.Purposes[request.Purpose];
        if (purposeRule.RequiresReferral && resource.ResourceType != "referral"
            && (request.Referral is not { } referral || !referral.IsOpenAt(RequestBuilder.Now) || !referral.SubjectIds.Overlaps(resource.SubjectIds)))
        {
            return "a referral-bound purpose permitted without an open referral about the record's subject";
        }
        if (purposeRule.RequiresEnquiry && (request.Enquiry is not { } enquiry || !enquiry.IsOpenAt(RequestBuilder.Now)
            || !enquiry.Members.Any(m => m.Agency == principal.Agency && m.IsActiveAt(RequestBuilder.Now))))
        {
            return "an enquiry-bound purpose permitted outside an open enquiry its requester is a member of";
        }
        // The roles the rules see: those held at the requester's agency, and the roles each acts as (agencies.yaml).
        var roles = principal.Roles.Where(r => _policy.Roles[r].IsHeldAt(principal.Agency)).SelectMany(r => _policy.Roles[r].ActsAs.Append(r)).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule.Effect != RuleEffect.Permit)
            {
                return $"permit names deny rule {rule.Id}";
            }
            var inScope = (rule.AnyAgency || rule.RequesterAgencies.Contains(principal.Agency))
                && (rule.AnyRole || rule.Roles.Overlaps(roles))
                && (rule.AnyPurpose || rule.Purposes.Contains(request.Purpose))
                && (rule.AnySource || rule.Sources.Contains(resource.OwningAgency) || (rule.SourceIsRequester && own));
            if (!inScope)
            {
                return $"rule {rule.Id} does not cover this requester, purpose or source";
            }
            if (rule.Conditions.EnquiryMember && (request.Enquiry is null || !request.Enquiry.Members.Any(m => m.Agency == principal.Agency && m.IsActiveAt(RequestBuilder.Now))))
            {
                return $"rule {rule.Id} needs enquiry membership, which the request lacks";
            }
            if (rule.Conditions.EnquiryOpen && (request.Enquiry is null || !request.Enquiry.IsOpenAt(RequestBuilder.Now)))
            {
                return $"rule {rule.Id} needs an open enquiry";
            }
        }
        var dataClass = _policy.DataClasses[resource.DataClass];
        foreach (var field in decision.Fields)
        {
            var granted = rules.Any(r => (r.AnyDataClass || r.DataClasses.Contains(dataClass.Code))
                && (r.AllFieldsAllowed || r.Fields.Contains(field))
                && (!dataClass.IsProtected || own || r.DataClasses.Contains(dataClass.Code)));
            if (!granted)
            {
                return $"field {field} is not granted by any named rule";
            }
        }
        var purpose = _policy.Purposes[request.Purpose];
        if (!own && purpose.Consent == ConsentRule.Required && request.OverrideJustification is null
            && !request.Consents.Any(c => c.Decision == ConsentDecision.Permit && c.IsInForceAt(RequestBuilder.Now)))
        {
            return "purpose needs consent but none is in force";
        }
        return null;
    }
}
