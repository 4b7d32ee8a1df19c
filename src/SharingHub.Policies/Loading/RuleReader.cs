using System.Collections.Frozen;
using SharingHub.Policies.Model;

namespace SharingHub.Policies.Loading;

internal static class RuleReader
{
    public const string Requester = "requester";

    public static Rule? Read(YamlMap entry, Vocabulary vocabulary)
    {
        var errors = entry.Errors;
        var id = entry.String("id");
        var description = entry.String("description");
        var effectText = entry.String("effect");
        var effect = effectText switch
        {
            "permit" => RuleEffect.Permit,
            "deny" => RuleEffect.Deny,
            _ => (RuleEffect?)null,
        };
        if (effectText is not null && effect is null)
        {
            errors.Add(entry.File, entry.LineOf("effect"), $"effect must be permit or deny, not '{effectText}'");
        }
        var requesters = entry.Map("requesters");
        var agencies = Check(requesters?.Words("agencies") ?? [], vocabulary.Agencies.Select(a => a.Code), "agency", entry);
        var roles = Check(requesters?.Words("roles") ?? [], vocabulary.Roles.Select(r => r.Code), "role", entry);
        requesters?.RejectUnknownKeys();
        var purposes = Check(entry.Words("purposes"), vocabulary.Purposes.Select(p => p.Code), "purpose", entry);
        var classes = Check(entry.Words("data-classes"), vocabulary.DataClasses.Select(c => c.Code), "data class", entry);
        var sources = Check(entry.Words("sources"), vocabulary.Agencies.Select(a => a.Code).Append(Requester), "source agency", entry);
        var fields = Check(entry.Words("fields", required: effect == RuleEffect.Permit), vocabulary.Fields.Append(Rule.AllFields), "field", entry, allowAny: false);
        var redact = Check(entry.Words("redact", required: false), vocabulary.Fields, "field", entry, allowAny: false);

        var conditions = RuleConditions.None;
        if (entry.Map("conditions", required: false) is { } c)
        {
            var consent = c.String("consent", required: false);
            if (consent is not null and not "in-force")
            {
                errors.Add(c.File, c.LineOf("consent"), $"the only consent condition is 'in-force', not '{consent}'");
            }
            conditions = new RuleConditions(c.Bool("enquiry-member", false), c.Bool("enquiry-open", false), consent == "in-force", c.Int("within-days"),
                c.Bool("addressed-to-requester", false), c.Bool("person-info-query", false));
            c.RejectUnknownKeys();
        }
        NotifyOwner? notify = null;
        var flag = false;
        if (entry.Map("obligations", required: false) is { } o)
        {
            var delay = o.Int("notify-delay-hours");
            if (o.Bool("notify-owner", false))
            {
                notify = new NotifyOwner(delay ?? 0);
            }
            else if (delay is not null)
            {
                errors.Add(o.File, o.LineOf("notify-delay-hours"), "notify-delay-hours needs notify-owner: true");
            }
            flag = o.Bool("flag-for-review", false);
            o.RejectUnknownKeys();
        }
        entry.RejectUnknownKeys();

        if (id is null || description is null || effect is null || agencies is null || roles is null || purposes is null
            || classes is null || sources is null || fields is null || redact is null)
        {
            return null;
        }
        var rule = new Rule(id, description, effect.Value, agencies, roles, purposes, classes,
            sources.Where(s => s != Requester).ToFrozenSet(StringComparer.Ordinal), sources.Contains(Requester),
            fields, redact, conditions, notify, flag, new SourceLocation(entry.File, entry.Line));
        RuleChecks.CheckRule(rule, entry, vocabulary);
        return rule;
    }

    internal static FrozenSet<string>? Check(IReadOnlyList<(string Value, int Line)> words, IEnumerable<string> known, string what, YamlMap entry, bool allowAny = true)
    {
        var knownSet = known.ToHashSet(StringComparer.Ordinal);
        var ok = true;
        foreach (var (value, line) in words)
        {
            if (!knownSet.Contains(value) && !(allowAny && value == Rule.Any))
            {
                entry.Errors.Add(entry.File, line, $"unknown {what} '{value}'");
                ok = false;
            }
        }
        if (words.Count > 1 && words.Any(w => w.Value == Rule.Any))
        {
            entry.Errors.Add(entry.File, words[0].Line, $"'any' stands alone: it cannot be listed with other {what} values");
            ok = false;
        }
        return ok ? words.Select(w => w.Value).ToFrozenSet(StringComparer.Ordinal) : null;
    }
}

internal static class RuleChecks
{
    public static void CheckRule(Rule rule, YamlMap entry, Vocabulary vocabulary)
    {
        var errors = entry.Errors;
        void Error(string key, string reason) => errors.Add(entry.File, entry.LineOf(key), $"rule '{rule.Id}': {reason}");

        if (rule.Effect == RuleEffect.Deny && (rule.Fields.Count > 0 || rule.Redact.Count > 0 || rule.Notify is not null))
        {
            Error("fields", "a deny rule refuses whole data classes; it takes no fields, redactions or notifications");
        }
        if (rule.Effect == RuleEffect.Permit && !rule.AllFieldsAllowed)
        {
            foreach (var field in rule.Redact.Where(f => !rule.Fields.Contains(f)))
            {
                Error("redact", $"redacts '{field}', which it does not share in the first place");
            }
        }
        var purposes = rule.AnyPurpose ? vocabulary.Purposes : vocabulary.Purposes.Where(p => rule.Purposes.Contains(p.Code)).ToList();
        if (!rule.AnyPurpose && purposes.FirstOrDefault(p => p.AggregateOnly) is { } aggregate)
        {
            Error("purposes", $"names the purpose '{aggregate.Code}', which reads aggregates only: no rule shares a record under it");
        }
        if ((rule.Conditions.EnquiryMember || rule.Conditions.EnquiryOpen) && purposes.Any(p => !p.RequiresEnquiry))
        {
            var without = string.Join(", ", purposes.Where(p => !p.RequiresEnquiry).Select(p => p.Code));
            Error("conditions", $"an enquiry condition can never hold for purposes that name no enquiry ({without})");
        }
        if (rule.Conditions.ConsentInForce && purposes.Any(p => p.Consent == Model.ConsentRule.NotSought))
        {
            Error("conditions", "asks for consent in force under a purpose where consent is not to be sought");
        }
        if (rule.Effect != RuleEffect.Permit)
        {
            return;
        }
        foreach (var code in rule.DataClasses)
        {
            var dataClass = vocabulary.DataClass(code);
            if (dataClass is null)
            {
                continue;
            }
            if (dataClass.IsProtected && (rule.AnyRole || rule.AnyPurpose || rule.AnyAgency))
            {
                Error("data-classes", $"names the protected detail '{code}', which may only be shared to named agencies and roles for named purposes");
            }
            if (dataClass.Owner != DataClass.AnyOwner && !rule.AnySource && !rule.SourceIsRequester && !rule.Sources.Contains(dataClass.Owner))
            {
                Error("sources", $"data class '{code}' is held only by '{dataClass.Owner}', which is not among the rule's sources");
            }
        }
    }

    public static void CheckAcrossRules(List<Rule> rules, PolicyErrors errors)
    {
        foreach (var duplicate in rules.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            foreach (var rule in duplicate.Skip(1))
            {
                errors.Add(rule.Location.File, rule.Location.Line, $"rule id '{rule.Id}' is already used at {duplicate.First().Location}");
            }
        }
        // A deny without conditions that covers everything a permit covers makes that permit dead:
        // the files then say two things at once, and the reader of the agreement is misled.
        foreach (var deny in rules.Where(r => r.Effect == RuleEffect.Deny && r.Conditions == RuleConditions.None))
        {
            foreach (var permit in rules.Where(r => r.Effect == RuleEffect.Permit && Covers(deny, r)))
            {
                errors.Add(permit.Location.File, permit.Location.Line,
                    $"rule '{permit.Id}' can never apply: deny rule '{deny.Id}' ({deny.Location}) refuses everything it permits");
            }
        }
    }

    private static bool Covers(Rule deny, Rule permit) =>
        (deny.AnyAgency || (!permit.AnyAgency && permit.RequesterAgencies.IsSubsetOf(deny.RequesterAgencies)))
        && (deny.AnyRole || (!permit.AnyRole && permit.Roles.IsSubsetOf(deny.Roles)))
        && (deny.AnyPurpose || (!permit.AnyPurpose && permit.Purposes.IsSubsetOf(deny.Purposes)))
        && (deny.AnyDataClass || (!permit.AnyDataClass && permit.DataClasses.IsSubsetOf(deny.DataClasses)))
        && (deny.AnySource
            || (deny.SourceIsRequester && permit.SourceIsRequester && permit.Sources.Count == 0)
            || (!permit.AnySource && !permit.SourceIsRequester && permit.Sources.IsSubsetOf(deny.Sources)));
}
