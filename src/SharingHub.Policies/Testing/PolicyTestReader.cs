using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Testing;

internal static class PolicyTestReader
{
    public static readonly Guid Subject = Guid.Parse("00000000-0000-4000-8000-000000000001");
    private static readonly Guid OtherPerson = Guid.Parse("00000000-0000-4000-8000-000000000002");
    private static readonly Guid RecordId = Guid.Parse("00000000-0000-4000-8000-0000000000aa");
    private static readonly Guid EnquiryId = Guid.Parse("00000000-0000-4000-8000-0000000000e1");
    private static readonly Guid ReferralId = Guid.Parse("00000000-0000-4000-8000-0000000000f1");

    /// <summary>A test of an action (<c>action: enquiry.open</c>): who may take it, not what a record shows.</summary>
    private static PolicyTestCase? ReadAction(YamlMap test, string? name, SourceLocation location, string? agency,
        IReadOnlyList<(string Value, int Line)> roles, string user, string? client, string action, PolicySet policy)
    {
        var expect = test.Map("expect");
        var decisionText = expect?.String("decision");
        var because = expect?.String("because", required: false);
        expect?.RejectUnknownKeys();
        test.RejectUnknownKeys();
        if (!policy.Actions.ContainsKey(action))
        {
            test.Errors.Add(test.File, test.LineOf("action"), $"unknown action '{action}'");
        }
        if (decisionText is not null and not ("permit" or "deny"))
        {
            test.Errors.Add(test.File, test.LineOf("expect"), $"expected decision must be permit or deny, not '{decisionText}'");
        }
        if (name is null || agency is null || decisionText is null || roles.Count == 0)
        {
            return null;
        }
        var principal = new Principal(agency, user, roles.Select(x => x.Value).ToHashSet(StringComparer.Ordinal), client);
        var nothing = new ResourceFacts("action", RecordId, agency, "action", new HashSet<Guid>(), null, []);
        return new PolicyTestCase(name, location, principal, "", null, nothing, [], null, decisionText == "permit", null, [], because, null, null, null)
        {
            Action = action,
        };
    }

    /// <summary>An organisation a test names for a requester or record: one of the sector's, or null (the sector's default).</summary>
    private static string? Organisation(YamlMap? map, string key, string? sector, PolicySet policy)
    {
        if (map?.String(key, required: false) is not { } code)
        {
            return null;
        }
        if (sector is not null && policy.OrganisationIn(sector, code) is null)
        {
            map.Errors.Add(map.File, map.LineOf(key), $"'{code}' is not an organisation in sector '{sector}' (organisations.yaml)");
        }
        return code;
    }

    public static PolicyTestCase? Read(YamlMap test, PolicySet policy, bool questionOnly = false)
    {
        var errors = test.Errors;
        var name = test.String("name");
        var location = new SourceLocation(test.File, test.Line);

        var requester = test.Map("requester");
        var agency = requester?.String("agency");
        var roles = requester?.Words("roles") ?? [];
        var user = requester?.String("user", required: false) ?? $"{agency}-user";
        var client = requester?.String("client", required: false);
        var organisation = Organisation(requester, "organisation", agency, policy);
        requester?.RejectUnknownKeys();

        if (test.String("action", required: false) is { } action)
        {
            return ReadAction(test, name, location, agency, roles, user, client, action, policy);
        }

        var purpose = test.String("purpose");
        var now = PolicyTestRunner.Now;

        EnquiryFacts? enquiry = null;
        if (test.Map("enquiry", required: false) is { } e)
        {
            var open = e.Bool("open", true);
            var member = e.Bool("member", true);
            var aboutSubject = e.Bool("about-subject", true);
            var stageWord = e.String("stage", required: false);
            var stage = stageWord is null ? Core.Records.CaseStage.Section47 : CaseStageNames.Parse(stageWord);
            if (stage is null)
            {
                e.Errors.Add(e.File, e.LineOf("stage"), $"'{stageWord}' is not a stage of a child protection case ({string.Join(", ", CaseStageNames.All)})");
            }
            e.RejectUnknownKeys();
            enquiry = new EnquiryFacts(EnquiryId, "S47-TEST-0001", open ? null : now.AddDays(-1),
                new HashSet<Guid> { aboutSubject ? Subject : OtherPerson },
                member && agency is not null ? [new EnquiryMemberFacts(agency, user, now.AddDays(-10), null)] : [])
            {
                Stage = stage ?? Core.Records.CaseStage.Section47,
            };
        }

        ReferralFacts? referral = null;
        if (test.Map("referral", required: false) is { } named)
        {
            var open = named.Bool("open", true);
            var aboutSubject = named.Bool("about-subject", true);
            named.RejectUnknownKeys();
            referral = new ReferralFacts(ReferralId, open ? null : now.AddHours(-1), new HashSet<Guid> { aboutSubject ? Subject : OtherPerson });
        }

        var record = test.Map("record");
        var type = record?.String("type") ?? "event";
        var owner = record?.String("owner");
        var dataClass = record?.String("data-class");
        var fieldWords = record?.Words("fields") ?? [];
        var daysAgo = record?.Int("days-ago") ?? 30;
        var addressedTo = record?.String("addressed-to", required: false);
        var owningOrganisation = Organisation(record, "organisation", owner, policy);
        record?.RejectUnknownKeys();
        var fields = fieldWords.Select(w =>
        {
            var parts = w.Value.Split(':', 2);
            return new FieldFacts(parts[0], parts.Length == 2 ? parts[1] : null);
        }).ToList();

        var consents = new List<ConsentFacts>();
        var consentText = test.String("consent", required: false);
        if (consentText is not null && purpose is not null && agency is not null && dataClass is not null)
        {
            var classes = fields.Select(f => f.DataClass ?? dataClass).Append(dataClass).Distinct().ToList();
            ConsentFacts Make(ConsentDecision decision, ConsentStatus status, DateTimeOffset? end, DateTimeOffset? withdrawn, List<string>? only = null) =>
                new(Guid.Parse("00000000-0000-4000-8000-0000000000c1"), Subject, decision, status, [agency], [purpose], only ?? classes,
                    now.AddDays(-100), end, withdrawn);
            switch (consentText)
            {
                case "in-force": consents.Add(Make(ConsentDecision.Permit, ConsentStatus.Active, now.AddDays(100), null)); break;
                // A consent that names no data classes, and one that names only a class other than the record's.
                case "in-force-no-classes": consents.Add(Make(ConsentDecision.Permit, ConsentStatus.Active, now.AddDays(100), null, [])); break;
                case "in-force-other-class": consents.Add(Make(ConsentDecision.Permit, ConsentStatus.Active, now.AddDays(100), null, ["education.attendance.other"])); break;
                case "refused": consents.Add(Make(ConsentDecision.Deny, ConsentStatus.Active, null, null)); break;
                case "withdrawn": consents.Add(Make(ConsentDecision.Permit, ConsentStatus.Withdrawn, now.AddDays(100), now.AddDays(-1))); break;
                case "expired": consents.Add(Make(ConsentDecision.Permit, ConsentStatus.Active, now.AddDays(-1), null)); break;
                // Recorded as not sought because seeking it would place the child at risk: a record of why, not an agreement.
                case "not-sought": consents.Add(Make(ConsentDecision.NotSought, ConsentStatus.Active, null, null)); break;
                case "none": break;
                default: errors.Add(test.File, test.LineOf("consent"), $"consent must be in-force, in-force-no-classes, in-force-other-class, refused, withdrawn, expired, not-sought or none, not '{consentText}'"); break;
            }
        }
        var overrideText = test.String("override", required: false);
        var personInfoQuery = test.String("person-info-query", required: false) == "true";

        var expect = test.Map("expect", required: !questionOnly);
        var decisionText = expect?.String("decision") ?? (questionOnly ? "deny" : null);
        var expectFields = expect?.Words("fields", required: false) is { Count: > 0 } f ? f.Select(x => x.Value).ToHashSet(StringComparer.Ordinal) : null;
        var expectRules = expect?.Words("rules", required: false).Select(x => x.Value).ToList() ?? [];
        var because = expect?.String("because", required: false);
        var review = expect?.String("review", required: false) is { } r ? r == "true" : (bool?)null;
        var notify = expect?.String("notify-owner", required: false) is { } n ? n == "true" : (bool?)null;
        var notifyHours = expect?.Int("notify-after-hours");
        expect?.RejectUnknownKeys();
        test.RejectUnknownKeys();

        if (decisionText is not null and not ("permit" or "deny"))
        {
            errors.Add(test.File, test.LineOf("expect"), $"expected decision must be permit or deny, not '{decisionText}'");
            return null;
        }
        foreach (var unknown in expectRules.Where(id => policy.Rules.All(rule => rule.Id != id)))
        {
            errors.Add(test.File, test.LineOf("expect"), $"expects unknown rule '{unknown}'");
        }
        if (name is null || agency is null || purpose is null || owner is null || dataClass is null || decisionText is null || roles.Count == 0)
        {
            return null;
        }
        var resource = new ResourceFacts(type, RecordId, owner, dataClass, new HashSet<Guid> { Subject }, now.AddDays(-daysAgo), fields) { AddressedTo = addressedTo, OwningOrganisation = owningOrganisation };
        var principal = new Principal(agency, user, roles.Select(x => x.Value).ToHashSet(StringComparer.Ordinal)) { Organisation = organisation };
        return new PolicyTestCase(name, location, principal, purpose, enquiry, resource, consents, overrideText,
            decisionText == "permit", expectFields, expectRules, because, review, notify, notifyHours, personInfoQuery) { Referral = referral };
    }
}
